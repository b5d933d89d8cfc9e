"""Cell values read as clerks write them: 四级 / 4级 / 中级工 / 4.0, 是 / √ / 合格, 2025年6月30日 / 20250630 / an
Excel serial day, 120.0 hours, 男性. Each reader takes a raw cell (text from a CSV, or a typed cell from a
workbook) and returns the canonical value or raises CellError with a stable code.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from ledger.people.identity import IdNumberError, normalize_id_number

Cell = str | int | float | bool | dt.date | dt.datetime | dt.time | dt.timedelta | None


class CellError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def text(cell: Cell) -> str:
    """A cell as clean text: NFKC (full-width digits and letters, non-breaking spaces), no invisible characters,
    no surrounding spaces, no leading apostrophe (Excel's "keep as text" mark); whole numbers without ".0"."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "1" if cell else "0"
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() and abs(cell) < 1e15 else repr(cell)
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat() if cell.time() == dt.time() else cell.isoformat(sep=" ")
    if not isinstance(cell, str):
        return str(cell)
    value = unicodedata.normalize("NFKC", cell).translate(_INVISIBLE).strip()
    while value[:1] in ("'", "‘", "’", "`"):  # the apostrophes clerks type
        value = value[1:].strip()
    return value


# ---- ID numbers and Excel's damage to them ----

_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d*)?e[+-]?\d+$", re.IGNORECASE)


def id_number(cell: Cell) -> tuple[str, str | None]:
    """The ID text, and what Excel did to it if it did: "numeric" (a number cell: Excel keeps 15 significant
    digits, the rest is gone), "scientific" (6.53121E+17 saved as text) or "zeroed" (the last digits turned to 0)."""
    if isinstance(cell, float | int) and not isinstance(cell, bool):
        if abs(cell) >= 1e15 or (isinstance(cell, float) and not cell.is_integer()):
            return text(cell), "numeric"
        return str(int(cell)), None
    value = "".join(text(cell).split())
    if _SCIENTIFIC.match(value):
        return value, "scientific"
    if len(value) == 18 and value.isdigit() and value.endswith("000"):
        try:
            normalize_id_number(value)
        except IdNumberError as exc:
            if exc.code == "id_checksum":
                return value, "zeroed"
    return value, None


# ---- levels ----

_LEVEL_WORDS = {
    "五级": 5, "初级": 5, "初级工": 5,
    "四级": 4, "中级": 4, "中级工": 4,
    "三级": 3, "高级": 3, "高级工": 3,
    "二级": 2, "技师": 2,
    "一级": 1, "高级技师": 1,
}  # fmt: skip
_LEVEL_NUMBER = re.compile(r"^(?:level)?(\d)(?:\.0+)?级?$")
_ALTERNATIVE = re.compile(r"[(（/、].*$")


def level(cell: Cell) -> int:
    """1 (高级技师, the highest) to 5 (初级工). "四级（中级工）", "4级", "中级", "4", 4.0 all read as 4."""
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        if float(cell).is_integer():
            return int(cell)
        raise CellError("invalid_level")
    value = "".join(text(cell).lower().split())
    value = _ALTERNATIVE.sub("", value) or value
    if value in _LEVEL_WORDS:
        return _LEVEL_WORDS[value]
    match = _LEVEL_NUMBER.match(value)
    if match:
        return int(match.group(1))
    raise CellError("invalid_level")


# ---- passed ----

PASSED_WORDS = ("是", "合格", "通过", "已通过", "√", "✓", "✔", "y", "yes", "true", "t", "1", "pass", "passed")
FAILED_WORDS = ("否", "不合格", "不通过", "未通过", "×", "✗", "✘", "x", "n", "no", "false", "f", "0", "fail", "failed")
_PASSED = {w: True for w in PASSED_WORDS} | {w: False for w in FAILED_WORDS}


def passed(cell: Cell) -> bool:
    if isinstance(cell, bool):
        return cell
    if isinstance(cell, int | float) and cell in (0, 1):
        return bool(cell)
    value = text(cell).lower()
    if value in _PASSED:
        return _PASSED[value]
    raise CellError("invalid_passed")


# ---- dates ----

_EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel's 1900 date system (its day 60 is the 1900-02-29 that never was)
_SERIALS = range(1, 2_958_466)  # up to 9999-12-31
_YMD = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"  # a time after the date is ignored
)
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def date(cell: Cell) -> dt.date:
    """A date cell, an Excel serial day (45838 = 2025-06-30), or 2025-06-30, 2025/6/30, 2025.6.30, 2025年6月30日,
    20250630 (a time after it is ignored)."""
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return _serial(cell)
    value = text(cell)
    match = _YMD.match(value) or _COMPACT.match(value)
    if match:
        try:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            raise CellError("invalid_date") from None
    if value.isdigit() and len(value) == 5:  # a serial day saved as text by a CSV export of a General cell
        return _serial(int(value))
    raise CellError("invalid_date")


def _serial(number: float) -> dt.date:
    if int(number) not in _SERIALS:  # a fraction is the time of day
        raise CellError("invalid_date")
    return _EXCEL_EPOCH + dt.timedelta(days=int(number))


# ---- numbers ----


def hours(cell: Cell) -> int:
    """A whole number of hours; 120.0 (how Excel writes a whole number as a float) is 120, 120.5 is an error."""
    if isinstance(cell, bool):
        raise CellError("invalid_hours")
    if isinstance(cell, int):
        return cell
    try:
        number = float(cell) if isinstance(cell, float) else float(text(cell).replace(",", ""))
    except (TypeError, ValueError):
        raise CellError("invalid_hours") from None
    if not number.is_integer():
        raise CellError("hours_fraction")
    return int(number)


def score(cell: Cell) -> float:
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return float(cell)
    try:
        return float(text(cell).rstrip("分"))
    except ValueError:
        raise CellError("invalid_score") from None


# ---- gender, phone, codes ----

MALE_WORDS = ("男", "男性", "m", "male")
FEMALE_WORDS = ("女", "女性", "f", "female")
_GENDERS = {w: "M" for w in MALE_WORDS} | {w: "F" for w in FEMALE_WORDS}


def gender(cell: Cell) -> str:
    value = text(cell).lower()
    if value in _GENDERS:
        return _GENDERS[value]
    raise CellError("invalid_gender")


def phone(cell: Cell) -> str:
    """Digits (and a leading +); spaces and dashes between groups are dropped."""
    return re.sub(r"[\s()\-]", "", text(cell))
