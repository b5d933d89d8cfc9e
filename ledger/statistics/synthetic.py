"""A synthetic province for demos and benchmarks, generated inside PostgreSQL (INSERT … SELECT generate_series).

`xinjiang`: ≈ 3.2 M persons, 9 M completions over 2021–2025 and 5 M skill certificates (≈ 20 % of persons
high-skill), institutions in every county with prefectures weighted like the real population (南疆四地州 large),
a few revocations and suspensions. Then the talent timeline and rollup are rebuilt with `rebuild_talent`
(the spell computation of the write path's `refresh_talent`, in chunks loaded with COPY, then the rollup in SQL).
Nothing here is personal data: names and lookups are synthetic.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from ledger.database.bulk import defer_keys
from ledger.database.driver import driver
from ledger.statistics.refresh import rebuild_talent


@dataclass(frozen=True, slots=True)
class Scale:
    persons: int
    completions: int
    extra_certificate_share: float  # of the completions after each person's first (which always certifies)

    def share(self, fraction: float) -> Scale:
        """The same province with `fraction` of its persons and completions."""
        if fraction >= 1:
            return self
        return Scale(max(1, int(self.persons * fraction)), max(1, int(self.completions * fraction)),
                     self.extra_certificate_share)  # fmt: skip


SCALES = {
    "xinjiang": Scale(persons=3_200_000, completions=9_000_000, extra_certificate_share=0.31),
    "small": Scale(persons=20_000, completions=56_000, extra_certificate_share=0.31),
}
SCALES["tenth"] = SCALES["xinjiang"].share(0.1)  # 0.32 M persons
SCALES["million"] = SCALES["xinjiang"].share(1 / 3.2)  # 1 M persons

# Share of skilled workers per prefecture (roughly population shares; 兵团 cities under 659000).
PREFECTURE_WEIGHTS = {
    "650100": 16, "650200": 2, "650400": 3, "650500": 3, "652300": 6, "652700": 2, "652800": 6, "652900": 10,
    "653000": 3, "653100": 18, "653200": 10, "654000": 11, "654200": 4, "654300": 3, "659000": 5,
}  # fmt: skip
INSTITUTIONS_PER_COUNTY = 2
SLOTS = 10_000
# Bulk-loaded tables: their keys and indexes are put back after the rows are in (`defer_keys`); their random keys (a
# person's id_lookup digest, a trainee's uuid) made the load write a random index page per row.
BULK_TABLES = ("persons", "trainees", "completions", "certificates")


async def generate(session: AsyncSession, scale: Scale, say: Callable[[str], None] = print) -> dict[str, float]:
    """Fill an empty ledger (reference data loaded) with a synthetic province, committed before the talent rollup
    is rebuilt; returns seconds per phase."""
    conn = await driver(session)
    timings: dict[str, float] = {}

    async def phase(name: str, sql: str, *args: object) -> None:
        started = time.perf_counter()
        await conn.execute(sql, *args)
        timings[name] = time.perf_counter() - started
        say(f"  {name}: {timings[name]:.1f} s")

    await conn.execute("SET LOCAL synchronous_commit = off")
    await conn.execute("SET LOCAL work_mem = '256MB'")
    await conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
    restore = await defer_keys(conn, BULK_TABLES)
    weights = list(PREFECTURE_WEIGHTS.items())
    await phase(
        "institutions",
        """
        INSERT INTO institutions (code, name, kind, region_code, jurisdiction, evaluator_category, filing_code,
                                  site_code)
        SELECT 'DEMO-' || r.code || '-' || n, r.name || '职业技能评价中心' || n, 'evaluator', r.code,
               coalesce(r.jurisdiction, 'zizhiqu'), 'S', '0000', r.code
        FROM regions r CROSS JOIN generate_series(1, $1) n
        WHERE r.level = 'county' AND r.code LIKE '65%'
        """,
        INSTITUTIONS_PER_COUNTY,
    )
    # A person's home institution: prefecture by weight, then evenly over that prefecture's institutions.
    await phase(
        "slots",
        """
        CREATE TEMP TABLE demo_slots ON COMMIT DROP AS
        WITH w AS (SELECT * FROM unnest($1::text[], $2::int[]) AS w(prefecture, weight)),
        cuts AS (SELECT prefecture, (sum(weight) OVER (ORDER BY prefecture) - weight) * $3 / sum(weight) OVER ()
                        AS lo, sum(weight) OVER (ORDER BY prefecture) * $3 / sum(weight) OVER () AS hi FROM w),
        inst AS (SELECT i.id, r.parent_code AS prefecture,
                        row_number() OVER (PARTITION BY r.parent_code ORDER BY i.id) - 1 AS k,
                        count(*) OVER (PARTITION BY r.parent_code) AS n
                 FROM institutions i JOIN regions r ON r.code = i.region_code WHERE i.code LIKE 'DEMO-%')
        SELECT s AS slot, inst.id AS institution_id
        FROM cuts CROSS JOIN generate_series(cuts.lo::int, cuts.hi::int - 1) s
        JOIN inst ON inst.prefecture = cuts.prefecture AND inst.k = (s - cuts.lo::int) % inst.n
        """,
        [p for p, _ in weights],
        [w for _, w in weights],
        SLOTS,
    )
    await phase(
        "courses",
        """
        INSERT INTO courses (institution_id, code, name, occupation_code, catalogue_version, target_level, outcome,
                             dual_rule, mode_tags, hours, starts_on, ends_on)
        SELECT i.id, 'D' || y || '-' || o.code || '-' || lv, o.name || lv || '级', o.code, o.catalogue_version, lv,
               'skill_level', 'none',
               CASE (i.id + lv) % 4 WHEN 0 THEN ARRAY['order']::varchar[] WHEN 1 THEN ARRAY['project']::varchar[]
                    ELSE ARRAY[]::varchar[] END,
               80 + 20 * lv, make_date(y, 1, 1), make_date(y, 12, 31)
        FROM institutions i CROSS JOIN occupations o CROSS JOIN generate_series(2021, 2025) y
        CROSS JOIN generate_series(1, 5) lv
        WHERE i.code LIKE 'DEMO-%'
        """,
    )
    await phase(
        "persons",
        """
        INSERT INTO persons (id_lookup, id_masked, name, name_key, sex, birth_date)
        SELECT sha256(('demo-person-' || g)::bytea), '650102********0000', '演示' || g, '演示' || g,
               CASE WHEN hashint4(g) % 100 < 55 THEN 'M' ELSE 'F' END,
               make_date(1965, 1, 1) + (abs(hashint4(g * 7)) % 14600)
        FROM generate_series(1, $1) g
        """,
        scale.persons,
    )
    await phase(
        "trainees",
        """
        CREATE TEMP TABLE demo_people ON COMMIT DROP AS
        SELECT p.id AS person_id, row_number() OVER (ORDER BY p.id) - 1 AS n, s.institution_id
        FROM persons p JOIN demo_slots s ON s.slot = abs(hashint8(p.id)) % $1
        WHERE p.name LIKE '演示%';
        """.replace("$1", str(SLOTS)),
    )
    await phase(
        "trainees2",
        """
        INSERT INTO trainees (id, institution_id, person_id, name, domicile_region_code)
        SELECT gen_random_uuid(), d.institution_id, d.person_id, '演示', i.region_code
        FROM demo_people d JOIN institutions i ON i.id = d.institution_id
        """,
    )
    # Completion g: person g mod N, round g div N; level skewed low; a date over 2021–2025.
    await phase(
        "completions",
        """
        CREATE TEMP TABLE demo_completions ON COMMIT DROP AS
        SELECT g, d.person_id, d.institution_id, g / $2 AS round,
               2021 + abs(hashint8(g * 3)) % 5 AS year,
               (abs(hashint8(g * 5)) % (SELECT count(*) FROM occupations)) AS occ,
               CASE WHEN abs(hashint8(g * 11)) % 1000 < 450 THEN 5 WHEN abs(hashint8(g * 11)) % 1000 < 860 THEN 4
                    WHEN abs(hashint8(g * 11)) % 1000 < 960 THEN 3 WHEN abs(hashint8(g * 11)) % 1000 < 990 THEN 2
                    ELSE 1 END AS level,
               abs(hashint8(g * 13)) % 360 AS day
        FROM generate_series(0, $1 - 1) g JOIN demo_people d ON d.n = g % $2
        """,
        scale.completions,
        scale.persons,
    )
    # One completion per person and course (the unique key is put back after the rows): a person's first draw.
    await phase(
        "completions dedupe",
        """
        DELETE FROM demo_completions x USING demo_completions y
        WHERE y.person_id = x.person_id AND y.year = x.year AND y.occ = x.occ AND y.level = x.level AND y.g < x.g
        """,
    )
    await phase(
        "completions2",
        """
        INSERT INTO completions (course_id, trainee_id, completed_on, hours, passed)
        SELECT c.id, t.id, make_date(dc.year, 1, 1) + dc.day, c.hours,
               dc.round = 0 OR abs(hashint8(dc.g * 17)) % 100 < 90
        FROM demo_completions dc
        CROSS JOIN (SELECT array_agg(code ORDER BY code) AS codes FROM occupations) o
        JOIN courses c ON c.institution_id = dc.institution_id
                      AND c.code = 'D' || dc.year || '-' || o.codes[dc.occ + 1] || '-' || dc.level
        JOIN trainees t ON t.person_id = dc.person_id AND t.institution_id = dc.institution_id
        """,
    )
    await phase(
        "certificates",
        """
        INSERT INTO certificates (kind, number, verification_code, status_index, institution_id, course_id,
                                  completion_id, person_id, occupation_code, level, issued_on, template_version,
                                  snapshot)
        SELECT 'skill_level',
               'S000065' || i.site_code || to_char(x.issued_on, 'YY') || x.level
                 || lpad((row_number() OVER (PARTITION BY i.site_code, to_char(x.issued_on, 'YY'), x.level
                                             ORDER BY x.id))::text, 6, '0'),
               upper(translate(substr(md5('demo' || x.id), 1, 16), '0189', 'wxyz')),
               base.n + row_number() OVER (ORDER BY x.id),
               x.institution_id, x.course_id, x.id, x.person_id, x.occupation_code, x.level, x.issued_on,
               'demo', '{}'::jsonb
        FROM (
            SELECT cp.id, co.institution_id, co.id AS course_id, t.person_id, co.occupation_code,
                   co.target_level AS level, cp.completed_on + (cp.id % 20)::int AS issued_on,
                   cp.id = min(cp.id) OVER (PARTITION BY cp.trainee_id) AS first
            FROM completions cp JOIN courses co ON co.id = cp.course_id JOIN trainees t ON t.id = cp.trainee_id
            WHERE co.code LIKE 'D%' AND cp.passed
        ) x JOIN institutions i ON i.id = x.institution_id
        CROSS JOIN (SELECT coalesce(max(status_index), 0) AS n FROM certificates) base
        WHERE x.first OR abs(hashint8(x.id * 19)) % 1000 < $1
        """,
        int(scale.extra_certificate_share * 1000),
    )
    await phase(
        "status_changes",
        """
        WITH picked AS (
            SELECT id, issued_on, CASE WHEN abs(hashint8(id * 23)) % 1000 < 3 THEN 'suspended' ELSE 'revoked' END
                   AS status
            FROM certificates WHERE template_version = 'demo' AND abs(hashint8(id * 23)) % 1000 < 8
        ), changed AS (
            INSERT INTO certificate_status_changes (certificate_id, status, reason, effective_on)
            SELECT id, status, '演示', issued_on + 100 + (id % 300)::int FROM picked RETURNING certificate_id, status
        )
        UPDATE certificates c SET status = changed.status FROM changed WHERE c.id = changed.certificate_id
        """,
    )
    started = time.perf_counter()
    for statement in restore:
        await conn.execute(statement)
    timings["indexes and keys"] = time.perf_counter() - started
    say(f"  indexes and keys: {timings['indexes and keys']:.1f} s")
    # The planner's statistics of the bulk tables, as autovacuum would take them (where it runs): without them a
    # refresh's `person_id = ANY(10,000 ids)` is planned as a scan of every certificate and trainee.
    await phase("analyze", "ANALYZE persons, trainees, completions, certificates, certificate_status_changes, "
                           "institutions, courses")  # fmt: skip
    await session.commit()  # the rebuild reads what is committed (a chunk ahead, on a connection of its own)
    started = time.perf_counter()
    await rebuild_talent(session, say=say)
    timings["talent rollup"] = time.perf_counter() - started
    say(f"  talent rollup (rebuild_talent): {timings['talent rollup']:.1f} s")
    return timings
