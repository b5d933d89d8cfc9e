"""An in-process app on its own database, and keys for an admin, two institutions and a bureau; an event loop of
its own for the hypothesis tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from api.app import create_app
from api.settings import WebSettings
from ledger.database.engine import make_engine, make_sessionmaker
from ledger.settings import Settings
from ledger.statistics.refresh import fold_pending

EVALUATOR = {
    "code": "EVAL-A",
    "name": "乌鲁木齐市职业技能鉴定中心",
    "kind": "evaluator",
    "region_code": "650100",
    "jurisdiction": "zizhiqu",
    "evaluator": {
        "category": "S",
        "filing_code": "0000",
        "site_code": "650101",
        "occupations": [{"occupation_code": "6-18-01-01", "levels": [5, 4, 3]}],
    },
}
SCHOOL = {"code": "SCHOOL-B", "name": "喀什地区职业技能培训学校", "kind": "training", "region_code": "653100",
          "jurisdiction": "zizhiqu"}  # fmt: skip
COURSE = {
    "code": "CG-2025-01",
    "name": "车工（四级）",
    "occupation_code": "6-18-01-01",
    "starts_on": "2025-03-01",
    "ends_on": "2025-05-30",
    "hours": 160,
    "outcome": "skill_level",
    "target_level": 4,
    "dual_rule": "training_skill",
    "mode_tags": ["order"],
}


async def folded(settings: Settings) -> None:
    """Return once every pending talent move is in the rollup (folded here, or by the app's folder meanwhile)."""
    engine = make_engine(settings.database_url or "", pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session:
            for _ in range(200):
                await fold_pending(session)
                await session.commit()
                if not await session.scalar(text("SELECT EXISTS (SELECT 1 FROM talent_pending)")):
                    return
                await asyncio.sleep(0.05)  # the app's folder holds the fold's lock: its commit comes
            raise AssertionError("talent_pending not folded within 10 s")
    finally:
        await engine.dispose()


@dataclass
class World:
    client: AsyncTestClient
    settings: Settings
    admin: dict[str, str]
    evaluator: dict[str, str]
    school: dict[str, str]
    bureau: dict[str, str]
    web: WebSettings


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def _admin_key(settings: Settings) -> str:
    from ledger.database.engine import make_engine, make_sessionmaker
    from ledger.tenancy.service import issue_key

    engine = make_engine(settings.database_url or "", pool_size=1)
    async with make_sessionmaker(engine)() as session:
        issued = await issue_key(session, "admin")
        await session.commit()
    await engine.dispose()
    return issued.secret


@pytest.fixture
async def client(request: pytest.FixtureRequest, web_settings: WebSettings) -> AsyncIterator[AsyncTestClient]:
    """The app in process. Tests marked `https` talk to it over https, as in production (the dashboard's cookies
    are Secure), and see each redirect rather than following it."""
    https = request.node.get_closest_marker("https") is not None
    base_url = "https://testserver.local" if https else "http://testserver.local"
    async with AsyncTestClient(app=create_app(web_settings), base_url=base_url) as test_client:
        if https:
            test_client.follow_redirects = False
        yield test_client


@pytest.fixture
async def world(client: AsyncTestClient, settings: Settings, web_settings: WebSettings) -> World:
    admin = bearer(await _admin_key(settings))
    # the first checkpoint creates (and logs) the checkpoint key now, not in the middle of a test
    assert (await client.get("/api/v1/ledger/checkpoint")).status_code == 200
    keys = {}
    for body in (EVALUATOR, SCHOOL):
        response = await client.post("/api/v1/institutions", json=body, headers=admin)
        assert response.status_code == 201, response.text
        response = await client.post(f"/api/v1/institutions/{body['code']}/keys", headers=admin)
        assert response.status_code == 201, response.text
        keys[body["code"]] = bearer(response.json()["key"])
    response = await client.post("/api/v1/bureau-keys", json={"region_code": "650000"}, headers=admin)
    assert response.status_code == 201, response.text
    bureau = bearer(response.json()["key"])
    response = await client.post("/api/v1/courses", json=COURSE, headers=keys["EVAL-A"])
    assert response.status_code == 201, response.text
    return World(client, settings, admin, keys["EVAL-A"], keys["SCHOOL-B"], bureau, web_settings)


@pytest.fixture
def runner() -> Iterator[asyncio.Runner]:
    """A loop for a synchronous hypothesis test to run each example's coroutines on."""
    with asyncio.Runner() as r:
        yield r
