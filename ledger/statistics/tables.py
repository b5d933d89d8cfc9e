"""Tables of the statistics: each person's talent timeline, the maintained rollup, baseline stock and plan targets.

`talent_spells` holds, per person, the date ranges over which their highest valid skill certificate (and so the
region, occupation and level they are counted under) stays the same. The rollup of those spells is kept per cell
(a cube's dimensions) in two tables: `talent_months`, one row per cell with the stock at every month end in an
array, and `talent_days`, the cell's change on each day. The stock on T is one array element (the month before T's,
or T's own month when T is a month end) plus T's month's day changes up to T, so a query reads each cell once plus
a few day rows. Both are moved for the persons touched, in the same transaction as the certificate writes
(`refresh_talent`). Each spell counts in every cube at three grains of region (as recorded, prefecture, province),
so a query over the province or a prefecture reads only the cells of that grain. Spells and cells carry a layer
(spells.py): B for both views, A / L for the timelines of persons holding legacy certificates (the baseline) with
and without them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from ledger.database.base import Base, _now

# A rollup cube is one choice of dimensions next to region, jurisdiction and level ...
CUBE_PLACE = 1  # region, jurisdiction, level
CUBE_OCCUPATION = 2  # + occupation
CUBE_PERSON = 3  # + sex and birth year
CUBE_ALL = 4  # + occupation, sex and birth year
CUBE_KEEPS = {CUBE_PLACE: frozenset(), CUBE_OCCUPATION: frozenset({"occupation"}),
              CUBE_PERSON: frozenset({"sex", "birth_year"}),
              CUBE_ALL: frozenset({"occupation", "sex", "birth_year"})}  # fmt: skip  # smallest first
# ... and one grain of region, so that a query over a large region reads few cells: cube = grain + dimensions.
GRAIN_REGION = 0  # the region as recorded (a county, or a prefecture / the province for institutions there)
GRAIN_PREFECTURE = 10  # a county's prefecture (anything else as recorded)
GRAIN_PROVINCE = 20  # everything in one cell ('650000'), the unknown domicile included
GRAINS = (GRAIN_REGION, GRAIN_PREFECTURE, GRAIN_PROVINCE)
CUBES = tuple(g + c for g in GRAINS for c in (CUBE_PLACE, CUBE_OCCUPATION, CUBE_PERSON, CUBE_ALL))
PROVINCE = "650000"
BASES = ("I", "D")  # the issuing institution's region / the trainee's domicile
PLAN_METRICS = (
    "training_person_times",
    "training_persons",
    "talent",
    "high_skill",
    "certificates",
    "new_high_skill",
    "new_high_skill_obtained",
)  # new high-skill talent (a) first reached, (b) obtained


class TalentSpell(Base):
    """One stretch [valid_from, valid_to) of a person's talent state: their top certificate (highest rank, then
    earliest) and what it is counted under. valid_to NULL = still holds. Level 0 = a certificate without level."""

    __tablename__ = "talent_spells"
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="range"),
        CheckConstraint("level BETWEEN 0 AND 5", name="level"),
        CheckConstraint("layer IN ('B', 'A', 'L')", name="layer"),
        Index("ix_talent_spells_person_id", "person_id"),
        Index("ix_talent_spells_valid_from", "valid_from"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"))  # the chain's first certificate
    level: Mapped[int] = mapped_column(SmallInteger)
    region_code: Mapped[str] = mapped_column(String(6))
    domicile_code: Mapped[str] = mapped_column(String(6))  # '' when the trainee gave none
    jurisdiction: Mapped[str] = mapped_column(String(12))
    occupation_code: Mapped[str] = mapped_column(String(10))
    sex: Mapped[str] = mapped_column(String(1))
    birth_year: Mapped[int] = mapped_column(SmallInteger)
    layer: Mapped[str] = mapped_column(String(1), server_default=text("'B'"))


class _CellKey:
    """The dimensions of a rollup cell: cube, basis ('I' = the issuing institution's region, 'D' = the domicile)
    and the values the cube keeps ('' / 0 where it keeps none)."""

    cube: Mapped[int] = mapped_column(SmallInteger)
    basis: Mapped[str] = mapped_column(String(1))
    region_code: Mapped[str] = mapped_column(String(6))
    jurisdiction: Mapped[str] = mapped_column(String(12))
    level: Mapped[int] = mapped_column(SmallInteger)
    occupation_code: Mapped[str] = mapped_column(String(10))
    sex: Mapped[str] = mapped_column(String(1))
    birth_year: Mapped[int] = mapped_column(SmallInteger)
    layer: Mapped[str] = mapped_column(String(1), server_default=text("'B'"))


CELL_KEY = ("cube", "basis", "region_code", "jurisdiction", "level", "occupation_code", "sex", "birth_year", "layer")


class TalentMonth(_CellKey, Base):
    """One rollup cell's persons at the end of every month: `stock[i]` (1-based) is the stock at the end of month
    `first_month + i - 1` (months counted as year × 12 + month − 1); before `first_month` it is 0 and after the
    last element it stays the last element (every change of the cell extends the array to its month)."""

    __tablename__ = "talent_months"
    __table_args__ = (
        CheckConstraint(f"cube IN {CUBES}", name="cube"),
        CheckConstraint("basis IN ('I', 'D')", name="basis"),
        CheckConstraint("layer IN ('B', 'A', 'L')", name="layer"),
        CheckConstraint("cardinality(stock) >= 1", name="stock"),
        PrimaryKeyConstraint(*CELL_KEY),
    )

    first_month: Mapped[int] = mapped_column(Integer)
    stock: Mapped[list[int]] = mapped_column(ARRAY(Integer))


class TalentDay(_CellKey, Base):
    """The change of one rollup cell's persons on one day (+1 when a spell starts, −1 on the day after it ends);
    a date inside a month adds that month's days up to it to the previous month's end stock."""

    __tablename__ = "talent_days"
    __table_args__ = (
        CheckConstraint(f"cube IN {CUBES}", name="cube"),
        CheckConstraint("basis IN ('I', 'D')", name="basis"),
        CheckConstraint("layer IN ('B', 'A', 'L')", name="layer"),
        PrimaryKeyConstraint("cube", "basis", "day", *CELL_KEY[2:]),
    )

    day: Mapped[dt.date] = mapped_column(Date)
    persons: Mapped[int] = mapped_column(BigInteger)


class BaselineStock(Base):
    """Pre-ledger talent stock (persons by region and level as of a date), loaded by an administrator.
    Counted from `as_of` onward when a report includes the baseline. Level 0 = level not recorded."""

    __tablename__ = "baseline_stock"
    __table_args__ = (
        CheckConstraint("level BETWEEN 0 AND 5", name="level"),
        CheckConstraint("persons >= 0", name="persons"),
        CheckConstraint("jurisdiction IN ('zizhiqu', 'bingtuan')", name="jurisdiction"),
    )

    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), primary_key=True)
    jurisdiction: Mapped[str] = mapped_column(String(12), primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    persons: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(Text, server_default="")
    loaded_at: Mapped[dt.datetime] = _now()


class PlanTarget(Base):
    """A plan target a bureau follows (e.g. 2021–2025 training 7,500,000 人次 for the whole province)."""

    __tablename__ = "plan_targets"
    __table_args__ = (
        CheckConstraint(f"metric IN {PLAN_METRICS}", name="metric"),
        CheckConstraint("jurisdiction IN ('zizhiqu', 'bingtuan', 'all')", name="jurisdiction"),
        CheckConstraint("ends_on >= starts_on", name="dates"),
        CheckConstraint("target > 0", name="target"),
        CheckConstraint("code ~ '^[A-Za-z0-9_.-]{1,64}$'", name="code_format"),
    )

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    metric: Mapped[str] = mapped_column(String(32))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    jurisdiction: Mapped[str] = mapped_column(String(12), server_default=text("'all'"))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    target: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime] = _now()


__all__ = ["BaselineStock", "PlanTarget", "TalentDay", "TalentMonth", "TalentSpell"]
