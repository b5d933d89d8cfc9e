"""Certificate numbers: the ledger scheme with an ISO 7064 MOD 37,36 check character, and the MOHRSS 22-char scheme.

ISO 7064 MOD 37,36 is a hybrid system over the 36 characters 0-9 A-Z: it detects every single-character
substitution (each step is a bijection, so one changed character always changes the result) and almost every
transposition of two adjacent characters, so a mistyped number is refused before any lookup.

Ledger-scheme numbers (training 培训合格证书, special ability 专项职业能力证书), 15 characters:

    kind letter (1) + province (2) + issue year (4) + serial (7, zero-padded) + check character (1)
    e.g. T65 2025 0000001 + check → "T6520250000001" + check

MOHRSS skill-level numbers (职业技能等级证书), 22 characters, no check character:

    [YS] + filing code (4) + province (2) + site code (6) + year (2) + level (1, 1-5) + serial (6)
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from ledger.errors import FieldError

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_M = 36

KIND_TRAINING = "T"
KIND_SPECIAL_ABILITY = "Z"  # 专项 (zhuanxiang)

SERIAL_DIGITS = 7
LEDGER_NUMBER_LENGTH = 1 + 2 + 4 + SERIAL_DIGITS + 1
SKILL_LEVEL_NUMBER_LENGTH = 22

_LEDGER_RE = re.compile(r"^([A-Z])(\d{2})(\d{4})(\d{7})([0-9A-Z])$", re.ASCII)
_SKILL_LEVEL_RE = re.compile(r"^([YS])(\d{4})(\d{2})(\d{6})(\d{2})([1-5])(\d{6})$", re.ASCII)


class NumberError(ValueError):
    """A certificate number (or a part given to build one) that cannot be accepted; `code` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def field_error(self, field: str, row: int | None = None) -> FieldError:
        return FieldError(field=field, code=self.code, message=self.message, row=row)


# --- ISO 7064 MOD 37,36 -------------------------------------------------------------------------------------------


def _run(text: str) -> int:
    """The hybrid-system state after `text`: the product p (1..36) that the next character is added to."""
    product = _M
    for char in text:
        value = _VALUE.get(char)
        if value is None:
            raise NumberError("number_charset", "a number holds the characters 0-9 and A-Z only")
        total = (product + value) % _M or _M
        product = (total * 2) % (_M + 1)
    return product


def compute(body: str) -> str:
    """The check character for `body` (upper-case 0-9 A-Z)."""
    return ALPHABET[(_M + 1 - _run(body)) % _M]


def append(body: str) -> str:
    """`body` followed by its check character."""
    return body + compute(body)


def is_valid(full: str) -> bool:
    """True when the last character of `full` is the check character of the rest."""
    if len(full) < 2:
        return False
    try:
        return compute(full[:-1]) == full[-1]
    except NumberError:
        return False


def _clean(text: str) -> str:
    """Upper case, half-width, without spaces or hyphens people add when they read a number out."""
    folded = unicodedata.normalize("NFKC", text).upper()
    return "".join(c for c in folded if not c.isspace() and c != "-")


# --- ledger-scheme numbers ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LedgerNumber:
    kind: str
    province: str
    year: int
    serial: int

    @property
    def text(self) -> str:
        return ledger_number(self.kind, self.province, self.year, self.serial)


def ledger_number(kind_letter: str, province: str, year: int, serial: int) -> str:
    """A ledger-scheme number: `ledger_number("T", "65", 2025, 1)` → "T6520250000001" + check character."""
    if len(kind_letter) != 1 or kind_letter not in ALPHABET[10:]:
        raise NumberError("number_part", "the kind is one upper-case letter A-Z")
    if len(province) != 2 or not province.isascii() or not province.isdigit():
        raise NumberError("number_part", "the province is a 2-digit GB/T 2260 code")
    if not 1000 <= year <= 9999:
        raise NumberError("number_part", "the year has four digits")
    if not 1 <= serial < 10**SERIAL_DIGITS:
        raise NumberError("number_part", f"the serial is 1 to {10**SERIAL_DIGITS - 1}")
    return append(f"{kind_letter}{province}{year:04d}{serial:0{SERIAL_DIGITS}d}")


def parse_ledger_number(text: str) -> LedgerNumber:
    """The parts of a typed ledger-scheme number, or NumberError (`number_format`, `number_check`).

    Case, full-width characters, spaces and hyphens are forgiven; a wrong character is not.
    """
    cleaned = _clean(text)
    match = _LEDGER_RE.fullmatch(cleaned)
    if match is None:
        raise NumberError(
            "number_format",
            f"a certificate number is a letter, {LEDGER_NUMBER_LENGTH - 2} digits and a check character",
        )
    if not is_valid(cleaned):
        raise NumberError("number_check", "the check character does not match: the number is mistyped")
    kind, province, year, serial, _ = match.groups()
    if int(serial) == 0:
        raise NumberError("number_format", "serial 0 is never issued")
    return LedgerNumber(kind=kind, province=province, year=int(year), serial=int(serial))


# --- MOHRSS skill-level numbers -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SkillLevelNumber:
    category: Literal["Y", "S"]  # Y employer evaluator (用人单位), S social evaluation organisation (社会评价组织)
    filing_code: str  # 4 digits, 0000 for provincial filing
    province: str  # 2 digits
    site_code: str  # 6 digits
    year: int  # full year, 2000-2099
    level: int  # 1 (highest) to 5
    serial: int  # 1-999999, per (site, year, level)

    @property
    def text(self) -> str:
        return skill_level_number(
            self.category, self.filing_code, self.province, self.site_code, self.year, self.level, self.serial
        )


def _digits(value: str, count: int, what: str) -> str:
    if len(value) != count or not value.isascii() or not value.isdigit():
        raise NumberError("number_part", f"the {what} has {count} digits")
    return value


def skill_level_number(
    category: str, filing_code: str, province: str, site_code: str, year: int, level: int, serial: int
) -> str:
    """The 22-character number, e.g. ("S", "0000", "65", "000101", 2025, 3, 12) → "S000065000101253000012"."""
    if category not in ("Y", "S"):
        raise NumberError("number_part", "the category is Y (employer) or S (social evaluator)")
    if not 2000 <= year <= 2099:
        raise NumberError("number_part", "the issue year is 2000 to 2099 (two digits are printed)")
    if isinstance(level, bool) or not 1 <= level <= 5:
        raise NumberError("number_part", "the level digit is 1 (highest) to 5")
    if not 1 <= serial <= 999_999:
        raise NumberError("number_part", "the serial is 1 to 999999")
    parts = (
        category,
        _digits(filing_code, 4, "filing code"),
        _digits(province, 2, "province"),
        _digits(site_code, 6, "site code"),
        f"{year % 100:02d}",
        str(level),
        f"{serial:06d}",
    )
    return "".join(parts)


def parse_skill_level_number(text: str) -> SkillLevelNumber:
    """The parts of a 22-character number, or NumberError (`number_format`); the year is read as 20yy."""
    cleaned = _clean(text)
    match = _SKILL_LEVEL_RE.fullmatch(cleaned)
    if match is None:
        raise NumberError("number_format", "a skill level certificate number is Y or S and 21 digits (level digit 1-5)")
    category, filing, province, site, year, level, serial = match.groups()
    if int(serial) == 0:
        raise NumberError("number_format", "serial 0 is never issued")
    return SkillLevelNumber(
        category="Y" if category == "Y" else "S",
        filing_code=filing,
        province=province,
        site_code=site,
        year=2000 + int(year),
        level=int(level),
        serial=int(serial),
    )
