"""Rate limits in process and in Redis, as the app builds them (the two-process tests are in tests/e2e)."""

from __future__ import annotations

from dataclasses import replace

from litestar.testing import AsyncTestClient

from api.app import create_app
from api.settings import WebSettings
from tests.e2e.conftest import free_port

CODE = "/api/v1/verify/AAAAAAAAAAAAAAAA"


async def test_without_redis_the_limits_count_in_the_process(web_settings: WebSettings) -> None:
    settings = replace(web_settings, verify_rate_per_minute=2, redis_url=None)
    async with AsyncTestClient(app=create_app(settings)) as client:
        answers = [await client.get(CODE, headers={"X-Forwarded-For": f"198.51.100.{i}"}) for i in range(3)]
    assert [a.status_code for a in answers] == [404, 404, 429]  # X-Forwarded-For is not believed
    assert answers[0].headers["ratelimit-remaining"] == "1"
    assert 1 <= int(answers[2].headers["retry-after"]) <= 60


async def test_an_unreachable_redis_refuses_with_503_not_500(web_settings: WebSettings) -> None:
    settings = replace(web_settings, redis_url=f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    async with AsyncTestClient(app=create_app(settings)) as client:
        answer = await client.get(CODE)
        health = await client.get("/health")
    assert answer.status_code == 503 and answer.headers["retry-after"] == "5", answer.text
    assert health.status_code == 200  # what no limit guards goes on
