"""The app's start-up: only the server process freezes its start-up objects out of the cyclic collector."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.cli import served_app
from api.settings import WebSettings


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # whatever a test froze goes back to the collector


async def test_an_app_a_test_builds_freezes_nothing(web_settings: WebSettings, unfrozen: None) -> None:
    before = gc.get_freeze_count()
    async with AsyncTestClient(app=create_app(web_settings)) as client:
        assert (await client.get("/ready")).status_code == 200
        assert gc.get_freeze_count() == before


async def test_the_served_app_freezes_what_it_built_at_start_up(web_settings: WebSettings, unfrozen: None) -> None:
    gc.unfreeze()
    async with AsyncTestClient(app=served_app(web_settings)) as client:
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # the runtime, the routes, the pools … are out of the collector's passes
        assert (await client.get("/ready")).status_code == 200
