"""GET /metrics in Prometheus's text format, read with prometheus_client's own parser: request counters per route
template that move with traffic, imports, the ledger's gauges read at scrape time; LEDGER_METRICS_TOKEN closes it."""

from __future__ import annotations

from dataclasses import replace

import pytest
from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from api.settings import WebSettings
from tests.factories import completion
from tests.integration.conftest import World


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: dict, name: str, **labels: str) -> float:
    return sum(v for (n, ls), v in found.items() if n == name and labels.items() <= dict(ls).items())


async def scrape(world: World) -> dict:
    response = await world.client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


async def test_the_request_counter_moves_per_route_template(world: World) -> None:
    before = await scrape(world)
    route = {"path": "/api/v1/verify/{code}", "method": "GET"}
    for code in ("AAAA-BBBB-CCCC", "110101199003076515"):
        await world.client.get(f"/api/v1/verify/{code}")
    after = await scrape(world)
    counted = value(after, "ledger_http_requests_total", **route) - value(before, "ledger_http_requests_total", **route)
    assert counted == 2
    assert value(after, "ledger_http_request_duration_seconds_count", **route) >= 2
    text = (await world.client.get("/metrics")).text
    assert "110101199003076515" not in text and "AAAA-BBBB" not in text, "labels are templates, not typed paths"


async def test_imports_and_the_ledger_gauges(world: World) -> None:
    before = await scrape(world)
    body = {"items": [completion(1), completion(2)]}
    assert (await world.client.post("/api/v1/completions", json=body, headers=world.evaluator)).status_code == 201
    assert (await world.client.post("/api/v1/completions", json=body, headers=world.evaluator)).status_code == 201
    after = await scrape(world)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("ledger_imports_total", source="json") == 2
    assert moved("ledger_import_rows_total", source="json", outcome="created") == 2
    assert moved("ledger_import_rows_total", source="json", outcome="unchanged") == 2
    assert value(after, "ledger_entries") > value(before, "ledger_entries") > 0
    assert value(after, "ledger_database_up") == 1
    assert 0 <= value(after, "ledger_checkpoint_age_seconds") < 600
    assert value(after, "ledger_entries_not_checkpointed") == value(after, "ledger_entries") - value(
        after, "ledger_checkpoint_size"
    )
    assert value(after, "ledger_idempotency_records_bytes") > 0
    assert value(after, "ledger_talent_pending_moves") >= 0  # what the job workers have still to fold
    assert ("ledger_status_list_age_seconds", ()) not in after, "no status list built yet in this process"
    assert (await world.client.get("/api/v1/status-list")).status_code == 200
    assert 0 <= value(await scrape(world), "ledger_status_list_age_seconds") < 60


async def test_a_metrics_token_closes_the_endpoint(web_settings: WebSettings, world: World) -> None:
    app = create_app(replace(web_settings, metrics_token="s3cret-scrape"))
    async with AsyncTestClient(app=app) as client:
        assert (await client.get("/metrics")).status_code == 401
        assert (await client.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
        opened = await client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape"})
        assert opened.status_code == 200 and "ledger_entries" in opened.text


pytestmark = pytest.mark.asyncio
