"""Admission, not timeouts, against a real server process: concurrent imports beyond the slots are refused at once
with 503 and Retry-After, every accepted one is committed exactly once, and a database connection lost under a
request gives 503 with Retry-After, never 500."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator

import asyncpg
import httpx
import pytest

from ledger.database.engine import plain_url
from tests.conftest import run_async
from tests.e2e.conftest import Server, printed_keys, server_env, start_server, stop_server
from tests.factories import id_number

SLOTS = {"LEDGER_IMPORT_SLOTS": "3", "LEDGER_IMPORT_SLOTS_PER_INSTITUTION": "2"}
EVALUATOR, SCHOOL = "institution XJ-EVAL-01", "institution KS-TRAIN-01"


@pytest.fixture(scope="module")
def admitting(empty_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("admission")
    env = {**server_env(empty_database, folder / "data"), **SLOTS}
    log = folder / "server.log"
    process, base = start_server(env, log)
    try:
        yield Server(base, printed_keys(log), empty_database, log, process, env)
    finally:
        stop_server(process)


def batch(institution: str, number: int, rows: int) -> dict:
    """Batch `number` of an institution: its own trainees, never seen in another batch."""
    first = 20_000 + number * rows
    if institution == EVALUATOR:
        return {"items": [
            {"course_code": "CHEGONG-2025-01", "trainee": {"name": "买买提·艾力", "id_number": id_number(first + i)},
             "completed_on": "2025-05-30", "hours": 160, "passed": True,
             "assessment": {"level": 4, "assessed_on": "2025-05-28", "theory_score": 80, "practical_score": 88}}
            for i in range(rows)
        ]}  # fmt: skip
    return {"items": [
        {"course_code": "PENGREN-2025-01", "trainee": {"name": "阿依古丽", "id_number": id_number(first + i)},
         "completed_on": "2025-06-15", "hours": 120, "passed": True}
        for i in range(rows)
    ]}  # fmt: skip


def headers(server: Server, institution: str, key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.keys[institution]}", "Idempotency-Key": key}


def send(server: Server, institution: str, body: dict, key: str) -> httpx.Response:
    return httpx.post(f"{server.base}/api/v1/completions", json=body, headers=headers(server, institution, key),
                      timeout=120)  # fmt: skip


async def _sql(url: str, query: str, *args: object) -> object:
    connection = await asyncpg.connect(plain_url(url))
    try:
        return await connection.fetchval(query, *args)
    finally:
        await connection.close()


def completions(server: Server) -> int:
    return int(run_async(_sql(server.database_url, "SELECT count(*) FROM completions")))  # type: ignore[call-overload]


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["retry-after"]) >= 1


def _all_at_once(server: Server, sent: list[tuple[str, int]], rows: int) -> list[tuple[str, int]]:
    """Send every batch at once: each answer is 201 or 503 (with Retry-After), both institutions get in, and
    exactly the accepted batches are in the database, each once. Returns the refused ones."""
    before = completions(server)
    bodies = [batch(institution, n, rows) for institution, n in sent]

    async def post_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=600) as client:
            return await asyncio.gather(*[
                client.post(f"{server.base}/api/v1/completions", json=body,
                            headers=headers(server, institution, f"concurrent-{institution}-{n}-{rows}"))
                for (institution, n), body in zip(sent, bodies, strict=True)
            ])  # fmt: skip

    answers = run_async(post_all())
    assert {r.status_code for r in answers} <= {201, 503}, [r.text for r in answers if r.status_code not in (201, 503)]
    accepted = [(sent[i], r) for i, r in enumerate(answers) if r.status_code == 201]
    for r in answers:
        if r.status_code == 503:
            assert_unavailable(r)
    assert len(accepted) < len(sent), f"{len(sent)} imports at once with 3 slots: some must have been refused"
    assert {institution for (institution, _), _ in accepted} == {EVALUATOR, SCHOOL}  # neither shut out
    for _, r in accepted:
        ids = [row["completion_id"] for row in r.json()["rows"]]
        stored = run_async(_sql(server.database_url, "SELECT count(*) FROM completions WHERE id = ANY($1)", ids))
        assert r.json()["created"] == rows and stored == rows
    assert completions(server) == before + rows * len(accepted)  # a refused import wrote nothing
    return [sent[i] for i, r in enumerate(answers) if r.status_code == 503]


def test_concurrent_imports_are_admitted_or_refused_and_each_accepted_one_is_committed_once(
    admitting: Server,
) -> None:
    sent = [(institution, n) for n in range(12) for institution in (EVALUATOR, SCHOOL)]  # 24 imports at once
    before = completions(admitting)
    refused = _all_at_once(admitting, sent, 200)
    for institution, n in refused:  # each refused import, sent again with its key, is registered once
        again = send(admitting, institution, batch(institution, n, 200), f"concurrent-{institution}-{n}-200")
        assert again.status_code == 201 and again.json()["created"] == 200, again.text
    assert completions(admitting) == before + 200 * len(sent)


@pytest.mark.slow
def test_33_imports_of_10000_rows_at_once_get_no_5xx(admitting: Server) -> None:
    """The probe's load (issue #12): 33 concurrent 10,000-row imports, which used to wait 30 s for a pooled
    connection and fail with 500."""
    _all_at_once(admitting, [((EVALUATOR, SCHOOL)[n % 2], 200 + n) for n in range(33)], 10_000)


def test_a_connection_killed_during_an_import_gives_503_and_the_import_can_be_sent_again(admitting: Server) -> None:
    before = completions(admitting)
    body = batch(EVALUATOR, 100, 3000)
    answer: list[httpx.Response] = []
    thread = threading.Thread(target=lambda: answer.append(send(admitting, EVALUATOR, body, "killed")))
    thread.start()
    killed = run_async(_kill_the_writer(admitting.database_url))
    thread.join()
    assert killed, "the import's transaction was never seen writing"
    assert_unavailable(answer[0])
    assert completions(admitting) == before  # nothing of it was committed

    verify = httpx.get(f"{admitting.base}/api/v1/verify/AAAAAAAAAAAAAAAA")  # the read pool lost its connections too
    assert verify.status_code in (404, 503), verify.text
    again = _until_served(lambda: send(admitting, EVALUATOR, body, "killed"))
    assert again.status_code == 201 and again.json()["created"] == 3000, again.text
    assert completions(admitting) == before + 3000


async def _kill_the_writer(url: str) -> bool:
    """Wait until a transaction of the server has written (it holds a transaction id), then terminate every
    connection of the server to its database, as a database restart would."""
    database = url.rsplit("/", 1)[1].split("?")[0]
    connection = await asyncpg.connect(plain_url(url))
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            writing = await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()"
                " AND backend_xid IS NOT NULL",
                database,
            )
            if writing:
                await connection.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1"
                    " AND pid <> pg_backend_pid()",
                    database,
                )
                return True
            await asyncio.sleep(0.005)
        return False
    finally:
        await connection.close()


def _until_served(attempt: Callable[[], httpx.Response], attempts: int = 5) -> httpx.Response:
    """What a client does with a 503: wait as it says (here briefly) and send again."""
    for _ in range(attempts):
        response = attempt()
        if response.status_code != 503:
            return response
        time.sleep(0.5)
    return response
