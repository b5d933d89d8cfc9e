"""Prometheus metrics at GET /metrics: requests and latency per route (Litestar's Prometheus middleware), rows
registered by imports, and the ledger's own gauges read from the database at scrape time.

Request metrics are labelled by the route's template (`/v/{code:str}`), never the path as typed, so a verification
code or an ID number typed into a URL is never a label and the series stay few. The gauges (ledger size, checkpoint
age, waiting jobs, the idempotency table's size) come from one cheap query per scrape, through the lean read pool,
so whichever process answers reports the same figures. The status-list age is this process's cache.

With PROMETHEUS_MULTIPROC_DIR set before the server starts (prometheus-client's multiprocess mode), every worker
process writes its counters there and any of them answers the scrape with the sum. /metrics is open unless
LEDGER_METRICS_TOKEN is set; then it needs `Authorization: Bearer <token>` (docs/operations.md says why).
"""

from __future__ import annotations

import asyncio
import hmac
import os
from collections.abc import Iterator, Sequence
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers import BaseRouteHandler
from litestar.plugins.prometheus import PrometheusConfig
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from api.deps import Runtime
from api.guards import PUBLIC

# the text exposition format; Litestar adds the charset to every text/ type itself (once)
EXPOSITION = CONTENT_TYPE_LATEST.replace("; charset=utf-8", "")

IMPORTED_ROWS = Counter(
    "ledger_import_rows", "Completion rows registered by imports, by source and outcome", ["source", "outcome"]
)
IMPORTS = Counter("ledger_imports", "Import batches committed, by source", ["source"])

_GAUGES = """
SELECT h.size AS ledger_size,
       extract(epoch FROM now() - h.updated_at) AS head_age,
       c.size AS checkpoint_size,
       extract(epoch FROM now() - c.created_at) AS checkpoint_age,
       pg_total_relation_size('idempotency_records') AS idempotency_bytes,
       (SELECT n_live_tup FROM pg_stat_user_tables WHERE relid = 'talent_pending'::regclass) AS talent_pending
FROM ledger_head h
LEFT JOIN LATERAL (SELECT size, created_at FROM ledger_checkpoints ORDER BY size DESC LIMIT 1) c ON true
WHERE h.id = 1
"""
_WAITING_JOBS = """
SELECT kind, state, count(*) AS n, extract(epoch FROM now() - min(created_at)) AS oldest
FROM jobs WHERE state IN ('queued', 'running') GROUP BY kind, state
"""


def prometheus_config() -> PrometheusConfig:
    """The request metrics: ledger_http_requests_total, ledger_http_request_duration_seconds (a histogram),
    ledger_http_requests_in_progress, ledger_http_requests_error_total; labelled method, path (the route's
    template), status_code."""
    return PrometheusConfig(app_name="skills-ledger", prefix="ledger_http", group_path=True)


def count_import(source: str, statuses: Sequence[str]) -> None:
    """A committed import: one batch, and its rows by outcome (created, unchanged)."""
    IMPORTS.labels(source).inc()
    for outcome in ("created", "unchanged"):
        n = sum(s == outcome for s in statuses)
        if n:
            IMPORTED_ROWS.labels(source, outcome).inc(n)


class _Figures(Collector):
    """Gauges read once per scrape, handed over already read (collect() cannot await)."""

    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self._families = families

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self._families


def _gauge(name: str, doc: str, value: float | None) -> GaugeMetricFamily | None:
    return None if value is None else GaugeMetricFamily(name, doc, value=float(value))


async def _ledger_figures(runtime: Runtime) -> list[GaugeMetricFamily]:
    families: list[GaugeMetricFamily | None] = []
    try:
        async with asyncio.timeout(2), runtime.pool.acquire() as conn:
            row = await conn.fetchrow(_GAUGES)
            jobs = await conn.fetch(_WAITING_JOBS)
    except Exception:  # the scrape still answers: the database is down, say so
        up = False
    else:
        up = True
        families += [
            _gauge("ledger_entries", "Entries in the ledger (the Merkle tree's size)", row["ledger_size"]),
            _gauge("ledger_last_append_age_seconds", "Seconds since the ledger was last appended to", row["head_age"]),
            _gauge("ledger_checkpoint_size", "Tree size of the latest signed checkpoint", row["checkpoint_size"]),
            _gauge("ledger_checkpoint_age_seconds", "Seconds since the latest checkpoint was signed",
                   row["checkpoint_age"]),
            _gauge("ledger_idempotency_records_bytes", "Disk used by stored idempotency answers",
                   row["idempotency_bytes"]),
            _gauge("ledger_talent_pending_moves", "Talent refreshes' rollup moves not folded in yet (statistics)",
                   row["talent_pending"]),
        ]  # fmt: skip
        if row["checkpoint_size"] is not None:
            families.append(_gauge("ledger_entries_not_checkpointed", "Entries after the latest checkpoint",
                                   row["ledger_size"] - row["checkpoint_size"]))  # fmt: skip
        waiting = GaugeMetricFamily("ledger_jobs_waiting", "Jobs queued or running", labels=["kind", "state"])
        oldest = GaugeMetricFamily("ledger_jobs_oldest_waiting_seconds", "Age of the oldest waiting job",
                                   labels=["kind", "state"])  # fmt: skip
        for job in jobs:
            waiting.add_metric([job["kind"], job["state"]], job["n"])
            oldest.add_metric([job["kind"], job["state"]], float(job["oldest"]))
        families += [waiting, oldest]
    families.append(_gauge("ledger_database_up", "1 when the database answered this scrape", 1 if up else 0))
    age = await runtime.status_list.age_seconds()
    if age is not None:
        families.append(_gauge("ledger_status_list_age_seconds", "Age of the signed status list being served", age))
    return [f for f in families if f is not None]


def _process_registry() -> Any:
    """The request and import counters: this process's, or in multiprocess mode every process's, summed."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def metrics_token(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """With LEDGER_METRICS_TOKEN set, /metrics needs it as a bearer token (compared in constant time)."""
    expected = connection.app.state.runtime.settings.metrics_token
    if not expected:
        return
    scheme, _sep, given = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
        raise NotAuthorizedException("send the metrics token: Authorization: Bearer <LEDGER_METRICS_TOKEN>",
                                     headers={"WWW-Authenticate": "Bearer"})  # fmt: skip


class MetricsController(Controller):
    path = "/metrics"
    tags = ["operations"]
    opt = PUBLIC  # no API key: a scraper holds at most the metrics token
    include_in_schema = False

    @get("/", guards=[metrics_token])
    async def scrape(self, request: Request) -> Response[bytes]:
        """Prometheus text exposition: this process's (or all processes') counters, then the ledger's gauges."""
        runtime: Runtime = request.app.state.runtime
        figures = CollectorRegistry()
        figures.register(_Figures(await _ledger_figures(runtime)))
        body = generate_latest(_process_registry()) + generate_latest(figures)
        return Response(body, media_type=EXPOSITION, headers={"Cache-Control": "no-store"})
