"""The job worker: claims queued jobs, runs each one's handler under a renewed lease, and ends it.

One or more workers run in every server process (an asyncio task started with the app). A handler does its work
in transactions of its own and commits each step together with the job's progress (`JobRun.commit`), so whatever
stops it — an error, a shutdown, a kill -9 — leaves the job at its last committed step. How a job ends:

- the handler finishes it (`JobRun.finish`), or returns and the worker finishes it with `run.result`;
- it raises JobFailed (or a domain error): the job is failed with its message and errors, nothing more is tried;
- it raises anything else: the job goes back to the queue and is tried again a little later, resuming from what
  was committed, until LEDGER_JOB_MAX_ATTEMPTS claims have been made; then it ends failed, saying so;
- the server stops: the job goes back to the queue at once, for this server's next start or another server;
- the server is killed: its lease runs out (LEDGER_JOB_LEASE_SECONDS) and another worker claims it; a server
  restarted on the same host reclaims its dead predecessors' jobs at start, without waiting for their leases.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ledger.errors import LedgerError
from ledger.jobs import queue
from ledger.jobs.files import delete_expired_files
from ledger.jobs.queue import Lease, LeaseLost
from ledger.settings import Settings
from ledger.statistics.refresh import fold_pending, vacuum_pending

log = logging.getLogger("ledger.jobs")
CLEANUP_EVERY_SECONDS = 600.0
FOLD_BATCH = 200_000  # pending talent moves folded per transaction
VACUUM_PENDING_SECONDS = 60.0


class JobFailed(Exception):
    """A handler's clean failure: the job ends failed with this message (Chinese first) and these errors."""

    def __init__(
        self,
        message: str,
        errors: Sequence[dict[str, Any]] = (),
        error_count: int | None = None,
        result: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = list(errors)
        self.error_count = len(self.errors) if error_count is None else error_count
        self.result = result


@dataclass
class JobRun:
    """A claimed job as its handler sees it: the lease, sessions to work in, and the progress committed so far."""

    lease: Lease
    sessions: async_sessionmaker[AsyncSession]
    settings: Settings
    done: int
    result: dict[str, Any]
    finished: bool = field(default=False)

    async def commit(
        self, session: AsyncSession, done: int, *, result: dict[str, Any] | None = None, total: int | None = None
    ) -> None:
        """Write the job's progress into `session`'s transaction (the one holding the work it counts) and commit
        both together. Raises LeaseLost, having rolled back, when the job is no longer this worker's."""
        try:
            await queue.record_progress(session, self.lease, was_done=self.done, done=done, result=result, total=total)
            await session.commit()
        except LeaseLost:
            await session.rollback()
            raise
        self.done = done
        if result is not None:
            self.result = result

    async def finish(
        self, session: AsyncSession, result: dict[str, Any], *, output_file_id: Any = None, done: int | None = None
    ) -> None:
        """Mark the job succeeded in `session`'s transaction and commit it."""
        await queue.finish(session, self.lease, result, output_file_id=output_file_id, done=done)
        await session.commit()
        self.finished, self.result = True, result


Handler = Callable[[JobRun], Coroutine[Any, Any, None]]


def worker_id() -> str:
    """host/pid/random: the host and pid let a restarted server on the same host find its dead predecessors' jobs."""
    host = socket.gethostname().replace("/", "_")[:40]
    return f"{host}/{os.getpid()}/{secrets.token_hex(4)}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def reclaim_orphans(session: AsyncSession, owner: str) -> int:
    """Make claimable now the running jobs of processes on this host that no longer exist (a killed or restarted
    server); how many. The caller commits."""
    host = owner.split("/", 1)[0]
    rows = await session.execute(
        text("SELECT id, lease_owner FROM jobs WHERE state = 'running' AND lease_owner LIKE :prefix"),
        {"prefix": host.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"},
    )
    reclaimed = 0
    for job_id, lease_owner in rows.all():
        pid = lease_owner.split("/")[1] if lease_owner.count("/") >= 2 else ""
        if pid.isdigit() and not _alive(int(pid)):
            await session.execute(
                text("UPDATE jobs SET lease_until = now() WHERE id = :id AND lease_owner = :owner"),
                {"id": job_id, "owner": lease_owner},
            )
            reclaimed += 1
    return reclaimed


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


def _field_errors(exc: LedgerError) -> list[dict[str, Any]]:
    return [{"row": e.row, "field": e.field, "code": e.code, "message": e.message} for e in exc.errors]


class Worker:
    """One worker: claims a job, runs it, ends it; looks again every LEDGER_JOB_POLL_SECONDS when idle."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        handlers: Mapping[str, Handler],
        settings: Settings,
        owner: str | None = None,
    ) -> None:
        self.sessions, self.handlers, self.settings = sessions, handlers, settings
        self.owner = owner or worker_id()
        self._last_cleanup = 0.0

    async def run(self, stop: asyncio.Event) -> None:
        try:
            async with self.sessions() as session:
                if found := await reclaim_orphans(session, self.owner):
                    log.info("reclaimed %d job(s) of stopped processes", found)
                await session.commit()
        except Exception as exc:  # the leases run out instead
            log.warning("orphaned jobs not reclaimed: %s", type(exc).__name__)
        while not stop.is_set():
            lease = await self._claim()
            if lease is None:
                await self._cleanup()
                await _wait(stop, self.settings.job_poll_seconds)
                continue
            await self.work(lease, stop)

    async def _claim(self) -> Lease | None:
        try:
            async with self.sessions() as session:
                lease = await queue.claim_next(
                    session, self.owner, list(self.handlers), self.settings.job_lease_seconds,
                    self.settings.job_max_attempts,
                )  # fmt: skip
                await session.commit()
                return lease
        except Exception as exc:  # the database is away: look again later
            log.warning("no job claimed: %s", type(exc).__name__)
            return None

    async def _cleanup(self) -> None:
        if time.monotonic() - self._last_cleanup < CLEANUP_EVERY_SECONDS:
            return
        self._last_cleanup = time.monotonic()
        try:
            async with self.sessions() as session:
                removed = await delete_expired_files(session)
                await session.commit()
            if removed:
                log.info("removed %d expired stored file(s)", removed)
        except Exception as exc:
            log.warning("expired files not removed: %s", type(exc).__name__)

    async def work(self, lease: Lease, stop: asyncio.Event) -> None:
        """Run one claimed job to its end (or until `stop`), renewing its lease meanwhile."""
        run = JobRun(lease, self.sessions, self.settings, lease.done, dict(lease.result))
        task = asyncio.create_task(self.handlers[lease.kind](run))
        beat = asyncio.create_task(self._heartbeat(lease, task))
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not task.done():  # the server is stopping: hand the job back at once
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
                await self._end(queue.release, lease, 0.0)
                return
            await self._settle(run, task)
        finally:
            beat.cancel()
            stopping.cancel()

    async def _settle(self, run: JobRun, task: asyncio.Task[None]) -> None:
        lease = run.lease
        if task.cancelled():
            log.warning("job %s lost its lease while running", lease.job_id)
            return
        exc = task.exception()
        if exc is None:
            if not run.finished:
                await self._end(queue.finish, lease, run.result)
        elif isinstance(exc, LeaseLost):
            log.warning("job %s: its lease was lost, the work since the last commit was rolled back", lease.job_id)
        elif isinstance(exc, JobFailed):
            await self._end(queue.fail, lease, exc.message, errors=exc.errors, error_count=exc.error_count,
                            result=exc.result)  # fmt: skip
        elif isinstance(exc, LedgerError):
            await self._end(queue.fail, lease, exc.detail, errors=_field_errors(exc))
        else:
            log.error("job %s failed unexpectedly (attempt %d)", lease.job_id, lease.attempts, exc_info=exc)
            await self._end(queue.release, lease, self.retry_after(lease.attempts))

    def retry_after(self, attempts: int) -> float:
        """Seconds before a job that failed unexpectedly may be claimed again."""
        return min(60.0, 5.0 * attempts)

    async def _end(self, how: Callable[..., Awaitable[Any]], lease: Lease, *args: Any, **kwargs: Any) -> None:
        try:
            async with self.sessions() as session:
                await how(session, lease, *args, **kwargs)
                await session.commit()
        except LeaseLost:
            log.warning("job %s was no longer ours to end", lease.job_id)
        except Exception as exc:  # its lease runs out and the job is claimed again
            log.warning("job %s not ended: %s", lease.job_id, type(exc).__name__)

    async def _heartbeat(self, lease: Lease, task: asyncio.Task[None]) -> None:
        every = self.settings.job_lease_seconds / 3
        while not task.done():
            await asyncio.sleep(every)
            try:
                async with self.sessions() as session:
                    kept = await queue.renew(session, lease, self.settings.job_lease_seconds)
                    await session.commit()
            except Exception as exc:  # try again at the next beat, the lease has time left
                log.warning("lease of job %s not renewed: %s", lease.job_id, type(exc).__name__)
                continue
            if not kept:
                task.cancel()
                return


async def run_workers(
    sessions: async_sessionmaker[AsyncSession], handlers: Mapping[str, Handler], settings: Settings,
    stop: asyncio.Event,
) -> None:  # fmt: skip
    """LEDGER_JOB_WORKERS workers sharing this process until `stop` is set, and the talent rollup's folder."""
    workers = [Worker(sessions, handlers, settings) for _ in range(settings.job_workers)]
    folder = [fold_talent(sessions, settings, stop)] if workers else []  # LEDGER_JOB_WORKERS=0: no background work
    await asyncio.gather(*(w.run(stop) for w in workers), *folder)


async def fold_talent(sessions: async_sessionmaker[AsyncSession], settings: Settings, stop: asyncio.Event) -> None:
    """Fold the talent refreshes' pending moves into the rollup (`fold_pending`) until `stop`: batch after batch
    while there are any, then look again every LEDGER_JOB_POLL_SECONDS. One fold runs at a time over all servers.
    The table is vacuumed once it is drained after a fold, and every VACUUM_PENDING_SECONDS anyway (rolled-back
    refreshes leave dead rows too)."""
    engine = sessions.kw["bind"]
    folded, vacuumed = False, time.monotonic()
    while not stop.is_set():
        taken = 0
        try:
            async with sessions() as session:
                taken = await fold_pending(session, FOLD_BATCH)
                await session.commit()
            folded = folded or taken > 0
            if taken < FOLD_BATCH and (folded or time.monotonic() - vacuumed > VACUUM_PENDING_SECONDS):
                await vacuum_pending(engine)
                folded, vacuumed = False, time.monotonic()
        except Exception as exc:  # the database is away: the queries add the pending moves meanwhile
            log.warning("talent rollup not folded: %s: %s", type(exc).__name__, exc)
        if taken < FOLD_BATCH:
            await _wait(stop, settings.job_poll_seconds)
