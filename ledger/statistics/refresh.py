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

from sqlalchemy.ext.asyncio import AsyncSession

from ledger.statistics.levels_sql import rank_sql
from ledger.store import driver

BASE_KINDS = ("skill_level", "legacy_qualification")


def counted_kinds(count_special_ability: bool = False) -> list[str]:
    return [*BASE_KINDS, "special_ability"] if count_special_ability else list(BASE_KINDS)


# The new spells of the persons in $1, counting the certificate kinds in $2.
_NEW_SPELLS = f"""
WITH RECURSIVE chain(root_id, cert_id, depth) AS (
    SELECT c.id, c.id, 0 FROM certificates c
    WHERE c.person_id = ANY($1::bigint[]) AND c.supersedes_id IS NULL AND c.kind = ANY($2::text[])
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
),
valid AS (
    SELECT s.root_id, k.person_id, s.on_date AS valid_from, s.next_on AS valid_to
    FROM states s JOIN chains k USING (root_id)
    WHERE s.status = 'valid' AND (s.next_on IS NULL OR s.next_on > s.on_date)
),
bounds AS (
    SELECT person_id, valid_from AS b FROM valid
  UNION
    SELECT person_id, valid_to FROM valid WHERE valid_to IS NOT NULL
),
pieces AS (
    SELECT person_id, b AS piece_from, lead(b) OVER (PARTITION BY person_id ORDER BY b) AS piece_to FROM bounds
),
top AS (
    SELECT DISTINCT ON (p.person_id, p.piece_from)
           p.person_id, p.piece_from, p.piece_to, k.root_id, k.level, k.region_code, k.domicile_code,
           k.jurisdiction, k.occupation_code
    FROM pieces p
    JOIN valid v ON v.person_id = p.person_id AND v.valid_from <= p.piece_from
                AND (v.valid_to IS NULL OR v.valid_to > p.piece_from)
    JOIN chains k ON k.root_id = v.root_id
    ORDER BY p.person_id, p.piece_from, k.rank DESC, k.start_on, k.root_id
)
INSERT INTO talent_spells (person_id, valid_from, valid_to, certificate_id, level, region_code, domicile_code,
                           jurisdiction, occupation_code, sex, birth_year)
SELECT t.person_id, t.piece_from, t.piece_to, t.root_id, coalesce(t.level, 0), t.region_code, t.domicile_code,
       t.jurisdiction, t.occupation_code, p.sex, extract(year FROM p.birth_date)::smallint
FROM top t JOIN persons p ON p.id = t.person_id
RETURNING valid_from, valid_to, level, region_code, domicile_code, jurisdiction, occupation_code, sex, birth_year
"""  # noqa: S608 (fixed text)

_OLD_SPELLS = """
DELETE FROM talent_spells WHERE person_id = ANY($1::bigint[])
RETURNING valid_from, valid_to, level, region_code, domicile_code, jurisdiction, occupation_code, sex, birth_year
"""


def _apply_deltas(spells_sql: str, sign: int) -> str:
    """Wrap a statement returning spells so that it also adds ±1 per spell start/end to every cube, basis and grain.
    Rows are sorted by key so that concurrent refreshes lock rollup rows in one order (no deadlock)."""
    return f"""
WITH spells AS ({spells_sql}),
moves AS (
    SELECT valid_from AS on_date, {sign} AS delta, level, region_code, domicile_code, jurisdiction,
           occupation_code, sex, birth_year FROM spells
  UNION ALL
    SELECT valid_to, {-sign}, level, region_code, domicile_code, jurisdiction, occupation_code, sex, birth_year
    FROM spells WHERE valid_to IS NOT NULL
)
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
FROM moves m
CROSS JOIN (VALUES (1::smallint), (2::smallint), (3::smallint)) AS g(cube)
CROSS JOIN (VALUES ('I'), ('D')) AS b(basis)
CROSS JOIN (VALUES ('Y'), ('M'), ('D')) AS gr(grain)
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
HAVING sum(m.delta) <> 0
ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
ON CONFLICT (cube, basis, grain, period, region_code, jurisdiction, level, occupation_code, sex, birth_year)
DO UPDATE SET persons = tc.persons + excluded.persons
"""  # noqa: S608 (fixed text)


_REMOVE = _apply_deltas(_OLD_SPELLS, -1)
_ADD = _apply_deltas(_NEW_SPELLS, +1)


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
    await conn.execute(_REMOVE, ids)
    await conn.execute(_ADD, ids, counted_kinds(count_special_ability))
