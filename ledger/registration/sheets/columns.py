"""The columns of a completions sheet: the field each one fills, the titles clerks give it, what the template calls it.

A column's `field` is the internal code the domain service uses in its errors (`trainee.id_number`), so an error
from the service and an error from reading a cell name the same thing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Column:
    field: str
    title: str  # the template's header (Chinese)
    title_en: str
    synonyms: tuple[str, ...]
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("course_code", "课程编码", "course code",
           ("course_code", "course", "课程编码", "课程代码", "课程编号", "班级编码", "班级编号"), required=True),
    Column("trainee.name", "姓名", "name", ("name", "trainee_name", "full name", "姓名", "学员姓名", "考生姓名"),
           required=True),
    Column("trainee.id_number", "身份证号码", "ID number",
           ("id_number", "id", "id no", "id card", "身份证号", "身份证号码", "证件号码", "公民身份号码", "身份证",
            "身份证件号码"), required=True),
    Column("trainee.gender", "性别", "gender", ("gender", "sex", "性别")),
    Column("trainee.domicile_region", "户籍地区代码", "domicile region",
           ("domicile_region", "domicile", "户籍地区", "户籍地区代码", "户籍所在地代码", "户籍地代码")),
    Column("trainee.phone", "手机号码", "phone", ("phone", "mobile", "手机号", "手机号码", "联系电话", "电话")),
    Column("completed_on", "结业日期", "completed on",
           ("completed_on", "completion date", "结业日期", "完成日期", "结业时间", "毕业日期"), required=True),
    Column("hours", "学时", "hours", ("hours", "学时", "培训学时", "课时"), required=True),
    Column("passed", "是否合格", "passed",
           ("passed", "result", "是否合格", "合格", "考核结果", "结业结果", "是否通过"), required=True),
    Column("assessment.level", "鉴定等级", "level",
           ("assessment_level", "level", "鉴定等级", "评价等级", "技能等级", "等级", "职业技能等级")),
    Column("assessment.assessed_on", "鉴定日期", "assessed on",
           ("assessed_on", "assessment date", "鉴定日期", "评价日期", "考核日期", "考试日期")),
    Column("assessment.theory_score", "理论成绩", "theory score",
           ("theory_score", "theory", "理论成绩", "理论知识成绩", "理论考试成绩")),
    Column("assessment.practical_score", "实操成绩", "practical score",
           ("practical_score", "practical", "实操成绩", "操作技能成绩", "技能成绩", "技能操作成绩")),
    Column("graduation_number", "毕业证书编号", "graduation certificate number",
           ("graduation_number", "毕业证书编号", "毕业证编号", "毕业证号")),
)  # fmt: skip
BY_FIELD = {column.field: column for column in COLUMNS}

# the column an error workbook adds: ignored when the corrected workbook is uploaded again
NOTE_TITLE = "错误说明"
NOTE_SYNONYMS = (NOTE_TITLE, "error", "errors")

_DECORATION = re.compile(r"[*＊\s]|[(（][^)）]*[)）]")


def header_key(title: str) -> str:
    """What a header cell is compared by: NFKC, lower case, without spaces, required-markers (*) or parentheses
    ("身份证号码（必填）", " ID_Number* " and "id number" all read alike)."""
    text = unicodedata.normalize("NFKC", title).strip().lower()
    return _DECORATION.sub("", text).replace("_", "").replace("-", "")


_BY_KEY = {header_key(s): c.field for c in COLUMNS for s in (*c.synonyms, c.title, c.title_en)}
_NOTE_KEYS = {header_key(s) for s in NOTE_SYNONYMS}


def field_of(title: str) -> str | None:
    return _BY_KEY.get(header_key(title))


def is_note_column(title: str) -> bool:
    return header_key(title) in _NOTE_KEYS
