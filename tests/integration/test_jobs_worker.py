"""The job worker on a real PostgreSQL: how a job ends when its handler finishes, fails, breaks, or the server stops
or was killed."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ledger.database.engine import make_engine, make_sessionmaker
from ledger.errors import InvalidInput
from ledger.jobs import queue
from ledger.jobs.service import job_status, submit_job
from ledger.jobs.worker import JobFailed, JobRun, Worker, reclaim_orphans, worker_id
from ledger.settings import Settings
from tests.integration.conftest import World
from tests.integration.test_jobs_store import institution

PID_MAX = int(Path("/proc/sys/kernel/pid_max").read_text())


@pytest.fixture
async def sessions(world: World) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(world.settings.database_url or "", pool_size=4)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
def quick(settings: Settings) -> Settings:
    return dataclasses.replace(settings, job_poll_seconds=0.02, job_lease_seconds=3, job_max_attempts=2)


async def queued(sessions: async_sessionmaker[AsyncSession], school: int) -> uuid.UUID:
    async with sessions() as session:
        job_id = await submit_job(session, school, "import", total=3)
        await session.commit()
    return job_id


async def until(sessions: async_sessionmaker[AsyncSession], school: int, job_id: uuid.UUID, *states: str) -> object:
    for _ in range(500):
        async with sessions() as session:
            status = await job_status(session, school, job_id)
        if status.state in states:
            return status
        await asyncio.sleep(0.02)
    raise AssertionError(f"job stayed {status.state}")


async def test_a_stopping_server_hands_its_job_back_and_the_next_worker_resumes_it(
    sessions: async_sessionmaker[AsyncSession], quick: Settings
) -> None:
    school = await institution(sessions, "SCHOOL-B")
    job_id = await queued(sessions, school)
    started, seen = asyncio.Event(), []

    async def slow(run: JobRun) -> None:
        seen.append(run.done)
        async with run.sessions() as session:
            await run.commit(session, run.done + 1)
        started.set()
        await asyncio.sleep(3600)

    stop = asyncio.Event()
    first = asyncio.create_task(Worker(sessions, {"import": slow}, quick).run(stop))
    await started.wait()
    stop.set()
    await first
    async with sessions() as session:
        back = await job_status(session, school, job_id)
    assert (back.state, back.done, back.attempts) == ("queued", 1, 1)

    async def rest(run: JobRun) -> None:
        seen.append(run.done)
        async with run.sessions() as session:
            await run.commit(session, 3, result={"created": 3})

    stop = asyncio.Event()
    second = asyncio.create_task(Worker(sessions, {"import": rest}, quick).run(stop))
    done = await until(sessions, school, job_id, "succeeded")
    stop.set()
    await second
    assert seen == [0, 1] and done.result == {"created": 3} and done.done == 3  # type: ignore[attr-defined]


async def test_a_job_that_keeps_breaking_ends_failed_and_a_refused_one_at_once(
    sessions: async_sessionmaker[AsyncSession], quick: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Worker, "retry_after", lambda self, attempts: 0.0)
    school = await institution(sessions, "SCHOOL-B")
    ids = [await queued(sessions, school) for _ in range(3)]
    calls: dict[uuid.UUID, int] = {}

    async def handler(run: JobRun) -> None:
        calls[run.lease.job_id] = calls.get(run.lease.job_id, 0) + 1
        if run.lease.job_id == ids[0]:
            raise RuntimeError("a bug")
        if run.lease.job_id == ids[1]:
            raise JobFailed("第 3 行有错误", [{"row": 3, "field": "hours", "code": "invalid", "message": "学时"}])
        raise InvalidInput("表头不完整", errors=[])

    stop = asyncio.Event()
    task = asyncio.create_task(Worker(sessions, {"import": handler}, quick).run(stop))
    statuses = [await until(sessions, school, job_id, "failed") for job_id in ids]
    stop.set()
    await task
    broke, refused, invalid = statuses
    assert broke.message.startswith("任务已尝试 2 次仍未完成")  # type: ignore[attr-defined]
    assert calls[ids[0]] == 2
    assert refused.message == "第 3 行有错误" and refused.error_count == 1  # type: ignore[attr-defined]
    assert refused.errors[0]["row"] == 3 and calls[ids[1]] == 1  # type: ignore[attr-defined]
    assert invalid.message == "表头不完整" and calls[ids[2]] == 1  # type: ignore[attr-defined]


async def test_a_restarted_server_reclaims_the_jobs_of_its_dead_predecessor_at_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    school = await institution(sessions, "SCHOOL-B")
    dead = PID_MAX  # pids stay below it: no process has this one
    mine = worker_id()
    host = mine.split("/")[0]
    orphan, alive = await queued(sessions, school), await queued(sessions, school)
    async with sessions() as session:
        for job_id, owner in ((orphan, f"{host}/{dead}/dead"), (alive, f"{host}/1/init")):
            await session.execute(
                text("UPDATE jobs SET state = 'running', lease_owner = :o, lease_until = now() + interval '1 hour' "
                     "WHERE id = :id"),
                {"o": owner, "id": job_id},
            )  # fmt: skip
        await session.commit()
    async with sessions() as session:
        assert await reclaim_orphans(session, mine) == 1
        await session.commit()
    async with sessions() as session:
        lease = await queue.claim_next(session, mine, ["import"], 60, 3)
        again = await queue.claim_next(session, mine, ["import"], 60, 3)
    assert lease is not None and lease.job_id == orphan and again is None
