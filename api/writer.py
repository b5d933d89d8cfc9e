"""The writer: large registrations run in a process of their own, not on the event loop that serves the public.

A 10,000-row batch is seconds of Python (validation, sealing, the ledger's hashing, encoding its statements) and
the serving loop that runs it answers nothing else meanwhile, however finely it yields: verification's p99 rose
to several times its quiet figure (docs/scaling.md, "Imports beside verification"). So a server process hands
every batch of LEDGER_WRITER_MIN_ROWS rows or more (default 500) to its writer (LEDGER_WRITER_PROCESSES, default
1; 0 = every batch on the loop, as before): a spawned process with an event loop and database pool of its own,
started at the first such batch, which runs `api.registration.batch.register_batch` — the very code a small batch
runs in place — and sends back the answer as bytes. The serving process keeps the admission slot, decodes the
request and sends the response; its loop is free while the writer works.

What crosses between the two is plain data: the call (pickled), the answer (status, body,
headers), and the domain's errors (InvalidInput naming the rows, Conflict). An error the writer cannot hand over
as it is leaves as one that means the same here: a lost database as ConnectionError (503, Retry-After), a value
PostgreSQL cannot store as OverflowError (400), anything else logged there with its traceback and answered 500.
A writer that dies mid-batch answers 503 and is replaced; whether that batch committed is then unknown to the
caller, which retries with the same Idempotency-Key (or sees its rows come back `unchanged`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import multiprocessing
import multiprocessing.util
import os
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor
from typing import Any, TypeVar

import asyncpg
import sqlalchemy.exc
from litestar.exceptions import ServiceUnavailableException
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from api.problems import RETRY_AFTER, connection_lost, is_data_error
from api.request_log import configure_logging, current_request_id, logged_as
from api.settings import WebSettings
from ledger.database.constraints import constraint_violation
from ledger.database.engine import make_engine, make_sessionmaker
from ledger.errors import LedgerError
from ledger.people.pii import PiiVault
from ledger.processes import serve_only

log = logging.getLogger("api.writer")
T = TypeVar("T")

WRITER_NAME = "ledger writer"  # its connections' application_name, as pg_stat_activity shows them
WRITER_POOL_SIZE = 3  # database connections of one writer process (a batch uses one; a spare for the next)


@dataclasses.dataclass
class _WriterProcess:
    """What a writer process keeps between batches: its loop (so that its pool of connections lasts too), its
    sessions, the vault and the public base of QR URLs."""

    loop: asyncio.AbstractEventLoop
    engine: AsyncEngine
    sessionmaker: async_sessionmaker
    vault: PiiVault
    public_base: str


_this_writer: _WriterProcess | None = None


def _start_writer(settings: WebSettings, url: str, server_pid: int) -> None:
    """A writer process's first act: die with its server, then its logging, its loop and its database pool (which
    connects at the first batch)."""
    global _this_writer
    serve_only(server_pid)
    configure_logging(settings.log_format)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    domain = settings.domain
    engine = make_engine(url, WRITER_POOL_SIZE, application_name=WRITER_NAME)
    vault = PiiVault(domain.pii_key, domain.lookup_key)  # type: ignore[arg-type]
    _this_writer = _WriterProcess(loop, engine, make_sessionmaker(engine), vault, settings.public_base_url)
    # A pool's worker leaves through multiprocessing's exit, which runs its finalizers but not atexit's: close the
    # connections there, so that PostgreSQL sees them closed rather than dropped.
    multiprocessing.util.Finalize(None, _close_writer, exitpriority=10)


def _close_writer() -> None:
    writer = _this_writer
    if writer is not None and not writer.loop.is_closed():
        with contextlib.suppress(Exception):
            writer.loop.run_until_complete(writer.engine.dispose())
        writer.loop.close()


# A writer's work: `work(session, vault, public_base, *args)`, a module-level coroutine function (it is pickled by
# name) that writes in `session` and commits, or rolls back; its arguments and result pickle.
WriterWork = Callable[..., Awaitable[T]]


def _in_writer(work: WriterWork[T], args: tuple[Any, ...], request_id: str) -> T:
    """In a writer process: `work` run on the writer's loop in a session of its own, its log lines under the
    request's id."""
    writer = _this_writer
    assert writer is not None, "the writer process was not started"
    with logged_as(request_id):
        return writer.loop.run_until_complete(_portable(_in_session(writer, work, args)))


async def _in_session(writer: _WriterProcess, work: WriterWork[T], args: tuple[Any, ...]) -> T:
    async with writer.sessionmaker() as session:
        return await work(session, writer.vault, writer.public_base, *args)


async def _portable(work: Coroutine[Any, Any, T]) -> T:
    """`work`, with any error it raises made one that pickles and means the same to the serving process."""
    try:
        return await work
    except LedgerError:
        raise
    except (sqlalchemy.exc.IntegrityError, asyncpg.IntegrityConstraintViolationError) as exc:
        raise constraint_violation(exc) from None  # the problem its constraint names, as in place
    except Exception as exc:
        if connection_lost(exc):
            raise ConnectionError("the database is unavailable") from None
        if isinstance(exc, OverflowError | asyncpg.DataError) or (
            isinstance(exc, sqlalchemy.exc.DBAPIError) and is_data_error(exc)
        ):
            raise OverflowError("a value cannot be stored") from None
        log.error("the writer failed: %s", type(exc).__name__, exc_info=exc)
        raise RuntimeError(f"the writer failed: {type(exc).__name__}") from None


class Writer:
    """The serving process's handle on its writer processes, started at the first batch that needs them."""

    def __init__(self, settings: WebSettings, url: str) -> None:
        self._settings = settings
        self._url = url
        self._processes = settings.writer_processes
        self._min_rows = settings.writer_min_rows
        self._pool: ProcessPoolExecutor | None = None

    def takes(self, rows: int) -> bool:
        """Whether work on `rows` rows runs in the writer (else on the serving loop)."""
        return self._processes > 0 and rows >= self._min_rows

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self._processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_writer,
                initargs=(self._settings, self._url, os.getpid()),
            )
        return self._pool

    def _submit(self, work: WriterWork[T], args: tuple[Any, ...]) -> tuple[ProcessPoolExecutor, Future[T]]:
        """Hand the work to a writer (its arguments pickled whole: rows as the reader or Litestar made them, not
        checked again on the way); a pool found broken before it took the work (its process died between two
        batches) is replaced at once."""
        pool = self._started()
        try:
            return pool, pool.submit(_in_writer, work, args, current_request_id())
        except BrokenExecutor:
            log.warning("the writer process had died; starting a new one")
            self._drop(pool)
            pool = self._started()
            return pool, pool.submit(_in_writer, work, args, current_request_id())

    def _drop(self, pool: ProcessPoolExecutor) -> None:
        if self._pool is pool:
            self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)

    async def run(self, work: WriterWork[T], *args: Any) -> T:
        """`work(session, vault, public_base, *args)` in a writer process."""
        pool, done = self._submit(work, args)
        try:
            return await asyncio.wrap_future(done)
        except BrokenExecutor as exc:
            log.warning("the writer process died during a batch; starting a new one")
            self._drop(pool)
            raise ServiceUnavailableException(
                "导入进程中断，请用同一 Idempotency-Key 重试（the import was interrupted; retry it with the same "
                "Idempotency-Key: rows it already registered come back unchanged）",
                headers={"Retry-After": RETRY_AFTER[503]},
            ) from exc

    def stop(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            with contextlib.suppress(Exception):
                pool.shutdown(wait=True, cancel_futures=True)
