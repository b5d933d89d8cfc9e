"""The bureau dashboard: sign-in with a bureau or admin key, the session cookie, CSRF, scope and the figures shown."""

from __future__ import annotations

import csv
import io
import re

import pytest
from litestar.testing import AsyncTestClient

from tests.integration.conftest import World

pytestmark = [pytest.mark.asyncio, pytest.mark.https]

BASELINE = {
    "as_of": "2024-12-31",
    "source": "test",
    "rows": [
        {"region_code": "650100", "level": 3, "persons": 120},
        {"region_code": "650100", "level": 4, "persons": 300},
        {"region_code": "653100", "level": 2, "persons": 40},
        {"region_code": "653100", "level": 5, "persons": 500},
        {"region_code": "653121", "level": 4, "persons": 70},
    ],
}
PLAN = {"name": "十四五培训", "metric": "training_person_times", "region_code": "650000", "starts_on": "2021-01-01",
        "ends_on": "2025-12-31", "target": 7_500_000}  # fmt: skip


def csrf_of(html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match, "the form carries a CSRF token"
    return match.group(1)


def values(html: str) -> dict[str, str]:
    return dict(re.findall(r'id="([a-z0-9-]+)" data-value="([^"]*)"', html))


async def sign_in(client: AsyncTestClient, key: str) -> object:
    form = await client.get("/dashboard/login")
    assert form.status_code == 200
    return await client.post("/dashboard/login", data={"key": key, "_csrf_token": csrf_of(form.text)})


def secret_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].split()[1]


async def test_the_dashboard_sends_strangers_to_sign_in(world: World) -> None:
    response = await world.client.get("/dashboard")
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/login"
    assert (await world.client.get("/dashboard/export/talent?format=csv")).status_code == 401
    page = await world.client.get("/dashboard/login")
    assert "API 密钥" in page.text and page.headers["content-type"].startswith("text/html")
    assert "script" not in page.text and "http" not in page.text.split("<body>")[1], "no scripts, no outside assets"


async def test_a_bureau_signs_in_and_out(world: World) -> None:
    client = world.client
    response = await sign_in(client, secret_of(world.bureau))
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("ledger_dashboard"))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax") and "Secure" in cookie
    assert "Path=/dashboard" in cookie
    assert secret_of(world.bureau) not in cookie and "ldg_" not in cookie, "the key itself is never in the cookie"

    page = await client.get("/dashboard")
    assert page.status_code == 200
    assert "技能人才总量" in page.text and "南疆四地州" in page.text and "退出" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]

    out = await client.post("/dashboard/logout", data={"_csrf_token": csrf_of(page.text)})
    assert out.status_code == 303 and out.headers["location"] == "/dashboard/login"
    assert (await client.get("/dashboard")).status_code == 303


async def test_forms_without_the_csrf_token_are_refused(world: World) -> None:
    client = world.client
    await client.get("/dashboard/login")  # the CSRF cookie is set, but the form field is missing or forged
    assert (await client.post("/dashboard/login", data={"key": secret_of(world.bureau)})).status_code == 403
    forged = {"key": secret_of(world.bureau), "_csrf_token": "0" * 128}
    assert (await client.post("/dashboard/login", data=forged)).status_code == 403
    assert (await client.get("/dashboard")).status_code == 303, "not signed in"

    assert (await sign_in(client, secret_of(world.bureau))).status_code == 303
    assert (await client.post("/dashboard/logout", data={})).status_code == 403
    assert (await client.get("/dashboard")).status_code == 200, "still signed in: the forged logout did nothing"


@pytest.mark.parametrize(
    ("who", "status", "message"),
    [("evaluator", 403, "机构密钥"), ("unknown", 401, "密钥无效"), ("empty", 401, "密钥无效"), ("admin", 303, "")],
)
async def test_only_bureau_and_admin_keys_sign_in(world: World, who: str, status: int, message: str) -> None:
    key = {"evaluator": secret_of(world.evaluator), "unknown": "ldg_bur_" + "a" * 32, "empty": " ",
           "admin": secret_of(world.admin)}[who]  # fmt: skip
    response = await sign_in(world.client, key)
    assert response.status_code == status
    assert message in response.text
    assert (await world.client.get("/dashboard")).status_code == (200 if who == "admin" else 303)


async def revoke(world: World, headers: dict[str, str]) -> None:
    """Revoke the key behind `headers`, as an administrator would, outside the app."""
    from ledger.database.engine import make_engine, make_sessionmaker
    from ledger.tenancy.service import principal_for, revoke_key

    engine = make_engine(world.settings.database_url or "", pool_size=1)
    async with make_sessionmaker(engine)() as session:
        principal = await principal_for(session, secret_of(headers))
        assert principal is not None
        await revoke_key(session, principal.key_id)
        await session.commit()
    await engine.dispose()


async def test_a_revoked_key_ends_its_session(world: World) -> None:
    assert (await sign_in(world.client, secret_of(world.bureau))).status_code == 303
    assert (await world.client.get("/dashboard")).status_code == 200
    await revoke(world, world.bureau)
    page = await world.client.get("/dashboard")
    assert page.status_code == 303 and page.headers["location"] == "/dashboard/login"
    assert any(c.startswith("ledger_dashboard=null;") for c in page.headers.get_list("set-cookie")), "session cleared"
    assert (await world.client.get("/dashboard/export/talent?format=csv")).status_code == 401


async def test_the_figures_equal_the_statistics_api(world: World) -> None:
    client = world.client
    assert (await client.put("/api/v1/baseline", json=BASELINE, headers=world.admin)).status_code == 200
    assert (await client.put("/api/v1/plans/p2125", json=PLAN, headers=world.bureau)).status_code == 200
    await sign_in(client, secret_of(world.bureau))
    for params in ({"as_of": "2025-06-30"}, {"as_of": "2025-06-30", "region": "653100"},
                   {"as_of": "2025-06-30", "jurisdiction": "bingtuan"}):  # fmt: skip
        page = await client.get("/dashboard", params=params)
        assert page.status_code == 200, page.text
        shown = values(page.text)
        talent = (await client.get("/api/v1/stats/talent", params=params, headers=world.bureau)).json()["total"]
        assert int(shown["talent"]) == talent["talent"]
        assert int(shown["high-skill"]) == talent["high_skill"]
        assert shown["high-skill-share"] == str(talent["high_skill_share"])
        period = {**params, "from": "2025-01-01", "to": params["as_of"]}
        period.pop("as_of")
        training = (await client.get("/api/v1/stats/training", params=period, headers=world.bureau)).json()
        assert int(shown["training"]) == training["total"]["person_times"]
    plans = await client.get("/api/v1/stats/plan-progress", params={"as_of": "2025-06-30"}, headers=world.bureau)
    page = await client.get("/dashboard", params={"as_of": "2025-06-30"})
    actual = re.search(r'data-plan="p2125">.*?class="plan-actual" data-value="(\d+)"', page.text)
    assert actual and int(actual.group(1)) == plans.json()["rows"][0]["actual"]
    by_place = (await client.get("/api/v1/stats/talent", params={"as_of": "2025-06-30", "group_by": "prefecture"},
                                 headers=world.bureau)).json()["rows"]  # fmt: skip
    bars = dict(re.findall(r'<g class="bar" data-key="(\d+)" data-value="(\d+)"', page.text.split("by-level")[0]))
    assert {r["prefecture_code"]: r["talent"] for r in by_place} == {k: int(v) for k, v in bars.items() if v != "0"}
    assert 'data-key="653100" data-value="610"' in page.text and "#e8772e" in page.text, "喀什 is in 南疆四地州 colour"


async def test_exports_are_the_api_reports(world: World) -> None:
    client = world.client
    assert (await client.put("/api/v1/baseline", json=BASELINE, headers=world.admin)).status_code == 200
    await sign_in(client, secret_of(world.bureau))
    params = {"as_of": "2025-06-30", "group_by": "prefecture"}
    export = await client.get("/dashboard/export/talent", params={**params, "format": "csv"})
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert export.headers["content-disposition"].startswith(
        'attachment; filename="talent_by-prefecture_650000_2025-06-30.csv"; filename*=UTF-8'
    )
    api = await client.get("/api/v1/stats/talent", params={**params, "format": "csv"}, headers=world.bureau)

    def table(body: bytes) -> list[list[str]]:
        return [row for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) if not row or "生成时间" not in row[0]]

    assert table(export.content) == table(api.content)
    xlsx = await client.get("/dashboard/export/plan_progress", params={"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert (await client.get("/dashboard/export/trainees", params={"format": "csv"})).status_code == 404


async def test_a_prefecture_bureau_sees_its_own_region_only(world: World) -> None:
    made = await world.client.post("/api/v1/bureau-keys", json={"region_code": "653100"}, headers=world.admin)
    assert made.status_code == 201
    await sign_in(world.client, made.json()["key"])
    page = await world.client.get("/dashboard")
    assert page.status_code == 200
    assert 'value="653100" selected' in page.text and "疏附县" in page.text and 'value="650100"' not in page.text
    assert "技能人才按区县" in page.text
    outside = await world.client.get("/dashboard", params={"region": "650100"})
    assert outside.status_code == 404 and "不在本密钥的范围内" in outside.text
    export = await world.client.get("/dashboard/export/talent", params={"region": "650100", "format": "csv"})
    assert export.status_code == 404


async def test_bad_filters_are_explained_on_the_page(world: World) -> None:
    await sign_in(world.client, secret_of(world.bureau))
    page = await world.client.get("/dashboard", params={"as_of": "2025-01-31", "from": "2025-06-01"})
    assert page.status_code == 400 and "查询条件有误" in page.text
