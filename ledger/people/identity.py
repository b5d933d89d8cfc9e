"""Resident ID numbers of the People's Republic of China (GB 11643-1999, 公民身份号码).

An 18-character number reads: 6-digit address code (GB/T 2260), 8-digit birth date (YYYYMMDD), 3-digit sequence
code (odd for men, even for women) and one check character computed with ISO 7064 MOD 11-2. Numbers issued before
1999 had 15 digits (2-digit year, no check character); they are converted to the 18-character form.

Nothing here logs or echoes a number: error messages describe the problem, never the value.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from ledger import clock
from ledger.errors import FieldError

CHECK_CHARS = "10X98765432"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
EARLIEST_BIRTH = dt.date(1900, 1, 1)

# The 2-digit province-level codes of GB/T 2260 (34 units; 71 台湾, 81 香港, 82 澳门 included).
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82",
    }
)  # fmt: skip

_DIGITS = frozenset("0123456789")


class IdNumberError(ValueError):
    """A resident ID number that cannot be accepted; `code` is stable, the message is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def field_error(self, field: str, row: int | None = None) -> FieldError:
        return FieldError(field=field, code=self.code, message=self.message, row=row)


@dataclass(frozen=True, slots=True)
class IdFacts:
    """What a valid number states about its holder."""

    birth_date: dt.date
    sex: Literal["M", "F"]
    province_code: str  # 2 digits, e.g. "65"
    region_code: str  # the first 6 digits: the GB/T 2260 code of the place of first registration

    @property
    def province_region_code(self) -> str:
        """The province as a 6-digit GB/T 2260 code ("650000"), the form the regions table uses."""
        return self.province_code + "0000"


def check_char(body17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits."""
    if len(body17) != 17 or not set(body17) <= _DIGITS:
        raise IdNumberError("id_charset", "the first 17 characters of an ID number are digits")
    total = sum(int(d) * w for d, w in zip(body17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalize_id_number(raw: str, *, today: dt.date | None = None) -> str:
    """The canonical 18-character form of `raw`, or IdNumberError.

    Accepted input: whitespace (around or inside, as in "650102 19900101 1239"), full-width digits and
    letters (NFKC), a lower-case x, and 15-digit legacy numbers (born 19xx; "19" is inserted and the check
    character computed). Checked, in this order:
    length (`id_length`), characters (`id_charset`), check character (`id_checksum`, 18-digit input only),
    birth date (`id_birth_date`: a real date, not before 1900, not after `today` in China time) and province
    prefix (`id_region`).
    """
    text = "".join(unicodedata.normalize("NFKC", raw).split()).upper()
    if len(text) not in (15, 18):
        raise IdNumberError("id_length", "an ID number has 18 characters (or 15 digits for an old number)")
    if len(text) == 15:
        if not set(text) <= _DIGITS:
            raise IdNumberError("id_charset", "a 15-character ID number is all digits")
        body = text[:6] + "19" + text[6:]
        number = body + check_char(body)
    else:
        if not set(text[:17]) <= _DIGITS or text[17] not in _DIGITS | {"X"}:
            raise IdNumberError("id_charset", "an ID number is 17 digits followed by a digit or X")
        if check_char(text[:17]) != text[17]:
            raise IdNumberError("id_checksum", "the check character does not match: the number is mistyped")
        number = text
    _birth_date(number, today or clock.today())
    if number[:2] not in PROVINCE_CODES:
        raise IdNumberError("id_region", "the first two digits are not a province code (GB/T 2260)")
    return number


def _date_in(number: str) -> dt.date:
    digits = number[6:14]
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise IdNumberError("id_birth_date", "the birth date in the number is not a real date") from None


def _birth_date(number: str, today: dt.date) -> dt.date:
    born = _date_in(number)
    if born < EARLIEST_BIRTH or born > today:
        raise IdNumberError("id_birth_date", "the birth date in the number is before 1900 or in the future")
    return born


def _require_canonical(number: str) -> None:
    if len(number) != 18:
        raise IdNumberError("id_length", "expected a canonical 18-character ID number")
    if not set(number[:17]) <= _DIGITS or number[17] not in _DIGITS | {"X"}:
        raise IdNumberError("id_charset", "expected a canonical ID number (17 digits and a digit or X)")


def id_facts(canonical: str) -> IdFacts:
    """Birth date, sex (17th digit odd = male), province and region of a number from normalize_id_number."""
    _require_canonical(canonical)
    born = _date_in(canonical)
    sex: Literal["M", "F"] = "M" if int(canonical[16]) % 2 == 1 else "F"
    return IdFacts(birth_date=born, sex=sex, province_code=canonical[:2], region_code=canonical[:6])


def mask_id(canonical: str) -> str:
    """The internal display form: region code, 8 stars over the birth date, the last 4 (`650102********1239`)."""
    _require_canonical(canonical)
    return canonical[:6] + "*" * 8 + canonical[14:]


# Anything shaped like a resident ID number (18 characters, or an old 15-digit one) or a mainland mobile number,
# standing alone (not inside a longer run of letters or digits, such as a 22-character certificate number).
_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_PHONE_LIKE = re.compile(r"(?<![0-9A-Za-z])(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?![0-9A-Za-z])")


def _masked(match: re.Match[str]) -> str:
    found = match.group(0)
    return found[:6] + "*" * (len(found) - 10) + found[-4:]


def mask_personal_numbers(text: str) -> str:
    """`text` with every ID-number-like and mobile-number-like run masked (region code and last 4 kept), for
    messages and logs that may quote what a person typed: no checksum is needed for a run to be masked."""
    return _PHONE_LIKE.sub(lambda m: m.group(0)[:3] + "****" + m.group(0)[-4:], _ID_LIKE.sub(_masked, text))
