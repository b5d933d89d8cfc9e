"""ledger.reference.levels: skill levels order by rank, never by their (inverted) codes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.reference.levels import SkillLevel

L = SkillLevel


@pytest.mark.parametrize(
    ("code", "level", "printed", "english"),
    [
        (5, L.JUNIOR_WORKER, "五级/初级工", "Level 5 / Junior Worker"),
        (4, L.INTERMEDIATE_WORKER, "四级/中级工", "Level 4 / Intermediate Worker"),
        (3, L.SENIOR_WORKER, "三级/高级工", "Level 3 / Senior Worker"),
        (2, L.TECHNICIAN, "二级/技师", "Level 2 / Technician"),
        (1, L.SENIOR_TECHNICIAN, "一级/高级技师", "Level 1 / Senior Technician"),
    ],
)
def test_certificate_codes(code: int, level: SkillLevel, printed: str, english: str) -> None:
    assert L.from_code(code) is level
    assert L.from_code(str(code)) is level
    assert L.from_code(f" {code} ") is level
    assert level.code == str(code)
    assert level.digit == code
    assert level.printed == printed
    assert level.english == english


def test_principal_technician_has_a_letter_code_and_no_number_digit() -> None:
    level = L.from_code("T")
    assert level is L.PRINCIPAL_TECHNICIAN
    assert L.from_code("t") is level
    assert level.code == "T"
    assert level.digit is None
    assert level.printed == "特级技师"
    assert level.english == "Principal Technician"
    assert level not in L.certificate_levels()


@pytest.mark.parametrize("bad", [0, 6, -1, "0", "6", "", "X", "三级", "3.0", True, False, 3.0, None])
def test_anything_else_is_not_a_level(bad: object) -> None:
    with pytest.raises(ValueError):
        L.from_code(bad)  # type: ignore[arg-type]


def test_a_lower_code_is_a_higher_level() -> None:
    assert L.from_code(1) > L.from_code(2) > L.from_code(3) > L.from_code(4) > L.from_code(5)
    assert L.PRINCIPAL_TECHNICIAN > L.SENIOR_TECHNICIAN
    assert [level.rank for level in sorted(L)] == [1, 2, 3, 4, 5, 6]
    assert max(L.certificate_levels()) is L.SENIOR_TECHNICIAN
    assert min(L) is L.JUNIOR_WORKER


def test_levels_do_not_compare_with_numbers() -> None:
    with pytest.raises(TypeError):
        _ = L.SENIOR_WORKER < 2
    assert L.SENIOR_WORKER != 3
    assert L.SENIOR_WORKER != "3"


def test_high_skill_is_level_three_and_above() -> None:
    high = {level for level in L if level.is_high_skill}
    assert high == {L.SENIOR_WORKER, L.TECHNICIAN, L.SENIOR_TECHNICIAN, L.PRINCIPAL_TECHNICIAN}


def test_certificate_levels_are_the_five_digits() -> None:
    assert [level.digit for level in L.certificate_levels()] == [5, 4, 3, 2, 1]


@given(st.lists(st.sampled_from(list(L)), min_size=1))
def test_ordering_agrees_with_rank(levels: list[SkillLevel]) -> None:
    assert max(levels).rank == max(level.rank for level in levels)
    assert [level.rank for level in sorted(levels)] == sorted(level.rank for level in levels)
    top = max(levels)
    assert top.is_high_skill == any(level.is_high_skill for level in levels)
