"""Completions from a CSV file: UTF-8 (with or without BOM) or GB18030, Chinese or English headers.

Rows are numbered like JSON items: `row` 0 is the first data row (CSV line 2).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata

from ledger.commands import AssessmentIn, CompletionIn, TraineeIn, check_batch_size
from ledger.errors import ErrorCollector, FieldError, InvalidInput
from ledger.registration.csv_text import decode_csv

COLUMNS: dict[str, tuple[str, ...]] = {
    "course_code": ("course_code", "课程编码", "课程代码", "课程编号"),
    "name": ("name", "trainee_name", "姓名"),
    "id_number": ("id_number", "身份证号", "身份证号码", "证件号码", "公民身份号码"),
    "gender": ("gender", "sex", "性别"),
    "domicile_region": ("domicile_region", "户籍地区", "户籍地区代码", "户籍所在地代码"),
    "phone": ("phone", "手机号", "手机号码", "联系电话"),
    "completed_on": ("completed_on", "结业日期", "完成日期", "结业时间"),
    "hours": ("hours", "学时", "培训学时"),
    "passed": ("passed", "是否合格", "合格", "考核结果"),
    "assessment_level": ("assessment_level", "level", "鉴定等级", "评价等级", "技能等级"),
    "assessed_on": ("assessed_on", "鉴定日期", "评价日期", "考核日期"),
    "theory_score": ("theory_score", "理论成绩", "理论知识成绩"),
    "practical_score": ("practical_score", "实操成绩", "操作技能成绩", "技能成绩"),
    "graduation_number": ("graduation_number", "毕业证书编号", "毕业证编号"),
}
REQUIRED = ("course_code", "name", "id_number", "completed_on", "hours", "passed")

_TRUE = {"1", "true", "yes", "y", "t", "是", "合格", "通过"}
_FALSE = {"0", "false", "no", "n", "f", "否", "不合格", "未通过"}
_LEVEL_WORDS = {
    "五级": 5, "初级工": 5, "初级": 5,
    "四级": 4, "中级工": 4, "中级": 4,
    "三级": 3, "高级工": 3,
    "二级": 2, "技师": 2,
    "一级": 1, "高级技师": 1,
}  # fmt: skip
_ALIASES = {unicodedata.normalize("NFKC", alias).strip().lower(): name for name, al in COLUMNS.items() for alias in al}


def _clean(value: str | None) -> str:
    return unicodedata.normalize("NFKC", value or "").strip()


def _date(value: str) -> dt.date:
    text = value.replace("/", "-").replace(".", "-").replace("年", "-").replace("月", "-").rstrip("日")
    parts = text.split("-")
    if len(parts) != 3:
        raise ValueError
    return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))


def _level(value: str) -> int:
    text = value.split("/")[0].strip()
    if text in _LEVEL_WORDS:
        return _LEVEL_WORDS[text]
    return int(text)


def parse_completions_csv(raw: bytes, max_rows: int) -> list[CompletionIn]:
    try:
        return _parse(decode_csv(raw), max_rows)
    except csv.Error as exc:
        raise InvalidInput(
            "the CSV file cannot be read",
            errors=[FieldError("file", "malformed", "the file is not a valid CSV (a cell may be far too long)")],
        ) from exc


def _parse(text: str, max_rows: int) -> list[CompletionIn]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise InvalidInput("the CSV file is empty")
    columns: dict[str, int] = {}
    errors = ErrorCollector()
    for position, title in enumerate(header):
        name = _ALIASES.get(_clean(title).lower())
        # a header title is echoed only if it cannot be personal data (a file without a header row would
        # otherwise have its first trainee's ID number sent back)
        shown = (
            title if title and not any(c.isdigit() for c in title) and len(title) <= 40 else f"column {position + 1}"
        )
        if name is None:
            errors.add(shown, "unknown_column", f"column {position + 1} ({shown}) is not a known column")
        elif name in columns:
            errors.add(shown, "duplicate_column", f"column {name} appears twice")
        else:
            columns[name] = position
    for name in REQUIRED:
        if name not in columns:
            errors.add(name, "missing_column", f"the required column {name} ({COLUMNS[name][1]}) is missing")
    if errors:
        raise InvalidInput("the CSV header is invalid", errors=errors.errors)
    items: list[CompletionIn] = []
    for row, record in enumerate(reader):
        if not any(cell.strip() for cell in record):
            continue
        check_batch_size(len(items) + 1, max_rows, "file")
        if len(record) > len(header):
            errors.add("row", "too_many_cells", f"CSV line {row + 2} has more cells than the header", row)
            continue

        def cell(name: str, record: list[str] = record) -> str:
            position = columns.get(name)
            return _clean(record[position]) if position is not None and position < len(record) else ""

        before = len(errors.errors)
        values: dict[str, object] = {}
        for name in REQUIRED:
            if not cell(name):
                errors.add(name, "required", f"{name} is empty (CSV line {row + 2})", row)
        for name in ("completed_on", "assessed_on"):
            if cell(name):
                try:
                    values[name] = _date(cell(name))
                except (ValueError, OverflowError):
                    errors.add(name, "invalid_date", f"not a date like 2025-06-30 (CSV line {row + 2})", row)
        if cell("hours"):
            try:
                values["hours"] = int(cell("hours"))
            except ValueError:
                errors.add("hours", "invalid", f"not a whole number of hours (CSV line {row + 2})", row)
        passed = cell("passed").lower()
        if passed and passed not in _TRUE | _FALSE:
            errors.add("passed", "invalid", "passed is 是/否 (true/false)", row)
        if cell("assessment_level"):
            try:
                values["level"] = _level(cell("assessment_level"))
            except ValueError:
                errors.add("assessment_level", "invalid_level", "a level is 1-5 or 五级…一级", row)
        for name in ("theory_score", "practical_score"):
            if cell(name):
                try:
                    values[name] = float(cell(name))
                except ValueError:
                    errors.add(name, "invalid", f"not a score from 0 to 100 (CSV line {row + 2})", row)
        if len(errors.errors) > before:
            continue
        assessment = None
        if "level" in values:
            assessment = AssessmentIn(
                level=values["level"],  # type: ignore[arg-type]
                assessed_on=values.get("assessed_on"),  # type: ignore[arg-type]
                theory_score=values.get("theory_score"),  # type: ignore[arg-type]
                practical_score=values.get("practical_score"),  # type: ignore[arg-type]
            )
        items.append(
            CompletionIn(
                course_code=cell("course_code"),
                trainee=TraineeIn(
                    name=cell("name"),
                    id_number=cell("id_number"),
                    gender=cell("gender") or None,
                    domicile_region=cell("domicile_region") or None,
                    phone=cell("phone") or None,
                ),
                completed_on=values["completed_on"],  # type: ignore[arg-type]
                hours=values["hours"],  # type: ignore[arg-type]
                passed=passed in _TRUE,
                assessment=assessment,
                graduation_number=cell("graduation_number") or None,
            )
        )
    if errors:
        raise InvalidInput(f"{len({e.row for e in errors.errors})} CSV row(s) are invalid", errors=errors.errors)
    return items
