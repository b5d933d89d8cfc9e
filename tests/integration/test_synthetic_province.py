"""The synthetic province (`ledger demo`, `bench/stats.py --load`): it drops the bulk tables' keys and indexes for
the load and must put every one of them back as it was, and its rollup must count what its spells say."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.database.engine import make_engine, make_sessionmaker, plain_url
from ledger.statistics.dimensions import region_book, resolve_scope
from ledger.statistics.refresh import rebuild_talent
from ledger.statistics.synthetic import Scale, generate
from ledger.statistics.talent import talent_rows

SCHEMA = """
SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
UNION ALL
SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()
ORDER BY 1, 2, 3
"""
# Persons per prefecture and level on a day, straight from the spells (the ledger's own layer).
FROM_SPELLS = """
SELECT coalesce(r.parent_code, s.region_code) AS prefecture, s.level, count(*) AS persons
FROM talent_spells s JOIN regions r ON r.code = s.region_code
WHERE s.valid_from <= $1 AND (s.valid_to IS NULL OR s.valid_to > $1) AND s.layer = 'B'
GROUP BY 1, 2
"""


@asynccontextmanager
async def province(database_url: str, persons: int) -> AsyncIterator[tuple[asyncpg.Connection, AsyncSession, list]]:
    """A synthetic province of `persons` generated and committed; a plain connection beside the session, and the
    schema as it was before the generation."""
    conn = await asyncpg.connect(plain_url(database_url))
    engine = make_engine(database_url, pool_size=2)
    try:
        schema = await conn.fetch(SCHEMA)
        async with make_sessionmaker(engine)() as session:
            await generate(session, Scale(persons, persons * 3, extra_certificate_share=0.31), say=lambda _: None)
            await session.commit()
            yield conn, session, schema
    finally:
        await engine.dispose()
        await conn.close()


async def test_a_synthetic_province_keeps_the_schema_and_counts_its_spells(database_url: str) -> None:
    async with province(database_url, 400) as (conn, session, schema):
        assert await conn.fetch(SCHEMA) == schema  # every key and index back, by name and definition
        counts = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM persons) p, (SELECT count(*) FROM completions) c,"
            " (SELECT count(*) FROM certificates) k, (SELECT count(*) FROM talent_days) d"
        )
        assert counts["p"] == 400 and 1_000 < counts["c"] <= 1_200 and counts["k"] >= 400 and counts["d"]
        book = await region_book(session)
        scope = resolve_scope(book, "650000", include_baseline=False)
        for day in (dt.date(2022, 3, 9), dt.date(2024, 6, 30), dt.date(2025, 12, 31)):
            rows = await talent_rows(session, book, scope, day, ("prefecture", "level"))
            got = {(v["prefecture"], v["level"]): c["talent"] for v, c in rows}
            want = {(r[0], r[1]): r[2] for r in await conn.fetch(FROM_SPELLS, day)}
            assert got == want and sum(want.values()) > 0, day


async def test_a_rebuild_puts_back_the_rollup_keys_and_leaves_the_ledger_readable(database_url: str) -> None:
    """`ledger stats rebuild` on a ledger in use: the talent tables' indexes are built after their rows, and the
    persons and certificates stay readable meanwhile (a dropped foreign key would lock them until commit)."""
    async with province(database_url, 100) as (conn, session, schema):
        # not committed yet: its locks are held (with the persons locked, its reader would wait on them forever)
        await asyncio.wait_for(rebuild_talent(session), 120)
        await conn.execute("SET lock_timeout = '2s'")
        assert await conn.fetchval("SELECT count(*) FROM persons JOIN certificates c ON c.person_id = persons.id")
        await session.commit()
        assert await conn.fetch(SCHEMA) == schema
