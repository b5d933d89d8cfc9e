"""The Merkle log in PostgreSQL: same-transaction appends, dense positions, proofs checked independently,
signed checkpoints, append-only tables, and `ledger audit` catching tampering done as the superuser."""

from __future__ import annotations

import asyncio
import base64
import random

import asyncpg
import pytest

from ledger.database.engine import make_engine, make_sessionmaker, plain_url
from ledger.log.append import Event, IsolationError, append_events
from ledger.log.audit import audit
from ledger.log.records import RecordType, Registry
from ledger.log.signed_note import open_note, parse_checkpoint, parse_verifier_key
from ledger.record_types import all_record_types
from tests.factories import completion
from tests.integration.conftest import World
from tests.unit.test_merkle import ref_leaf, ref_mth, ref_path, ref_proof

ORIGIN = "skills-ledger.example/xinjiang"


async def leaves(url: str) -> list[bytes]:
    conn = await asyncpg.connect(plain_url(url))
    try:
        return [bytes(r["leaf"]) for r in await conn.fetch("SELECT leaf FROM ledger_entries ORDER BY idx")]
    finally:
        await conn.close()


async def superuser(url: str, *statements: str) -> None:
    conn = await asyncpg.connect(plain_url(url))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def register(world: World, n: int, start: int = 0) -> dict:
    response = await world.client.post(
        "/api/v1/completions", json={"items": [completion(start + i) for i in range(n)]}, headers=world.evaluator
    )
    assert response.status_code == 201, response.text
    return response.json()


async def checkpoint(world: World) -> tuple[str, int, bytes]:
    made = await world.client.post("/api/v1/ledger/checkpoints", headers=world.admin)
    assert made.status_code == 201
    vkey = (await world.client.get("/api/v1/ledger/keys")).text.splitlines()[0]
    name, key = parse_verifier_key(vkey)
    body = parse_checkpoint(open_note(made.text, name, key))
    assert body.origin == name == ORIGIN
    return made.text, body.size, body.root


async def test_every_change_is_logged_with_its_kind_and_no_personal_data(world: World) -> None:
    batch = await register(world, 3)
    kinds = []
    for index in range(batch["rows"][-1]["ledger_index"] + 1):
        entry = await world.client.get(f"/api/v1/ledger/entries/{index}")
        assert entry.status_code == 200
        assert base64.b64decode(entry.headers["leaf-hash"]) == ref_leaf(entry.content)
        text = entry.content.decode()
        assert "买买提" not in text and "650102" not in text
        kinds.append(entry.json()["kind"])
    assert kinds.count("institution.registered") == 2
    assert kinds.count("key.issued") >= 4
    assert kinds.count("course.created") == 1
    assert kinds[-3:] == ["completion.registered"] * 3
    found = await world.client.get(f"/api/v1/ledger/subjects/completion/{batch['rows'][1]['completion_id']}")
    assert [e["index"] for e in found.json()] == [batch["rows"][1]["ledger_index"]]


async def test_inclusion_and_consistency_proofs_verify_independently(world: World) -> None:
    _, first_size, first_root = await checkpoint(world)
    await register(world, 37)
    _, size, root = await checkpoint(world)
    data = await leaves(world.settings.database_url or "")
    assert len(data) == size
    assert ref_mth(data) == root
    assert ref_mth(data[:first_size]) == first_root
    for index in [*random.Random(1).sample(range(size), 12), 0, size - 1]:
        proof = (await world.client.get(f"/api/v1/ledger/proof/inclusion?index={index}&size={size}")).json()
        assert [base64.b64decode(p) for p in proof["proof"]] == ref_path(index, data)
        assert base64.b64decode(proof["root"]) == root
    proof = (await world.client.get(f"/api/v1/ledger/proof/consistency?first={first_size}&second={size}")).json()
    assert [base64.b64decode(p) for p in proof["proof"]] == ref_proof(first_size, data)


async def test_proofs_beyond_the_log_are_404_and_bad_ranges_422(world: World) -> None:
    _, size, _ = await checkpoint(world)
    assert (await world.client.get(f"/api/v1/ledger/proof/inclusion?index=0&size={size + 5}")).status_code == 404
    assert (await world.client.get("/api/v1/ledger/proof/inclusion?index=3&size=2")).status_code == 422
    assert (await world.client.get("/api/v1/ledger/proof/inclusion?index=-1&size=2")).status_code in (400, 422)


async def test_a_rejected_batch_leaves_no_entry(world: World) -> None:
    before = await leaves(world.settings.database_url or "")
    items = [completion(1), completion(2, hours=-5)]
    response = await world.client.post("/api/v1/completions", json={"items": items}, headers=world.evaluator)
    assert response.status_code == 422
    assert await leaves(world.settings.database_url or "") == before


async def test_appends_refuse_any_isolation_but_read_committed(world: World) -> None:
    engine = make_engine(world.settings.database_url or "", pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session:
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            with pytest.raises(IsolationError):
                await append_events(session, [Event("test.event", "test", "1", {"a": 1})])
    finally:
        await engine.dispose()


async def test_64_concurrent_appenders_with_failures_keep_positions_dense(world: World) -> None:
    url = world.settings.database_url or ""
    engine = make_engine(url, pool_size=32)
    sessions = make_sessionmaker(engine)
    base = len(await leaves(url))
    committed = 0

    async def appender(n: int) -> None:
        nonlocal committed
        async with sessions() as session:
            events = [Event("test.event", "test", f"{n}-{i}", {"n": n, "i": i}) for i in range(1 + n % 5)]
            await append_events(session, events)
            if n % 4 == 3:  # fails after its append: nothing of it may remain
                await session.rollback()
                return
            await session.commit()
            committed += len(events)

    try:
        await asyncio.gather(*[appender(n) for n in range(64)])
    finally:
        await engine.dispose()
    conn = await asyncpg.connect(plain_url(url))
    try:
        positions = [r["idx"] for r in await conn.fetch("SELECT idx FROM ledger_entries ORDER BY idx")]
        head = await conn.fetchrow("SELECT size, root FROM ledger_head")
    finally:
        await conn.close()
    assert positions == list(range(base + committed))
    assert head["size"] == base + committed
    assert bytes(head["root"]) == ref_mth(await leaves(url))
    with_test_events = Registry([*all_record_types(), RecordType("test", retired="events of this test")])
    assert (await audit(plain_url(url), ORIGIN, with_test_events)).ok


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entries SET kind = 'x' WHERE idx = 0",
        "DELETE FROM ledger_entries WHERE idx = 0",
        "TRUNCATE ledger_entries CASCADE",
        "UPDATE ledger_nodes SET hash = '\\x00' WHERE level = 0 AND idx = 0",
        "DELETE FROM ledger_checkpoints",
        "DELETE FROM ledger_head",
    ],
)
async def test_the_database_refuses_rewriting_the_log(world: World, statement: str) -> None:
    await checkpoint(world)
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await superuser(world.settings.database_url or "", statement)


async def test_audit_passes_on_an_honest_log(world: World) -> None:
    await register(world, 25)
    await checkpoint(world)
    report = await audit(plain_url(world.settings.database_url or ""), ORIGIN, all_record_types())
    assert report.ok, report.problems
    assert report.entries > 25 and report.records > 25 and report.checkpoints >= 1


async def test_audit_catches_one_changed_byte_in_a_leaf(world: World) -> None:
    batch = await register(world, 5)
    index = batch["rows"][2]["ledger_index"]
    await superuser(
        world.settings.database_url or "",
        "ALTER TABLE ledger_entries DISABLE TRIGGER USER",
        f"UPDATE ledger_entries SET leaf = overlay(leaf placing '\\x21'::bytea from 30 for 1) WHERE idx = {index}",
    )
    report = await audit(plain_url(world.settings.database_url or ""), ORIGIN, all_record_types())
    assert not report.ok
    assert any(f"entry {index}" in p for p in report.problems)


async def test_audit_catches_a_rewind_by_a_stored_or_an_external_checkpoint(world: World) -> None:
    url = world.settings.database_url or ""
    await register(world, 10)
    note, size, _ = await checkpoint(world)
    keep = size - 4
    nodes = " OR ".join(f"(level = {lv} AND idx >= {keep >> lv})" for lv in range(0, 20))
    await superuser(
        url,
        "ALTER TABLE ledger_entries DISABLE TRIGGER USER",
        "ALTER TABLE ledger_nodes DISABLE TRIGGER USER",
        "ALTER TABLE ledger_salts DISABLE TRIGGER USER",
        f"DELETE FROM ledger_salts WHERE entry_idx >= {keep}",
        f"DELETE FROM completions WHERE id IN (SELECT subject_id::bigint FROM ledger_entries WHERE idx >= {keep} "
        "AND subject_type = 'completion')",
        f"DELETE FROM ledger_entries WHERE idx >= {keep}",
        f"DELETE FROM ledger_nodes WHERE {nodes}",
    )
    # rewind the head to what the shortened tree hashes to, so that the head alone looks consistent
    root = ref_mth(await leaves(url))
    await superuser(url, f"UPDATE ledger_head SET size = {keep}, root = '\\x{root.hex()}'")
    report = await audit(plain_url(url), ORIGIN, all_record_types())
    assert any("rewound" in p for p in report.problems), report.problems
    # the operator also deletes the stored checkpoints: a copy kept outside still exposes the rewind
    await superuser(url, "ALTER TABLE ledger_checkpoints DISABLE TRIGGER USER", "DELETE FROM ledger_checkpoints")
    inside_only = await audit(plain_url(url), ORIGIN, all_record_types())
    with_witness = await audit(plain_url(url), ORIGIN, all_record_types(), [("saved checkpoint", note)])
    assert not any("rewound" in p for p in inside_only.problems)
    assert any("rewound" in p for p in with_witness.problems)


async def test_audit_catches_an_edited_business_row(world: World) -> None:
    batch = await register(world, 3)
    completion_id = batch["rows"][1]["completion_id"]
    await superuser(world.settings.database_url or "", f"UPDATE completions SET hours = 999 WHERE id = {completion_id}")
    report = await audit(plain_url(world.settings.database_url or ""), ORIGIN, all_record_types())
    assert report.problems == [
        f"completion:{completion_id} differs from what ledger entry {batch['rows'][1]['ledger_index']} committed to"
    ]


async def test_an_app_role_that_does_not_own_the_log_cannot_rewrite_it(world: World) -> None:
    from ledger.database.roles import grant_app_role

    url = plain_url(world.settings.database_url or "")
    await grant_app_role(url, "ledger_app_test")
    await register(world, 2)
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            await conn.execute("SET LOCAL ROLE ledger_app_test")
            assert await conn.fetchval("SELECT count(*) FROM ledger_entries") > 0
            for statement in (
                "ALTER TABLE ledger_entries DISABLE TRIGGER USER",
                "DELETE FROM ledger_entries",
                "UPDATE ledger_nodes SET hash = hash",
            ):
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    async with conn.transaction():
                        await conn.execute(statement)
            await conn.execute("UPDATE completions SET hours = hours")  # business tables stay writable
    finally:
        await conn.close()
