"""技能人才 / 高技能人才 stock on a date, from the maintained rollup (`talent_months` + `talent_days`) in milliseconds.

A query picks the smallest cube that holds its dimensions; a combination no cube holds (occupation with gender or
age) is answered from `talent_spells`, which is exact too, only slower.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

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
from ledger.statistics.refresh import month_index
from ledger.statistics.report import Report, rate
from ledger.statistics.tables import CUBE_OCCUPATION, CUBE_PERSON, CUBE_PLACE
from ledger.store import driver

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

_CUBE_EXTRA = {CUBE_PLACE: set(), CUBE_OCCUPATION: {"occupation"}, CUBE_PERSON: {"sex", "birth_year"}}
_NEEDS = {"occupation_group": "occupation", "occupation": "occupation", "gender": "sex", "age_band": "birth_year"}


def cube_for(dims: Sequence[str]) -> int | None:
    """The smallest cube holding every dimension, or None when only the spells can answer."""
    needs = {_NEEDS[d] for d in dims if d in _NEEDS}
    for cube in (CUBE_PLACE, CUBE_OCCUPATION, CUBE_PERSON):
        if needs <= _CUBE_EXTRA[cube]:
            return cube
    return None


async def talent_rows(
    session: AsyncSession, scope: Scope, as_of: dt.date, dims: Sequence[str]
) -> list[tuple[dict[str, object], dict[str, int]]]:
    """Ledger persons on `as_of` grouped by `dims` (no baseline). Each person is in exactly one group."""
    conn = await driver(session)
    region_col = "region_code" if scope.basis == "institution" else "domicile_code"
    cube = cube_for(dims)
    high = list(high_skill_codes())
    keys = [f"g_{d}" for d in dims]
    group_by = f"GROUP BY {', '.join(str(i + 1) for i in range(len(dims)))}" if dims else ""
    if cube is not None:
        cols = Columns(region="c.region_code", level="c.level", occupation="c.occupation_code", sex="c.sex",
                       birth_year="c.birth_year")  # fmt: skip
        groups = group_sql(dims, cols, as_of.year, scope.age_bands)
        # T's stock = the month-end stock of the month before T (of T's own month when T is its last day) plus
        # the day changes of T's month up to T.
        month_end = (as_of + dt.timedelta(days=1)).day == 1
        k = month_index(as_of) - (0 if month_end else 1)
        sql = f"""
            WITH c AS (
                SELECT region_code, jurisdiction, level, occupation_code, sex, birth_year,
                       CASE WHEN $3 < first_month THEN 0
                            ELSE stock[least($3 - first_month + 1, cardinality(stock))] END::bigint AS persons
                FROM talent_months
                WHERE cube = $1 AND basis = $2 AND (region_code = ANY($6::text[]) OR ($7 AND region_code = ''))
                  AND ($8 = 'all' OR jurisdiction = $8)
              UNION ALL
                SELECT region_code, jurisdiction, level, occupation_code, sex, birth_year, persons
                FROM talent_days
                WHERE cube = $1 AND basis = $2 AND day BETWEEN $4 AND $5
                  AND (region_code = ANY($6::text[]) OR ($7 AND region_code = ''))
                  AND ($8 = 'all' OR jurisdiction = $8)
            )
            SELECT {", ".join([*groups, ""])}
                   coalesce(sum(c.persons), 0)::bigint AS talent,
                   coalesce(sum(c.persons) FILTER (WHERE c.level = ANY($9::smallint[])), 0)::bigint AS high_skill
            FROM c LEFT JOIN regions rg ON rg.code = c.region_code
            {group_by}"""  # noqa: S608 (dimension SQL from a fixed vocabulary)
        args = [cube, "I" if scope.basis == "institution" else "D", k, as_of.replace(day=1),
                as_of if not month_end else as_of.replace(day=1) - dt.timedelta(days=1), list(scope.region_codes),
                scope.whole_province, scope.jurisdiction, high]  # fmt: skip
    else:
        cols = Columns(region=f"s.{region_col}", level="s.level", occupation="s.occupation_code", sex="s.sex",
                       birth_year="s.birth_year")  # fmt: skip
        groups = group_sql(dims, cols, as_of.year, scope.age_bands)
        sql = f"""
            SELECT {", ".join([*groups, ""])}
                   count(*) AS talent, count(*) FILTER (WHERE s.level = ANY($5::smallint[])) AS high_skill
            FROM talent_spells s LEFT JOIN regions rg ON rg.code = s.{region_col}
            WHERE s.valid_from <= $1 AND (s.valid_to IS NULL OR s.valid_to > $1)
              AND (s.{region_col} = ANY($2::text[]) OR ($3 AND s.{region_col} = ''))
              AND ($4 = 'all' OR s.jurisdiction = $4)
            {group_by}"""  # noqa: S608 (dimension SQL from a fixed vocabulary)
        args = [as_of, list(scope.region_codes), scope.whole_province, scope.jurisdiction, high]
    records = await conn.fetch(sql, *args)
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
    session: AsyncSession, scope: Scope, as_of: dt.date, dims: Sequence[str]
) -> list[tuple[dict[str, object], dict[str, int]]]:
    rows = await talent_rows(session, scope, as_of, dims)
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
            rows += [({**v, "year": day.year}, c) for v, c in await _stock(session, scope, day, plain)]
    else:
        rows = await _stock(session, scope, as_of, plain)
    total_rows = await _stock(session, scope, as_of, ())
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
        "含基线存量（账本建立前的存量，按其统计日起计入，无法细分的维度记为“未知”）。 / Includes the baseline stock."
        if scope.include_baseline
        else "不含基线存量，仅账本记录。 / Ledger records only, baseline excluded."
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
