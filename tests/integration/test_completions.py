"""POST /api/v1/completions: whole batches, row-level errors, nothing half-written."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from ledger.database.engine import plain_url
from tests.factories import completion, id_number
from tests.integration.conftest import World


async def counts(world: World) -> tuple[int, int, int]:
    conn = await asyncpg.connect(plain_url(world.settings.database_url or ""))
    try:
        row = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM completions) c, (SELECT count(*) FROM persons) p, "
            "(SELECT size FROM ledger_head) s"
        )
        return row["c"], row["p"], row["s"]
    finally:
        await conn.close()


async def test_a_batch_registers_every_row_and_reports_each(world: World) -> None:
    items = [completion(i) for i in range(3)]
    response = await world.client.post("/api/v1/completions", json={"items": items}, headers=world.evaluator)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["total"], body["created"], body["unchanged"]) == (3, 3, 0)
    assert [r["row"] for r in body["rows"]] == [0, 1, 2]
    assert all(r["status"] == "created" and r["ledger_index"] is not None for r in body["rows"])
    trainee = await world.client.get(f"/api/v1/trainees/{body['rows'][0]['trainee_id']}", headers=world.evaluator)
    assert trainee.status_code == 200
    shown = trainee.json()
    assert shown["id_number_masked"] == id_number(0)[:6] + "********" + id_number(0)[-4:]
    assert shown["name"] == "买买提·艾力"
    assert shown["completions"][0]["course_code"] == "CG-2025-01"


async def test_registering_the_same_batch_again_changes_nothing(world: World) -> None:
    items = [completion(i) for i in range(5)]
    first = await world.client.post("/api/v1/completions", json={"items": items}, headers=world.evaluator)
    before = await counts(world)
    again = await world.client.post("/api/v1/completions", json={"items": items}, headers=world.evaluator)
    assert again.status_code == 201
    assert again.json()["unchanged"] == 5
    assert [r["completion_id"] for r in again.json()["rows"]] == [r["completion_id"] for r in first.json()["rows"]]
    assert await counts(world) == before


async def test_a_changed_completion_is_a_conflict_naming_the_row(world: World) -> None:
    await world.client.post("/api/v1/completions", json={"items": [completion(1)]}, headers=world.evaluator)
    changed = completion(1, hours=150)
    response = await world.client.post(
        "/api/v1/completions", json={"items": [completion(2), changed]}, headers=world.evaluator
    )
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["row"] == 1
    assert (await counts(world))[0] == 1


@pytest.mark.slow
async def test_ten_thousand_rows_commit_together(world: World) -> None:
    items = [completion(i) for i in range(10_000)]
    response = await world.client.post("/api/v1/completions", json={"items": items}, headers=world.evaluator)
    assert response.status_code == 201, response.text[:500]
    assert response.json()["created"] == 10_000
    completions, persons, _ = await counts(world)
    assert (completions, persons) == (10_000, 10_000)


@pytest.mark.slow
async def test_a_bad_row_9999_writes_nothing_and_is_named(world: World) -> None:
    items = [completion(i) for i in range(10_000)]
    items[9_999]["trainee"]["id_number"] = id_number(9_999)[:-1] + ("0" if id_number(9_999)[-1] != "0" else "1")
    before = await counts(world)
    response = await world.client.post("/api/v1/completions", json={"items": items}, headers=world.evaluator)
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == "/problems/validation"
    assert problem["errors"] == [
        {
            "row": 9_999,
            "field": "trainee.id_number",
            "code": "id_checksum",
            "message": problem["errors"][0]["message"],
        }
    ]
    assert await counts(world) == before


async def test_more_than_ten_thousand_rows_are_refused(world: World) -> None:
    items = [completion(i) for i in range(10_001)]
    response = await world.client.post("/api/v1/completions", json={"items": items}, headers=world.evaluator)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "items"


async def test_dry_run_validates_and_writes_nothing(world: World) -> None:
    before = await counts(world)
    response = await world.client.post(
        "/api/v1/completions?dry_run=true",
        json={"items": [completion(1), completion(2)]},
        headers=world.evaluator,
    )
    assert response.status_code == 200
    assert [r["status"] for r in response.json()["rows"]] == ["valid", "valid"]
    assert await counts(world) == before


async def test_concurrent_posts_of_one_batch_register_it_once(world: World) -> None:
    items = [completion(i) for i in range(50)]
    responses = await asyncio.gather(
        *[world.client.post("/api/v1/completions", json={"items": items}, headers=world.evaluator) for _ in range(8)]
    )
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses if r.status_code != 201]
    assert sum(r.json()["created"] for r in responses) == 50
    completions, persons, _ = await counts(world)
    assert (completions, persons) == (50, 50)
