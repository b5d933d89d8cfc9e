"""The server's housekeeping task removes expired idempotency records by itself, while it serves."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from ledger.database.engine import plain_url
from tests.factories import completion
from tests.integration.conftest import World
from tests.integration.test_idempotency import age_records


@pytest.fixture
def environment(environment: dict[str, str]) -> dict[str, str]:
    return {**environment, "LEDGER_HOUSEKEEPING_SECONDS": "1"}


async def test_the_server_deletes_expired_records_on_its_own(world: World) -> None:
    for key in ("a", "b"):
        headers = {**world.evaluator, "Idempotency-Key": key}
        response = await world.client.post("/api/v1/completions", json={"items": [completion(1)]}, headers=headers)
        assert response.status_code == 201
    await age_records(world, "8 days")
    headers = {**world.evaluator, "Idempotency-Key": "c"}
    assert (
        await world.client.post("/api/v1/completions", json={"items": [completion(2)]}, headers=headers)
    ).status_code == 201
    conn = await asyncpg.connect(plain_url(world.settings.database_url or ""))
    try:
        for _ in range(50):  # the task runs every second
            keys = sorted(r["key"] for r in await conn.fetch("SELECT key FROM idempotency_records"))
            if keys == ["c"]:
                break
            await asyncio.sleep(0.2)
    finally:
        await conn.close()
    assert keys == ["c"]
