"""What a clerk reads about a sheet, in Chinese (the default) and English: one catalogue keyed by error code.

The same catalogue words the domain service's codes (unknown_course, id_checksum, gender_mismatch, …) when its
errors are reported against a sheet, so every message of an import reads alike. A key is `code`, or
`field:code` where one code means different things in different fields.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Literal

Lang = Literal["zh", "en"]

_REPAIR_ZH = (
    "请把该列设置为“文本”格式后重新录入身份证号码（或在号码前加英文单引号 '），或从原系统重新导出；"
    "Excel 只保留 15 位有效数字，丢失的数字无法从文件中找回"
)
_REPAIR_EN = (
    "set the column to Text and re-enter the ID numbers (or type an apostrophe ' before each), or export the file "
    "again from the source system; Excel keeps only 15 significant digits, and the lost digits cannot be recovered "
    "from this file"
)

CATALOGUE: dict[str, tuple[str, str]] = {
    # the file
    "malformed": ("无法读取文件：{detail}", "the file cannot be read: {detail}"),
    "encoding": ("文件既不是 UTF-8 也不是 GB18030（GBK）编码，请另存为“CSV UTF-8”或 Excel 工作簿",
                 "the file is neither UTF-8 nor GB18030 (GBK): save it as CSV UTF-8 or as an Excel workbook"),
    "empty": ("文件是空的", "the file is empty"),
    "no_header": ("在前 {rows} 行中找不到表头（至少要有“姓名”“身份证号码”等列标题）",
                  "no header row in the first {rows} rows (column titles such as 姓名 / name, 身份证号码 / id_number)"),
    "missing_column": ("缺少必填列「{title}」（也可写作：{synonyms}）",
                       "the required column {title_en} ({title}) is missing (also accepted: {synonyms})"),
    "duplicate_column": ("第 {row} 行表头中「{column}」与「{other}」是同一列，请删除其中一列",
                         "header row {row}: {column} and {other} are the same column; delete one"),
    "no_rows": ("表头下面没有数据行", "there are no data rows under the header"),
    "too_many_rows": ("一次最多导入 {limit} 行，请分批导入", "at most {limit} rows in one import; split the file"),
    # Excel's damage to ID numbers, reported once for the file
    "id_excel_numeric": (
        "「{column}」列的身份证号码被 Excel 存成了数字（共 {count} 行，第一处在第 {row} 行），"
        "后几位已丢失。" + _REPAIR_ZH,
        "the ID numbers of column {column} were stored by Excel as numbers ({count} rows, the first on row {row}); "
        "their last digits are lost: " + _REPAIR_EN),
    "id_excel_scientific": (
        "「{column}」列的身份证号码被 Excel 变成了科学计数法（如 6.53121E+17，共 {count} 行，第一处在第 {row} 行），"
        "后几位已丢失。" + _REPAIR_ZH,
        "the ID numbers of column {column} were turned by Excel into scientific notation (like 6.53121E+17; "
        "{count} rows, the first on row {row}); their last digits are lost: " + _REPAIR_EN),
    "id_excel_zeroed": (
        "「{column}」列的身份证号码末几位被 Excel 变成了 0（共 {count} 行，第一处在第 {row} 行）。" + _REPAIR_ZH,
        "the last digits of the ID numbers in column {column} were turned into 0 by Excel ({count} rows, the "
        "first on row {row}): " + _REPAIR_EN),
    # cells
    "required": ("「{column}」不能为空", "{column} is empty"),
    "assessment:required": ("合格学员需要鉴定结果：请填写「{column}」", "a passing row of this certificate course "
                            "needs its assessment: fill in {column}"),
    "graduation_number:required": ("一考双证课程的合格学员需要填写「{column}」",
                                   "this 一考双证 course needs the graduation certificate number ({column})"),
    "invalid_date": ("「{column}」不是日期：请写成 2025-06-30、2025/6/30 或 2025年6月30日",
                     "{column} is not a date: write 2025-06-30, 2025/6/30 or 2025年6月30日"),
    "invalid_hours": ("「{column}」不是数字：学时填整数，如 120",
                      "{column} is not a number: hours are whole, like 120"),
    "hours_fraction": ("「{column}」须为整数学时（如 120），不能带小数", "{column} must be whole hours (like 120)"),
    "invalid_level": ("「{column}」应为一级至五级（高级技师、技师、高级工、中级工、初级工），如“四级”或 4",
                      "{column} is a level from 1 (高级技师) to 5 (初级工), like 四级 or 4"),
    "invalid_passed": ("「{column}」请填“合格”或“不合格”（是/否、√/×）",
                       "{column} is 合格 / 不合格 (yes/no, true/false, 1/0)"),
    "invalid_gender": ("「{column}」请填“男”或“女”", "{column} is 男 or 女 (M or F)"),
    "invalid_score": ("「{column}」不是分数：请填 0 到 100 之间的数", "{column} is not a score from 0 to 100"),
    # the domain service's codes
    "unknown_course": ("本机构没有课程编码为“{course}”的课程，请核对「{column}」或先登记课程",
                       "no course {course!r} at this institution: check {column} or register the course first"),
    "completion_exists": ("该学员的这门课程已登记过，且内容不同", "this trainee's completion of this course is "
                          "already registered with different content"),
    "id_length": ("「{column}」位数不对：身份证号码为 18 位（旧号码 15 位）",
                  "{column}: an ID number has 18 characters (or 15 digits for an old number)"),
    "id_charset": ("「{column}」只能是 17 位数字加一位数字或 X", "{column} is 17 digits followed by a digit or X"),
    "id_checksum": ("「{column}」校验位不符，号码可能输错了",
                    "{column}: the check character does not match, the number is mistyped"),
    "id_region": ("「{column}」前两位不是省级行政区代码", "{column}: the first two digits are not a province code"),
    "id_birth_date": ("「{column}」中的出生日期不存在", "{column}: the birth date in the number is not a real date"),
    "name_empty": ("「{column}」不能为空", "{column} is empty"),
    "name_control": ("「{column}」含有控制字符或不可见字符", "{column} contains control or invisible characters"),
    "name_digit": ("「{column}」不能含有数字", "{column} cannot contain digits"),
    "name_charset": ("「{column}」只能包含文字、空格、间隔号 · 以及 - 或 '",
                     "{column} holds letters, spaces, the middle dot · and - or ' only"),
    "name_dot": ("「{column}」中的间隔号 · 应在两部分姓名之间",
                 "{column}: the dot · stands between two parts of a name"),
    "name_length": ("「{column}」太长", "{column} is too long"),
    "trainee.gender:invalid": ("「{column}」请填“男”或“女”", "{column} is 男 or 女 (M or F)"),
    "gender_mismatch": ("「{column}」与身份证号码中的性别不符", "{column} does not match the ID number"),
    "unknown_region": ("「{column}」不是新疆的行政区划代码（6 位，GB/T 2260）",
                       "{column} is not a Xinjiang region code (6 digits, GB/T 2260)"),
    "trainee.phone:invalid": ("「{column}」应为 5 到 20 位数字", "{column} is 5 to 20 digits"),
    "in_future": ("「{column}」晚于今天", "{column} is in the future"),
    "before_course": ("「{column}」早于课程开始日期", "{column} is before the course starts"),
    "hours:out_of_range": ("「{column}」应在 0 到 10000 之间", "{column} is between 0 and 10,000"),
    "out_of_range": ("「{column}」应在 0 到 100 之间", "{column} is between 0 and 100"),
    "not_an_evaluator": ("本机构不是备案的评价机构，不能评定技能等级", "this institution is not a filed evaluator "
                         "(评价机构备案)"),
    "not_filed": ("本机构未备案该职业的{level}级评价，请核对「{column}」",
                  "this institution is not filed to assess this occupation at level {level}: check {column}"),
    "taken": ("「{column}」已被其他学员或课程使用", "{column} is already recorded for another trainee or course"),
    "duplicate_in_batch": ("与第 {first_row} 行重复（同一学员同一课程，或同一编号）",
                           "the same as row {first_row} (same trainee and course, or the same number)"),
    "bidi_control": ("「{column}」不能包含双向文字控制字符（U+202A–U+202E、U+2066–U+2069）",
                     "{column} must not contain bidirectional control characters (U+202A-U+202E, U+2066-U+2069)"),
    "invalid": ("「{column}」的值无效", "{column} is invalid"),
    # warnings
    "rows_above_header": ("表头在第 {row} 行，上面的 {count} 行（标题或空行）已跳过",
                          "the header is on row {row}; the {count} row(s) above it (a title or blank rows) "
                          "were skipped"),
    "unknown_column": ("「{column}」不是可导入的列，已忽略", "{column} is not a column the ledger reads; ignored"),
    "empty_column": ("第 {columns} 列没有列标题，已忽略", "column(s) {columns} have no title; ignored"),
    "note_column": ("「{column}」列（上次导入的错误说明）已忽略", "the {column} column (errors of an earlier import) "
                    "was ignored"),
}  # fmt: skip

DETAIL = {
    "rejected": ("文件中有 {total} 处错误，涉及 {rows} 行；没有登记任何数据",
                 "{total} error(s) in {rows} row(s); nothing was registered"),
    "unreadable": ("无法导入此文件", "the file cannot be imported"),
}  # fmt: skip


def message(code: str, lang: Lang = "zh", field: str | None = None, /, **params: object) -> str:
    """The catalogue's text for `code` (in `field` when that field words it differently); an unknown code gets
    the generic text. Missing parameters read as empty, never as an error."""
    entry = CATALOGUE.get(f"{field}:{code}") if field else None
    entry = entry or CATALOGUE.get(code) or CATALOGUE["invalid"]
    template = entry[0] if lang == "zh" else entry[1]
    return template.format_map(defaultdict(str, params))


def detail(key: str, lang: Lang = "zh", **params: object) -> str:
    zh, en = DETAIL[key]
    return (zh if lang == "zh" else en).format_map(defaultdict(str, params))


def has_text(code: str, field: str | None = None) -> bool:
    return code in CATALOGUE or f"{field}:{code}" in CATALOGUE
