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
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from typing import Any

from api.certificates.pdfs import pdf_signer
from api.jobs.handlers import handlers_for
from api.request_log import configure_logging
from api.settings import WebSettings
from ledger import cpu
from ledger.database.engine import make_engine, make_sessionmaker
from ledger.jobs.worker import run_workers
from ledger.people.pii import PiiVault

log = logging.getLogger("api.jobs")

JOB_PROCESS_NAME = "ledger jobs"  # its connections' application_name in pg_stat_activity
STOP_WAIT_SECONDS = 30.0  # how long a stopping server waits for the job process to put its work down


def _run(settings: WebSettings, url: str, parent: int, ready: Any) -> None:
    """The job process: its logging and priority, then the workers until SIGTERM or its parent's death."""
    cpu.lower_priority()  # and killed with the server, however it dies (ledger/cpu.py)
    configure_logging(settings.log_format)
    asyncio.run(_work(settings, url, parent, ready))


async def _work(settings: WebSettings, url: str, parent: int, ready: Any) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    ready.set()  # from here SIGTERM is a request to stop, no longer a kill
    domain = settings.domain
    engine = make_engine(url, max(2, domain.job_workers + 1), application_name=JOB_PROCESS_NAME)
    vault = PiiVault(domain.pii_key, domain.lookup_key)  # type: ignore[arg-type]
    handlers = handlers_for(settings, vault, await asyncio.to_thread(pdf_signer, settings))

    async def orphaned() -> None:
        while not stop.is_set():
            if os.getppid() != parent:  # where PR_SET_PDEATHSIG is not to be had
                log.warning("the server died; its job process exits with it")
                os._exit(1)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)

    try:
        await asyncio.gather(run_workers(make_sessionmaker(engine), handlers, domain, stop), orphaned())
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class JobProcess:
    process: BaseProcess
    ready: Any  # a multiprocessing Event the child sets once it stops gracefully on SIGTERM


def start_job_process(settings: WebSettings, url: str) -> JobProcess:
    """Spawn the job process for this server process."""
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    process = context.Process(
        target=_run, args=(settings, url, os.getpid(), ready), name=JOB_PROCESS_NAME, daemon=False
    )
    process.start()
    log.info("job workers: %d in process %s", settings.domain.job_workers, process.pid)
    return JobProcess(process, ready)


def stop_job_process(jobs: JobProcess) -> None:
    """Ask the job process to stop (once it can stop gracefully) and wait for it; killed if it will not."""
    process = jobs.process
    deadline = time.monotonic() + STOP_WAIT_SECONDS
    while process.is_alive() and not jobs.ready.wait(0.1) and time.monotonic() < deadline:
        pass  # still starting: a SIGTERM now would kill it half-way through its imports
    if process.is_alive() and process.pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGTERM)
    process.join(STOP_WAIT_SECONDS)
    if process.is_alive():
        log.warning("the job process did not stop in %.0f s; killing it", STOP_WAIT_SECONDS)
        process.kill()
        process.join()
