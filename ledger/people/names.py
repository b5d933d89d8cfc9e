"""Person names as written on the resident ID card.

No surname/given-name split and no length rule beyond a sanity bound: names of two to a dozen characters are
normal (single-character given names, transliterated Uyghur or Kazakh names such as 买买提·艾力, Latin names).
Rare characters are kept as typed (CJK extensions B and later, including ones newer than this Python's Unicode
tables, and private-use code points that some registration systems use for characters Unicode lacks).

The separator of transliterated names is the middle dot U+00B7 (`·`). People type look-alikes for it; these are
turned into U+00B7 wherever they stand between two name parts, with any spaces around them removed. That includes
the full stop, so a Latin initial "John F. Kennedy" becomes "John F·Kennedy": names on a Chinese ID card never use
the full stop as an abbreviation point, and one rule is easier to predict than two.
"""

from __future__ import annotations

import re
import unicodedata

from ledger.errors import FieldError

MIDDLE_DOT = "\u00b7"
MAX_LENGTH = 50

# Characters people type for the middle dot (U+0387 GREEK ANO TELEIA is turned into U+00B7 by NFC already).
DOT_LOOKALIKES = frozenset(
    {
        "\u002e",  # . FULL STOP
        "\u2022",  # • BULLET
        "\u2027",  # ‧ HYPHENATION POINT
        "\u2219",  # ∙ BULLET OPERATOR
        "\u22c5",  # ⋅ DOT OPERATOR
        "\u2e31",  # ⸱ WORD SEPARATOR MIDDLE DOT
        "\u30fb",  # ・ KATAKANA MIDDLE DOT
        "\ua78f",  # ꞏ LATIN LETTER SINOLOGICAL DOT
        "\uff0e",  # ． FULLWIDTH FULL STOP
        "\uff65",  # ･ HALFWIDTH KATAKANA MIDDLE DOT
        "\u3002",  # 。 IDEOGRAPHIC FULL STOP (what a Chinese input method gives for ".")
        "\uff61",  # ｡ HALFWIDTH IDEOGRAPHIC FULL STOP
    }
)
# Punctuation that belongs inside Latin names (Jean-Luc, O'Brien).
NAME_PUNCTUATION = frozenset({"-", "'", "\u2019"})

_DOT_TABLE = str.maketrans(dict.fromkeys(DOT_LOOKALIKES, MIDDLE_DOT))
_SPACED_DOT = re.compile(r" ?\u00b7 ?")
_LINE_WHITESPACE = frozenset("\t\n\r\x0b\x0c")


class NameError_(ValueError):
    """A name that cannot be accepted; `code` is stable, the message is for people.

    The trailing underscore keeps clear of the builtin NameError.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def field_error(self, field: str, row: int | None = None) -> FieldError:
        return FieldError(field=field, code=self.code, message=self.message, row=row)


def _is_space(char: str) -> bool:
    return char in _LINE_WHITESPACE or unicodedata.category(char) in ("Zs", "Zl", "Zp")


def _check_char(char: str) -> None:
    if char == " " or char == MIDDLE_DOT or char in NAME_PUNCTUATION:
        return
    category = unicodedata.category(char)
    if category in ("Cc", "Cf"):
        raise NameError_("name_control", "a name cannot contain control or invisible formatting characters")
    if category in ("Nd", "No"):
        raise NameError_("name_digit", "a name cannot contain digits")
    if category[0] in "LM" or category in ("Nl", "Co"):
        return
    # Ideographs newer than this interpreter's Unicode tables (CJK extension H and later) read as unassigned.
    if category == "Cn" and 0x20000 <= ord(char) <= 0x3FFFF:
        return
    raise NameError_("name_charset", "a name holds letters, spaces, the middle dot · and - or ' only")


def normalize_name(raw: str) -> str:
    """The stored form of a name, or NameError_.

    NFC; look-alike dots become U+00B7; runs of whitespace (any Unicode space, tab or newline) become one space;
    leading and trailing spaces and spaces around a dot go. Codes: `name_empty`, `name_control` (control or
    zero-width formatting characters), `name_digit`, `name_charset` (punctuation or symbols other than · - '),
    `name_dot` (a dot at either end, or two dots in a row) and `name_length` (over 50 characters).
    """
    text = unicodedata.normalize("NFC", raw).translate(_DOT_TABLE)
    text = "".join(" " if _is_space(c) else c for c in text)
    text = _SPACED_DOT.sub(MIDDLE_DOT, " ".join(text.split()))
    if not text:
        raise NameError_("name_empty", "a name is required")
    for char in text:
        _check_char(char)
    if text[0] == MIDDLE_DOT or text[-1] == MIDDLE_DOT or MIDDLE_DOT * 2 in text:
        raise NameError_("name_dot", "the dot · stands between two parts of a name")
    if len(text) > MAX_LENGTH:
        raise NameError_("name_length", f"a name has at most {MAX_LENGTH} characters")
    return text


def name_match_key(name: str) -> str:
    """The form two names are compared in: normalized, NFKC, case-folded, without spaces, every dot as U+00B7.

    "买买提.艾力", "买买提 • 艾力" and "买买提·艾力" share a key; so do "John Smith" and "JOHN  SMITH".
    """
    text = unicodedata.normalize("NFKC", normalize_name(name)).casefold()
    return "".join(text.translate(_DOT_TABLE).split())


def _clusters(text: str) -> list[str]:
    """Characters with their combining marks attached, so that masking never splits a letter from its accent."""
    clusters: list[str] = []
    for char in text:
        if clusters and unicodedata.category(char).startswith("M"):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


def _mask_word(word: str) -> str:
    chars = _clusters(word)
    if not chars:
        return ""
    if len(chars) == 1:
        return "*"
    if len(chars) == 2:
        return chars[0] + "*"
    return chars[0] + "*" * (len(chars) - 2) + chars[-1]


def mask_name(name: str) -> str:
    """The name as the public verification page shows it.

    - A name with parts (separated by `·`, or by spaces for Latin names): every part but the last is shown, the
      last part keeps its first character and the rest is starred: 买买提·艾力 → 买买提·艾*, John Smith →
      John S****. A one-character last part is starred entirely (买买提·艾 → 买买提·*).
    - A single word: one character → `*`; two → first and a star (张三 → 张*); three or more → first and last
      with a star for each character between (张小明 → 张*明, 欧阳小明 → 欧**明).
    One star stands for one character, so the length stays visible, as on a printed certificate check.
    """
    for separator in (MIDDLE_DOT, " "):
        head, sep, last = name.rpartition(separator)
        if sep and last:
            chars = _clusters(last)
            if len(chars) == 1:
                return head + sep + "*"
            return head + sep + chars[0] + "*" * (len(chars) - 1)
    return _mask_word(name)
