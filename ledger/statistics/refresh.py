"""Keeping the talent timeline and its rollup exact: `refresh_talent` recomputes the touched persons, set-based.

Rules (SPEC §2.1, §2.6):
- counted kinds: skill_level and legacy_qualification (+ special_ability when the setting says so);
- a reissue chain (supersedes_id → …) is one certificate, valid from the first certificate's issued_on; its status
  on a date is the latest status change (other than 'superseded') of any member effective on or before that date;
- a person is 技能人才 on T when at least one chain is valid on T; the chain with the highest rank (then the earliest
  start, then the lowest id) decides the person's level, region, domicile, jurisdiction and occupation on T.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ledger.statistics.levels_sql import rank_sql
from ledger.store import driver

BASE_KINDS = ("skill_level", "legacy_qualification")


def counted_kinds(count_special_ability: bool = False) -> list[str]:
    return [*BASE_KINDS, "special_ability"] if count_special_ability else list(BASE_KINDS)


# Step 1: every valid interval of every counted reissue chain of the persons in $1 (kinds in $2), with what the
# chain is counted under, into a scratch table (so that step 2 is planned on real row counts).
_SCRATCH = """
CREATE TEMP TABLE IF NOT EXISTS talent_valid (
    person_id bigint, root_id bigint, valid_from date, valid_to date, rank int, start_on date, level smallint,
    region_code varchar(6), domicile_code varchar(6), jurisdiction varchar(12), occupation_code varchar(10)
) ON COMMIT DROP
"""

_VALID = f"""
WITH RECURSIVE chain(root_id, cert_id, depth) AS (
    SELECT c.id, c.id, 0
    FROM unnest($1::bigint[]) AS q(person_id) JOIN certificates c ON c.person_id = q.person_id
    WHERE c.supersedes_id IS NULL AND c.kind = ANY($2::text[])
  UNION ALL
    SELECT ch.root_id, c.superseded_by_id, ch.depth + 1
    FROM chain ch JOIN certificates c ON c.id = ch.cert_id
    WHERE c.superseded_by_id IS NOT NULL
),
head AS (
    SELECT DISTINCT ON (root_id) root_id, cert_id FROM chain ORDER BY root_id, depth DESC
),
chains AS (
    SELECT h.root_id, r.issued_on AS start_on, r.person_id, c.level, {rank_sql("c.level")} AS rank,
           c.occupation_code, i.region_code, i.jurisdiction, coalesce(t.domicile_region_code, '') AS domicile_code
    FROM head h
    JOIN certificates r ON r.id = h.root_id
    JOIN certificates c ON c.id = h.cert_id
    JOIN institutions i ON i.id = c.institution_id
    LEFT JOIN trainees t ON t.person_id = c.person_id AND t.institution_id = c.institution_id
),
events AS (
    SELECT root_id, start_on AS on_date, 0::bigint AS seq, 'valid'::text AS status FROM chains
  UNION ALL
    SELECT ch.root_id, greatest(s.effective_on, k.start_on), s.id, s.status
    FROM chain ch
    JOIN chains k ON k.root_id = ch.root_id
    JOIN certificate_status_changes s ON s.certificate_id = ch.cert_id
    WHERE s.status <> 'superseded'
),
states AS (
    SELECT root_id, on_date, seq, status,
           lead(on_date) OVER (PARTITION BY root_id ORDER BY on_date, seq) AS next_on
    FROM events
)
INSERT INTO talent_valid
SELECT k.person_id, s.root_id, s.on_date, s.next_on, k.rank, k.start_on, coalesce(k.level, 0), k.region_code,
       k.domicile_code, k.jurisdiction, k.occupation_code
FROM states s JOIN chains k USING (root_id)
WHERE s.status = 'valid' AND (s.next_on IS NULL OR s.next_on > s.on_date)
"""  # noqa: S608 (fixed text)

# Step 2: cut each person's time line at every interval bound; on each piece the top chain decides. Replace the
# persons' spells by these, and move the rollup by the difference (old spells out, new spells in, netted).
_PIECES = """
bounds AS (
    SELECT person_id, valid_from AS b FROM talent_valid
  UNION
    SELECT person_id, valid_to FROM talent_valid WHERE valid_to IS NOT NULL
),
pieces AS (
    SELECT person_id, b AS piece_from, lead(b) OVER (PARTITION BY person_id ORDER BY b) AS piece_to FROM bounds
),
top AS (
    SELECT DISTINCT ON (p.person_id, p.piece_from)
           p.person_id, p.piece_from, p.piece_to, v.root_id, v.level, v.region_code, v.domicile_code,
           v.jurisdiction, v.occupation_code
    FROM pieces p
    JOIN talent_valid v ON v.person_id = p.person_id AND v.valid_from <= p.piece_from
                       AND (v.valid_to IS NULL OR v.valid_to > p.piece_from)
    ORDER BY p.person_id, p.piece_from, v.rank DESC, v.start_on, v.root_id
),
new AS (
    INSERT INTO talent_spells (person_id, valid_from, valid_to, certificate_id, level, region_code, domicile_code,
                               jurisdiction, occupation_code, sex, birth_year)
    SELECT t.person_id, t.piece_from, t.piece_to, t.root_id, t.level, t.region_code, t.domicile_code,
           t.jurisdiction, t.occupation_code, p.sex, extract(year FROM p.birth_date)::smallint
    FROM top t JOIN persons p ON p.id = t.person_id
    RETURNING valid_from, valid_to, level, region_code, domicile_code, jurisdiction, occupation_code, sex,
              birth_year
)"""

_SPELL_COLUMNS = "level, region_code, domicile_code, jurisdiction, occupation_code, sex, birth_year"

# Every spell contributes +1 on its first day and -1 on the day after its last; `moves` come from CTEs `old`
# (sign -1) and `new` (sign +1).
_MOVES = f"""
moves AS (
    SELECT valid_from AS on_date, 1 AS delta, {_SPELL_COLUMNS} FROM new
  UNION ALL
    SELECT valid_to, -1, {_SPELL_COLUMNS} FROM new WHERE valid_to IS NOT NULL
  UNION ALL
    SELECT valid_from, -1, {_SPELL_COLUMNS} FROM old
  UNION ALL
    SELECT valid_to, 1, {_SPELL_COLUMNS} FROM old WHERE valid_to IS NOT NULL
),
net AS (
    SELECT on_date, sum(delta) AS delta, {_SPELL_COLUMNS} FROM moves
    GROUP BY on_date, {_SPELL_COLUMNS} HAVING sum(delta) <> 0
)"""  # noqa: S608 (fixed text)

# Rows are sorted by key so that concurrent refreshes lock rollup rows in one order (no deadlock).
_UPSERT_CELLS = """
INSERT INTO talent_cells AS tc (cube, basis, grain, period, region_code, jurisdiction, level, occupation_code, sex,
                                birth_year, persons)
SELECT g.cube, b.basis, gr.grain,
       CASE gr.grain WHEN 'Y' THEN date_trunc('year', m.on_date)::date
                     WHEN 'M' THEN date_trunc('month', m.on_date)::date ELSE m.on_date END,
       CASE b.basis WHEN 'I' THEN m.region_code ELSE m.domicile_code END,
       m.jurisdiction, m.level,
       CASE WHEN g.cube = 2 THEN m.occupation_code ELSE '' END,
       CASE WHEN g.cube = 3 THEN m.sex ELSE '' END,
       CASE WHEN g.cube = 3 THEN m.birth_year ELSE 0 END,
       sum(m.delta)
FROM net m
CROSS JOIN (VALUES (1::smallint), (2::smallint), (3::smallint)) AS g(cube)
CROSS JOIN (VALUES ('I'), ('D')) AS b(basis)
CROSS JOIN (VALUES ('Y'), ('M'), ('D')) AS gr(grain)
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
HAVING sum(m.delta) <> 0
ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
ON CONFLICT (cube, basis, grain, period, region_code, jurisdiction, level, occupation_code, sex, birth_year)
DO UPDATE SET persons = tc.persons + excluded.persons
"""

_REFRESH = f"""
WITH old AS (
    DELETE FROM talent_spells WHERE person_id = ANY($1::bigint[])
    RETURNING valid_from, valid_to, {_SPELL_COLUMNS}
),
{_PIECES},
{_MOVES}
{_UPSERT_CELLS}
"""  # noqa: S608 (fixed text)

# A rebuild (bulk load, repair): the rollup straight from all spells.
_REBUILD_CELLS = f"""
WITH old AS (SELECT NULL::date AS valid_from, NULL::date AS valid_to, {_SPELL_COLUMNS} FROM talent_spells WHERE false),
new AS (SELECT valid_from, valid_to, {_SPELL_COLUMNS} FROM talent_spells),
{_MOVES}
{_UPSERT_CELLS}
"""  # noqa: S608 (fixed text)


async def refresh_talent(
    session: AsyncSession, person_ids: Collection[int], *, count_special_ability: bool = False
) -> None:
    """Recompute the talent timeline of `person_ids` and move the rollup by the difference. Call it in the same
    transaction, after any certificate of these persons is issued, revoked, suspended, reinstated or reissued.

    The person rows are locked (in id order) until commit, so two transactions touching one person take turns and
    the second one recomputes from the first one's committed certificates (READ COMMITTED: a fresh snapshot per
    statement). Flushes pending ORM changes first; never commits.
    """
    ids = sorted({int(p) for p in person_ids})
    if not ids:
        return
    await session.flush()
    conn = await driver(session)
    await conn.execute(
        "SELECT 1 FROM (SELECT id FROM persons WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE) locked",
        ids,
    )
    await _valid_intervals(conn, ids, count_special_ability)
    await conn.execute(_REFRESH, ids)


async def _valid_intervals(conn: Any, ids: list[int], count_special_ability: bool) -> None:
    await conn.execute(_SCRATCH)
    await conn.execute("DELETE FROM talent_valid")
    await conn.execute(_VALID, ids, counted_kinds(count_special_ability))
    await conn.execute("ANALYZE talent_valid")


async def rebuild_talent(session: AsyncSession, *, count_special_ability: bool = False, chunk: int = 100_000) -> None:
    """Recompute every person's spells and the whole rollup (bulk loads, repairs). Takes the tables' locks."""
    await session.flush()
    conn = await driver(session)
    await conn.execute("LOCK TABLE talent_spells, talent_cells IN EXCLUSIVE MODE")
    await conn.execute("TRUNCATE talent_spells, talent_cells")
    ids = [r[0] for r in await conn.fetch("SELECT DISTINCT person_id FROM certificates ORDER BY 1")]
    for offset in range(0, len(ids), chunk):
        part = ids[offset : offset + chunk]
        await _valid_intervals(conn, part, count_special_ability)
        await conn.execute(_INSERT_SPELLS)
    await conn.execute(_REBUILD_CELLS)


_INSERT_SPELLS = f"""
WITH {_PIECES}
SELECT count(*) FROM new
"""  # noqa: S608 (fixed text)
