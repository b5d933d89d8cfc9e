"""ledger.certificates.numbering: ISO 7064 MOD 37,36 and the two certificate number schemes."""

from __future__ import annotations

import re
from itertools import permutations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ledger.certificates.numbering import (
    ALPHABET,
    LEDGER_NUMBER_LENGTH,
    NumberError,
    append,
    compute,
    is_valid,
    ledger_number,
    parse_ledger_number,
    parse_skill_level_number,
    skill_level_number,
)

SPEC_SKILL_LEVEL_RE = re.compile(r"^[YS]\d{4}\d{2}\d{6}\d{2}[1-5]\d{6}$")
bodies = st.text(st.sampled_from(ALPHABET), min_size=1, max_size=30)


def reference_check(body: str) -> str:
    """MOD 37,36 as ISO 7064 §7 words it: P₁ = M; S = (P + a) mod M (0 read as M); P = 2S mod (M+1)."""
    m = 36
    p = m
    for char in body:
        s = (p + ALPHABET.index(char)) % m or m
        p = (2 * s) % (m + 1)
    return ALPHABET[(m + 1 - p) % m]


def test_published_example() -> None:
    assert compute("A12425GABC1234002") == "M"
    assert is_valid("A12425GABC1234002M")


@given(bodies)
def test_compute_matches_the_standard_and_append_validates(body: str) -> None:
    assert compute(body) == reference_check(body)
    assert is_valid(append(body))


@given(bodies, st.data())
def test_every_single_substitution_is_detected(body: str, data: st.DataObject) -> None:
    full = append(body)
    position = data.draw(st.integers(min_value=0, max_value=len(full) - 1))
    replacement = data.draw(st.sampled_from(ALPHABET))
    assume(replacement != full[position])
    assert not is_valid(full[:position] + replacement + full[position + 1 :])


def test_every_single_substitution_is_detected_exhaustively_for_one_number() -> None:
    full = ledger_number("T", "65", 2025, 1234567)
    for position, original in enumerate(full):
        for replacement in ALPHABET:
            if replacement != original:
                assert not is_valid(full[:position] + replacement + full[position + 1 :])


@pytest.mark.parametrize("prefix", ["", "T65", "Z6520250000"])
def test_almost_all_adjacent_transpositions_are_detected(prefix: str) -> None:
    missed = total = 0
    for a, b in permutations(ALPHABET, 2):
        for suffix in ("", "7"):
            body = f"{prefix}{a}{b}{suffix}"
            full = append(body)
            i = len(prefix)
            total += 1
            missed += is_valid(full[:i] + b + a + full[i + 2 :])
    assert missed / total < 0.01


def test_transposing_into_the_check_character_is_detected_mostly() -> None:
    missed = total = 0
    for body in (f"T652025{n:07d}" for n in range(1, 3000)):
        full = append(body)
        if full[-1] != full[-2]:
            total += 1
            missed += is_valid(full[:-2] + full[-1] + full[-2])
    assert missed / total < 0.01


@pytest.mark.parametrize("bad", ["", "A", "a1", "AB-", "A\u00c9"])
def test_is_valid_is_false_for_junk(bad: str) -> None:
    assert not is_valid(bad)


def test_compute_refuses_characters_outside_the_alphabet() -> None:
    with pytest.raises(NumberError) as caught:
        compute("ab")
    assert caught.value.code == "number_charset"


# --- ledger-scheme numbers ----------------------------------------------------------------------------------------


def test_ledger_number_layout() -> None:
    number = ledger_number("T", "65", 2025, 1)
    assert number[:-1] == "T6520250000001"
    assert len(number) == LEDGER_NUMBER_LENGTH == 15
    assert is_valid(number)


@given(
    st.sampled_from("TZABCXY"),
    st.from_regex(r"[0-9]{2}", fullmatch=True),
    st.integers(min_value=1000, max_value=9999),
    st.integers(min_value=1, max_value=9_999_999),
)
def test_ledger_numbers_round_trip(kind: str, province: str, year: int, serial: int) -> None:
    number = ledger_number(kind, province, year, serial)
    parsed = parse_ledger_number(number)
    assert (parsed.kind, parsed.province, parsed.year, parsed.serial) == (kind, province, year, serial)
    assert parsed.text == number


def test_typed_forms_of_a_ledger_number_are_forgiven() -> None:
    number = ledger_number("T", "65", 2025, 42)
    spaced = f" {number[:3]} {number[3:7]}-{number[7:]} ".lower()
    assert parse_ledger_number(spaced).serial == 42
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number)
    assert parse_ledger_number(full_width).serial == 42


@given(st.integers(min_value=1, max_value=9_999_999), st.integers(min_value=0, max_value=14), st.data())
def test_a_mistyped_ledger_number_is_refused(serial: int, position: int, data: st.DataObject) -> None:
    number = ledger_number("T", "65", 2025, serial)
    replacement = data.draw(st.sampled_from(ALPHABET))
    assume(replacement != number[position])
    with pytest.raises(NumberError) as caught:
        parse_ledger_number(number[:position] + replacement + number[position + 1 :])
    assert caught.value.code in ("number_format", "number_check")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "number_format"),
        ("T652025000000", "number_format"),
        ("T65202500000011X", "number_format"),
        ("76520250000001P", "number_format"),
        ("T65\u0662\u0660\u0662\u06650000001P", "number_format"),  # Arabic-Indic digits
        ("T6520250000000" + compute("T6520250000000"), "number_format"),  # serial 0
    ],
)
def test_malformed_ledger_numbers(text: str, code: str) -> None:
    with pytest.raises(NumberError) as caught:
        parse_ledger_number(text)
    assert caught.value.code == code


def test_check_failure_has_its_own_code() -> None:
    number = ledger_number("T", "65", 2025, 1)
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    with pytest.raises(NumberError) as caught:
        parse_ledger_number(wrong)
    assert caught.value.code == "number_check"
    assert caught.value.field_error("number").code == "number_check"


@pytest.mark.parametrize(
    "args",
    [
        ("t", "65", 2025, 1),
        ("TT", "65", 2025, 1),
        ("1", "65", 2025, 1),
        ("T", "6", 2025, 1),
        ("T", "6X", 2025, 1),
        ("T", "65", 999, 1),
        ("T", "65", 10000, 1),
        ("T", "65", 2025, 0),
        ("T", "65", 2025, 10_000_000),
    ],
)
def test_ledger_number_refuses_bad_parts(args: tuple[str, str, int, int]) -> None:
    with pytest.raises(NumberError) as caught:
        ledger_number(*args)
    assert caught.value.code == "number_part"


# --- MOHRSS skill-level numbers -----------------------------------------------------------------------------------


def test_skill_level_number_layout() -> None:
    number = skill_level_number("S", "0000", "65", "000101", 2025, 3, 12)
    assert number == "S000065000101253000012"
    assert SPEC_SKILL_LEVEL_RE.match(number)


@given(
    st.sampled_from(["Y", "S"]),
    st.from_regex(r"[0-9]{4}", fullmatch=True),
    st.from_regex(r"[0-9]{6}", fullmatch=True),
    st.integers(min_value=2000, max_value=2099),
    st.integers(min_value=1, max_value=5),
    st.integers(min_value=1, max_value=999_999),
)
def test_skill_level_numbers_round_trip(
    category: str, filing: str, site: str, year: int, level: int, serial: int
) -> None:
    number = skill_level_number(category, filing, "65", site, year, level, serial)
    assert len(number) == 22 and SPEC_SKILL_LEVEL_RE.match(number)
    assert number[13:15] == f"{year % 100:02d}"  # the year digits equal the issue year
    assert number[15] == str(level)  # the level digit equals the level
    parsed = parse_skill_level_number(number)
    assert (parsed.category, parsed.filing_code, parsed.province, parsed.site_code) == (category, filing, "65", site)
    assert (parsed.year, parsed.level, parsed.serial) == (year, level, serial)
    assert parsed.text == number


@pytest.mark.parametrize(
    "text",
    [
        "",
        "X000065000101253000012",
        "S00006500010125300001",
        "S0000650001012530000123",
        "S000065000101256000012",  # level 6
        "S000065000101250000012",  # level 0
        "S000065000101253000000",  # serial 0
        "S0000650001012A3000012",
    ],
)
def test_malformed_skill_level_numbers(text: str) -> None:
    with pytest.raises(NumberError) as caught:
        parse_skill_level_number(text)
    assert caught.value.code == "number_format"


def test_skill_level_number_forgives_case_and_spaces() -> None:
    assert parse_skill_level_number(" s0000 65 000101 25 3 000012 ").serial == 12


@pytest.mark.parametrize(
    "args",
    [
        ("X", "0000", "65", "000101", 2025, 3, 1),
        ("s", "0000", "65", "000101", 2025, 3, 1),
        ("S", "000", "65", "000101", 2025, 3, 1),
        ("S", "0000", "6", "000101", 2025, 3, 1),
        ("S", "0000", "65", "00010A", 2025, 3, 1),
        ("S", "0000", "65", "000101", 25, 3, 1),
        ("S", "0000", "65", "000101", 2100, 3, 1),
        ("S", "0000", "65", "000101", 2025, 0, 1),
        ("S", "0000", "65", "000101", 2025, 6, 1),
        ("S", "0000", "65", "000101", 2025, True, 1),
        ("S", "0000", "65", "000101", 2025, 3, 0),
        ("S", "0000", "65", "000101", 2025, 3, 1_000_000),
    ],
)
def test_skill_level_number_refuses_bad_parts(args: tuple[str, str, str, str, int, int, int]) -> None:
    with pytest.raises(NumberError) as caught:
        skill_level_number(*args)
    assert caught.value.code == "number_part"
