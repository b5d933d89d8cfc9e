"""Stored files and the job queue on a real PostgreSQL: parts, tenancy, expiry, claims under leases, reclaiming."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import os
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ledger.database.engine import make_engine, make_sessionmaker, plain_url
from ledger.errors import InvalidInput, NotFound
from ledger.jobs import files, queue
from ledger.jobs.service import job_status, recent_jobs, submit_job
from tests.integration.conftest import World


@pytest.fixture
async def sessions(world: World) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(world.settings.database_url or "", pool_size=4)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def institution(sessions: async_sessionmaker[AsyncSession], code: str) -> int:
    async with sessions() as session:
        return (await session.execute(text("SELECT id FROM institutions WHERE code = :c"), {"c": code})).scalar_one()


async def pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def test_a_file_is_kept_in_parts_and_read_back_whole(sessions: async_sessionmaker[AsyncSession]) -> None:
    school = await institution(sessions, "SCHOOL-B")
    data = os.urandom(files.PART_BYTES * 2 + 12345)
    async with sessions() as session:
        file_id = await files.keep_file(session, school, "C:\\学员\\名单.csv", "text/csv", pieces(data, 70_000))
        await session.commit()
    async with sessions() as session:
        info = await files.file_info(session, school, file_id)
        assert (info.filename, info.size, info.parts) == ("名单.csv", len(data), 3)
        assert info.sha256 == hashlib.sha256(data).digest()
        got = [part async for part in files.read_file(session, school, file_id)]
        assert [len(p) for p in got] == [files.PART_BYTES, files.PART_BYTES, 12345]
        assert b"".join(got) == data
        async with files.local_copy(session, school, file_id) as path:
            assert path.suffix == ".csv" and path.read_bytes() == data
        assert not path.exists()
        largest = await session.execute(text("SELECT max(length(data)) FROM stored_file_parts"))
        assert largest.scalar_one() == files.PART_BYTES


async def test_another_institutions_file_is_not_found(sessions: async_sessionmaker[AsyncSession]) -> None:
    school, evaluator = await institution(sessions, "SCHOOL-B"), await institution(sessions, "EVAL-A")
    async with sessions() as session:
        file_id = await files.keep_file(session, school, "a.csv", None, b"x,y\n")
        await session.commit()
    async with sessions() as session:
        with pytest.raises(NotFound):
            await files.file_info(session, evaluator, file_id)
        with pytest.raises(NotFound):
            [part async for part in files.read_file(session, evaluator, file_id)]
        await files.drop_file(session, evaluator, file_id)  # not theirs: nothing happens
        await session.commit()
    async with sessions() as session:
        assert (await files.file_info(session, school, file_id)).size == 4


async def test_a_file_over_the_limit_is_refused_and_nothing_is_kept(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    school = await institution(sessions, "SCHOOL-B")
    async with sessions() as session:
        with pytest.raises(InvalidInput) as refused:
            await files.keep_file(session, school, "big.csv", None, pieces(b"a" * 5000, 1000), max_bytes=4096)
        await session.rollback()
    assert refused.value.errors[0].code == "too_large" and "MiB" in refused.value.detail
    async with sessions() as session:
        assert (await session.execute(text("SELECT count(*) FROM stored_files"))).scalar_one() == 0


async def test_expired_files_go_unless_a_waiting_job_reads_them(sessions: async_sessionmaker[AsyncSession]) -> None:
    school = await institution(sessions, "SCHOOL-B")
    async with sessions() as session:
        short = dt.timedelta(seconds=1)
        loose = await files.keep_file(session, school, "a.csv", None, b"a", keep_for=short)
        needed = await files.keep_file(session, school, "b.csv", None, b"b", keep_for=short)
        kept = await files.keep_file(session, school, "c.csv", None, b"c")
        await submit_job(session, school, "import", input_file_id=needed)
        await session.commit()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    async with sessions() as session:
        assert await files.delete_expired_files(session, later) == 1
        await session.commit()
        left = (await session.execute(text("SELECT id FROM stored_files"))).scalars().all()
        assert set(left) == {needed, kept} and loose not in left
        with pytest.raises(NotFound):  # past its time it is not handed out, even before it is removed
            await files.file_info(session, school, loose)


async def test_a_submitted_job_is_the_owners_alone(sessions: async_sessionmaker[AsyncSession]) -> None:
    school, evaluator = await institution(sessions, "SCHOOL-B"), await institution(sessions, "EVAL-A")
    async with sessions() as session:
        job_id = await submit_job(session, school, "import", params={"dry_run": False}, total=10)
        await session.commit()
    async with sessions() as session:
        status = await job_status(session, school, job_id)
        assert (status.state, status.kind, status.done, status.total, status.percent) == ("queued", "import", 0, 10, 0)
        assert status.params == {"dry_run": False}
        with pytest.raises(NotFound):
            await job_status(session, evaluator, job_id)
        with pytest.raises(NotFound):
            await job_status(session, school, uuid.uuid4())
        assert [j.id for j in await recent_jobs(session, school)] == [job_id]
        assert await recent_jobs(session, evaluator) == []


async def test_two_workers_never_claim_one_job(sessions: async_sessionmaker[AsyncSession]) -> None:
    school = await institution(sessions, "SCHOOL-B")
    async with sessions() as session:
        ids = [await submit_job(session, school, "import") for _ in range(3)]
        await session.commit()

    async def claim(owner: str) -> uuid.UUID | None:
        async with sessions() as session:
            lease = await queue.claim_next(session, owner, ["import"], 60, 3)
            await asyncio.sleep(0.2)  # hold the row lock while the others look
            await session.commit()
            return lease.job_id if lease else None

    claimed = await asyncio.gather(*(claim(f"w{i}") for i in range(4)))
    assert sorted(c for c in claimed if c) == sorted(ids) and claimed.count(None) == 1
    async with sessions() as session:
        assert await queue.claim_next(session, "w9", ["import"], 60, 3) is None
        assert await queue.claim_next(session, "w9", ["course_pdf"], 60, 3) is None


async def expire(sessions: async_sessionmaker[AsyncSession], job_id: uuid.UUID) -> None:
    async with sessions() as session:
        await session.execute(
            text("UPDATE jobs SET lease_until = now() - interval '1 second' WHERE id = :id"), {"id": job_id}
        )
        await session.commit()


async def test_a_job_whose_lease_ran_out_is_reclaimed_and_the_old_worker_cannot_commit(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    school = await institution(sessions, "SCHOOL-B")
    async with sessions() as session:
        job_id = await submit_job(session, school, "import", total=100)
        await session.commit()
    async with sessions() as session:
        first = await queue.claim_next(session, "old", ["import"], 60, 3)
        assert first is not None and first.attempts == 1
        await queue.record_progress(session, first, was_done=0, done=40, result={"created": 40})
        await session.commit()
    async with sessions() as session:
        assert await queue.claim_next(session, "new", ["import"], 60, 3) is None  # the lease holds
    await expire(sessions, job_id)
    async with sessions() as session:
        second = await queue.claim_next(session, "new", ["import"], 60, 3)
        await session.commit()
    assert second is not None and (second.done, second.result, second.attempts) == (40, {"created": 40}, 2)
    async with sessions() as session:
        assert not await queue.renew(session, first, 60)
        with pytest.raises(queue.LeaseLost):
            await queue.record_progress(session, first, was_done=40, done=80)
        await session.rollback()
    async with sessions() as session:
        with pytest.raises(queue.LeaseLost):  # ours, but the committed progress is not what we last saw
            await queue.record_progress(session, second, was_done=0, done=80)
        await session.rollback()
    async with sessions() as session:
        assert await queue.renew(session, second, 60)
        await queue.record_progress(session, second, was_done=40, done=100)
        await queue.finish(session, second, {"created": 100})
        await session.commit()
        status = await job_status(session, school, job_id)
    assert (status.state, status.done, status.percent, status.result) == ("succeeded", 100, 100.0, {"created": 100})
    assert status.started_at is not None and status.finished_at is not None


async def test_a_job_claimed_too_often_ends_failed_with_a_chinese_message(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    school = await institution(sessions, "SCHOOL-B")
    async with sessions() as session:
        job_id = await submit_job(session, school, "course_pdf")
        await session.commit()
    for attempt in range(2):
        async with sessions() as session:
            lease = await queue.claim_next(session, f"w{attempt}", ["course_pdf"], 60, 2)
            await session.commit()
        assert lease is not None and lease.attempts == attempt + 1
        await expire(sessions, job_id)
    async with sessions() as session:
        assert await queue.claim_next(session, "w9", ["course_pdf"], 60, 2) is None
        await session.commit()
        status = await job_status(session, school, job_id)
    assert status.state == "failed" and status.message and status.message.startswith("任务已尝试 2 次仍未完成")


async def test_a_released_job_waits_before_it_is_claimed_again(sessions: async_sessionmaker[AsyncSession]) -> None:
    school = await institution(sessions, "SCHOOL-B")
    async with sessions() as session:
        await submit_job(session, school, "import")
        await session.commit()
    async with sessions() as session:
        lease = await queue.claim_next(session, "w", ["import"], 60, 3)
        assert lease is not None and await queue.release(session, lease, retry_after_seconds=0.5)
        await session.commit()
    async with sessions() as session:
        assert await queue.claim_next(session, "w", ["import"], 60, 3) is None
        await session.rollback()
    again = None
    for _ in range(50):  # claimable once the half second has passed on the database's clock (a slow machine: later)
        await asyncio.sleep(0.1)
        async with sessions() as session:
            again = await queue.claim_next(session, "w", ["import"], 60, 3)
            await session.commit()
        if again is not None:
            break
    assert again is not None and again.attempts == 2


async def test_a_failed_job_keeps_its_errors_capped_with_the_full_count(
    sessions: async_sessionmaker[AsyncSession], world: World
) -> None:
    school = await institution(sessions, "SCHOOL-B")
    async with sessions() as session:
        job_id = await submit_job(session, school, "import")
        await session.commit()
    async with sessions() as session:
        lease = await queue.claim_next(session, "w", ["import"], 60, 3)
        assert lease is not None
        errors = [{"row": r, "field": "hours", "code": "invalid", "message": "学时不是整数"} for r in range(500)]
        await queue.fail(session, lease, "第 2 行起有错误", errors=errors)
        await session.commit()
        status = await job_status(session, school, job_id)
    assert status.state == "failed" and status.error_count == 500 and len(status.errors) == 200
    conn = await asyncpg.connect(plain_url(world.settings.database_url or ""))
    try:
        assert await conn.fetchval("SELECT lease_owner FROM jobs") is None
    finally:
        await conn.close()
