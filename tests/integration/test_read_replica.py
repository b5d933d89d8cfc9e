"""Public verification on a streaming replica: a real primary and hot standby built on this machine
(tests/replication.py), the app writing to the one and verifying from the other (LEDGER_READ_DATABASE_URL).

In CI (CI set) a machine that cannot build the pair fails these tests; elsewhere they are skipped."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterator

import asyncpg
import pytest

from tests.conftest import migrate_and_load
from tests.factories import completion
from tests.integration.conftest import World
from tests.integration.test_certificates import register
from tests.replication import Cluster, ClusterUnavailable, caught_up, replicated_cluster

pytestmark = pytest.mark.slow
MAX_LAG = 3.0  # LEDGER_READ_MAX_LAG_SECONDS in these tests
SLACK = 1.0  # a request's own time on a busy 2-core machine, beyond the bound


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    try:
        with replicated_cluster() as built:
            yield built
    except ClusterUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must build a primary and a standby: {exc}")
        pytest.skip(f"no primary and standby on this machine: {exc}")


@pytest.fixture
def database_url(cluster: Cluster) -> str:
    """The test's database on the primary (migrated, reference data loaded), once the standby has it too."""

    async def create() -> None:
        conn = await asyncpg.connect(cluster.primary.url())
        try:
            await conn.execute('CREATE DATABASE "ledger"')
        finally:
            await conn.close()

    asyncio.run(create())
    url = cluster.primary.url("ledger").replace("postgresql://", "postgresql+asyncpg://", 1)
    migrate_and_load(url)
    asyncio.run(caught_up(cluster))
    return url


@pytest.fixture
def environment(environment: dict[str, str], cluster: Cluster) -> dict[str, str]:
    return {
        **environment,
        "LEDGER_READ_DATABASE_URL": cluster.standby.url("ledger"),
        "LEDGER_READ_MAX_LAG_SECONDS": str(MAX_LAG),
    }


async def reads(world: World) -> str:
    """Where the app says public verification reads now (`/ready`)."""
    ready = await world.client.get("/ready")
    assert ready.status_code == 200, ready.text
    return ready.json()["reads"]


async def until(expected: object, probe: Callable[[], Awaitable[object]], seconds: float = 20) -> float:
    """Seconds until `probe()` gives `expected`."""
    started = time.monotonic()
    while (got := await probe()) != expected:
        assert time.monotonic() - started < seconds, f"still {got!r}, not {expected!r}, after {seconds} s"
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def status(world: World, code: str) -> str | None:
    answer = await world.client.get(f"/api/v1/verify/{code}")
    assert answer.status_code in (200, 404), answer.text
    return answer.json()["status"] if answer.status_code == 200 else None


async def skill_certificate(world: World, n: int) -> tuple[str, str]:
    """Registers completion n on the primary: its skill certificate's number and verification code."""
    (row,) = (await register(world, [completion(n)]))["rows"]
    (skill,) = [c for c in row["certificates"] if c["kind"] == "skill_level"]
    return skill["number"], skill["verification_code"]


async def revoke(world: World, number: str) -> None:
    response = await world.client.post(f"/api/v1/certificates/{number}/revoke", json={"reason": "考评舞弊"},
                                       headers=world.evaluator)  # fmt: skip
    assert response.status_code == 200, response.text


async def on_standby(cluster: Cluster, sql: str) -> object:
    conn = await asyncpg.connect(cluster.standby.url("ledger"))
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def test_verification_reads_the_standby_and_follows_the_primary(world: World, cluster: Cluster) -> None:
    await until("replica", lambda: reads(world))
    number, code = await skill_certificate(world, 1)
    # registered on the primary, the certificate shows on the standby within the replication lag
    await until("valid", lambda: status(world, code), seconds=MAX_LAG)
    await revoke(world, number)
    await until("revoked", lambda: status(world, code), seconds=MAX_LAG)
    assert await reads(world) == "replica"
    assert await on_standby(cluster, "SELECT pg_is_in_recovery()") is True


async def test_a_revocation_shows_within_the_bound_even_while_the_standby_stands_still(
    world: World, cluster: Cluster
) -> None:
    await until("replica", lambda: reads(world))
    number, code = await skill_certificate(world, 1)
    await until("valid", lambda: status(world, code), seconds=MAX_LAG)
    await on_standby(cluster, "SELECT pg_wal_replay_pause()")
    await until("paused", lambda: on_standby(cluster, "SELECT pg_get_wal_replay_pause_state()"))
    await revoke(world, number)
    revoked_at = time.monotonic()  # the revocation is committed by now
    # the standby has stopped replaying: its answer still says valid, so the answers come from it ...
    assert await status(world, code) == "valid"
    assert await reads(world) == "replica"
    # ... until no moment within the bound is known to be complete on it: then the primary answers
    await until("revoked", lambda: status(world, code), seconds=MAX_LAG + SLACK)
    assert time.monotonic() - revoked_at <= MAX_LAG + SLACK
    assert await reads(world) == "primary"
    await on_standby(cluster, "SELECT pg_wal_replay_resume()")
    await until("replica", lambda: reads(world))
    assert await status(world, code) == "revoked"  # now from the standby, which has caught up


async def test_with_the_standby_down_the_primary_answers(
    world: World, cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    await until("replica", lambda: reads(world))
    number, code = await skill_certificate(world, 1)
    await until("valid", lambda: status(world, code), seconds=MAX_LAG)
    caplog.set_level(logging.INFO, logger="ledger.database.replica")
    await asyncio.to_thread(cluster.down, cluster.standby)
    assert await status(world, code) == "valid"  # the statement failed on the standby and ran on the primary
    assert await reads(world) == "primary"
    assert "read replica unreachable" in caplog.text
    await revoke(world, number)
    assert await status(world, code) == "revoked"  # at once: the primary answers
    page = await world.client.get(f"/v/{code}")
    assert page.status_code == 200 and "已撤销" in page.text
    await asyncio.to_thread(cluster.up, cluster.standby)
    await until("replica", lambda: reads(world))
    assert await status(world, code) == "revoked"
    assert "read replica up to date" in caplog.text
    assert caplog.text.count("read replica unreachable") == 1  # one line when the route changes, not per request


@pytest.fixture
def standby_stopped(cluster: Cluster, database_url: str) -> None:
    cluster.down(cluster.standby)


async def test_a_standby_down_at_start_up_does_not_stop_the_server(
    standby_stopped: None, world: World, cluster: Cluster
) -> None:
    _, code = await skill_certificate(world, 1)
    assert await status(world, code) == "valid"
    assert await reads(world) == "primary"
    await asyncio.to_thread(cluster.up, cluster.standby)
    await until("replica", lambda: reads(world))
    assert await status(world, code) == "valid"
