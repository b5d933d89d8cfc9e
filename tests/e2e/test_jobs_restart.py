"""An import job survives a killed server: SIGKILL in the middle of the job, start the server again, and the job
resumes after its last committed chunk — every row registered once, the counts exact, the ledger intact."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from ledger.database.engine import plain_url
from tests.conftest import ROOT, run_async
from tests.e2e.conftest import server_env, start_server, stop_server
from tests.factories import id_number

ROWS = 6_000
CHUNK = 250
DEMO_COMPLETIONS = 24  # of the demo's CHEGONG-2025-01


async def counts(database_url: str, job_id: str) -> dict[str, int]:
    conn = await asyncpg.connect(plain_url(database_url))
    try:
        job = await conn.fetchrow("SELECT state, done FROM jobs WHERE id = $1", uuid.UUID(job_id))
        return {
            "done": job["done"],
            "running": int(job["state"] == "running"),
            "job_rows": await conn.fetchval("SELECT count(*) FROM job_rows WHERE job_id = $1", uuid.UUID(job_id)),
            "completions": await conn.fetchval(
                "SELECT count(*) FROM completions c JOIN courses k ON k.id = c.course_id "
                "WHERE k.code = 'CHEGONG-2025-01'"
            ),
            "certificates": await conn.fetchval(
                "SELECT count(*) FROM certificates c JOIN courses k ON k.id = c.course_id "
                "WHERE k.code = 'CHEGONG-2025-01'"
            ),
            "duplicates": await conn.fetchval(
                "SELECT count(*) FROM (SELECT course_id, trainee_id FROM completions "
                "GROUP BY 1, 2 HAVING count(*) > 1) d"
            ),
        }
    finally:
        await conn.close()


def job(base: str, key: str, location: str) -> dict:
    return httpx.get(base + location, headers={"Authorization": f"Bearer {key}"}, timeout=10).json()


async def job_process_alive(database_url: str, seconds: float = 10) -> bool:
    """Whether the killed server's job process (api/job_process.py) still holds connections after `seconds`."""
    conn = await asyncpg.connect(plain_url(database_url))
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            left = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ledger jobs'"
                " AND datname = current_database()"
            )
            if not left:
                return False
            await asyncio.sleep(0.1)
        return True
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def environment(empty_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    folder = tmp_path_factory.mktemp("restart")
    env = server_env(empty_database, folder / "data")
    env.update({"LEDGER_IMPORT_CHUNK_ROWS": str(CHUNK), "LEDGER_JOB_POLL_SECONDS": "0.2",
                "LEDGER_JOB_LEASE_SECONDS": "600"})  # fmt: skip
    yield env


@pytest.mark.slow
def test_a_job_killed_mid_import_resumes_on_restart_without_duplicates(
    environment: dict[str, str], empty_database: str, tmp_path: Path
) -> None:
    log = tmp_path / "first.log"
    process, base = start_server(environment, log)
    try:
        key = re.search(r"institution XJ-EVAL-01\s+(ldg_\w+)", log.read_text())
        assert key, log.read_text()
        secret = key.group(1)
        lines = "".join(f"CHEGONG-2025-01,张伟,{id_number(10_000 + i)},2025-05-30,160,true,4\n" for i in range(ROWS))
        response = httpx.post(
            f"{base}/api/v1/completions/import",
            content=("course_code,name,id_number,completed_on,hours,passed,assessment_level\n" + lines).encode(),
            headers={"Authorization": f"Bearer {secret}", "Content-Type": "text/csv", "Prefer": "respond-async"},
            timeout=60,
        )
        assert response.status_code == 202, response.text
        location = response.headers["location"]
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            seen = job(base, secret, location)
            if seen["state"] == "running" and seen["done"] >= 4 * CHUNK:
                break
            assert seen["state"] in ("queued", "running"), seen
            time.sleep(0.03)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            stop_server(process)
    assert not run_async(job_process_alive(empty_database))  # the job process died with its server

    killed = run_async(counts(empty_database, location.rsplit("/", 1)[1]))
    assert killed["running"] == 1 and killed["done"] < ROWS
    # never half-written: what is registered is exactly what the job says it committed, chunk by chunk
    assert killed["done"] % CHUNK == 0
    assert killed["job_rows"] == killed["done"] == killed["completions"] - DEMO_COMPLETIONS

    process, base = start_server(environment, tmp_path / "second.log", demo=False)
    try:
        deadline = time.monotonic() + 300  # well inside the 600 s lease: the restarted server reclaims the job
        while time.monotonic() < deadline:
            seen = job(base, secret, location)
            if seen["state"] in ("succeeded", "failed"):
                break
            time.sleep(0.2)
        assert seen["state"] == "succeeded", seen
        assert seen["result"]["created"] == ROWS and seen["done"] == ROWS
    finally:
        stop_server(process)
    after = run_async(counts(empty_database, location.rsplit("/", 1)[1]))
    assert after["duplicates"] == 0
    assert after["job_rows"] == ROWS and after["completions"] == ROWS + DEMO_COMPLETIONS
    demo_certificates = 2 * 20  # 20 of the 24 demo trainees passed, two certificates each
    assert after["certificates"] == 2 * ROWS + demo_certificates
    audit = subprocess.run(
        [sys.executable, "-m", "api.cli", "audit"], cwd=ROOT, env=environment, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert audit.returncode == 0 and "audit: OK" in audit.stdout, audit.stdout + audit.stderr
