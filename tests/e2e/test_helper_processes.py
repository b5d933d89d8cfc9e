"""The server's helper processes (the writer, api/writer.py; the job process, api/job_process.py; the CPU pool)
never outlive it: a server killed with SIGKILL takes them along, their database sessions with them."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from pathlib import Path

import asyncpg
import httpx
import pytest

from ledger.database.engine import plain_url
from tests.conftest import run_async
from tests.e2e.conftest import server_env, start_server, stop_server
from tests.factories import completion


async def helpers_on(database_url: str) -> dict[str, int]:
    conn = await asyncpg.connect(plain_url(database_url))
    try:
        rows = await conn.fetch(
            "SELECT application_name, count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name IN ('ledger writer', 'ledger jobs')"
            " GROUP BY 1"
        )
        return {r[0]: r[1] for r in rows}
    finally:
        await conn.close()


async def gone(database_url: str, seconds: float = 10) -> dict[str, int]:
    deadline = time.monotonic() + seconds
    left = await helpers_on(database_url)
    for _ in range(int(seconds * 10)):
        if not left or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
        left = await helpers_on(database_url)
    return left


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return state != "Z"


@pytest.mark.slow
def test_a_killed_server_takes_its_helper_processes_along(empty_database: str, tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    process, base = start_server(server_env(empty_database, tmp_path / "data"), log)
    try:
        key = re.search(r"institution XJ-EVAL-01\s+(ldg_\w+)", log.read_text())
        assert key, log.read_text()
        items = [completion(20_000 + i, course="CHEGONG-2025-01") for i in range(600)]
        response = httpx.post(
            f"{base}/api/v1/completions", json={"items": items},
            headers={"Authorization": f"Bearer {key.group(1)}"}, timeout=120,
        )  # fmt: skip
        assert response.status_code == 201, response.text[:300]
        sessions = run_async(helpers_on(empty_database))
        assert sessions.keys() == {"ledger writer", "ledger jobs"}, sessions
        assert sessions["ledger writer"] == 1  # the job process may hold two: its workers' and the rollup folder's
        helpers = children_of(process.pid)
        assert len(helpers) >= 2
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            stop_server(process)
    assert run_async(gone(empty_database)) == {}
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in helpers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in helpers if alive(pid)]
