"""The request log (#12 point 7): one structured access line per request, by route template, with a request id
returned as X-Request-Id; no ID or phone number in any record, whoever logs it."""

from __future__ import annotations

import io
import json
import logging

import pytest

from api.request_log import log_handler
from tests.conftest import id_numbers_in
from tests.factories import id_number
from tests.integration.conftest import World

ID = id_number(7)


@pytest.fixture
def log_lines() -> object:
    buffer = io.StringIO()
    handler = log_handler("json", buffer)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(level)


async def test_access_lines_name_the_route_not_the_path(world: World, log_lines) -> None:
    for path in (f"/v/{ID}", f"/api/v1/verify/{ID}", f"/api/v1/courses/{ID}", f"/no/such/{ID}/13912345678"):
        response = await world.client.get(path, headers={**world.evaluator, "X-Request-Id": f"lb-{ID}"})
        assert response.status_code == 404
        assert response.headers["x-request-id"], "every response carries its request id"
    lines = [line for line in log_lines() if line["logger"] == "api.access"]
    masked = f"/no/such/{ID[:6]}********{ID[-4:]}/139****5678"
    assert [line["route"] for line in lines] == ["/v/{code}", "/api/v1/verify/{code}", "/api/v1/courses/{code}", masked]
    assert {line["status"] for line in lines} == {404}
    assert all(line["method"] == "GET" and line["duration_ms"] >= 0 and line["request_id"] for line in lines)
    assert not id_numbers_in(json.dumps(lines, ensure_ascii=False)) and "13912345678" not in json.dumps(lines)


async def test_a_plain_request_id_from_a_load_balancer_is_kept(world: World, log_lines) -> None:
    response = await world.client.get("/health", headers={"X-Request-Id": "lb-4f0c9a"})
    assert response.headers["x-request-id"] == "lb-4f0c9a"
    (line,) = [line for line in log_lines() if line["logger"] == "api.access"]
    assert line["request_id"] == "lb-4f0c9a" and line["route"] == "/health"
    other = await world.client.get("/health", headers={"X-Request-Id": "<script>"})
    assert other.headers["x-request-id"] != "<script>"


def test_every_record_is_masked_whoever_logs_it(log_lines) -> None:
    logging.getLogger("ledger.anything").warning("holder %s phone %s", ID, "+86 139-1234-5678")
    try:
        raise ValueError(f"no course {ID!r}")
    except ValueError:
        logging.getLogger("litestar").exception("failed")
    text = json.dumps(log_lines(), ensure_ascii=False)
    assert ID[:6] + "********" + ID[-4:] in text and not id_numbers_in(text) and "139-1234" not in text
