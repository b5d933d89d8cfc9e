"""技能人才 / 高技能人才 stock on a date, from the maintained rollup (`talent_cells` + `talent_days`, plus the moves
still in `talent_pending`) in milliseconds.

A query picks the cube with the fewest cells that holds its dimensions and the coarsest grain of region that
answers it (docs/statistics.md), so it reads few cells whatever the scale.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from ledger.database.driver import driver
from ledger.errors import FieldError, InvalidInput
from ledger.statistics.dimensions import (
    JURISDICTION_LABELS,
    Columns,
    Labeller,
    RegionBook,
    Scope,
    group_sql,
    merge_rows,
    year_ends,
)
from ledger.statistics.levels_sql import high_skill_codes
from ledger.statistics.refresh import month_index, talent_layers
from ledger.statistics.report import Report, rate
from ledger.statistics.tables import (
    BASES,
    CUBE_KEEPS,
    GRAIN_PREFECTURE,
    GRAIN_REGION,
    SHIFT,
    cell_values_sql,
    layer_range,
)

_REGION_BITS = (1 << (SHIFT["layer"] - SHIFT["region_code"])) - 1
_DECODED = cell_values_sql("p.cell")
_PENDING_VALUES = ", ".join(f"{_DECODED[f]} AS {f}" for f in ("region_code", "level", "occupation_code", "sex",
                                                              "birth_year"))  # fmt: skip
_PENDING_JURISDICTION = _DECODED["jurisdiction"]

FIGURES = ("talent", "high_skill")
TALENT_DIMENSIONS = ("region", "prefecture", "south4", "level", "occupation_group", "occupation", "gender",
                     "age_band", "year")  # fmt: skip
RULES = [
    "技能人才：截至统计日持有至少一本有效技能证书（职业技能等级证书、职业资格证书）的人数，按人去重，跨机构、跨职业只计一次。"
    " / Skilled talent: distinct persons holding at least one skill certificate valid on the date.",
    "高技能人才：其中统计日有效证书最高等级为三级/高级工及以上的人数（跨全部职业取最高等级）。"
    " / High-skill: of those, persons whose highest valid level on the date is 三级/高级工 or above.",
    "补发/更正的证书与原证书合计一本，自原证书发证日起有效；撤销、暂停自生效日起不计，恢复后重新计入。"
    " / A reissue counts once from the original issue date; revocation and suspension count from their effective "
    "date; reinstatement counts again.",
    "每人归属于其最高等级有效证书（同级取最早）的发证机构所在地区；按户籍口径时为该机构登记的户籍地。"
    " / Each person is attributed to the region of the institution that issued their top certificate (highest "
    "level, then earliest); on the domicile basis, to the domicile that institution recorded.",
    "年龄 = 统计年度 − 出生年份。 / Age = the year of the date minus the birth year.",
]

_NEEDS = {"occupation_group": "occupation", "occupation": "occupation", "gender": "sex", "age_band": "birth_year"}
BIRTH_YEARS = 60  # about how many birth years a cube keeping them has per other value (ages 16-75)


def cube_for(dims: Sequence[str], occupations: int = 100) -> int:
    """The cube holding every dimension with the fewest cells: cube 2 (occupation × sex) and cube 3 (sex × birth
    year) both answer a grouping by gender; which is smaller depends on how many occupations there are."""
    needs = {_NEEDS[d] for d in dims if d in _NEEDS}
    size = {"occupation": max(occupations, 1), "sex": 2, "birth_year": BIRTH_YEARS}

    def cells(kept: frozenset[str]) -> int:
        n = 1
        for dimension in kept:
            n *= size[dimension]
        return n

    return min((cube for cube, kept in CUBE_KEEPS.items() if needs <= kept), key=lambda c: cells(CUBE_KEEPS[c]))


def _grain(scope: Scope, dims: Sequence[str]) -> tuple[int, list[str] | None]:
    """The coarsest grain of region that still answers, and its region codes to read (None = every cell: the
    whole province, unknown domicile included, as regions outside Xinjiang are refused on the way in)."""
    if "region" in dims:
        return GRAIN_REGION, None if scope.whole_province else list(scope.region_codes)
    if scope.whole_province:
        return GRAIN_PREFECTURE, None
    if scope.region_level == "prefecture":
        return GRAIN_PREFECTURE, [scope.region_code]
    return GRAIN_REGION, list(scope.region_codes)


def _key_ranges(layers: Sequence[str], codes: list[str] | None) -> tuple[list[int], list[int]]:
    """The packed-key ranges of the cells to read: each layer's, or each (layer, region)'s."""
    ranges = sorted(layer_range(layer, code) for layer in layers for code in (codes if codes is not None else [None]))
    return [r[0] for r in ranges], [r[1] for r in ranges]


def _prefectures(book: RegionBook) -> tuple[list[int], list[int]]:
    """Each county's code and its prefecture's, as numbers: a prefecture cell's day changes are its counties'."""
    pairs = [(int(r.code), int(r.parent_code)) for r in book.regions.values()
             if r.level == "county" and r.parent_code and r.code.isdigit() and r.parent_code.isdigit()]  # fmt: skip
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _at_grain(table: str, days: str) -> str:
    """SQL: the per-cell sums of `table`'s rows (cube $10, recorded region) on `days`, each cell's region replaced
    by its prefecture's where the query reads that grain ($11 → $12), of the regions $13 only (none: all)."""
    return f"""
            SELECT x.cell + ((coalesce(m.prefecture, x.region) - x.region) << {SHIFT["region_code"]}) AS cell,
                   sum(x.persons)::bigint AS persons
            FROM (SELECT cell, (cell >> {SHIFT["region_code"]}) & {_REGION_BITS} AS region, persons FROM {table}
                  WHERE cube = $10 AND {days}) x
            LEFT JOIN unnest($11::bigint[], $12::bigint[]) AS m(county, prefecture) ON m.county = x.region
            WHERE cardinality($13::bigint[]) = 0 OR x.region = ANY($13::bigint[])
            GROUP BY 1"""  # noqa: S608 (fixed text)


async def talent_rows(
    session: AsyncSession, book: RegionBook, scope: Scope, as_of: dt.date, dims: Sequence[str]
) -> list[tuple[dict[str, object], dict[str, int]]]:
    """Ledger persons on `as_of` grouped by `dims` (no baseline). Each person is in exactly one group."""
    conn = await driver(session)
    high = list(high_skill_codes())
    keys = [f"g_{d}" for d in dims]
    group_by = f"GROUP BY {', '.join(str(i + 1) for i in range(len(dims)))}" if dims else ""
    grain, codes = _grain(scope, dims)
    basis_cube = BASES["I" if scope.basis == "institution" else "D"] + cube_for(dims, len(book.occupations))
    counties, prefectures = _prefectures(book) if grain == GRAIN_PREFECTURE else ([], [])
    # the day rows of the scope's regions only (they are at the recorded region: every region under the scope)
    within = [] if codes is None else [int(c) for c in scope.region_codes if c.isdigit()]
    lows, highs = _key_ranges(talent_layers(scope.include_baseline), codes)
    cols = Columns(region="c.region_code", level="c.level", occupation="c.occupation_code", sex="c.sex",
                   birth_year="c.birth_year")  # fmt: skip
    groups = group_sql(dims, cols, as_of.year, scope.age_bands)
    read = {"region_code": {"region", "prefecture", "south4"}, "occupation_code": {"occupation", "occupation_group"},
            "sex": {"gender"}, "birth_year": {"age_band"}}  # fmt: skip
    raw = ", ".join(
        ["c.level", *(f"c.{col}" if wanted & set(dims) else f"NULL::{'int' if col == 'birth_year' else 'text'} AS {col}"
                      for col, wanted in read.items())]
    )  # fmt: skip
    # T's stock = a month-end stock from the array, moved by the day changes between that month end and T:
    # the end of the month before T plus T's month's changes up to T, or (from the middle of the month on)
    # the end of T's month minus its changes after T. Either way at most half a month of day rows.
    first = as_of.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    if (as_of - first) < (last - as_of):
        k, since, until, sign = month_index(as_of) - 1, first, as_of, 1
    else:
        k, since, until, sign = month_index(as_of), as_of + dt.timedelta(days=1), last, -1
    sql = f"""
        WITH d AS (  -- day rows are at the recorded region: for a prefecture cell, its counties' (region replaced)
            {_at_grain("talent_days", "day BETWEEN $3 AND $4")}
        ),
        c AS (
            SELECT t.cell, t.region_code, t.level, t.occupation_code, t.sex, t.birth_year,
                   CASE WHEN $2 < t.first_month THEN 0
                        ELSE t.stock[least($2 - t.first_month + 1, cardinality(t.stock))] END::bigint AS persons
            FROM unnest($5::bigint[], $6::bigint[]) AS r(low, high)
            JOIN talent_cells t ON t.cube = $1 AND t.cell BETWEEN r.low AND r.high
            WHERE ($7 = 'all' OR t.jurisdiction = $7)
        ),
        p AS (  -- the refreshes' moves not folded into the rollup yet, up to T, mapped to the grain like days
            {_at_grain("talent_pending", "day <= $14")}
        ),
        moved AS (
            SELECT c.region_code, c.level, c.occupation_code, c.sex, c.birth_year,
                   c.persons + $9 * coalesce(d.persons, 0) AS persons
            FROM c LEFT JOIN d ON d.cell = c.cell
            UNION ALL
            SELECT {_PENDING_VALUES}, p.persons
            FROM p JOIN unnest($5::bigint[], $6::bigint[]) AS r(low, high) ON p.cell BETWEEN r.low AND r.high
            WHERE $7 = 'all' OR {_PENDING_JURISDICTION} = $7
        ),
        raw AS (  -- added up per value the grouping reads first, so that the labels are computed per group
            SELECT {raw}, sum(c.persons) AS persons
            FROM moved c
            GROUP BY 1, 2, 3, 4, 5
        )
        SELECT {", ".join([*groups, ""])}
               coalesce(sum(c.persons), 0)::bigint AS talent,
               coalesce(sum(c.persons) FILTER (WHERE c.level = ANY($8::smallint[])), 0)::bigint AS high_skill
        FROM raw c LEFT JOIN regions rg ON rg.code = c.region_code
        {group_by}"""  # noqa: S608 (dimension SQL from a fixed vocabulary)
    records = await conn.fetch(sql, basis_cube + grain, k, since, until, lows, highs, scope.jurisdiction, high, sign,
                               basis_cube + GRAIN_REGION, counties, prefectures, within, as_of)  # fmt: skip
    return [
        ({d: r[k] for d, k in zip(dims, keys, strict=True)}, {"talent": r["talent"], "high_skill": r["high_skill"]})
        for r in records
        if r["talent"]
    ]


async def baseline_rows(
    session: AsyncSession, scope: Scope, as_of: dt.date, dims: Sequence[str]
) -> list[tuple[dict[str, object], dict[str, int]]]:
    """Baseline stock in force on `as_of`, grouped like the ledger rows (unknown for what it does not record)."""
    conn = await driver(session)
    cols = Columns(region="b.region_code", level="b.level", occupation="NULL::text", sex="NULL::text",
                   birth_year="NULL::int")  # fmt: skip
    groups = group_sql(dims, cols, as_of.year, scope.age_bands)
    group_by = f"GROUP BY {', '.join(str(i + 1) for i in range(len(dims)))}" if dims else ""
    records = await conn.fetch(
        f"""
        SELECT {", ".join([*groups, ""])}
               coalesce(sum(b.persons), 0)::bigint AS talent,
               coalesce(sum(b.persons) FILTER (WHERE b.level = ANY($4::smallint[])), 0)::bigint AS high_skill
        FROM baseline_stock b LEFT JOIN regions rg ON rg.code = b.region_code
        WHERE b.as_of <= $1 AND b.region_code = ANY($2::text[]) AND ($3 = 'all' OR b.jurisdiction = $3)
        {group_by}""",  # noqa: S608 (dimension SQL from a fixed vocabulary)
        as_of,
        list(scope.region_codes),
        scope.jurisdiction,
        list(high_skill_codes()),
    )
    return [
        ({d: r[f"g_{d}"] for d in dims}, {"talent": r["talent"], "high_skill": r["high_skill"]})
        for r in records
        if r["talent"]
    ]


async def _stock(
    session: AsyncSession, book: RegionBook, scope: Scope, as_of: dt.date, dims: Sequence[str]
) -> list[tuple[dict[str, object], dict[str, int]]]:
    rows = await talent_rows(session, book, scope, as_of, dims)
    if scope.include_baseline:
        rows += await baseline_rows(session, scope, as_of, dims)
    return rows


async def talent_report(
    session: AsyncSession,
    book: RegionBook,
    scope: Scope,
    as_of: dt.date,
    group_by: Sequence[str] = (),
    *,
    first_year: int | None = None,
) -> Report:
    bad = [d for d in group_by if d not in TALENT_DIMENSIONS]
    if bad:
        raise InvalidInput(
            "not a dimension of the talent stock",
            errors=[FieldError("group_by", "invalid", f"{d!r} does not apply to a stock of persons") for d in bad],
        )
    dims = tuple(group_by)
    plain = tuple(d for d in dims if d != "year")
    labeller = Labeller(book, dims)
    if "year" in dims:
        rows: list[tuple[dict[str, object], dict[str, int]]] = []
        for day in year_ends(first_year or as_of.year - 4, as_of):
            rows += [({**v, "year": day.year}, c) for v, c in await _stock(session, book, scope, day, plain)]
        total_rows = await _stock(session, book, scope, as_of, ())
    else:  # each person is in exactly one group, so the total is the groups' sum: no second query
        total_rows = rows = await _stock(session, book, scope, as_of, plain)
    total: dict[str, object] = {name: sum(c[name] for _, c in total_rows) for name in FIGURES}
    total["high_skill_share"] = rate(total["high_skill"], total["talent"])
    merged = merge_rows(labeller, rows, FIGURES)
    for row in merged:
        row["high_skill_share"] = rate(row["high_skill"], row["talent"])
    rules = list(RULES)
    if "year" in dims:
        rules.append(
            "按年分组时为各年12月31日（当年为统计日）的存量。 / By year: the stock on 31 December of each year "
            "(the as-of date for its own year)."
        )
    rules.append(
        "含基线：导入的历史职业资格证书（逐人，与账本证书按人去重）及汇总基线存量（自其统计日起计入，无法细分的维度记为"
        "“未知”）。 / Includes the baseline: imported legacy qualification certificates (person by person, a holder "
        "counted once with their ledger certificates) and aggregate baseline stock (from its date; dimensions it "
        "does not record are 'unknown')."
        if scope.include_baseline
        else "不含基线（导入的历史职业资格证书、汇总基线存量），仅账本记录。 / Ledger records only: imported legacy "
        "certificates and aggregate baseline stock are excluded."
    )
    return Report(
        figure="talent",
        title="技能人才与高技能人才总量",
        units={"talent": "人 / persons", "high_skill": "人 / persons", "high_skill_share": "比例 / share"},
        rules=rules,
        region_code=scope.region_code,
        region_name=book.name(scope.region_code),
        jurisdiction=f"{scope.jurisdiction} ({JURISDICTION_LABELS[scope.jurisdiction]})",
        basis=scope.basis,
        group_by=dims,
        columns=[*labeller.columns(), "talent", "high_skill", "high_skill_share"],
        rows=merged,
        total=total,
        as_of=as_of,
        baseline_included=scope.include_baseline,
    )
