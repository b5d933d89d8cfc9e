"""The job workers in a process of their own (LEDGER_JOB_PROCESS, default on for `ledger serve`): an import job's
file checking and chunk registration, a course's PDFs, all off the event loop that serves the public.

The server process spawns it at start-up and stops it (SIGTERM, then a wait) when it stops itself. The child runs
`ledger.jobs.worker.run_workers` with the server's settings and a database pool of its own; the queue is in the
database (docs/jobs.md), so the server hands it nothing: it claims what is queued. A server that dies without
stopping it (kill -9, a crash) takes it along at once, as when the workers ran on the server's own loop: on Linux
the kernel kills it with its parent (PR_SET_PDEATHSIG), elsewhere it sees within a second that its parent is gone
and exits. Its transaction dies with it, and the job it held is resumed by the next worker to claim it once its
lease runs out, as after any crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import time
from multiprocessing.process import BaseProcess
from typing import Any

from api.certificates.pdfs import pdf_signer
from api.jobs.handlers import handlers_for
from api.request_log import configure_logging
from api.settings import WebSettings
from ledger.database.engine import make_engine, make_sessionmaker
from ledger.jobs.worker import run_workers
from ledger.people.pii import PiiVault
from ledger.processes import serve_only

log = logging.getLogger("api.jobs")

JOB_PROCESS_NAME = "ledger jobs"  # its connections' application_name in pg_stat_activity
STOP_WAIT_SECONDS = 30.0  # how long a stopping server waits for the job process to put its work down
RESTART_DELAYS = (1.0, 2.0, 5.0, 15.0, 60.0)  # before the 1st, 2nd, … restart of a job process that died
STEADY_SECONDS = 300.0  # a job process that has run this long is well again: the next restart waits 1 s


def _run(settings: WebSettings, url: str, server_pid: int, ready: Any) -> None:
    """The job process: killed with its server, its logging, then the workers until SIGTERM."""
    serve_only(server_pid)
    configure_logging(settings.log_format)
    asyncio.run(_work(settings, url, server_pid, ready))


async def _work(settings: WebSettings, url: str, server_pid: int, ready: Any) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    ready.set()  # from here SIGTERM is a request to stop, no longer a kill
    domain = settings.domain
    engine = make_engine(url, max(2, domain.job_workers + 1), application_name=JOB_PROCESS_NAME)
    vault = PiiVault(domain.pii_key, domain.lookup_key)  # type: ignore[arg-type]
    handlers = handlers_for(settings, vault, await asyncio.to_thread(pdf_signer, settings))

    async def orphaned() -> None:
        while not stop.is_set():
            if os.getppid() != server_pid:  # where PR_SET_PDEATHSIG is not to be had
                log.warning("the server died; its job process exits with it")
                os._exit(1)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)

    try:
        await asyncio.gather(run_workers(make_sessionmaker(engine), handlers, domain, stop), orphaned())
    finally:
        await engine.dispose()


class JobProcess:
    """A server's job process: started with the server, started again if it dies (the OOM killer, a crash in a
    file reader), stopped with the server."""

    def __init__(self, settings: WebSettings, url: str) -> None:
        self._settings = settings
        self._url = url
        self.restarts = 0
        self.process: BaseProcess | None = None
        self._ready: Any = None
        self._started_at = 0.0

    def start(self) -> None:
        """Spawn the process, from the calling thread (the event loop's: the child dies with this process)."""
        context = multiprocessing.get_context("spawn")
        self._ready = context.Event()
        self.process = context.Process(
            target=_run,
            args=(self._settings, self._url, os.getpid(), self._ready),
            name=JOB_PROCESS_NAME,
            daemon=True,  # a server that exits without stopping it still ends it (multiprocessing terminates it)
        )
        self.process.start()
        self._started_at = time.monotonic()
        log.info("job workers: %d in process %s", self._settings.domain.job_workers, self.process.pid)

    async def watch(self, stop: asyncio.Event) -> None:
        """Until `stop`: once a second, whether the process is alive; a dead one is logged and replaced, after a
        delay that grows while it keeps dying."""
        failures = 0
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)
            process = self.process
            if stop.is_set() or process is None or process.is_alive():
                continue
            if time.monotonic() - self._started_at > STEADY_SECONDS:
                failures = 0
            delay = RESTART_DELAYS[min(failures, len(RESTART_DELAYS) - 1)]
            log.error("the job process died (exit code %s); starting another in %.0f s", process.exitcode, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            if not stop.is_set():
                self.start()
                self.restarts += 1
                failures += 1

    def stop(self) -> None:
        """Ask the process to stop (once it can stop gracefully) and wait for it; killed if it will not."""
        process = self.process
        if process is None:
            return
        deadline = time.monotonic() + STOP_WAIT_SECONDS
        starting = process.is_alive() and not self._ready.is_set()
        while starting and time.monotonic() < deadline:  # a SIGTERM now would kill it half-way through its imports
            starting = process.is_alive() and not self._ready.wait(0.1)
        if process.is_alive() and process.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGTERM)
        process.join(STOP_WAIT_SECONDS)
        if process.is_alive():
            log.warning("the job process did not stop in %.0f s; killing it", STOP_WAIT_SECONDS)
            process.kill()
            process.join()
