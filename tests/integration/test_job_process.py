"""The job workers in a process of their own (api/job_process.py), as `ledger serve` runs them: a job submitted
to the server is done by that process, and stopping the server stops it."""

from __future__ import annotations

import asyncio
import os
import signal

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.settings import WebSettings
from ledger.database.engine import plain_url
from tests.integration.conftest import World
from tests.integration.test_csv_import import ENGLISH_HEADER
from tests.integration.test_jobs_api import finished, rows, submit


@pytest.fixture
def environment(environment: dict[str, str]) -> dict[str, str]:
    return {**environment, "LEDGER_JOB_PROCESS": "true", "LEDGER_JOB_POLL_SECONDS": "0.1"}


async def job_process_connections(url: str) -> int:
    conn = await asyncpg.connect(plain_url(url))
    try:
        return await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ledger jobs'"
            " AND datname = current_database()"
        )
    finally:
        await conn.close()


async def test_a_job_is_done_by_the_job_process(world: World) -> None:
    process = world.client.app.state.job_process.process
    assert process.is_alive()
    job = await submit(world, ENGLISH_HEADER + rows(range(12)))
    done = await finished(world, job["links"]["self"])
    assert done["state"] == "succeeded", done
    assert done["result"]["created"] == 12
    assert await job_process_connections(world.settings.database_url or "") >= 1


async def test_the_job_process_stops_with_the_server(web_settings: WebSettings) -> None:
    async with AsyncTestClient(app=create_app(web_settings)) as client:
        process = client.app.state.job_process.process
        assert process.is_alive()
    assert not process.is_alive() and process.exitcode == 0
    assert await job_process_connections(web_settings.domain.database_url or "") == 0


async def test_a_job_process_that_died_is_started_again(world: World) -> None:
    jobs = world.client.app.state.job_process
    first = jobs.process
    os.kill(first.pid, signal.SIGKILL)
    for _ in range(200):  # the server notices within a second and starts another one a second later
        if jobs.process is not first and jobs.process.is_alive():
            break
        await asyncio.sleep(0.05)
    assert jobs.restarts == 1 and jobs.process.is_alive() and jobs.process.pid != first.pid
    job = await submit(world, ENGLISH_HEADER + rows(range(20, 25)))
    done = await finished(world, job["links"]["self"])
    assert done["state"] == "succeeded" and done["result"]["created"] == 5
