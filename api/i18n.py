"""The words of the public pages, one gettext catalogue per language (`api/locales/<lang>.po`, read with Babel).

A message id is a stable key (`status.valid`, `field.holder`, `reason.exam_misconduct`), never a sentence, so a
translator sees the same key in each file and `tests/unit/test_i18n.py` can check that every key exists in all
three and that every key the templates use is defined. 中文 is the default; English and Uyghur (right to left,
`dir="rtl"` on the page) by `?lang=`. The Uyghur catalogue awaits review by a native speaker (docs/verification.md).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from babel.messages.pofile import read_po

LANGUAGES = ("zh", "en", "ug")
LANGUAGE_NAMES = {"zh": "中文", "en": "English", "ug": "ئۇيغۇرچە"}
LOCALES = Path(__file__).resolve().parent / "locales"


def language(requested: str | None) -> str:
    """The language a page is shown in: the one asked for if it is one of ours, else 中文."""
    return requested if requested in LANGUAGES else "zh"


@functools.cache
def catalogue(lang: str) -> Mapping[str, str]:
    """Every key of one language with its text (read once per process)."""
    with (LOCALES / f"{lang}.po").open("rb") as po:
        messages = read_po(po, locale=None, abort_invalid=True)
    return MappingProxyType({str(m.id): str(m.string) for m in messages if m.id})


def languages() -> list[tuple[str, str]]:
    """(code, name) of every language, for the links every page carries."""
    return [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES]
