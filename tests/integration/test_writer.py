"""Large batches are registered in the writer process (api/writer.py), not on the loop that serves the public:
the same answers, errors and idempotency as in place, from another process's database connections."""

from __future__ import annotations

import asyncio
import os
import signal
import threading

import asyncpg
import pytest

from ledger.database.engine import plain_url
from tests.factories import completion, id_number
from tests.integration.conftest import World
from tests.integration.test_completions import counts
from tests.integration.test_csv_import import CHINESE_HEADER, chinese_rows


@pytest.fixture
def environment(environment: dict[str, str]) -> dict[str, str]:
    """Every batch of 2 rows or more goes to the writer (the default is 500)."""
    return {**environment, "LEDGER_WRITER_MIN_ROWS": "2", "LEDGER_WRITER_PROCESSES": "1"}


async def writer_connections(world: World) -> int:
    """The writer's sessions on this test's database, as PostgreSQL sees them."""
    conn = await asyncpg.connect(plain_url(world.settings.database_url or ""))
    try:
        return await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ledger writer'"
            " AND datname = current_database()"
        )
    finally:
        await conn.close()


def writer_pids(world: World) -> list[int]:
    pool = world.client.app.state.runtime.writer._pool
    return [] if pool is None else list(pool._processes)


async def test_a_batch_is_written_by_the_writer_and_answered_as_in_place(world: World) -> None:
    assert await writer_connections(world) == 0
    one = await world.client.post("/api/v1/completions", json={"items": [completion(0)]}, headers=world.evaluator)
    assert one.status_code == 201, one.text  # one row: in place, no writer started
    assert writer_pids(world) == []
    items = [completion(i) for i in range(1, 4)]
    response = await world.client.post("/api/v1/completions", json={"items": items}, headers=world.evaluator)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["total"], body["created"]) == (3, 3)
    assert [r["row"] for r in body["rows"]] == [0, 1, 2]
    assert all(len(r["certificates"]) == 2 and r["ledger_index"] is not None for r in body["rows"])
    assert writer_pids(world) and os.getpid() not in writer_pids(world)
    assert await writer_connections(world) >= 1  # the write came from the writer's own pool
    trainee = await world.client.get(f"/api/v1/trainees/{body['rows'][0]['trainee_id']}", headers=world.evaluator)
    assert trainee.json()["completions"][0]["course_code"] == "CG-2025-01"
    code = body["rows"][0]["certificates"][0]["verification_code"]
    verified = await world.client.get(f"/api/v1/verify/{code}")
    assert verified.status_code == 200 and verified.json()["status"] == "valid"
    again = await world.client.post("/api/v1/completions", json={"items": items}, headers=world.evaluator)
    assert again.json()["unchanged"] == 3
    assert [r["completion_id"] for r in again.json()["rows"]] == [r["completion_id"] for r in body["rows"]]


async def test_the_writer_names_the_bad_row_and_writes_nothing(world: World) -> None:
    items = [completion(i) for i in range(5)]
    items[3]["trainee"]["id_number"] = id_number(3)[:-1] + ("0" if id_number(3)[-1] != "0" else "1")
    before = await counts(world)
    response = await world.client.post("/api/v1/completions", json={"items": items}, headers=world.evaluator)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert [(e["row"], e["field"], e["code"]) for e in errors] == [(3, "trainee.id_number", "id_checksum")]
    assert await counts(world) == before
    await world.client.post("/api/v1/completions", json={"items": items[:2]}, headers=world.evaluator)
    changed = [completion(0, hours=150), completion(1)]
    conflict = await world.client.post("/api/v1/completions", json={"items": changed}, headers=world.evaluator)
    assert conflict.status_code == 409 and conflict.json()["errors"][0]["row"] == 0


async def test_the_writer_keeps_and_replays_the_idempotent_answer(world: World) -> None:
    items = [completion(i) for i in range(4)]
    headers = {**world.evaluator, "Idempotency-Key": "writer-batch-1"}
    first = await world.client.post("/api/v1/completions", json={"items": items}, headers=headers)
    assert first.status_code == 201
    before = await counts(world)
    replay = await world.client.post("/api/v1/completions", json={"items": items}, headers=headers)
    assert replay.status_code == 201 and replay.headers["idempotent-replayed"] == "true"
    assert replay.content == first.content
    other = await world.client.post("/api/v1/completions", json={"items": items[:2]}, headers=headers)
    assert other.status_code == 422 and other.json()["type"].endswith("idempotency-key-reused")
    assert await counts(world) == before


async def test_a_dry_run_in_the_writer_writes_nothing(world: World) -> None:
    before = await counts(world)
    items = [completion(i) for i in range(3)]
    response = await world.client.post(
        "/api/v1/completions?dry_run=true", json={"items": items}, headers=world.evaluator
    )
    assert response.status_code == 200
    assert [r["status"] for r in response.json()["rows"]] == ["valid"] * 3
    assert await counts(world) == before


async def test_a_sheet_is_written_by_the_writer_with_its_rows_and_warnings(world: World) -> None:
    data = ("结业名单（第一期）\n" + CHINESE_HEADER + chinese_rows(6)).encode("gb18030")
    response = await world.client.post(
        "/api/v1/completions/import", content=data, headers={**world.evaluator, "content-type": "text/csv"}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["created"] == 6
    assert [r["sheet_row"] for r in body["rows"]] == list(range(3, 9))
    assert body["warnings"] and body["warnings"][0]["row"] == 1
    assert await writer_connections(world) >= 1


async def test_a_writer_that_died_between_batches_is_replaced(world: World) -> None:
    first = await world.client.post(
        "/api/v1/completions", json={"items": [completion(i) for i in range(2)]}, headers=world.evaluator
    )
    assert first.status_code == 201
    for pid in writer_pids(world):
        os.kill(pid, signal.SIGKILL)
    await asyncio.sleep(0.5)  # the pool notices its process is gone
    again = await world.client.post(
        "/api/v1/completions", json={"items": [completion(i) for i in range(2, 4)]}, headers=world.evaluator
    )
    assert again.status_code == 201, again.text
    assert again.json()["created"] == 2


def kill_the_writer_once_busy(url: str, pids: list[int], seen: list[int]) -> None:
    """In a thread: wait until the writer is inside a batch's transaction, then kill its processes."""

    async def watch() -> None:
        conn = await asyncpg.connect(url)
        try:
            for _ in range(6_000):
                busy = await conn.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ledger writer'"
                    " AND datname = current_database() AND state <> 'idle'"
                )
                if busy:
                    seen.append(busy)
                    for pid in pids:
                        os.kill(pid, signal.SIGKILL)
                    return
                await asyncio.sleep(0.01)
        finally:
            await conn.close()

    asyncio.run(watch())


@pytest.mark.slow
async def test_a_writer_killed_mid_batch_answers_503_and_commits_nothing(world: World) -> None:
    await world.client.post(
        "/api/v1/completions", json={"items": [completion(i) for i in range(2)]}, headers=world.evaluator
    )  # the writer is up
    items = [completion(i) for i in range(2, 5_002)]
    seen: list[int] = []
    url = plain_url(world.settings.database_url or "")
    watcher = threading.Thread(target=kill_the_writer_once_busy, args=(url, writer_pids(world), seen))
    watcher.start()
    response = await world.client.post("/api/v1/completions", json={"items": items}, headers=world.evaluator)
    watcher.join()
    assert seen, "the writer never started the batch"
    assert response.status_code == 503, response.text[:300]
    assert response.headers["retry-after"]
    assert response.json()["detail"].startswith("导入进程中断")
    completions, _, _ = await counts(world)
    assert completions == 2  # the killed batch's transaction died with its process
    retried = await world.client.post("/api/v1/completions", json={"items": items}, headers=world.evaluator)
    assert retried.status_code == 201 and retried.json()["created"] == 5_000


async def test_a_sheets_bad_values_are_named_by_the_writer_as_in_place(world: World) -> None:
    """The reader's rows cross to the writer as they are: not checked again on the way, so that the service's own
    checks name the row and column (a re-validation there would be a 500, or a 400 without a row)."""
    header = "课程编码,姓名,身份证号,结业日期,学时,是否合格,鉴定等级,毕业证书编号\n"

    def sheet(hours: str, graduation: str) -> bytes:
        rows = [
            f"CG-2025-01,张伟,{id_number(i)},2025-05-30,{hours if i == 1 else '160'},是,四级,"
            f"{graduation if i == 1 else f'BY-{i}'}\n"
            for i in range(3)
        ]
        return (header + "".join(rows)).encode()

    async def post(data: bytes) -> tuple[int, dict]:
        response = await world.client.post(
            "/api/v1/completions/import", content=data, headers={**world.evaluator, "content-type": "text/csv"}
        )
        return response.status_code, response.json()

    status, body = await post(sheet("1e30", "BY-1"))
    assert status == 422, body
    assert [(e["row"], e["column"], e["code"]) for e in body["errors"]] == [(3, "学时", "out_of_range")]
    status, body = await post(sheet("160", "BY-\u202e1"))
    assert status == 422, body
    assert [(e["row"], e["column"], e["code"]) for e in body["errors"]] == [(3, "毕业证书编号", "bidi_control")]
    status, body = await post(sheet("160", "B" * 80))
    assert status in (400, 422), body
    assert await counts(world) == (0, 0, (await counts(world))[2])
