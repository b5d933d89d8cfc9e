"""Skill levels (职业技能等级) and the 新八级工 ladder above them.

Certificates carry a level code 5 (lowest) to 1; **a lower code is a higher level**, so codes are never compared.
Compare members (ordered by `rank`, higher = more skilled) or their `rank`. 特级技师 has no digit in the
certificate number scheme (which allows 1-5 only); its code is the letter "T". 首席技师 is an appointment, not a
certificate, and is not a member.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, NamedTuple


class _Level(NamedTuple):
    code: str
    rank: int
    numeral: str  # the "三级" part, empty for 特级技师
    title: str
    english_title: str


class SkillLevel(Enum):
    """A certificate level. `SkillLevel.from_code(3)` → SENIOR_WORKER; members order by rank."""

    JUNIOR_WORKER = _Level("5", 1, "五级", "初级工", "Junior Worker")
    INTERMEDIATE_WORKER = _Level("4", 2, "四级", "中级工", "Intermediate Worker")
    SENIOR_WORKER = _Level("3", 3, "三级", "高级工", "Senior Worker")
    TECHNICIAN = _Level("2", 4, "二级", "技师", "Technician")
    SENIOR_TECHNICIAN = _Level("1", 5, "一级", "高级技师", "Senior Technician")
    PRINCIPAL_TECHNICIAN = _Level("T", 6, "", "特级技师", "Principal Technician")

    @property
    def code(self) -> str:
        """The certificate code: a digit 5 … 1 as in certificate numbers, the letter T for 特级技师."""
        return self.value.code

    @property
    def digit(self) -> int | None:
        """The level digit of the 22-character certificate number; None for 特级技师, which has none."""
        return int(self.value.code) if self.value.code.isdigit() else None

    @property
    def rank(self) -> int:
        """1 for 五级/初级工 up to 6 for 特级技师: the only number to compare."""
        return self.value.rank

    @property
    def is_high_skill(self) -> bool:
        """高技能人才 level: 三级/高级工 or higher."""
        return self.rank >= SkillLevel.SENIOR_WORKER.rank

    @property
    def printed(self) -> str:
        """As printed on a certificate: "三级/高级工"; "特级技师" alone."""
        return f"{self.value.numeral}/{self.value.title}" if self.value.numeral else self.value.title

    @property
    def english(self) -> str:
        """In English: `Level 3 / Senior Worker`; `Principal Technician` alone."""
        if self.digit is None:
            return self.value.english_title
        return f"Level {self.digit} / {self.value.english_title}"

    @classmethod
    def from_code(cls, code: int | str) -> SkillLevel:
        """The level for 1-5 (int or digit string) or "T"; ValueError for anything else (booleans included)."""
        if isinstance(code, bool) or not isinstance(code, int | str):
            raise ValueError(f"not a skill level code: {code!r}")
        text = str(code).strip().upper()
        for level in cls:
            if level.value.code == text:
                return level
        raise ValueError(f"not a skill level code: {code!r} (1-5, or T for 特级技师)")

    @classmethod
    def certificate_levels(cls) -> tuple[SkillLevel, ...]:
        """The five levels a skill_level certificate number can carry, lowest first."""
        return tuple(level for level in cls if level.digit is not None)

    def __lt__(self, other: Any) -> bool:
        if not isinstance(other, SkillLevel):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: Any) -> bool:
        if not isinstance(other, SkillLevel):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: Any) -> bool:
        if not isinstance(other, SkillLevel):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: Any) -> bool:
        if not isinstance(other, SkillLevel):
            return NotImplemented
        return self.rank >= other.rank
