"""More than one server process: rate limits and the status-list cache shared through Redis, the client address
believed from trusted proxies only, every 429 with Retry-After, and `ledger serve --workers N`."""

from __future__ import annotations

import base64
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from ledger.database.engine import plain_url
from tests.conftest import run_async
from tests.e2e.conftest import printed_keys, server_env, start_server, stop_server
from tests.factories import id_number

LIMITS = {"LEDGER_VERIFY_RATE_PER_MINUTE": "8", "LEDGER_PAGE_RATE_PER_MINUTE": "5", "LEDGER_KEYS_RATE_PER_MINUTE": "6"}


@dataclass
class Pair:
    a: str
    b: str
    keys: dict[str, str]
    database_url: str
    env: dict[str, str]


@pytest.fixture(scope="module")
def pair(empty_database: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """Two server processes on one database and one Redis, as two hosts behind a load balancer would be."""
    folder = tmp_path_factory.mktemp("pair")
    env = {**server_env(empty_database, folder / "data"), **LIMITS, "LEDGER_REDIS_URL": redis_url}
    started = []
    try:
        started.append(start_server(env, folder / "a.log"))  # the first one migrates and seeds the demo
        started.append(start_server(env, folder / "b.log", demo=False))
        yield Pair(started[0][1], started[1][1], printed_keys(folder / "a.log"), empty_database, env)
    finally:
        for process, _ in started:
            stop_server(process)


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(response.headers["retry-after"]) <= 60


def test_two_processes_share_one_limit(pair: Pair) -> None:
    answers = [httpx.get(f"{(pair.a, pair.b)[i % 2]}/api/v1/verify/AAAAAAAAAAAAAAAA") for i in range(16)]
    assert [r.status_code for r in answers] == [404] * 8 + [429] * 8  # 8 a minute, counted once for both
    for refused in answers[8:]:
        assert_refused(refused)
    assert answers[7].headers["ratelimit-remaining"] == "0"


def test_a_forged_x_forwarded_for_is_not_believed(pair: Pair) -> None:
    """No trusted proxy is configured: a rotating X-Forwarded-For from 127.0.0.1 shares the peer's bucket. The
    pages have their own bucket: the JSON one, spent above, does not refuse them."""
    answers = [
        httpx.get(f"{(pair.a, pair.b)[i % 2]}/", headers={"X-Forwarded-For": f"203.0.113.{i}"}) for i in range(8)
    ]
    assert [r.status_code for r in answers] == [200] * 5 + [429] * 3
    assert_refused(answers[-1])


def status_bit(token: str, index: int) -> int:
    payload = token.split(".")[1]
    claims = httpx.Response(200, content=base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))).json()
    lst = claims["status_list"]["lst"]
    bits = zlib.decompress(base64.urlsafe_b64decode(lst + "=" * (-len(lst) % 4)))
    return bits[index // 8] >> (index % 8) & 1


def test_a_revocation_in_one_process_reaches_the_status_list_of_the_other_at_once(pair: Pair) -> None:
    school = {"Authorization": f"Bearer {pair.keys['institution KS-TRAIN-01']}"}
    row = {"course_code": "PENGREN-2025-01", "trainee": {"name": "阿依古丽", "id_number": id_number(777)},
           "completed_on": "2025-06-15", "hours": 120, "passed": True}  # fmt: skip
    created = httpx.post(f"{pair.b}/api/v1/completions", json={"items": [row]}, headers=school)
    assert created.status_code == 201, created.text
    number = created.json()["rows"][0]["certificates"][0]["number"]
    index = run_async(_status_index(pair.database_url, number))

    before = httpx.get(f"{pair.a}/api/v1/status-list")  # built by a, kept in Redis for 60 s
    assert before.status_code == 200 and status_bit(before.text, index) == 0
    assert httpx.get(f"{pair.b}/api/v1/status-list").text == before.text  # b serves the list a built
    revoked = httpx.post(f"{pair.b}/api/v1/certificates/{number}/revoke", json={"reason": "误发"}, headers=school)
    assert revoked.status_code == 200, revoked.text
    after = httpx.get(f"{pair.a}/api/v1/status-list")
    assert after.status_code == 200 and status_bit(after.text, index) == 1

    # the keys and the status list have their own limit of 6, shared too: 3 spent above
    answers = [httpx.get(f"{(pair.a, pair.b)[i % 2]}/.well-known/jwks.json") for i in range(5)]
    assert [r.status_code for r in answers] == [200] * 3 + [429] * 2
    assert_refused(answers[-1])


async def _status_index(url: str, number: str) -> int:
    connection = await asyncpg.connect(plain_url(url))
    try:
        return await connection.fetchval("SELECT status_index FROM certificates WHERE number = $1", number)
    finally:
        await connection.close()


def test_workers_behind_a_trusted_proxy_count_each_forwarded_client(pair: Pair, tmp_path: Path) -> None:
    """`ledger serve --workers 2` with 127.0.0.1 as the trusted load balancer: each forwarded client has its own
    bucket, shared by both processes; a client cannot hide behind an address it prepends itself."""
    env = {**pair.env, "LEDGER_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8"}
    log = tmp_path / "workers.log"
    process, base = start_server(env, log, demo=False, args=("--workers", "2"))
    try:
        clients = [httpx.get(f"{base}/", headers={"X-Forwarded-For": f"198.51.100.{i}"}) for i in range(10)]
        assert [r.status_code for r in clients] == [200] * 10  # ten clients, five a minute each
        one = [
            httpx.get(f"{base}/", headers={"X-Forwarded-For": f"192.0.2.{i}, 198.51.100.77, 10.1.2.3"})
            for i in range(7)
        ]  # what the client wrote first is not believed; the last untrusted address (198.51.100.77) is the client
        assert [r.status_code for r in one] == [200] * 5 + [429] * 2
        assert_refused(one[-1])
        with httpx.Client() as client:  # new connections: both processes answer
            for _ in range(6):
                assert client.get(f"{base}/health", headers={"Connection": "close"}).status_code == 200
        assert log.read_text().count("Started server process") == 2
        assert "shared in Redis" in log.read_text()
    finally:
        stop_server(process)
