"""Statistics at provincial scale: the load time of the synthetic province and p50/p95 of /stats/talent shapes.

    LEDGER_DATABASE_URL=postgresql://… python bench/stats.py [--load xinjiang|million|tenth|small] [--rounds 50]
        [--refresh]

`--load` fills an empty database (reference data loaded) first: xinjiang 3.2 M persons, million 1 M, tenth 0.32 M.
The run prints the rollup's rows and bytes (talent_cells + talent_days, indexes included) per person and the load
average beside every figure: the reference machine is shared.

Query shapes run through the same service the endpoint calls (`talent_report`), on random as-of dates, after a
warm-up; the figures printed are wall-clock per query including the Python roll-up. The baseline, timed in the same
run on some of the same dates, is the ledger total counted straight from the spells covering the date (what a
design without the rollup would do); the run also checks that both give the same total.

`--refresh` also times the write path's statistics maintenance (`refresh_talent`) on 10,000 persons in a rolled-back
transaction: persons whose certificates did not change, 10,000 new persons with one certificate each from one
institution on one day (a registration batch), and the same scattered over every institution and 2021–2025; for
the new persons, also the fold of their pending rollup moves (`fold_pending`, which the job workers run off the
write path), checking that the figures read the same before and after it and equal the spells scan.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

# bench/ledger.py would shadow the `ledger` package: import from the project root instead of this folder.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from ledger.database.driver import driver  # noqa: E402
from ledger.database.engine import as_asyncpg_url, make_engine, make_sessionmaker  # noqa: E402
from ledger.statistics.dimensions import Columns, group_sql, region_book, resolve_scope  # noqa: E402
from ledger.statistics.refresh import fold_pending, refresh_talent, talent_layers, vacuum_pending  # noqa: E402
from ledger.statistics.synthetic import SCALES, generate  # noqa: E402
from ledger.statistics.talent import talent_report  # noqa: E402

SHAPES: list[tuple[str, dict, tuple[str, ...]]] = [
    ("province total", {}, ()),
    ("喀什 total", {"region": "653100"}, ()),
    ("by prefecture", {}, ("prefecture",)),
    ("by prefecture × level", {}, ("prefecture", "level")),
    ("by south4", {}, ("south4",)),
    ("by occupation", {}, ("occupation",)),
    ("by gender × age band", {}, ("gender", "age_band")),
    ("兵团 by level", {"jurisdiction": "bingtuan"}, ("level",)),
    ("domicile basis by prefecture", {"basis": "domicile"}, ("prefecture",)),
    ("yearly trend", {}, ("year",)),
    ("喀什 by occupation", {"region": "653100"}, ("occupation",)),
    ("疏附县 by gender × age band", {"region": "653121"}, ("gender", "age_band")),
    ("by county × level", {}, ("region", "level")),
    ("by county × gender", {}, ("region", "gender")),
    ("by occupation × gender", {}, ("occupation", "gender")),
    ("喀什 by occupation × age band", {"region": "653100"}, ("occupation", "age_band")),
    ("by prefecture × occupation × gender", {}, ("prefecture", "occupation", "gender")),
    ("without baseline, by level", {"include_baseline": False}, ("level",)),
]


# 10,000 new persons, each with a trainee row, a completion and a skill certificate at a demo institution: one
# institution and one day ($2 = false), or a hashed institution and day over 2021–2025 ($2 = true).
_NEW_HOLDERS = """
CREATE TEMP TABLE bench_new ON COMMIT DROP AS
WITH inst AS (SELECT array_agg(id ORDER BY id) AS ids FROM institutions WHERE code LIKE 'DEMO-%'),
p AS (
    INSERT INTO persons (id_lookup, id_masked, name, name_key, sex, birth_date)
    SELECT sha256(('bench-refresh-' || g)::bytea), '650102********0000', '测' || g, '测' || g,
           CASE WHEN g % 2 = 0 THEN 'M' ELSE 'F' END, make_date(1966, 1, 1) + (g * 37 % 14000)
    FROM generate_series(1, $1) g RETURNING id
)
SELECT p.id AS person_id, row_number() OVER (ORDER BY p.id) AS n,
       CASE WHEN $2 THEN inst.ids[1 + abs(hashint8(p.id)) % cardinality(inst.ids)] ELSE inst.ids[1] END
         AS institution_id,
       CASE WHEN $2 THEN 2021 + abs(hashint8(p.id * 3)) % 5 ELSE 2025 END AS year,
       CASE WHEN $2 THEN abs(hashint8(p.id * 5)) % 360 ELSE 100 END AS day,
       3 + abs(hashint8(p.id * 7)) % 3 AS level
FROM p CROSS JOIN inst;
INSERT INTO trainees (id, institution_id, person_id, name, domicile_region_code)
SELECT gen_random_uuid(), b.institution_id, b.person_id, '测', i.region_code
FROM bench_new b JOIN institutions i ON i.id = b.institution_id;
WITH made AS (
    INSERT INTO completions (course_id, trainee_id, completed_on, hours, passed)
    SELECT c.id, t.id, make_date(b.year, 1, 1) + b.day::int, c.hours, true
    FROM bench_new b
    JOIN courses c ON c.institution_id = b.institution_id AND c.code LIKE 'D' || b.year || '-%-' || b.level
                  AND c.occupation_code = (SELECT min(code) FROM occupations)
    JOIN trainees t ON t.person_id = b.person_id AND t.institution_id = b.institution_id
    RETURNING id, course_id, trainee_id, completed_on
)
INSERT INTO certificates (kind, number, verification_code, status_index, institution_id, course_id, completion_id,
                          person_id, occupation_code, level, issued_on, template_version, snapshot)
SELECT 'skill_level',
       'S000065' || i.site_code || to_char(m.completed_on, 'YY') || co.target_level
         || lpad((900000 + row_number() OVER (PARTITION BY i.site_code, to_char(m.completed_on, 'YY'),
                                                           co.target_level ORDER BY m.id))::text, 6, '0'),
       upper(translate(substr(md5('bench-refresh' || m.id), 1, 16), '0189', 'wxyz')),
       base.n + row_number() OVER (ORDER BY m.id), co.institution_id, co.id, m.id, t.person_id, co.occupation_code,
       co.target_level, m.completed_on, 'bench', '{}'::jsonb
FROM made m JOIN courses co ON co.id = m.course_id JOIN trainees t ON t.id = m.trainee_id
JOIN institutions i ON i.id = co.institution_id
CROSS JOIN (SELECT coalesce(max(status_index), 0) AS n FROM certificates) base
"""


async def refresh_costs(sessions: Any, persons: int = 10_000) -> None:
    """Seconds of `refresh_talent` for `persons` persons in three situations, each rolled back."""
    async with sessions() as session:
        conn = await driver(session)
        ids = [r[0] for r in await conn.fetch(
            "SELECT id FROM persons WHERE id IN (SELECT person_id FROM certificates) ORDER BY hashint8(id) LIMIT $1",
            persons)]  # fmt: skip
        started = time.perf_counter()
        await refresh_talent(session, ids)
        took = time.perf_counter() - started
        print(f"refresh_talent, {len(ids):,} unchanged persons: {took:.3f} s ({took / len(ids) * 1000:.3f} ms each)")
        await session.rollback()
    for label, scattered in (("one institution, one day", False), ("scattered institutions and days", True)):
        async with sessions() as session:
            conn = await driver(session)
            for statement in _NEW_HOLDERS.split(";\n"):
                await conn.execute(statement, *(() if "$1" not in statement else (persons, scattered)))
            ids = [r[0] for r in await conn.fetch("SELECT person_id FROM bench_new")]
            made = await conn.fetchval("SELECT count(*) FROM certificates WHERE template_version = 'bench'")
            started = time.perf_counter()
            await refresh_talent(session, ids)
            took = time.perf_counter() - started
            print(
                f"refresh_talent, {len(ids):,} new persons ({made:,} certificates, {label}): "
                f"{took:.3f} s ({took / len(ids) * 1000:.3f} ms each, load average {os.getloadavg()[0]:.1f})"
            )
            pending = await conn.fetchval("SELECT count(*) FROM talent_pending")
            book = await region_book(session)
            scope = resolve_scope(book, "650000")
            as_of = dt.date(2025, 12, 31)
            unfolded = await talent_report(session, book, scope, as_of, ("prefecture",))
            started = time.perf_counter()
            while await fold_pending(session):
                pass
            folding = time.perf_counter() - started
            print(
                f"  fold_pending of their {pending:,} pending rows (off the write path): {folding:.3f} s "
                f"({folding / len(ids) * 1000:.3f} ms a person, load average {os.getloadavg()[0]:.1f})"
            )
            folded = await talent_report(session, book, scope, as_of, ("prefecture",))
            assert folded.rows == unfolded.rows and folded.total == unfolded.total
            assert folded.total["talent"] == await spells_scan(session, scope, as_of, ())
            await session.rollback()


async def spells_scan(session: Any, scope: Any, as_of: dt.date, dims: tuple[str, ...]) -> int:
    """The baseline: the same ledger total counted straight from the spells covering `as_of` (grouped like the
    query, so the database does the same grouping work), without the rollup."""
    column = "region_code" if scope.basis == "institution" else "domicile_code"
    groups = group_sql([d for d in dims if d != "year"],
                       Columns(region=f"s.{column}", level="s.level", occupation="s.occupation_code", sex="s.sex",
                               birth_year="s.birth_year"), as_of.year, scope.age_bands)  # fmt: skip
    rows = await (await driver(session)).fetch(
        f"""
        SELECT {", ".join([*groups, ""])} count(*) AS n
        FROM talent_spells s LEFT JOIN regions rg ON rg.code = s.{column}
        WHERE s.valid_from <= $1 AND (s.valid_to IS NULL OR s.valid_to > $1) AND s.layer = ANY($5::text[])
          AND (s.{column} = ANY($2::text[]) OR ($3 AND s.{column} = '')) AND ($4 = 'all' OR s.jurisdiction = $4)
        {f"GROUP BY {', '.join(str(i + 1) for i in range(len(groups)))}" if groups else ""}""",
        as_of,
        list(scope.region_codes),
        scope.whole_province,
        scope.jurisdiction,
        talent_layers(scope.include_baseline),
    )
    return sum(r["n"] for r in rows)


async def main(url: str, load: str | None, rounds: int, refresh: bool, scan_rounds: int) -> None:
    engine = make_engine(as_asyncpg_url(url), pool_size=2)
    sessions = make_sessionmaker(engine)
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
    if load:
        started = time.perf_counter()
        async with sessions() as session:
            await generate(session, SCALES[load])
            await session.commit()
        print(f"load ({load}): {time.perf_counter() - started:.1f} s")
    if refresh:
        await refresh_costs(sessions)
        await vacuum_pending(engine)  # what the server's folder does after a fold (the rolled-back rows are dead)
    async with sessions() as session:
        book = await region_book(session)
        counts = await (await driver(session)).fetchrow(
            "SELECT (SELECT count(*) FROM persons), (SELECT count(*) FROM certificates), "
            "(SELECT count(*) FROM completions), (SELECT count(*) FROM talent_cells) + "
            "(SELECT count(*) FROM talent_days), pg_total_relation_size('talent_cells') + "
            "pg_total_relation_size('talent_days'), pg_total_relation_size('talent_spells')"
        )
        print(
            f"persons {counts[0]:,}  certificates {counts[1]:,}  completions {counts[2]:,}  rollup rows {counts[3]:,}"
            f"  rollup {counts[4] / 2**20:,.0f} MiB ({counts[4] / max(counts[0], 1):,.0f} B/person)"
            f"  spells {counts[5] / 2**20:,.0f} MiB  load average {os.getloadavg()[0]:.1f}"
        )
        rng = random.Random(7)
        print(f"{'shape':40} {'p50 ms':>8} {'p95 ms':>8} {'scan p50':>9} {'ratio':>7}  load")
        for name, params, dims in SHAPES:
            scope = resolve_scope(book, "650000", **params)
            times, scans = [], []
            for i in range(rounds + 3):
                as_of = dt.date(2021, 1, 1) + dt.timedelta(days=rng.randrange(0, 5 * 365))
                started = time.perf_counter()
                report = await talent_report(session, book, scope, as_of, dims)
                if i >= 3:
                    times.append((time.perf_counter() - started) * 1000)
                if i >= 3 and i % max(1, rounds // scan_rounds) == 0:
                    started = time.perf_counter()
                    scanned = await spells_scan(session, scope, as_of, dims)
                    scans.append((time.perf_counter() - started) * 1000)
                    assert scanned == report.total["talent"], (name, as_of)  # no aggregate baseline here
            times.sort()
            p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
            p50, scan = statistics.median(times), statistics.median(scans)
            print(f"{name:40} {p50:8.1f} {p95:8.1f} {scan:9.1f} {scan / p50:6.0f}×  {os.getloadavg()[0]:4.1f}"
                  f"  (total {report.total['talent']:,})")  # fmt: skip
        await session.rollback()
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--load", choices=sorted(SCALES), help="generate this province first (empty database)")
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--refresh", action="store_true", help="also time refresh_talent on 10,000 persons")
    parser.add_argument("--scan-rounds", type=int, default=5, help="rounds of the spells-scan baseline per shape")
    args = parser.parse_args()
    asyncio.run(main(os.environ["LEDGER_DATABASE_URL"], args.load, args.rounds, args.refresh, args.scan_rounds))
