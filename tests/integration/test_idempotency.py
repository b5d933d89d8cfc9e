"""Idempotency-Key: replay, mismatch, and concurrent duplicates that take effect once."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from tests.factories import completion
from tests.integration.conftest import World
from tests.integration.test_completions import counts


async def test_the_same_key_and_body_replays_the_first_response(world: World) -> None:
    headers = {**world.evaluator, "Idempotency-Key": "batch-1"}
    body = {"items": [completion(1), completion(2)]}
    first = await world.client.post("/api/v1/completions", json=body, headers=headers)
    after_first = await counts(world)
    second = await world.client.post("/api/v1/completions", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second.headers.get("idempotent-replayed") == "true"
    assert await counts(world) == after_first


async def test_a_dry_run_then_the_real_call_with_the_same_key(world: World) -> None:
    """The README's flow: validate with ?dry_run=true, then register with the same Idempotency-Key. The dry run
    writes nothing and does not take the key; the real call registers once and its retry replays it."""
    headers = {**world.evaluator, "Idempotency-Key": "batch-2025-08-30-1"}
    body = {"items": [completion(1), completion(2)]}
    before = await counts(world)
    dry = await world.client.post("/api/v1/completions?dry_run=true", json=body, headers=headers)
    assert dry.status_code == 200, dry.text
    assert [r["status"] for r in dry.json()["rows"]] == ["valid", "valid"]
    assert await counts(world) == before
    real = await world.client.post("/api/v1/completions", json=body, headers=headers)
    assert real.status_code == 201, real.text
    assert [r["status"] for r in real.json()["rows"]] == ["created", "created"]
    retry = await world.client.post("/api/v1/completions", json=body, headers=headers)
    assert (retry.status_code, retry.content) == (201, real.content)
    assert retry.headers.get("idempotent-replayed") == "true"
    again = await world.client.post("/api/v1/completions?dry_run=true", json=body, headers=headers)
    assert again.status_code == 200 and "idempotent-replayed" not in again.headers


async def test_the_same_key_with_another_body_is_422(world: World) -> None:
    headers = {**world.evaluator, "Idempotency-Key": "batch-2"}
    await world.client.post("/api/v1/completions", json={"items": [completion(1)]}, headers=headers)
    before = await counts(world)
    other = await world.client.post("/api/v1/completions", json={"items": [completion(3)]}, headers=headers)
    assert other.status_code == 422
    assert other.json()["type"] == "/problems/idempotency-key-reused"
    assert await counts(world) == before


async def test_keys_are_per_caller(world: World) -> None:
    body = {"region_code": "650000"}
    first = await world.client.post("/api/v1/bureau-keys", json=body, headers={**world.admin, "Idempotency-Key": "k"})
    course = {"code": "SOLO", "name": "x", "occupation_code": "6-18-01-01", "starts_on": "2025-01-01",
              "ends_on": "2025-02-01", "hours": 10, "outcome": "training"}  # fmt: skip
    other = await world.client.post("/api/v1/courses", json=course, headers={**world.school, "Idempotency-Key": "k"})
    assert first.status_code == other.status_code == 201


async def test_twenty_concurrent_posts_with_one_key_take_effect_once(world: World) -> None:
    headers = {**world.evaluator, "Idempotency-Key": "concurrent-batch"}
    body = {"items": [completion(i) for i in range(200)]}
    before = await counts(world)
    responses = await asyncio.gather(
        *[world.client.post("/api/v1/completions", json=body, headers=headers) for _ in range(20)]
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.content for r in responses}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == 19
    assert await counts(world) == (200, 200, before[2] + 200 * 4)  # completion, 2 certificates, award


async def test_a_failed_request_does_not_burn_its_key(world: World) -> None:
    headers = {**world.evaluator, "Idempotency-Key": "retry-after-fix"}
    bad = completion(1, hours=-1)
    assert (await world.client.post("/api/v1/completions", json={"items": [bad]}, headers=headers)).status_code == 422
    good = await world.client.post("/api/v1/completions", json={"items": [completion(1)]}, headers=headers)
    assert good.status_code == 201


async def age_records(world: World, interval: str) -> None:
    import asyncpg

    from ledger.database.engine import plain_url

    conn = await asyncpg.connect(plain_url(world.settings.database_url or ""))
    try:
        await conn.execute(f"UPDATE idempotency_records SET created_at = created_at - interval '{interval}'")
    finally:
        await conn.close()


async def test_a_retry_after_the_record_expired_is_a_fresh_request(world: World) -> None:
    """LEDGER_IDEMPOTENCY_HOURS (7 days by default): within it a retry replays, after it the key is free again."""
    headers = {**world.evaluator, "Idempotency-Key": "batch-old"}
    body = {"items": [completion(1), completion(2)]}
    first = await world.client.post("/api/v1/completions", json=body, headers=headers)
    assert first.status_code == 201
    await age_records(world, "6 days 23 hours")
    within = await world.client.post("/api/v1/completions", json=body, headers=headers)
    assert within.headers.get("idempotent-replayed") == "true" and within.content == first.content

    await age_records(world, "2 hours")  # now 7 days and 1 hour old
    after = await world.client.post("/api/v1/completions", json=body, headers=headers)
    assert after.status_code == 201 and "idempotent-replayed" not in after.headers
    assert [r["status"] for r in after.json()["rows"]] == ["unchanged", "unchanged"], "run again, not replayed"
    replayed = await world.client.post("/api/v1/completions", json=body, headers=headers)
    assert replayed.headers.get("idempotent-replayed") == "true" and replayed.content == after.content

    await age_records(world, "8 days")  # an expired key may even come with another request
    other = await world.client.post("/api/v1/completions", json={"items": [completion(3)]}, headers=headers)
    assert other.status_code == 201, other.text
    assert [r["status"] for r in other.json()["rows"]] == ["created"]


async def test_expired_records_are_deleted_in_batches_and_the_rest_kept(world: World) -> None:
    import datetime as dt

    from api.housekeeping import purge_idempotency_records
    from ledger.database.engine import make_engine, make_sessionmaker
    from ledger.tenancy.idempotency import delete_expired

    for n in range(3):
        headers = {**world.evaluator, "Idempotency-Key": f"old-{n}"}
        assert (
            await world.client.post("/api/v1/completions", json={"items": [completion(n)]}, headers=headers)
        ).status_code == 201
    await age_records(world, "8 days")
    recent = {**world.evaluator, "Idempotency-Key": "recent"}
    assert (
        await world.client.post("/api/v1/completions", json={"items": [completion(5)]}, headers=recent)
    ).status_code == 201

    engine = make_engine(world.settings.database_url or "", pool_size=1)
    try:
        sessions = make_sessionmaker(engine)
        async with sessions() as session:
            assert await delete_expired(session, dt.timedelta(days=7), limit=2) == 2
            await session.commit()
        assert await purge_idempotency_records(sessions, dt.timedelta(days=7)) == 1
        assert await purge_idempotency_records(sessions, dt.timedelta(days=7)) == 0
        async with sessions() as session:
            left = (await session.execute(text("SELECT key FROM idempotency_records"))).scalars().all()
    finally:
        await engine.dispose()
    assert left == ["recent"]
    replay = await world.client.post("/api/v1/completions", json={"items": [completion(5)]}, headers=recent)
    assert replay.headers.get("idempotent-replayed") == "true"
