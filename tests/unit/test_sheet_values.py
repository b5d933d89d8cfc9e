"""Cell values as clerks write them (ledger/registration/sheets/values.py)."""

from __future__ import annotations

import datetime as dt
import pathlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.registration.sheets import values
from ledger.registration.sheets.columns import COLUMNS, field_of
from ledger.registration.sheets.messages import CATALOGUE
from ledger.registration.sheets.values import CellError
from tests.factories import id_number

dates = st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2099, 12, 31))
FULL_WIDTH = {ord(c): ord(c) + 0xFEE0 for c in "0123456789X"}


@given(dates)
def test_every_way_a_clerk_writes_a_date(day: dt.date) -> None:
    written = [
        day, dt.datetime.combine(day, dt.time(9, 30)), day.isoformat(), f"{day.year}/{day.month}/{day.day}",
        f"{day.year}.{day.month}.{day.day}", f"{day.year}年{day.month}月{day.day}日", f"{day:%Y%m%d}",
        f"{day.isoformat()} 00:00:00", (day - dt.date(1899, 12, 30)).days, float((day - dt.date(1899, 12, 30)).days),
        f"{day:%Y-%m-%d}".translate(FULL_WIDTH),
    ]  # fmt: skip
    assert {values.date(w) for w in written} == {day}


@pytest.mark.parametrize("bad", ["2025-02-30", "昨天", "2025-13-01", "6/30/2025", "", 0, -5, 3_000_000, True])
def test_what_is_not_a_date(bad: object) -> None:
    with pytest.raises(CellError, match="invalid_date"):
        values.date(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("written", "level"),
    [("四级", 4), ("4级", 4), ("中级", 4), ("中级工", 4), ("4", 4), (4.0, 4), ("4.0", 4), ("四级（中级工）", 4),
     ("四级/中级工", 4), ("Level 4", 4), ("４级", 4), ("高级", 3), ("高级工", 3), ("三级", 3), ("技师", 2),
     ("二级", 2), ("高级技师", 1), ("一级", 1), ("初级", 5), ("初级工", 5), ("五级", 5), (3, 3)],
)  # fmt: skip
def test_levels(written: object, level: int) -> None:
    assert values.level(written) == level  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["特级", "4.5", 4.5, "level", "四"])
def test_what_is_not_a_level(bad: object) -> None:
    with pytest.raises(CellError, match="invalid_level"):
        values.level(bad)  # type: ignore[arg-type]


def test_passed_words() -> None:
    yes = ["是", "合格", "通过", "√", "✓", "✔", "Y", "y", "true", "TRUE", "1", 1, 1.0, True]
    no = ["否", "不合格", "不通过", "×", "N", "false", "0", 0, False]
    assert [values.passed(v) for v in yes] == [True] * len(yes)
    assert [values.passed(v) for v in no] == [False] * len(no)
    with pytest.raises(CellError, match="invalid_passed"):
        values.passed("也许")


@given(st.integers(min_value=0, max_value=10_000))
def test_hours_as_whole_numbers_however_written(hours: int) -> None:
    assert {values.hours(w) for w in (hours, float(hours), str(hours), f"{hours}.0", f"{hours:,}")} == {hours}


def test_hours_with_a_fraction_or_no_number() -> None:
    for bad, code in (("120.5", "hours_fraction"), (120.5, "hours_fraction"), ("一百", "invalid_hours"),
                      (True, "invalid_hours")):  # fmt: skip
        with pytest.raises(CellError, match=code):
            values.hours(bad)


def test_genders_scores_phones() -> None:
    assert [values.gender(g) for g in ("男", "男性", "M", "male", "女", "女性", "f", "Female")] == ["M"] * 4 + ["F"] * 4
    with pytest.raises(CellError):
        values.gender("未知")
    assert values.score("90.5") == 90.5 and values.score(80) == 80.0 and values.score("85分") == 85.0
    with pytest.raises(CellError):
        values.score("优")
    assert values.phone("138-0013 8000") == "13800138000" and values.phone(13800138000.0) == "13800138000"


@given(st.integers(min_value=0, max_value=999_000))
def test_id_numbers_are_cleaned_of_what_excel_and_clerks_add(seq: int) -> None:
    number = id_number(seq)
    written = [number, f"'{number}", f"  {number}\u00a0", number.translate(FULL_WIDTH), f"\ufeff{number}\u200b",
               f"{number[:6]} {number[6:14]} {number[14:]}"]  # fmt: skip
    assert {values.id_number(w) for w in written} == {(number, None)}


def test_excel_damage_to_id_numbers_is_recognised() -> None:
    assert values.id_number(6.53121199001011e17)[1] == "numeric"
    assert values.id_number(653121199001011000)[1] == "numeric"
    assert values.id_number("6.53121E+17") == ("6.53121E+17", "scientific")
    assert values.id_number("6.53121199001011e17")[1] == "scientific"
    zeroed = id_number(1)[:15] + "000"
    assert values.id_number(zeroed)[1] == ("zeroed" if zeroed != id_number(1) else None)
    assert values.id_number(650102800101001.0) == ("650102800101001", None)  # a 15-digit old number survives
    assert values.id_number(None) == ("", None)


def test_text_of_typed_cells() -> None:
    assert values.text(650102.0) == "650102" and values.text(0.5) == "0.5"
    assert values.text(True) == "1" and values.text(dt.datetime(2025, 6, 30)) == "2025-06-30"
    assert values.text(dt.datetime(2025, 6, 30, 8)) == "2025-06-30 08:00:00" and values.text(dt.time(8)) == "08:00:00"


def test_every_column_has_chinese_and_english_titles_and_every_code_both_texts() -> None:
    for column in COLUMNS:
        assert field_of(column.title) == column.field
        assert field_of(column.title_en) == column.field
        assert any(s.isascii() for s in column.synonyms) and any(not s.isascii() for s in column.synonyms)
    assert field_of("身份证号码（必填）") == field_of(" ID_Number* ") == "trainee.id_number"
    for zh, en in CATALOGUE.values():
        assert zh and en and zh != en


def test_docs_import_lists_every_header_and_value_the_reader_accepts() -> None:
    page = (pathlib.Path(__file__).parents[2] / "docs" / "import.md").read_text(encoding="utf-8")
    words = [s for c in COLUMNS for s in (c.title, c.title_en, *c.synonyms)]
    words += [*values.PASSED_WORDS, *values.FAILED_WORDS, *values.MALE_WORDS, *values.FEMALE_WORDS]
    words += list(values._LEVEL_WORDS)
    missing = [w for w in words if w not in page and w.upper() not in page]
    assert missing == []
    assert all(f"`{code}`" in page or code.startswith(("name_", "trainee.", "hours:", "assessment:", "graduation"))
               or code in ("invalid", "rows_above_header", "unknown_column", "empty_column", "note_column")
               for code in CATALOGUE)  # fmt: skip
