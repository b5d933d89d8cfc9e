"""Writes by COPY in pieces (ledger/database/bulk.py): as atomic as one statement, in order, and a registration
written that way — certificates under ids drawn first, committed to without being read back — audits clean."""

from __future__ import annotations

import asyncpg
import pytest

from ledger.database import bulk
from ledger.database.engine import plain_url
from ledger.log.audit import audit
from ledger.record_types import all_record_types
from tests.factories import completion
from tests.integration.conftest import World

ORIGIN = "skills-ledger.example/xinjiang"


@pytest.fixture
async def conn(database_url: str):
    connection = await asyncpg.connect(plain_url(database_url))
    await connection.execute("CREATE TABLE pieces (id bigserial PRIMARY KEY, n int NOT NULL CHECK (n <> 8))")
    try:
        yield connection
    finally:
        await connection.close()


async def test_a_write_in_pieces_keeps_every_row_in_order(conn: asyncpg.Connection, monkeypatch) -> None:
    monkeypatch.setattr(bulk, "COPY_ROWS_PER_STATEMENT", 3)
    async with conn.transaction():
        await bulk.copy_records(conn, "pieces", [(n,) for n in range(7)], ("n",))
    assert [r["n"] for r in await conn.fetch("SELECT n FROM pieces ORDER BY id")] == list(range(7))


async def test_a_write_in_pieces_is_atomic(conn: asyncpg.Connection, monkeypatch) -> None:
    """The bad row is in the third piece: the two pieces before it, already sent, are rolled back with it."""
    monkeypatch.setattr(bulk, "COPY_ROWS_PER_STATEMENT", 3)
    with pytest.raises(asyncpg.CheckViolationError):
        async with conn.transaction():
            await bulk.copy_records(conn, "pieces", [(n,) for n in range(10)], ("n",))
    assert await conn.fetchval("SELECT count(*) FROM pieces") == 0


async def test_drawn_ids_are_new_distinct_and_ascending(conn: asyncpg.Connection) -> None:
    await conn.execute("INSERT INTO pieces (n) VALUES (1)")
    ids = await bulk.draw_ids(conn, "pieces", 50)
    assert ids == sorted(set(ids)) and len(ids) == 50 and ids[0] > 1
    assert await bulk.draw_ids(conn, "pieces", 0) == []


async def test_a_registration_written_in_pieces_audits_clean(world: World, monkeypatch) -> None:
    """Certificates, awards and ledger rows in pieces of 2, the certificates' commitments computed from the rows as
    written (not read back): `ledger audit` recomputes each from the table and finds them all equal."""
    monkeypatch.setattr(bulk, "COPY_ROWS_PER_STATEMENT", 2)
    response = await world.client.post(
        "/api/v1/completions", json={"items": [completion(n) for n in range(1, 8)]}, headers=world.evaluator
    )
    assert response.status_code == 201, response.text
    rows = response.json()["rows"]
    assert all(len(r["certificates"]) == 2 for r in rows)
    url = plain_url(world.settings.database_url or "")
    conn = await asyncpg.connect(url)
    try:
        stored = await conn.fetch("SELECT verification_code, number FROM certificates ORDER BY id")
        assert await conn.fetchval("SELECT count(*) FROM dual_awards") == 7
    finally:
        await conn.close()
    answered = {c["verification_code"]: c["number"] for r in rows for c in r["certificates"]}
    assert {r["verification_code"]: r["number"] for r in stored} == answered
    result = await audit(url, ORIGIN, all_record_types())
    assert result.ok, result
