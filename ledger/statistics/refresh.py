"""Keeping the talent timeline and its rollup exact: `refresh_talent` recomputes the touched persons.

It reads the persons' certificates, status changes and stored spells in four set-based queries, computes the
spells in Python (`spells.person_spells`), and for the persons whose spells changed replaces them (one DELETE, one
COPY) and appends the rollup's moves, netted per cell at the recorded region and day, to `talent_pending` (one
COPY). A person whose spells did not change costs no write at all.

The rollup itself is moved later, off the write path, by `fold_pending` (the job workers call it when idle): it
takes pending rows, adds them to the cells' month arrays at both grains and to the day rows with one upsert each,
and deletes them, in one transaction. A talent query adds the pending rows that remain, so the figures are exact
whenever they are read (like the pending list of a GIN index). Appending costs a refresh no lock on a rollup row,
so concurrent imports no longer wait on the province's busiest cells.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import defaultdict
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from ledger.database.bulk import defer_keys
from ledger.database.driver import driver
from ledger.statistics.spells import CertificateFacts, Spell, person_spells
from ledger.statistics.tables import (
    BASES,
    CELL_FIELDS,
    CUBE_KEEPS,
    GRAIN_PREFECTURE,
    GRAIN_REGION,
    SHIFT,
    cell_key,
    cell_key_sql,
    cell_values_sql,
    field_mask,
)

LEGACY = "legacy_qualification"  # imported pre-ledger certificates: the person-by-person baseline
COUNTED_KINDS = ("skill_level", LEGACY)  # 专项职业能力证书 (special_ability) never counts: docs/configuration.md
SPELL_COLUMNS = ("person_id", "valid_from", "valid_to", "certificate_id", "level", "region_code", "domicile_code",
                 "jurisdiction", "occupation_code", "sex", "birth_year", "layer")  # fmt: skip

_NO_DAY = dt.date.min


def talent_layers(include_baseline: bool) -> list[str]:
    """The spell / rollup layers a report reads (spells.py): with or without the legacy certificates."""
    return ["B", "A"] if include_baseline else ["B", "L"]


def month_index(day: dt.date) -> int:
    """Months counted from year 0: the index `talent_months.first_month` and the query use."""
    return day.year * 12 + day.month - 1


_LOCK_PERSONS = """
SELECT id, sex, extract(year FROM birth_date)::int AS birth_year
FROM persons WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE
"""

# Counted originals and every reissue (a chain's members), with what each is counted under.
_HELD = """
SELECT c.id, c.person_id, c.kind, c.supersedes_id, c.superseded_by_id, c.issued_on, c.level, c.occupation_code,
       i.region_code, i.jurisdiction, coalesce(t.domicile_region_code, '') AS domicile_code
FROM certificates c
JOIN institutions i ON i.id = c.institution_id
LEFT JOIN trainees t ON t.person_id = c.person_id AND t.institution_id = c.institution_id
WHERE {persons} AND (c.kind = ANY($2::text[]) OR c.supersedes_id IS NOT NULL)
"""
_CERTIFICATES = _HELD.format(persons="c.person_id = ANY($1::bigint[])")
# A rebuild's chunk is a range of person ids: one range scan of the person index, not one probe per person.
_CERTIFICATES_IN_RANGE = _HELD.format(persons="c.person_id BETWEEN ($1::bigint[])[1] AND ($1::bigint[])[2]")

_CHANGES = """
SELECT certificate_id, effective_on, id, status FROM certificate_status_changes
WHERE certificate_id = ANY($1::bigint[]) AND status <> 'superseded'
"""

_STORED_SPELLS = f"""
SELECT {", ".join(SPELL_COLUMNS)} FROM talent_spells WHERE person_id = ANY($1::bigint[])
"""  # noqa: S608 (fixed text)

_CELL_COLUMNS = ", ".join(CELL_FIELDS)
_DECODED = cell_values_sql("k.cell")

# A fold writes in key order (sorted in Python, kept by ORDER BY ordinality); folds take turns (an advisory lock),
# and nothing else writes these rows but a rebuild, which locks the tables. The keys come packed (`cell_key`) and
# a new cell's values are decoded from its key.
_UPSERT_CELLS = f"""
INSERT INTO talent_cells AS t (cube, cell, {_CELL_COLUMNS}, first_month, stock)
SELECT k.cube, k.cell, {", ".join(_DECODED[f] for f in CELL_FIELDS)}, k.f, k.s::int[]
FROM unnest($1::smallint[], $2::bigint[], $3::int[], $4::text[]) WITH ORDINALITY AS k(cube, cell, f, s, n)
ORDER BY k.n
ON CONFLICT (cube, cell) DO UPDATE
SET first_month = least(t.first_month, excluded.first_month),
    stock = talent_stock_add(t.first_month, t.stock, excluded.first_month, excluded.stock)
"""  # noqa: S608 (fixed text)

_UPSERT_DAYS = """
INSERT INTO talent_days AS t (cube, day, cell, persons)
SELECT k.cube, k.day, k.cell, k.persons
FROM unnest($1::smallint[], $2::date[], $3::bigint[], $4::int[]) WITH ORDINALITY AS k(cube, day, cell, persons, n)
ORDER BY k.n
ON CONFLICT (cube, day, cell) DO UPDATE SET persons = t.persons + excluded.persons
"""

PENDING_COLUMNS = ("cube", "day", "cell", "persons")
FOLD_LOCK = 0x74616C656E74  # pg advisory lock key of the fold ('talent')
_TAKE_PENDING = """
DELETE FROM talent_pending WHERE ctid = ANY(ARRAY(SELECT ctid FROM talent_pending LIMIT $1))
RETURNING cube, day, cell, persons
"""


async def refresh_talent(session: AsyncSession, person_ids: Collection[int]) -> None:
    """Recompute the talent timeline of `person_ids` and move the rollup by the difference. Call it in the same
    transaction, after any certificate of these persons is issued, revoked, suspended, reinstated or reissued.

    The person rows are locked (in id order) until commit, so two transactions touching one person take turns and
    the second one recomputes from the first one's committed certificates (READ COMMITTED: a fresh snapshot per
    statement, and the reads below come after the lock). Flushes pending ORM changes first; never commits.
    """
    ids = sorted({int(p) for p in person_ids})
    if not ids:
        return
    await session.flush()
    conn = await driver(session)
    people = await conn.fetch(_LOCK_PERSONS, ids)
    new = await _compute(conn, people, list(COUNTED_KINDS))
    stored: dict[int, list[Spell]] = defaultdict(list)
    for r in await conn.fetch(_STORED_SPELLS, ids):
        stored[r[0]].append(Spell(*r))
    changed = [p for p in ids if sorted(stored.get(p, ()), key=_order) != sorted(new.get(p, ()), key=_order)]
    if not changed:
        return
    old_spells = [s for p in changed for s in stored.get(p, ())]
    new_spells = [s for p in changed for s in new.get(p, ())]
    if old_spells:
        await conn.execute("DELETE FROM talent_spells WHERE person_id = ANY($1::bigint[])",
                           [p for p in changed if p in stored])  # fmt: skip
    if new_spells:
        await conn.copy_records_to_table("talent_spells", records=new_spells, columns=SPELL_COLUMNS)
    pending = _pending_moves([(s, -1) for s in old_spells] + [(s, 1) for s in new_spells])
    if pending:
        await conn.copy_records_to_table("talent_pending", records=pending, columns=PENDING_COLUMNS)


def _order(s: Spell) -> tuple:
    return (s.layer, s.valid_from, s.certificate_id)


Facts = tuple[dict[int, list[CertificateFacts]], dict[int, list[tuple[dt.date, int, str]]]]


async def _facts(conn: Any, ids: list[int], kinds: list[str], *, every_in_range: bool = False) -> Facts:
    """The persons' counted certificates and their status changes. `every_in_range`: the persons are every person
    whose id lies between the first's and the last's (a rebuild's chunk)."""
    query = (_CERTIFICATES_IN_RANGE, [min(ids), max(ids)]) if every_in_range and ids else (_CERTIFICATES, ids)
    certificates: dict[int, list[CertificateFacts]] = defaultdict(list)
    for r in await conn.fetch(*query, kinds):
        certificates[r[1]].append(CertificateFacts(*r))
    changes: dict[int, list[tuple[dt.date, int, str]]] = defaultdict(list)
    certificate_ids = [c.id for held in certificates.values() for c in held]
    if certificate_ids:
        for r in await conn.fetch(_CHANGES, certificate_ids):
            changes[r[0]].append((r[1], r[2], r[3]))
    return certificates, changes


def _spells_of(people: Iterable[Any], facts: Facts, kinds: list[str]) -> dict[int, list[Spell]]:
    """The spells the persons' certificates give (persons as (id, sex, birth_year) rows)."""
    certificates, changes = facts
    ledger_kinds = [k for k in kinds if k != LEGACY]
    out: dict[int, list[Spell]] = {}
    for pid, sex, birth_year in people:
        held = certificates.get(pid)
        if not held:
            continue
        if any(c.kind == LEGACY for c in held):
            out[pid] = [*person_spells(pid, sex, birth_year, held, changes, kinds, "A"),
                        *person_spells(pid, sex, birth_year, held, changes, ledger_kinds, "L")]  # fmt: skip
        else:
            out[pid] = person_spells(pid, sex, birth_year, held, changes, kinds)
    return out


async def _compute(conn: Any, people: Iterable[Any], kinds: list[str]) -> dict[int, list[Spell]]:
    """The spells the persons' certificates give now (persons as (id, sex, birth_year) rows)."""
    people = list(people)
    return _spells_of(people, await _facts(conn, [p[0] for p in people], kinds), kinds)


_PREFECTURES = """
SELECT code::bigint, parent_code::bigint FROM regions
WHERE level = 'county' AND parent_code IS NOT NULL AND code ~ '^[0-9]+$' AND parent_code ~ '^[0-9]+$'
"""
_REGION_MASK = field_mask("region_code")
# A cube's cells keep some of (occupation, sex, birth year); a value not kept is packed as 0, so a cube's key is
# the full key with those bits cleared.
_CUBE_MASKS = tuple(
    (cube, ~sum(field_mask(f) for f, kept in (("occupation_code", "occupation"), ("sex", "sex"),
                                              ("birth_year", "birth_year")) if kept not in keeps))
    for cube, keeps in CUBE_KEEPS.items()
)  # fmt: skip


def _pending_moves(moves: list[tuple[Spell, int]]) -> list[tuple[int, dt.date, int, int]]:
    """Each spell's +1 on its first day and −1 on the day after its last (times its sign), netted per rollup cell
    at the recorded region and day: the rows a refresh appends to `talent_pending`."""
    netted: dict[tuple[Spell, dt.date], int] = defaultdict(int)
    for spell, sign in moves:
        what = spell._replace(person_id=0, valid_from=_NO_DAY, valid_to=None, certificate_id=0)
        netted[(what, spell.valid_from)] += sign
        if spell.valid_to is not None:
            netted[(what, spell.valid_to)] -= sign
    rows: dict[tuple[int, dt.date, int], int] = defaultdict(int)
    for (what, day), n in netted.items():
        if not n:
            continue
        place = cell_key({"layer": what.layer, "region_code": "", "jurisdiction": what.jurisdiction,
                          "level": what.level, "occupation_code": what.occupation_code, "sex": what.sex,
                          "birth_year": what.birth_year})  # fmt: skip
        for offset, region in ((BASES["I"], what.region_code), (BASES["D"], what.domicile_code)):
            full = place | (int(region or 0) << SHIFT["region_code"])
            for cube, mask in _CUBE_MASKS:
                rows[(offset + GRAIN_REGION + cube, day, full & mask)] += n
    return [(cube, day, cell, n) for (cube, day, cell), n in rows.items() if n]


async def fold_pending(session: AsyncSession, limit: int = 200_000) -> int:
    """Move up to `limit` of the refreshes' pending rows into the rollup (their day rows and the month arrays of
    their cells at both grains), in this transaction; returns how many rows it took (0 if another fold is
    running). The figures read the same before and after: a query adds the pending rows itself."""
    conn = await driver(session)
    if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", FOLD_LOCK):
        return 0
    taken = await conn.fetch(_TAKE_PENDING, limit)
    if not taken:
        return 0
    prefecture = {r[0]: r[1] for r in await conn.fetch(_PREFECTURES)}
    days: dict[tuple[int, dt.date, int], int] = defaultdict(int)
    for cube, day, cell, n in taken:
        days[(cube, day, cell)] += n
    days = {key: n for key, n in days.items() if n}
    months: dict[tuple[int, int], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for (cube, day, cell), n in days.items():
        region = (cell & _REGION_MASK) >> SHIFT["region_code"]
        up = prefecture.get(region, region)
        m = month_index(day)
        months[(cube, cell)][m] += n  # every cell with a day row gets its month array moved (perhaps by zeros)
        months[(cube + GRAIN_PREFECTURE, (cell & ~_REGION_MASK) | (up << SHIFT["region_code"]))][m] += n
    cells: list[tuple[int, int, int, str]] = []
    for (cube, cell), by_month in sorted(months.items()):
        first, last = min(by_month), max(by_month)
        running, stock = 0, []
        for m in range(first, last + 1):
            running += by_month.get(m, 0)
            stock.append(running)
        cells.append((cube, cell, first, "{" + ",".join(map(str, stock)) + "}"))
    await conn.execute(_UPSERT_CELLS, *_columns(cells, 4))
    day_rows = sorted((cube, day, cell, n) for (cube, day, cell), n in days.items())
    await conn.execute(_UPSERT_DAYS, *_columns(day_rows, 4))
    return len(taken)


async def vacuum_pending(engine: AsyncEngine) -> None:
    """VACUUM `talent_pending`, outside a transaction. Folded rows (and those of rolled-back refreshes) stay in the
    table as dead rows until vacuumed, and a talent query reads the whole table: the folder does not rely on
    autovacuum, which may be off. A role that does not own the table gets PostgreSQL's warning, and nothing is done."""
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.exec_driver_sql("VACUUM talent_pending")


def _columns(rows: list[tuple], width: int) -> list[list[Any]]:
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]


# A rebuild (bulk load, repair): spells of every person in chunks, then the rollup from all spells in SQL, keyed
# by the packed cell key (one bigint to group and sort on), written to the rollup tables in their key order, which
# the primary keys then take as appends; the months staged in a temporary table (no WAL).
_SPELL_KEY = cell_key_sql({
    "layer": "s.layer", "region_code": "(CASE WHEN $2::text = 'I' THEN s.region_code ELSE s.domicile_code END)",
    "jurisdiction": "s.jurisdiction", "level": "s.level", "occupation_code": "s.occupation_code", "sex": "s.sex",
    "birth_year": "s.birth_year",
})  # fmt: skip
_REGION = f"((cell >> {SHIFT['region_code']}) & {(1 << (SHIFT['layer'] - SHIFT['region_code'])) - 1})"

# One cube's day rows: each spell's moves (+1 on its first day, −1 on the day after its last) in the cell they count
# in, summed per day and cell in one sort, which is the table's key order within the cube. The spell's full key on
# the basis ($2) is computed once per spell (OFFSET 0 keeps the subquery from being folded into the moves), the
# cube's key is that key masked ($3). A cube at a time (≈ 4 M moves at provincial scale: 8 sorts of a few runs cost
# less than one of 33 M moves; at 256 MB of work_mem rather than 1 GB, which was slower); the cubes go in ascending
# order, so the rows reach the table in its key order and its primary key, built after them, takes them as appends.
_WRITE_CUBE_DAYS = f"""
INSERT INTO talent_days (cube, day, cell, persons)
SELECT $1::smallint, m.day, s.key & $3::bigint, sum(m.delta)::int
FROM (SELECT {_SPELL_KEY} AS key, s.valid_from, s.valid_to FROM talent_spells s OFFSET 0) s
CROSS JOIN LATERAL (VALUES (s.valid_from, 1), (s.valid_to, -1)) AS m(day, delta)
WHERE m.day IS NOT NULL
GROUP BY 2, 3
HAVING sum(m.delta) <> 0
ORDER BY 2, 3
"""  # noqa: S608 (fixed text)
# (cube number, basis, mask) in ascending cube order
_DAY_CUBES = tuple(sorted((BASES[basis] + GRAIN_REGION + cube, basis, mask) for basis in BASES
                          for cube, mask in _CUBE_MASKS))  # fmt: skip

# Then the month deltas per cell from the day rows (date_part, a float, rather than extract, a numeric: a fifth less
# time over 25 M day rows), the prefecture cells' months as their counties' added up, and each cell's month array:
# one text segment per month with a change, repeated until the next one.
_STAGE_MONTHS = """
CREATE TEMP TABLE rollup_months ON COMMIT DROP AS
SELECT cube, cell, (date_part('year', day) * 12 + date_part('month', day) - 1)::int AS m, sum(persons)::int AS delta
FROM talent_days GROUP BY 1, 2, 3
"""

_STAGE_PREFECTURE_MONTHS = f"""
INSERT INTO rollup_months (cube, cell, m, delta)
SELECT x.cube + {GRAIN_PREFECTURE}, x.cell + ((coalesce(p.prefecture, x.region) - x.region) << {SHIFT["region_code"]}),
       x.m, sum(x.delta)
FROM (SELECT cube, cell, {_REGION} AS region, m, delta FROM rollup_months) x
LEFT JOIN (SELECT code::bigint AS county, parent_code::bigint AS prefecture FROM regions
           WHERE level = 'county' AND parent_code IS NOT NULL) p ON p.county = x.region
GROUP BY 1, 2, 3
"""  # noqa: S608 (fixed text)

_VALUES = cell_values_sql("cell")
_WRITE_CELLS = f"""
WITH running AS (
    SELECT cube, cell, m, sum(delta) OVER w AS stock, lead(m) OVER w AS next_m,
           min(m) OVER (PARTITION BY cube, cell) AS first_month
    FROM rollup_months
    WINDOW w AS (PARTITION BY cube, cell ORDER BY m)
)
INSERT INTO talent_cells (cube, cell, {_CELL_COLUMNS}, first_month, stock)
SELECT cube, cell, {", ".join(_VALUES[f] for f in CELL_FIELDS)}, first_month,
       ('{{' || string_agg(rtrim(repeat(stock::text || ',', coalesce(next_m - m, 1)), ','), ',' ORDER BY m)
        || '}}')::int[]
FROM running
GROUP BY cube, cell, first_month
ORDER BY cube, cell
"""  # noqa: S608 (fixed text)


REBUILD_CELLS = (_STAGE_MONTHS, _STAGE_PREFECTURE_MONTHS, _WRITE_CELLS, "DROP TABLE rollup_months",
                 "ANALYZE talent_days", "ANALYZE talent_cells")  # fmt: skip


async def _lock_rollup(conn: Any) -> None:
    """A rebuild's locks: first the fold's (it waits for a running fold, and later folds take nothing), then the
    tables, so a fold (pending, then cells and days) and a rebuild never wait on each other in a cycle."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", FOLD_LOCK)
    await conn.execute("LOCK TABLE talent_spells, talent_cells, talent_days, talent_pending IN EXCLUSIVE MODE")


_PERSONS_AFTER = "SELECT id, sex, extract(year FROM birth_date)::int FROM persons WHERE id > $1 ORDER BY id LIMIT $2"


async def rebuild_talent(
    session: AsyncSession,
    *,
    chunk: int = 100_000,
    say: Any = None,
) -> None:
    """Recompute every person's spells and the whole rollup (bulk loads, repairs). Takes the tables' locks.

    The persons and their certificates are read through a second connection of the session's engine, a chunk ahead
    of the one being computed and written, so PostgreSQL reads while Python computes: it sees what is committed,
    so commit what the rebuild must count first."""
    await session.flush()
    conn = await driver(session)
    kinds = list(COUNTED_KINDS)
    await _lock_rollup(conn)
    await conn.execute("TRUNCATE talent_spells, talent_cells, talent_days, talent_pending")
    await conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
    # its key and indexes built once it is full (3.7 M rows at provincial scale); it has no foreign keys to drop
    # (migration 0012), and none may be dropped here: that would lock the persons and certificates against every
    # reader, the rebuild's own reader too, until commit
    restore = await defer_keys(conn, ["talent_spells"], foreign_keys=False)
    started = time.perf_counter()
    if not isinstance(session.bind, AsyncEngine):
        raise TypeError("rebuild_talent reads on a second connection: give it a session bound to an engine")
    async with AsyncSession(session.bind) as side:
        reader = await driver(side)

        async def read(after: int) -> tuple[list[Any], Facts]:
            people = await reader.fetch(_PERSONS_AFTER, after, chunk)
            ids = [p[0] for p in people]
            return people, (await _facts(reader, ids, kinds, every_in_range=True) if ids else ({}, {}))

        ahead = asyncio.ensure_future(read(0))
        try:
            while True:
                people, facts = await ahead
                if not people:
                    break
                ahead = asyncio.ensure_future(read(people[-1][0]))
                await asyncio.sleep(0)  # the next chunk's query is sent before this one's spells are computed
                spells = [s for held in _spells_of(people, facts, kinds).values() for s in held]
                await conn.copy_records_to_table("talent_spells", records=spells, columns=SPELL_COLUMNS)
                if say is not None:
                    say(f"    spells up to person {people[-1][0]:,} ({time.perf_counter() - started:.1f} s)")
        finally:
            ahead.cancel()  # after an error: the read in flight ends before its connection goes back
            await asyncio.gather(ahead, return_exceptions=True)
    for statement in restore:
        await conn.execute(statement)
    await conn.execute("ANALYZE talent_spells")
    spelled = time.perf_counter()
    await rebuild_rollup(session)
    if say is not None:
        say(f"    spells {spelled - started:.1f} s, rollup {time.perf_counter() - spelled:.1f} s")


async def rebuild_rollup(session: AsyncSession) -> None:
    """Recompute the rollup from the stored spells (after a change of the rollup's shape, or of the regions)."""
    conn = await driver(session)
    await _lock_rollup(conn)
    await conn.execute("TRUNCATE talent_cells, talent_days, talent_pending")  # the spells hold what was pending
    await conn.execute("SET LOCAL work_mem = '256MB'")
    await conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
    # the day rows' key is built after them (one sort of rows already in its order), not row by row
    restore = await defer_keys(conn, ["talent_days"])
    await conn.execute("SET LOCAL enable_hashagg = off")  # one sort that is also the key's order: _WRITE_CUBE_DAYS
    for cube, basis, mask in _DAY_CUBES:
        await conn.execute(_WRITE_CUBE_DAYS, cube, basis, mask)
    await conn.execute("RESET enable_hashagg")
    for statement in [*restore, *REBUILD_CELLS]:
        await conn.execute(statement)


_ROLLUP_MISSING = """
SELECT EXISTS (SELECT 1 FROM certificates WHERE kind = ANY($1::text[])) AND NOT EXISTS (SELECT 1 FROM talent_days)
       AND NOT EXISTS (SELECT 1 FROM talent_pending)
"""


async def rollup_missing(session: AsyncSession) -> bool:
    """Counted certificates exist but the rollup is empty (after an upgrade that emptied it): the talent figures
    read zero until `ledger stats rebuild` runs."""
    return bool(await (await driver(session)).fetchval(_ROLLUP_MISSING, list(COUNTED_KINDS)))
