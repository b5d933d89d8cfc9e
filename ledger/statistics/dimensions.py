"""What a statistics query asks for: the region scope, the filters and the dimensions to group by.

Every dimension is grouped in SQL (so distinct-person counts stay distinct within each group); this module gives
the SQL for each dimension and turns grouped values into readable columns (names of regions and occupations).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.errors import FieldError, InvalidInput, NotFound
from ledger.statistics.levels_sql import level_label

DIMENSIONS = (
    "region",
    "prefecture",
    "south4",
    "level",
    "occupation_group",
    "occupation",
    "gender",
    "age_band",
    "year",
    "mode",
)
JURISDICTIONS = ("all", "zizhiqu", "bingtuan")
JURISDICTION_LABELS = {"all": "全疆", "zizhiqu": "全区不含兵团", "bingtuan": "兵团"}
BASES = ("institution", "domicile")
DEFAULT_AGE_BANDS = (16, 25, 35, 45, 55)
UNKNOWN = "未知"


@dataclass(frozen=True, slots=True)
class RegionInfo:
    code: str
    name: str
    parent_code: str | None
    level: str
    south4: bool


@dataclass(frozen=True, slots=True)
class RegionBook:
    """The region tree (GB/T 2260) and occupation names, read once per query."""

    regions: Mapping[str, RegionInfo]
    occupations: Mapping[str, str]

    def descendants(self, code: str) -> tuple[str, ...]:
        """`code` and every region below it."""
        found = [code]
        frontier = [code]
        while frontier:
            below = [r.code for r in self.regions.values() if r.parent_code in frontier]
            found.extend(below)
            frontier = below
        return tuple(found)

    def prefecture_of(self, code: str) -> str:
        info = self.regions.get(code)
        while info is not None and info.level == "county" and info.parent_code:
            info = self.regions.get(info.parent_code)
        return info.code if info else code

    def name(self, code: str) -> str:
        info = self.regions.get(code)
        return info.name if info else UNKNOWN


async def region_book(session: AsyncSession) -> RegionBook:
    rows = await session.execute(text("SELECT code, name, parent_code, level, south4 FROM regions"))
    occupations = await session.execute(text("SELECT code, name FROM occupations"))
    return RegionBook(
        regions={r[0]: RegionInfo(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows},
        occupations={r[0]: r[1] for r in occupations},
    )


@dataclass(frozen=True, slots=True)
class Scope:
    """Where and how to count: the region (with everything below it), jurisdiction and attribution basis."""

    region_code: str
    region_codes: tuple[str, ...]
    jurisdiction: str = "all"
    basis: str = "institution"
    include_baseline: bool = True
    whole_province: bool = False  # a root scope also counts persons of unknown domicile
    age_bands: tuple[int, ...] = DEFAULT_AGE_BANDS
    region_level: str = "county"  # province | prefecture | county


def resolve_scope(
    book: RegionBook,
    key_region: str,
    *,
    region: str | None = None,
    jurisdiction: str = "all",
    basis: str = "institution",
    include_baseline: bool = True,
    age_bands: Sequence[int] = DEFAULT_AGE_BANDS,
) -> Scope:
    """Check the request against the key's region. A region outside the key's scope is reported as not found,
    exactly like a region that does not exist."""
    errors: list[FieldError] = []
    if jurisdiction not in JURISDICTIONS:
        errors.append(FieldError("jurisdiction", "invalid", "one of all, zizhiqu (自治区), bingtuan (兵团)"))
    if basis not in BASES:
        errors.append(FieldError("basis", "invalid", "one of institution, domicile"))
    bands = tuple(age_bands)
    if not bands or any(b < 0 or b > 120 for b in bands) or list(bands) != sorted(set(bands)):
        errors.append(FieldError("age_bands", "invalid", "increasing ages 0-120, e.g. 16,25,35,45,55"))
    if errors:
        raise InvalidInput("the statistics query is invalid", errors=errors)
    requested = region or key_region
    allowed = book.descendants(key_region)
    if requested not in book.regions or requested not in allowed:
        raise NotFound(f"no region {requested!r}")
    root = book.regions[requested].parent_code is None
    return Scope(
        region_code=requested,
        region_codes=book.descendants(requested),
        jurisdiction=jurisdiction,
        basis=basis,
        include_baseline=include_baseline,
        whole_province=root,
        age_bands=bands,
        region_level=book.regions[requested].level,
    )


def parse_group_by(values: Iterable[str], allowed: Sequence[str] = DIMENSIONS) -> tuple[str, ...]:
    dims: list[str] = []
    for raw in values:
        for part in raw.split(","):
            name = part.strip()
            if not name:
                continue
            if name not in allowed:
                raise InvalidInput(
                    "unknown grouping",
                    errors=[FieldError("group_by", "invalid", f"{name!r}: use any of {', '.join(allowed)}")],
                )
            if name not in dims:
                dims.append(name)
    return tuple(dims)


@dataclass(frozen=True, slots=True)
class Columns:
    """Where a query's source keeps each raw value (SQL expressions over its aliases; `rg` = the region row)."""

    region: str
    level: str
    occupation: str
    sex: str
    birth_year: str
    on_date: str = "NULL::date"
    mode: str = "NULL::text"


def age_band_sql(birth_year: str, age_year: int, bands: Sequence[int]) -> str:
    """The age band label in SQL; age = `age_year` − birth year (统计年度口径). Bands are validated integers."""
    arms = [f"WHEN {age_year} - {birth_year} < {bands[0]} THEN '<{bands[0]}'"]
    for low, high in pairwise(bands):
        arms.append(f"WHEN {age_year} - {birth_year} < {high} THEN '{low}-{high - 1}'")
    return f"(CASE WHEN coalesce({birth_year}, 0) = 0 THEN '' {' '.join(arms)} ELSE '{bands[-1]}+' END)"


def dim_sql(dim: str, cols: Columns, age_year: int, bands: Sequence[int]) -> str:
    """The SQL value a row is grouped by for `dim`."""
    return {
        "region": f"coalesce({cols.region}, '')",
        "prefecture": "coalesce(CASE WHEN rg.level = 'county' THEN rg.parent_code ELSE rg.code END, '')",
        "south4": "coalesce(rg.south4::text, '')",
        "level": f"coalesce({cols.level}, -1)",
        "occupation_group": f"left(coalesce({cols.occupation}, ''), 1)",
        "occupation": f"coalesce({cols.occupation}, '')",
        "gender": f"coalesce({cols.sex}, '')",
        "age_band": age_band_sql(cols.birth_year, age_year, bands),
        "year": f"extract(year FROM {cols.on_date})::int",
        "mode": cols.mode,
    }[dim]


def group_sql(dims: Sequence[str], cols: Columns, age_year: int, bands: Sequence[int]) -> list[str]:
    return [f"{dim_sql(d, cols, age_year, bands)} AS g_{d}" for d in dims]


@dataclass(slots=True)
class Labeller:
    """Turns the grouped values of one result row into the dimension columns a reader sees."""

    book: RegionBook
    dims: tuple[str, ...]

    def columns(self) -> list[str]:
        out: list[str] = []
        for dim in self.dims:
            out.extend(_DIM_COLUMNS[dim])
        return out

    def label(self, values: Mapping[str, object]) -> dict[str, object]:
        out: dict[str, object] = {}
        for dim in self.dims:
            value = values.get(dim)
            if dim in ("region", "prefecture"):
                code = str(value or "")
                out[f"{dim}_code"] = code
                out[f"{dim}_name"] = self.book.name(code)
            elif dim == "south4":
                out["south4"] = {"true": "南疆四地州", "false": "其他地区"}.get(str(value), UNKNOWN)
            elif dim == "level":
                level = int(str(value)) if value is not None else -1
                out["level"] = level if level >= 0 else None
                out["level_name"] = level_label(level) if level >= 0 else UNKNOWN
            elif dim == "occupation_group":
                out["occupation_group"] = str(value) if value else UNKNOWN
            elif dim == "occupation":
                occ = str(value or "")
                out["occupation_code"] = occ
                out["occupation_name"] = self.book.occupations.get(occ, UNKNOWN)
            elif dim == "gender":
                out["gender"] = {"M": "男", "F": "女"}.get(str(value or ""), UNKNOWN)
            elif dim == "age_band":
                out["age_band"] = str(value) if value else UNKNOWN
            elif dim == "year":
                out["year"] = int(str(value)) if value is not None else None
            elif dim == "mode":
                out["mode"] = str(value) if value else "无"
        return out


_DIM_COLUMNS = {
    "region": ("region_code", "region_name"),
    "prefecture": ("prefecture_code", "prefecture_name"),
    "south4": ("south4",),
    "level": ("level", "level_name"),
    "occupation_group": ("occupation_group",),
    "occupation": ("occupation_code", "occupation_name"),
    "gender": ("gender",),
    "age_band": ("age_band",),
    "year": ("year",),
    "mode": ("mode",),
}


def merge_rows(
    labeller: Labeller, rows: Iterable[tuple[Mapping[str, object], Mapping[str, int]]], figures: Sequence[str]
) -> list[dict[str, object]]:
    """Label grouped rows and add up rows that land in the same group (ledger + baseline parts; partitions only),
    sorted by the group columns."""
    groups: dict[tuple, dict[str, object]] = {}
    for values, counts in rows:
        labels = labeller.label(values)
        key = tuple(labels.values())
        row = groups.get(key)
        if row is None:
            row = groups[key] = {**labels, **dict.fromkeys(figures, 0)}
        for name in figures:
            row[name] = int(str(row[name])) + int(counts.get(name) or 0)
    return [groups[k] for k in sorted(groups, key=lambda k: tuple(("" if v is None else f"{v!s:>12}") for v in k))]


def year_ends(first: int, as_of: dt.date) -> list[dt.date]:
    """31 December of each year from `first`, the last one replaced by `as_of` itself."""
    return [dt.date(y, 12, 31) for y in range(first, as_of.year)] + [as_of]
