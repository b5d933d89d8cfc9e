"""ledger.people.identity: GB 11643 resident ID numbers.

The check character is recomputed here from the standard's definition (weights 2^(17-i) mod 11, value
(12 - Σ mod 11) mod 11 written with X for 10) rather than with the module's table, so a wrong table would fail.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ledger.people.identity import PROVINCE_CODES, IdNumberError, id_facts, mask_id, normalize_id_number

TODAY = dt.date(2025, 6, 1)
EXAMPLES = ["11010519491231002X", "650102199001011239", "653101198506152012"]


def reference_check(body17: str) -> str:
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(body17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def normalize(raw: str) -> str:
    return normalize_id_number(raw, today=TODAY)


def error_code(raw: str) -> str:
    with pytest.raises(IdNumberError) as caught:
        normalize(raw)
    return caught.value.code


@st.composite
def id_numbers(draw: st.DrawFn, first_year: int = 1900, last: dt.date = TODAY) -> str:
    province = draw(st.sampled_from(sorted(PROVINCE_CODES)))
    area = draw(st.from_regex(r"\A[0-9]{4}\Z"))
    born = draw(st.dates(min_value=dt.date(first_year, 1, 1), max_value=last))
    sequence = draw(st.from_regex(r"\A[0-9]{3}\Z"))
    body = f"{province}{area}{born:%Y%m%d}{sequence}"
    return body + reference_check(body)


@pytest.mark.parametrize("number", EXAMPLES)
def test_spec_examples_are_valid_and_already_canonical(number: str) -> None:
    assert normalize(number) == number


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("  11010519491231002x\n", "11010519491231002X"),
        ("１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X"),
        ("１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"),
        ("650102 19900101 1239", "650102199001011239"),
        ("650102\u300019900101\u30001239", "650102199001011239"),
        ("110105491231002", "11010519491231002X"),  # 15-digit legacy number of the first example
    ],
)
def test_typed_forms_are_normalised(raw: str, canonical: str) -> None:
    assert normalize(raw) == canonical


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "id_length"),
        ("65010219900101123", "id_length"),
        ("6501021990010112390", "id_length"),
        ("6501021990010112A9", "id_charset"),
        ("X50102199001011239", "id_charset"),
        ("65010219900101123Y", "id_charset"),
        ("11010549123100X", "id_charset"),
        ("11010549123100X0", "id_length"),
        ("1101054912310A2", "id_charset"),
        ("\u0666\u0665\u0660102199001011239", "id_charset"),  # Arabic-Indic digits are not ASCII digits
        ("650102199001011238", "id_checksum"),
        ("11010519491231002", "id_length"),
        ("650102190002301239", "id_checksum"),  # a mistyped date with an unchanged check character
    ],
)
def test_malformed_numbers_are_rejected_with_a_stable_code(raw: str, code: str) -> None:
    assert error_code(raw) == code


def with_check(body17: str) -> str:
    return body17 + reference_check(body17)


@pytest.mark.parametrize(
    "body",
    [
        "65010219900230123",  # 30 February
        "65010219901301123",  # month 13
        "65010218991231123",  # before 1900
        "65010220250602123",  # the day after TODAY
        "65010200000101123",  # year 0
    ],
)
def test_impossible_birth_dates_are_rejected_even_with_a_correct_check_character(body: str) -> None:
    assert error_code(with_check(body)) == "id_birth_date"


def test_a_legacy_number_with_an_impossible_date_is_rejected() -> None:
    assert error_code("650102900230123") == "id_birth_date"


@pytest.mark.parametrize("prefix", ["00", "10", "16", "24", "30", "38", "47", "55", "60", "66", "70", "83", "91", "99"])
def test_unknown_province_prefixes_are_rejected(prefix: str) -> None:
    assert error_code(with_check(prefix + "010219900101123")) == "id_region"


def test_today_defaults_to_china_time_and_allows_a_birth_today() -> None:
    from ledger import clock

    born_today = with_check(f"650102{clock.today():%Y%m%d}123")
    assert normalize_id_number(born_today) == born_today


def test_error_messages_never_echo_the_number() -> None:
    number = "650102199001011238"
    with pytest.raises(IdNumberError) as caught:
        normalize(number)
    assert number not in str(caught.value)
    assert "19900101" not in caught.value.message
    field_error = caught.value.field_error("trainee.id_number", row=3)
    assert (field_error.field, field_error.code, field_error.row) == ("trainee.id_number", "id_checksum", 3)


@given(id_numbers())
def test_generated_valid_numbers_round_trip(number: str) -> None:
    assert normalize(number) == number
    assert normalize(f"  {number.lower()} ") == number


@given(id_numbers(), st.integers(min_value=0, max_value=17), st.sampled_from("0123456789X"))
def test_any_single_changed_character_is_rejected(number: str, position: int, replacement: str) -> None:
    assume(number[position] != replacement)
    changed = number[:position] + replacement + number[position + 1 :]
    with pytest.raises(IdNumberError):
        normalize(changed)


@given(id_numbers(first_year=1900, last=dt.date(1999, 12, 31)))
def test_legacy_15_digit_form_converts_to_the_same_18_digit_number(number: str) -> None:
    legacy = number[:6] + number[8:17]
    assert len(legacy) == 15
    assert normalize(legacy) == number


@given(id_numbers())
def test_facts_read_the_fields(number: str) -> None:
    facts = id_facts(number)
    assert f"{facts.birth_date:%Y%m%d}" == number[6:14]
    assert facts.sex == ("M" if int(number[16]) % 2 else "F")
    assert facts.region_code == number[:6]
    assert facts.province_code == number[:2]
    assert facts.province_region_code == number[:2] + "0000"


def test_facts_of_the_spec_examples() -> None:
    first = id_facts("11010519491231002X")
    assert (first.birth_date, first.sex, first.region_code) == (dt.date(1949, 12, 31), "F", "110105")
    second = id_facts("650102199001011239")
    assert (second.birth_date, second.sex, second.province_code) == (dt.date(1990, 1, 1), "M", "65")


@pytest.mark.parametrize("bad", ["65010219900101123", "650102199001011239 ", "65010219900101123x"])
def test_facts_and_mask_demand_the_canonical_form(bad: str) -> None:
    with pytest.raises(IdNumberError):
        id_facts(bad)
    with pytest.raises(IdNumberError):
        mask_id(bad)


def test_mask_of_the_spec_example() -> None:
    assert mask_id("650102199001011239") == "650102********1239"
    assert mask_id("11010519491231002X") == "110105********002X"


@given(id_numbers())
def test_mask_never_reveals_the_middle_eight(number: str) -> None:
    masked = mask_id(number)
    assert len(masked) == 18
    assert masked[6:14] == "*" * 8
    assert masked[:6] == number[:6] and masked[14:] == number[14:]
