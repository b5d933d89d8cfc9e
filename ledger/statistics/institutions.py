"""Flows by institution over a period: what each training institution, school and evaluator in a region did
(training 人次 and 人, skill certificates issued, of them 三级 or above). The last step of the
dashboard's drill-down (province → prefecture → county → institution).

Counted live, with the rules of the flows in `volume.py`: passed completions by completion date, original skill
certificates by issue date (a reissue is not counted again). Institutions are placed by their own region, so the
basis is always the institution's; archive institutions (the issuers of imported legacy certificates) are the
baseline and never listed.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from ledger.database.driver import driver
from ledger.statistics.dimensions import JURISDICTION_LABELS, RegionBook, Scope
from ledger.statistics.levels_sql import high_skill_codes
from ledger.statistics.refresh import COUNTED_KINDS, LEGACY
from ledger.statistics.report import Report
from ledger.statistics.volume import training_report
from ledger.tenancy.tables import ARCHIVE

FIGURES = ("person_times", "persons", "certificates", "high_skill_certificates")
UNITS = {
    "person_times": "人次 / person-times",
    "persons": "人 / persons",
    "certificates": "本 / certificates",
    "high_skill_certificates": "本 / certificates (三级及以上)",
}

_BY_INSTITUTION = """
WITH training AS (
    SELECT co.institution_id AS id, count(*) AS person_times, count(DISTINCT t.person_id) AS persons
    FROM completions cp JOIN courses co ON co.id = cp.course_id JOIN trainees t ON t.id = cp.trainee_id
    WHERE cp.passed AND cp.completed_on BETWEEN $1 AND $2
    GROUP BY 1
), issued AS (
    SELECT c.institution_id AS id, count(*) AS certificates,
           count(*) FILTER (WHERE c.level = ANY($5::smallint[])) AS high_skill_certificates
    FROM certificates c
    WHERE c.supersedes_id IS NULL AND c.kind = ANY($7::text[]) AND c.issued_on BETWEEN $1 AND $2
    GROUP BY 1
)
SELECT i.id, i.code, i.name, i.kind, i.region_code, i.jurisdiction,
       coalesce(tr.person_times, 0) AS person_times, coalesce(tr.persons, 0) AS persons,
       coalesce(s.certificates, 0) AS certificates, coalesce(s.high_skill_certificates, 0) AS high_skill_certificates
FROM institutions i LEFT JOIN training tr ON tr.id = i.id LEFT JOIN issued s ON s.id = i.id
WHERE i.kind <> $6 AND i.region_code = ANY($3::text[]) AND ($4 = 'all' OR i.jurisdiction = $4)
"""


async def institutions_report(
    session: AsyncSession,
    book: RegionBook,
    scope: Scope,
    start: dt.date,
    end: dt.date,
    *,
    persons: int | None = None,
) -> Report:
    """One row per institution placed in the scope's region or below (activity or not), sorted by training 人次
    and then code. 人次 and certificates add up over institutions (each belongs to one), so their totals are the
    sums; persons are distinct across institutions, so theirs is the region's own training figure (`persons`, when
    the caller has it already, else counted by `volume.training_report`)."""
    conn = await driver(session)
    records = await conn.fetch(
        _BY_INSTITUTION,
        start,
        end,
        list(scope.region_codes),
        scope.jurisdiction,
        list(high_skill_codes()),
        ARCHIVE,
        [k for k in COUNTED_KINDS if k != LEGACY],
    )
    rows: list[dict[str, object]] = [
        {
            "institution_code": r["code"],
            "institution_name": r["name"],
            "kind": r["kind"],
            "region_code": r["region_code"],
            "region_name": book.name(r["region_code"]),
            "jurisdiction": r["jurisdiction"],
            **{f: int(r[f]) for f in FIGURES},
        }
        for r in records
    ]
    rows.sort(key=lambda row: (-int(str(row["person_times"])), str(row["institution_code"])))
    if persons is None:
        persons = int(str((await training_report(session, book, scope, start, end)).total["persons"]))
    total: dict[str, object] = {f: sum(int(str(r[f])) for r in rows) for f in FIGURES}
    total["persons"] = persons
    return Report(
        figure="institutions",
        title="机构培训与取证",
        units=UNITS,
        rules=[
            "按机构：期间内结业合格人次与人数、发出的技能等级证书（补发不另计）及其中三级/高级工及以上、"
            "机构按其登记地区归属。"
            " / By institution: passed completions (person-times, persons), original skill-level certificates "
            "issued (of them 三级 or above) in the period; placed by the institution's region.",
            "人数按机构去重，同一人在两家机构各计一次，合计行为本地区去重人数。"
            " / Persons are distinct within an institution; the total counts each person once.",
        ],
        region_code=scope.region_code,
        region_name=book.name(scope.region_code),
        jurisdiction=f"{scope.jurisdiction} ({JURISDICTION_LABELS[scope.jurisdiction]})",
        basis="institution",
        group_by=("institution",),
        columns=[
            "institution_code",
            "institution_name",
            "kind",
            "region_code",
            "region_name",
            "jurisdiction",
            *FIGURES,
        ],
        rows=rows,
        total=total,
        as_of=end,
        period_from=start,
        period_to=end,
        baseline_included=False,
    )
