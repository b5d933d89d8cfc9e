"""The composition root: `create_app(settings)` builds everything; nothing is configured at import time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

import asyncpg
from litestar import Litestar, Router
from litestar.di import Provide

from api.admission import Admission
from api.body_guard import json_body_guard
from api.certificates.controllers import AwardController, CertificateController, CourseCertificatesController
from api.certificates.credentials import CertificateCredentialController, IssuerController, SharedCredentialController
from api.certificates.holder import HolderCheckController
from api.certificates.ledger_page import LedgerPageController
from api.certificates.pdfs import pdf_signer
from api.certificates.shares import ShareApiController, ShareFormController, SharePageController
from api.certificates.status_list import StatusListCache
from api.certificates.verify import PublishedKeysController, VerifyApiController, VerifyPageController
from api.deps import Runtime, provide_home_region, provide_institution_id, provide_principal, provide_session, runtime
from api.housekeeping import housekeeper
from api.job_process import JobProcess
from api.jobs.controllers import JobController
from api.jobs.handlers import handlers_for
from api.limits import client_address, is_shared, open_stores, rate_limited, store_registry
from api.log.controllers import CertificateLedgerController, LedgerController
from api.metrics import MetricsController, prometheus_config
from api.openapi.config import openapi_config
from api.ops import OpsController
from api.problems import EXCEPTION_HANDLERS
from api.registration.completions import CompletionController
from api.registration.courses import CourseController
from api.registration.sheets import SheetController
from api.registration.trainees import TraineeController
from api.request_log import request_log
from api.school.router import school_router
from api.settings import WebSettings
from api.statistics.controllers import BaselineController, PlanController, StatsController
from api.statistics.dashboard import dashboard_router
from api.statistics.reconciliation import PublishedFigureController, ReconciliationController
from api.strict_query import strict_query
from api.templating import template_config
from api.tenancy.controllers import BureauKeyController, InstitutionController, KeyController, OwnKeyController
from api.writer import Writer
from ledger import cpu
from ledger.database.engine import as_asyncpg_url, database_url, make_engine, make_sessionmaker, plain_url
from ledger.database.migrate import head_revision
from ledger.database.replica import REPLICA_TIMEOUT_SECONDS, ReplicaReads
from ledger.jobs.worker import run_workers
from ledger.log.reader import checkpoint_due, make_checkpoint
from ledger.people.pii import PiiVault
from ledger.tenancy.signing_keys import active_key

log = logging.getLogger("api")


async def _no_reset(connection: asyncpg.Connection) -> None:
    """The verification pool only reads; skipping asyncpg's reset query on release saves a round trip."""


async def _checkpointer(runtime: Runtime, stop: asyncio.Event) -> None:
    """Sign a checkpoint whenever the log has grown by LEDGER_CHECKPOINT_EVERY_ENTRIES entries, or at all for
    LEDGER_CHECKPOINT_EVERY_SECONDS."""
    settings = runtime.settings.domain
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.checkpoint_poll_seconds)
        if stop.is_set():
            break
        try:
            async with runtime.sessionmaker() as session:
                if await checkpoint_due(session, settings.checkpoint_every_entries, settings.checkpoint_every_seconds):
                    await make_checkpoint(session, runtime.vault, settings.ledger_origin)
                    await session.commit()
        except Exception as exc:  # the next round tries again; the server keeps serving
            log.warning("checkpoint not made: %s", type(exc).__name__)


async def _replica(settings: WebSettings, primary: asyncpg.Pool) -> ReplicaReads | None:
    """The read replica's pool, when LEDGER_READ_DATABASE_URL names one. min_size=0: a standby that is down at
    start-up does not stop the server (its reads go to the primary until the standby answers)."""
    if not settings.read_database_url:
        return None
    pool = await asyncpg.create_pool(
        plain_url(as_asyncpg_url(settings.read_database_url)),
        min_size=0,
        max_size=settings.db_pool_size,
        reset=_no_reset,
        timeout=REPLICA_TIMEOUT_SECONDS,
        command_timeout=REPLICA_TIMEOUT_SECONDS,
    )
    return ReplicaReads(primary, pool, max_lag=settings.read_max_lag_seconds)


def create_app(settings: WebSettings) -> Litestar:
    settings = settings.with_secrets()
    domain = settings.domain
    assert domain.pii_key and domain.lookup_key

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        url = await asyncio.to_thread(database_url, domain.database_url, domain.data_dir)
        cpu_pool = cpu.start(settings.cpu_workers)  # imports' signing and hashing, off this loop
        engine = make_engine(url, settings.db_pool_size)
        pool = await asyncpg.create_pool(plain_url(url), min_size=1, max_size=settings.db_pool_size, reset=_no_reset)
        app.state.runtime = Runtime(
            settings=settings,
            sessionmaker=make_sessionmaker(engine),
            vault=PiiVault(domain.pii_key, domain.lookup_key),  # type: ignore[arg-type]
            pool=pool,
            pdf_signer=await asyncio.to_thread(pdf_signer, settings),
            status_list=StatusListCache(app.stores.get("status_list"), ttl=settings.status_list_ttl_seconds),
            schema_head=await asyncio.to_thread(head_revision),
            admission=Admission(settings.import_slots, settings.import_slots_per_institution),
            replica=await _replica(settings, pool),
            writer=Writer(settings, url),
        )
        shared = "shared in Redis" if is_shared(app.stores) else "in this process only (no LEDGER_REDIS_URL)"
        log.info("rate limits and the status-list cache: %s", shared)
        # Signing keys exist before the first write, so no request creates (and logs) one while holding the
        # ledger head: concurrent first registrations cannot deadlock on it.
        async with app.state.runtime.sessionmaker() as session:
            for purpose in ("checkpoint", "certificate"):
                await active_key(session, app.state.runtime.vault, purpose)
            await session.commit()
        stop = asyncio.Event()
        task = asyncio.create_task(_checkpointer(app.state.runtime, stop))
        replica = app.state.runtime.replica
        following = asyncio.create_task(replica.follow(stop)) if replica else None
        runtime = app.state.runtime
        jobs, workers = None, None
        if settings.job_process and domain.job_workers:  # off this loop (api/job_process.py)
            jobs = JobProcess(settings, url)
            jobs.start()  # from this thread: the child dies with it
            workers = asyncio.create_task(jobs.watch(stop))
        else:
            handlers = handlers_for(settings, runtime.vault, runtime.pdf_signer)
            workers = asyncio.create_task(run_workers(runtime.sessionmaker, handlers, domain, stop))
        app.state.job_process = jobs
        chores = asyncio.create_task(housekeeper(app.state.runtime, stop))
        try:
            yield
        finally:
            stop.set()
            try:
                await task
                if replica and following:
                    await following
                    await replica.replica.close()
                if workers is not None:
                    await workers
                await chores
                await pool.close()
                await engine.dispose()
            finally:  # the helpers, even when the shutdown is cut short (a second Ctrl-C): none left running
                if jobs is not None:
                    jobs.stop()
                cpu.stop(cpu_pool)
                runtime.writer.stop()

    app = Litestar(
        route_handlers=[
            OpsController,
            MetricsController,
            StatsController,
            ReconciliationController,
            PublishedFigureController,
            PlanController,
            BaselineController,
            InstitutionController,
            BureauKeyController,
            KeyController,
            OwnKeyController,
            CourseController,
            CompletionController,
            SheetController,
            TraineeController,
            LedgerController,
            CertificateLedgerController,
            CertificateController,
            CertificateCredentialController,
            CourseCertificatesController,
            AwardController,
            JobController,
            dashboard_router(settings),
            school_router(settings),
            Router(
                "/",
                route_handlers=[
                    VerifyPageController,
                    LedgerPageController,
                    SharePageController,
                    SharedCredentialController,
                ],
                middleware=rate_limited(settings.page_rate_per_minute, "rate_limit_pages"),
            ),
            Router(
                "/",
                route_handlers=[VerifyApiController],
                middleware=rate_limited(settings.verify_rate_per_minute, "rate_limit_verify"),
            ),
            Router(
                "/",
                route_handlers=[PublishedKeysController, IssuerController],
                middleware=rate_limited(settings.keys_rate_per_minute, "rate_limit_keys"),
            ),
            Router(
                "/",
                route_handlers=[HolderCheckController, ShareApiController, ShareFormController],
                middleware=rate_limited(settings.holder_check_rate_per_minute, "rate_limit_holder"),
            ),
        ],
        dependencies={
            "db_session": Provide(provide_session),
            "principal": Provide(provide_principal, sync_to_thread=False),
            "institution_id": Provide(provide_institution_id, sync_to_thread=False),
            "home_region": Provide(provide_home_region, sync_to_thread=False),
            "runtime": Provide(runtime, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=strict_query,  # an unknown query parameter is a 400 naming it (api/strict_query.py)
        stores=store_registry(settings.redis_url),
        middleware=[
            *client_address(settings.trusted_proxies),
            prometheus_config().middleware,
            json_body_guard(settings.max_json_depth, settings.max_body_bytes),
        ],
        template_config=template_config(),
        lifespan=[open_stores, lifespan],
        request_max_body_size=settings.max_body_bytes,
        openapi_config=openapi_config(),
        debug=False,
        logging_config=None,  # `ledger serve` configures logging once (api/request_log.py); an app never does
    )
    app.asgi_handler = request_log(app.asgi_handler)  # outermost: unmatched routes and refused bodies are logged too
    return app
