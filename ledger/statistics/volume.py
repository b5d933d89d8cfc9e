"""Flows over a period, counted live from the business tables: training volume (人次 and 人), certificates issued,
dual-certificate awards and 新增高技能人才 (both definitions). Exact by construction; these are not on the
100 ms path (only the talent stock is), and use the same dimensions, scope and rules as the stock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from ledger.database.driver import driver
from ledger.errors import FieldError, InvalidInput
from ledger.statistics.dimensions import (
    DIMENSIONS,
    JURISDICTION_LABELS,
    Columns,
    Labeller,
    RegionBook,
    Scope,
    group_sql,
    merge_rows,
)
from ledger.statistics.levels_sql import high_skill_codes
from ledger.statistics.refresh import COUNTED_KINDS, LEGACY, talent_layers
from ledger.statistics.report import Report, rate

SCOPE_RULE = "地区按{basis}归属；管辖口径：{jurisdiction}。 / Region by {basis_en}; jurisdiction: {jurisdiction}."


def _check_period(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise InvalidInput(
            "the period is empty", errors=[FieldError("to", "before_from", "`to` must not be before `from`")]
        )


def _scope_rule(scope: Scope) -> str:
    basis = "培训/发证机构所在地" if scope.basis == "institution" else "学员户籍地"
    basis_en = "the institution's region" if scope.basis == "institution" else "the trainee's domicile"
    return SCOPE_RULE.format(basis=basis, basis_en=basis_en, jurisdiction=JURISDICTION_LABELS[scope.jurisdiction])


async def _grouped(
    session: AsyncSession,
    sql: str,
    dims: Sequence[str],
    cols: Columns,
    age_year: int,
    scope: Scope,
    args: Sequence[object],
    figures: Sequence[str],
) -> list[tuple[dict[str, object], dict[str, int]]]:
    """Run `sql` (with {groups}, {group_by} and {region} placeholders) and return (dimension values, figures)."""
    conn = await driver(session)
    groups = group_sql(dims, cols, age_year, scope.age_bands)
    group_by = f"GROUP BY {', '.join(str(i + 1) for i in range(len(dims)))}" if dims else ""
    region = f"({cols.region} = ANY($3::text[]) OR ($4 AND {cols.region} IS NULL))"
    text = sql.format(groups="".join(f"{g}, " for g in groups), group_by=group_by, region=region)
    records = await conn.fetch(text, *args)
    return [({d: r[f"g_{d}"] for d in dims}, {f: r[f] for f in figures}) for r in records]


def _report(
    figure: str,
    title: str,
    units: dict[str, str],
    rules: list[str],
    book: RegionBook,
    scope: Scope,
    dims: Sequence[str],
    rows: list[dict[str, object]],
    total: dict[str, object],
    start: dt.date,
    end: dt.date,
) -> Report:
    labeller = Labeller(book, tuple(dims))
    return Report(
        figure=figure,
        title=title,
        units=units,
        rules=[
            *rules,
            _scope_rule(scope),
            "不含基线：导入的历史职业资格证书与汇总基线只计入人才存量，不计入期间流量。"
            " / The baseline (imported legacy certificates, aggregate stock) "
            "counts in the talent stock only, never in flows.",
        ],
        region_code=scope.region_code,
        region_name=book.name(scope.region_code),
        jurisdiction=f"{scope.jurisdiction} ({JURISDICTION_LABELS[scope.jurisdiction]})",
        basis=scope.basis,
        group_by=tuple(dims),
        columns=[*labeller.columns(), *units],
        rows=rows,
        total=total,
        as_of=end,
        period_from=start,
        period_to=end,
        baseline_included=False,
    )


async def _two_passes(
    session: AsyncSession,
    sql: str,
    dims: Sequence[str],
    cols: Columns,
    age_year: int,
    scope: Scope,
    args: Sequence[object],
    figures: Sequence[str],
    book: RegionBook,
) -> tuple[list[dict[str, object]], dict[str, object]]:
    """Grouped rows, and the total from its own query (distinct persons do not add up across groups). `args[5]`
    says whether to split records by mode tag; the total counts each record once, so it never does."""
    rows = await _grouped(session, sql, dims, cols, age_year, scope, args, figures)
    totals = await _grouped(session, sql, (), cols, age_year, scope, [*args[:5], False, *args[6:]], figures)
    total: dict[str, object] = dict(totals[0][1]) if totals else dict.fromkeys(figures, 0)
    return merge_rows(Labeller(book, tuple(dims)), rows, figures), total


_TRAINING = """
SELECT {groups} count(*) AS person_times, count(DISTINCT t.person_id) AS persons
FROM completions cp
JOIN courses co ON co.id = cp.course_id
JOIN institutions i ON i.id = co.institution_id
JOIN trainees t ON t.id = cp.trainee_id
JOIN persons p ON p.id = t.person_id
LEFT JOIN LATERAL unnest(CASE WHEN cardinality(co.mode_tags) = 0 THEN ARRAY[NULL]::varchar[]
                              ELSE co.mode_tags END) AS m(tag) ON $6
LEFT JOIN regions rg ON rg.code = {region_col}
WHERE cp.passed AND cp.completed_on BETWEEN $1 AND $2 AND {region} AND ($5 = 'all' OR i.jurisdiction = $5)
{group_by}
"""


def _course_columns(scope: Scope, region_col: str | None = None) -> Columns:
    return Columns(
        region=region_col or ("i.region_code" if scope.basis == "institution" else "t.domicile_region_code"),
        level="co.target_level",
        occupation="co.occupation_code",
        sex="p.sex",
        birth_year="extract(year FROM p.birth_date)::int",
        on_date="cp.completed_on",
        mode="m.tag",
    )


async def training_report(
    session: AsyncSession, book: RegionBook, scope: Scope, start: dt.date, end: dt.date, dims: Sequence[str] = ()
) -> Report:
    _check_period(start, end)
    cols = _course_columns(scope)
    sql = _TRAINING.replace("{region_col}", cols.region)
    args = [start, end, list(scope.region_codes), scope.whole_province, scope.jurisdiction, "mode" in dims]
    rows, total = await _two_passes(session, sql, dims, cols, end.year, scope, args, ("person_times", "persons"), book)
    rules = [
        "职业技能培训：期间内结业且合格的培训，每人每个课程计1人次；同一人参加两个课程计2人次。"
        " / Training: each passed completion in the period is one person-time; one person in two courses is two.",
        "人数按人去重。 / Persons are distinct persons.",
        "等级为课程目标等级；按培训模式分组时，带多个模式标签的课程在每个标签下各计一次。"
        " / Level is the course's target level; by mode, a course with several tags counts under each tag.",
        "年龄 = 期末年度 − 出生年份。 / Age = the year of `to` minus the birth year.",
    ]
    units = {"person_times": "人次 / person-times", "persons": "人 / persons"}
    return _report("training", "职业技能培训", units, rules, book, scope, dims, rows, total, start, end)


_CERTIFICATES = """
SELECT {groups} count(*) AS certificates, count(DISTINCT c.person_id) AS persons
FROM certificates c
JOIN courses co ON co.id = c.course_id
JOIN institutions i ON i.id = c.institution_id
JOIN persons p ON p.id = c.person_id
LEFT JOIN trainees t ON t.person_id = c.person_id AND t.institution_id = c.institution_id
LEFT JOIN LATERAL unnest(CASE WHEN cardinality(co.mode_tags) = 0 THEN ARRAY[NULL]::varchar[]
                              ELSE co.mode_tags END) AS m(tag) ON $6
LEFT JOIN regions rg ON rg.code = {region_col}
WHERE c.supersedes_id IS NULL AND c.kind = ANY($7::text[]) AND c.issued_on BETWEEN $1 AND $2
  AND {region} AND ($5 = 'all' OR i.jurisdiction = $5)
{group_by}
"""


async def certificates_report(
    session: AsyncSession,
    book: RegionBook,
    scope: Scope,
    start: dt.date,
    end: dt.date,
    dims: Sequence[str] = (),
) -> Report:
    _check_period(start, end)
    cols = Columns(
        region="i.region_code" if scope.basis == "institution" else "t.domicile_region_code",
        level="c.level",
        occupation="c.occupation_code",
        sex="p.sex",
        birth_year="extract(year FROM p.birth_date)::int",
        on_date="c.issued_on",
        mode="m.tag",
    )
    kinds = [k for k in COUNTED_KINDS if k != LEGACY]  # imported legacy: the baseline
    sql = _CERTIFICATES.replace("{region_col}", cols.region)
    args = [start, end, list(scope.region_codes), scope.whole_province, scope.jurisdiction, "mode" in dims, kinds]
    rows, total = await _two_passes(session, sql, dims, cols, end.year, scope, args, ("certificates", "persons"), book)
    rules = [
        f"取证：期间内发证的技能证书（{', '.join(kinds)}），每本计1人次；补发/更正不另计。"
        " / Certificates issued in the period; a reissue is not counted again.",
        "人数按人去重；按发证日统计，不因日后撤销而减少。 / Persons are distinct; counted by issue date, "
        "whatever happened to the certificate later.",
    ]
    units = {"certificates": "人次 / certificates", "persons": "人 / persons"}
    return _report("certificates", "取证", units, rules, book, scope, dims, rows, total, start, end)


_DUAL = """
WITH RECURSIVE awarded AS (
    SELECT d.id, d.companion_certificate_id AS a, d.skill_certificate_id AS b
    FROM dual_awards d JOIN completions cp ON cp.id = d.completion_id
    WHERE cp.completed_on BETWEEN $1 AND $2
),
chain(root_id, cert_id) AS (
    SELECT x, x FROM (SELECT a AS x FROM awarded UNION SELECT b FROM awarded) s
  UNION ALL
    SELECT ch.root_id, c.superseded_by_id FROM chain ch JOIN certificates c ON c.id = ch.cert_id
    WHERE c.superseded_by_id IS NOT NULL
),
last AS (
    SELECT DISTINCT ON (ch.root_id) ch.root_id, s.status
    FROM chain ch JOIN certificate_status_changes s ON s.certificate_id = ch.cert_id
    WHERE s.status <> 'superseded' AND s.effective_on <= $2
    ORDER BY ch.root_id, s.effective_on DESC, s.id DESC
),
valid AS (
    SELECT c.id FROM certificates c LEFT JOIN last l ON l.root_id = c.id
    WHERE c.id IN (SELECT root_id FROM chain) AND c.issued_on <= $2 AND coalesce(l.status, 'valid') = 'valid'
)
SELECT {groups} count(*) AS completions, count(d.id) AS awards,
       count(d.id) FILTER (WHERE va.id IS NOT NULL AND vb.id IS NOT NULL) AS complete_awards
FROM completions cp
JOIN courses co ON co.id = cp.course_id
JOIN institutions i ON i.id = co.institution_id
JOIN trainees t ON t.id = cp.trainee_id
JOIN persons p ON p.id = t.person_id
LEFT JOIN dual_awards d ON d.completion_id = cp.id
LEFT JOIN valid va ON va.id = d.companion_certificate_id
LEFT JOIN valid vb ON vb.id = d.skill_certificate_id
LEFT JOIN LATERAL unnest(CASE WHEN cardinality(co.mode_tags) = 0 THEN ARRAY[NULL]::varchar[]
                              ELSE co.mode_tags END) AS m(tag) ON $6
LEFT JOIN regions rg ON rg.code = {region_col}
WHERE co.dual_rule <> 'none' AND cp.completed_on BETWEEN $1 AND $2 AND {region}
  AND ($5 = 'all' OR i.jurisdiction = $5)
{group_by}
"""


async def dual_report(
    session: AsyncSession, book: RegionBook, scope: Scope, start: dt.date, end: dt.date, dims: Sequence[str] = ()
) -> Report:
    _check_period(start, end)
    cols = _course_columns(scope)
    sql = _DUAL.replace("{region_col}", cols.region)
    args = [start, end, list(scope.region_codes), scope.whole_province, scope.jurisdiction, "mode" in dims]
    figures = ("completions", "awards", "complete_awards")
    rows, total = await _two_passes(session, sql, dims, cols, end.year, scope, args, figures, book)
    for row in [*rows, total]:
        row["rate"] = rate(row["complete_awards"], row["completions"])
    rules = [
        "双证：期间内结业的双证课程（一培双证、一考双证）的结业数、双证记录数，以及截至期末两本证书均有效的完整双证数。"
        " / Dual: completions of dual-rule courses in the period, their awards, and awards whose two certificates "
        "are both valid at the end of the period (a reissue stands in for its predecessor).",
        "双证率 = 完整双证数 / 双证课程结业数。 / Rate = complete awards / completions of dual courses.",
    ]
    units = {"completions": "人次 / completions", "awards": "个 / awards", "complete_awards": "个 / awards",
             "rate": "比例 / share"}  # fmt: skip
    return _report("dual", "双证书", units, rules, book, scope, dims, rows, total, start, end)


_FIRST_REACHED = """
WITH firsts AS (
    SELECT DISTINCT ON (person_id) * FROM talent_spells WHERE level = ANY($7::smallint[]) AND layer IN ({layers})
    ORDER BY person_id, valid_from
)
SELECT {groups} count(*) AS first_reached
FROM firsts s LEFT JOIN regions rg ON rg.code = {region_col}
WHERE s.valid_from BETWEEN $1 AND $2 AND {region} AND ($5 = 'all' OR s.jurisdiction = $5) AND $6
{group_by}
"""

_OBTAINED = """
WITH firsts AS (
    SELECT DISTINCT ON (c.person_id) c.*, i.region_code, i.jurisdiction,
           coalesce(t.domicile_region_code, '') AS domicile_code
    FROM certificates c
    JOIN institutions i ON i.id = c.institution_id
    LEFT JOIN trainees t ON t.person_id = c.person_id AND t.institution_id = c.institution_id
    WHERE c.supersedes_id IS NULL AND c.kind = 'skill_level' AND c.level = ANY($7::smallint[])
      AND c.issued_on BETWEEN $1 AND $2 AND $6
    ORDER BY c.person_id, c.issued_on, c.id
)
SELECT {groups} count(*) AS obtained
FROM firsts s JOIN persons p ON p.id = s.person_id LEFT JOIN regions rg ON rg.code = {region_col}
WHERE {region} AND ($5 = 'all' OR s.jurisdiction = $5)
{group_by}
"""


async def new_high_skill_report(
    session: AsyncSession, book: RegionBook, scope: Scope, start: dt.date, end: dt.date, dims: Sequence[str] = ()
) -> Report:
    _check_period(start, end)
    bad = [d for d in dims if d == "mode"]
    if bad:
        raise InvalidInput("not a dimension of new high-skill talent",
                           errors=[FieldError("group_by", "invalid", "'mode' does not apply here")])  # fmt: skip
    region_col = "s.region_code" if scope.basis == "institution" else "nullif(s.domicile_code, '')"
    high = list(high_skill_codes())
    args = [start, end, list(scope.region_codes), scope.whole_province, scope.jurisdiction, True, high]
    spell_cols = Columns(region=region_col, level="s.level", occupation="s.occupation_code", sex="s.sex",
                         birth_year="s.birth_year", on_date="s.valid_from")  # fmt: skip
    cert_cols = Columns(region=region_col, level="s.level", occupation="s.occupation_code", sex="p.sex",
                        birth_year="extract(year FROM p.birth_date)::int", on_date="s.issued_on")  # fmt: skip
    ledger_only = ", ".join(f"'{layer}'" for layer in talent_layers(include_baseline=False))  # flows: no baseline
    first_sql = _FIRST_REACHED.replace("{region_col}", region_col).replace("{layers}", ledger_only)
    obtained_sql = _OBTAINED.replace("{region_col}", region_col)
    rows = await _grouped(session, first_sql, dims, spell_cols, end.year, scope, args, ("first_reached",))
    rows += await _grouped(session, obtained_sql, dims, cert_cols, end.year, scope, args, ("obtained",))
    totals = await _grouped(session, first_sql, (), spell_cols, end.year, scope, args, ("first_reached",))
    totals += await _grouped(session, obtained_sql, (), cert_cols, end.year, scope, args, ("obtained",))
    figures = ("first_reached", "obtained")
    total: dict[str, object] = {f: sum(c.get(f, 0) for _, c in totals) for f in figures}
    merged = merge_rows(Labeller(book, tuple(dims)), rows, figures)
    rules = [
        "口径(a) first_reached：期间内首次成为高技能人才（最高有效等级首次达到三级/高级工及以上）的人数，"
        "按当时归属统计。"
        " / Definition (a): persons who first reached 三级 or above (highest valid level) in the period.",
        "口径(b) obtained：期间内取得三级/高级工及以上技能等级证书的人数（按人去重，以期间内第一本计归属；"
        "补发不另计）。"
        " / Definition (b): persons who obtained a 三级-or-above certificate in the period (distinct persons, "
        "attributed by their first such certificate in the period).",
    ]
    units = {"first_reached": "人 / persons (a)", "obtained": "人 / persons (b)"}
    return _report("new_high_skill", "新增高技能人才", units, rules, book, scope, dims, merged, total, start, end)


__all__ = [
    "DIMENSIONS",
    "certificates_report",
    "dual_report",
    "new_high_skill_report",
    "training_report",
]
