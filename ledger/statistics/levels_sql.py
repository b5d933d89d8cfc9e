"""SQL spellings of the level ladder, generated from `ledger.reference.levels`: no query compares codes by hand."""

from __future__ import annotations

from ledger.reference.levels import SkillLevel

NO_LEVEL = 0  # a counted certificate that carries no level (legacy qualification, special ability)


def rank_sql(column: str) -> str:
    """`CASE` giving the rank (higher = more skilled) of a certificate level column; 0 when it has none."""
    arms = " ".join(f"WHEN {lv.digit} THEN {lv.rank}" for lv in SkillLevel.certificate_levels())
    return f"(CASE {column} {arms} ELSE 0 END)"


def high_skill_codes() -> tuple[int, ...]:
    """Certificate level digits that make a 高技能人才 (三级/高级工 and above)."""
    return tuple(lv.digit for lv in SkillLevel.certificate_levels() if lv.is_high_skill and lv.digit is not None)


def level_label(code: int) -> str:
    return "未定级" if code == NO_LEVEL else SkillLevel.from_code(code).printed
