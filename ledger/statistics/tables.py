"""Tables of the statistics: each person's talent timeline, the maintained rollup, baseline stock and plan targets.

`talent_spells` holds, per person, the date ranges over which their highest valid skill certificate (and so the
region, occupation and level they are counted under) stays the same. The rollup of those spells is kept per cell
(a cube's dimensions): `talent_cells`, one row per cell with the stock at every month end in an array, and
`talent_days`, the change on each day of the cells at the recorded region, keyed by the cell's packed 64-bit key
(`cell_key_sql`) so that a day row is 16 bytes of data (a prefecture cell's days are its counties' days). The stock
on T is one array element plus at most half a month of day changes, so a query reads each cell once plus a few day
rows. Both are moved for the persons touched, in the same transaction as the certificate writes
(`refresh_talent`). Each spell counts in every cube at two grains of region (as recorded, and the prefecture; the
province is the sum of the prefecture cells) on two bases. Spells and cells carry a layer (spells.py): B for both
views, A / L for the timelines of persons holding legacy certificates (the baseline) with and without them.
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
CUBE_PLACE = 1  # region, jurisdiction, level, sex (twice the cells of none, and county × gender reads few)
CUBE_OCCUPATION = 2  # + occupation
CUBE_PERSON = 3  # + birth year
CUBE_ALL = 4  # + occupation and birth year
CUBE_KEEPS = {CUBE_PLACE: frozenset({"sex"}), CUBE_OCCUPATION: frozenset({"occupation", "sex"}),
              CUBE_PERSON: frozenset({"sex", "birth_year"}),
              CUBE_ALL: frozenset({"occupation", "sex", "birth_year"})}  # fmt: skip
# ... one grain of region, so that a query over a large region reads few cells ...
GRAIN_REGION = 0  # the region as recorded (a county, or a prefecture / the province for institutions there)
GRAIN_PREFECTURE = 10  # a county's prefecture (anything else as recorded); the province = all of them
GRAINS = (GRAIN_REGION, GRAIN_PREFECTURE)  # day rows are kept at GRAIN_REGION only (a query maps them up)
# ... and one basis: the cube number is basis + grain + dimensions.
BASES = {"I": 0, "D": 100}  # the issuing institution's region / the trainee's domicile
CUBES = tuple(b + g + c for b in BASES.values() for g in GRAINS for c in CUBE_KEEPS)
PROVINCE = "650000"
PLAN_METRICS = (
    "training_person_times",
    "training_persons",
    "talent",
    "high_skill",
    "certificates",
    "new_high_skill",
    "new_high_skill_obtained",
)  # new high-skill talent (a) first reached, (b) obtained

# A cell's key packs its values into 63 bits, most significant first (a layer's or region's cells are one range):
# layer 2 bits | region code 20 | jurisdiction 1 | level 3 | occupation code's digits 24 | sex 2 | birth year 11.
CELL_FIELDS = ("layer", "region_code", "jurisdiction", "level", "occupation_code", "sex", "birth_year")
_BITS = {"layer": 2, "region_code": 20, "jurisdiction": 1, "level": 3, "occupation_code": 24, "sex": 2,
         "birth_year": 11}  # fmt: skip
SHIFT = {f: sum(_BITS[g] for g in CELL_FIELDS[i + 1 :]) for i, f in enumerate(CELL_FIELDS)}
LAYER_CODES = {"B": 0, "A": 1, "L": 2}
_CODES = {"layer": LAYER_CODES, "jurisdiction": {"zizhiqu": 0, "bingtuan": 1}, "sex": {"": 0, "M": 1, "F": 2}}


def cell_key_sql(values: dict[str, str]) -> str:
    """SQL for the packed key of a cell from SQL expressions of its values (GB/T 2260 region codes and 大典
    occupation codes are digits; '' = not kept)."""
    parts = []
    for field in CELL_FIELDS:
        v = values[field]
        if field in _CODES:
            arms = " ".join(f"WHEN '{k}' THEN {n}" for k, n in _CODES[field].items())
            number = f"(CASE {v} {arms} END)"
        elif field in ("region_code", "occupation_code"):
            number = f"coalesce(nullif(replace({v}, '-', ''), '')::bigint, 0)"
        else:
            number = f"({v})"
        parts.append(f"({number}::bigint << {SHIFT[field]})")
    return "(" + " | ".join(parts) + ")"


def field_mask(field: str) -> int:
    """The bits of `field` in a packed key."""
    return ((1 << _BITS[field]) - 1) << SHIFT[field]


def cell_key(values: dict[str, object]) -> int:
    """The packed key of a cell from its values, in Python: what `cell_key_sql` computes in SQL."""
    key = 0
    for field in CELL_FIELDS:
        v = values[field]
        if field in _CODES:
            number = _CODES[field][str(v)]
        elif field in ("region_code", "occupation_code"):
            number = int(str(v).replace("-", "") or 0)
        else:
            number = int(v)  # type: ignore[call-overload]
        key |= number << SHIFT[field]
    return key


def cell_values_sql(key: str) -> dict[str, str]:
    """SQL expressions of a cell's values from its packed key (the inverse of `cell_key_sql`)."""

    def part(field: str) -> str:
        return f"(({key} >> {SHIFT[field]}) & {(1 << _BITS[field]) - 1})"

    def decode(field: str) -> str:
        arms = " ".join(f"WHEN {n} THEN '{k}'" for k, n in _CODES[field].items())
        return f"(CASE {part(field)} {arms} END)"

    digits = f"lpad({part('occupation_code')}::text, 7, '0')"
    return {
        "layer": decode("layer"),
        "region_code": f"(CASE {part('region_code')} WHEN 0 THEN '' ELSE {part('region_code')}::text END)",
        "jurisdiction": decode("jurisdiction"),
        "level": f"{part('level')}::smallint",
        "occupation_code": f"(CASE {part('occupation_code')} WHEN 0 THEN '' ELSE substr({digits}, 1, 1) || '-' || "
        f"substr({digits}, 2, 2) || '-' || substr({digits}, 4, 2) || '-' || substr({digits}, 6, 2) END)",
        "sex": decode("sex"),
        "birth_year": f"{part('birth_year')}::smallint",
    }


def layer_range(layer: str, region_code: str | None = None) -> tuple[int, int]:
    """The keys of a layer's cells (of one region's, if given) as an inclusive range."""
    low = LAYER_CODES[layer] << SHIFT["layer"]
    if region_code is None:
        return low, low + (1 << SHIFT["layer"]) - 1
    low |= (int(region_code) if region_code else 0) << SHIFT["region_code"]
    return low, low + (1 << SHIFT["region_code"]) - 1


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
    # the person's and the chain's rows, without foreign keys: derived rows (migration 0012)
    person_id: Mapped[int] = mapped_column(BigInteger)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    certificate_id: Mapped[int] = mapped_column(BigInteger)  # the chain's first certificate
    level: Mapped[int] = mapped_column(SmallInteger)
    region_code: Mapped[str] = mapped_column(String(6))
    domicile_code: Mapped[str] = mapped_column(String(6))  # '' when the trainee gave none
    jurisdiction: Mapped[str] = mapped_column(String(12))
    occupation_code: Mapped[str] = mapped_column(String(10))
    sex: Mapped[str] = mapped_column(String(1))
    birth_year: Mapped[int] = mapped_column(SmallInteger)
    layer: Mapped[str] = mapped_column(String(1), server_default=text("'B'"))


class TalentCell(Base):
    """One rollup cell: its cube, packed key and values ('' / 0 where the cube keeps none), and its persons at the
    end of every month: `stock[i]` (1-based) is the stock at the end of month `first_month + i - 1` (months counted
    as year × 12 + month − 1); before `first_month` it is 0 and after the last element it stays the last element
    (every change of the cell extends the array to its month)."""

    __tablename__ = "talent_cells"
    __table_args__ = (
        CheckConstraint(f"cube IN {CUBES}", name="cube"),
        CheckConstraint("layer IN ('B', 'A', 'L')", name="layer"),
        CheckConstraint("cardinality(stock) >= 1", name="stock"),
        PrimaryKeyConstraint("cube", "cell"),
    )

    cube: Mapped[int] = mapped_column(SmallInteger)
    cell: Mapped[int] = mapped_column(BigInteger)
    layer: Mapped[str] = mapped_column(String(1))
    region_code: Mapped[str] = mapped_column(String(6))
    jurisdiction: Mapped[str] = mapped_column(String(12))
    level: Mapped[int] = mapped_column(SmallInteger)
    occupation_code: Mapped[str] = mapped_column(String(10))
    sex: Mapped[str] = mapped_column(String(1))
    birth_year: Mapped[int] = mapped_column(SmallInteger)
    first_month: Mapped[int] = mapped_column(Integer)
    stock: Mapped[list[int]] = mapped_column(ARRAY(Integer))


class TalentDay(Base):
    """The change of one rollup cell's persons on one day (+1 when a spell starts, −1 on the day after it ends);
    a date inside a month adds that month's days up to it to the previous month's end stock."""

    __tablename__ = "talent_days"
    __table_args__ = (PrimaryKeyConstraint("cube", "day", "cell"),)

    cube: Mapped[int] = mapped_column(SmallInteger)
    day: Mapped[dt.date] = mapped_column(Date)
    cell: Mapped[int] = mapped_column(BigInteger)
    persons: Mapped[int] = mapped_column(Integer)


class TalentPending(Base):
    """A rollup move not yet folded in: a refresh appends one per cell at the recorded region and day it changes
    (+1 where spells start, −1 where they end), and `fold_pending` adds them to `talent_cells` and `talent_days`
    and deletes them. A talent query adds the pending rows that remain. No index but its id's: appends stay cheap,
    and the table stays small (folded within seconds, vacuumed eagerly)."""

    __tablename__ = "talent_pending"
    __table_args__ = (
        {"postgresql_with": {"autovacuum_vacuum_threshold": "1000", "autovacuum_vacuum_scale_factor": "0"}},
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    cube: Mapped[int] = mapped_column(SmallInteger)
    day: Mapped[dt.date] = mapped_column(Date)
    cell: Mapped[int] = mapped_column(BigInteger)
    persons: Mapped[int] = mapped_column(Integer)


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


__all__ = ["BaselineStock", "PlanTarget", "TalentCell", "TalentDay", "TalentPending", "TalentSpell"]
