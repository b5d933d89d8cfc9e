"""The bureau statistics API: region scoping (outside = 404), formats, publication mode, plans and baseline."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from ledger.database.driver import driver
from ledger.database.engine import make_engine, make_sessionmaker
from ledger.statistics import refresh_talent
from tests.integration.conftest import World, bearer
from tests.integration.statistics_world import Writer

D = dt.date


async def seed(database_url: str) -> dict[str, int]:
    """Urumqi: 6 persons level 4 (one of them also level 2); Kashgar: 2 persons level 3, one revoked in 2025."""
    engine = make_engine(database_url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session:
            w = Writer(await driver(session))
            urumqi = await w.institution("U1", "650100", "zizhiqu")
            kashgar = await w.institution("K1", "653121", "zizhiqu")
            people = [await w.person("F" if i % 2 else "M", D(1990 + i, 1, 1)) for i in range(8)]
            for p in people[:6]:
                await w.certificate(p, urumqi, "skill_level", 4, "6-18-01-01", D(2023, 3, 1), domicile="650102")
            await w.certificate(people[0], urumqi, "skill_level", 2, "4-03-02-01", D(2024, 5, 1))
            await w.completion(people[0], urumqi, "6-18-01-01", D(2024, 6, 1), mode_tags=["order"])
            await w.completion(people[1], urumqi, "6-18-01-01", D(2024, 6, 1), passed=False)
            revoked = await w.certificate(people[6], kashgar, "skill_level", 3, "6-18-01-01", D(2023, 4, 1))
            await w.certificate(people[7], kashgar, "skill_level", 3, "6-18-01-01", D(2023, 4, 1))
            await w.change(revoked, "revoked", D(2025, 1, 10))
            await refresh_talent(session, people)
            await session.commit()
    finally:
        await engine.dispose()
    return {}


async def bureau(world: World, region: str) -> dict[str, str]:
    response = await world.client.post("/api/v1/bureau-keys", json={"region_code": region}, headers=world.admin)
    assert response.status_code == 201, response.text
    return bearer(response.json()["key"])


async def test_talent_is_exact_and_explained(world: World) -> None:
    await seed(world.settings.database_url or "")
    response = await world.client.get("/api/v1/stats/talent?as_of=2024-12-31", headers=world.bureau)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == {"talent": 8, "high_skill": 3, "high_skill_share": 0.375}
    assert body["as_of"] == "2024-12-31" and body["baseline_included"] is True
    assert any("补发" in rule for rule in body["rules"])
    after = (await world.client.get("/api/v1/stats/talent?as_of=2025-01-10", headers=world.bureau)).json()
    assert after["total"]["talent"] == 7  # revocation counts from its effective date
    by_prefecture = (
        await world.client.get("/api/v1/stats/talent?as_of=2024-12-31&group_by=prefecture,level", headers=world.bureau)
    ).json()
    cells = {(r["prefecture_code"], r["level"]): r["talent"] for r in by_prefecture["rows"]}
    assert cells == {("650100", 4): 5, ("650100", 2): 1, ("653100", 3): 2}


async def test_a_regional_key_sees_its_region_only(world: World) -> None:
    await seed(world.settings.database_url or "")
    kashgar = await bureau(world, "653100")
    mine = await world.client.get("/api/v1/stats/talent?as_of=2024-12-31", headers=kashgar)
    assert mine.json()["total"]["talent"] == 2
    county = await world.client.get("/api/v1/stats/talent?as_of=2024-12-31&region=653121", headers=kashgar)
    assert county.json()["total"]["talent"] == 2
    for path in ("talent", "training", "certificates", "dual", "new-high-skill", "plan-progress"):
        other = await world.client.get(f"/api/v1/stats/{path}?region=650100", headers=kashgar)
        assert other.status_code == 404, path
        assert other.headers["content-type"].startswith("application/problem+json")
    institution = await world.client.get("/api/v1/stats/talent", headers=world.evaluator)
    assert institution.status_code == 403


async def test_bad_parameters_are_problems(world: World) -> None:
    for query in ("group_by=colour", "jurisdiction=mars", "as_of=2024-13-01", "group_by=mode", "age_bands=30,20"):
        response = await world.client.get(f"/api/v1/stats/talent?{query}", headers=world.bureau)
        assert response.status_code in (400, 422), (query, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_csv_and_xlsx_carry_the_same_figures(world: World) -> None:
    await seed(world.settings.database_url or "")
    base = "/api/v1/stats/talent?as_of=2024-12-31&group_by=prefecture"
    csv_body = (await world.client.get(base + "&format=csv", headers=world.bureau)).content.decode("utf-8-sig")
    assert csv_body.splitlines()[0] == "地州代码,地州,技能人才（人）,高技能人才（人）,高技能人才占比（%）"
    assert "650100,乌鲁木齐市,6,1,16.67" in csv_body and "# 基线,含基线" in csv_body
    xlsx = await world.client.get(base + "&format=xlsx", headers=world.bureau)
    sheet = load_workbook(io.BytesIO(xlsx.content))["数据"]
    rows = list(sheet.iter_rows(values_only=True))
    assert ("653100", "喀什地区", 2, 2, 1.0) in rows


async def test_flows(world: World) -> None:
    await seed(world.settings.database_url or "")
    training = (await world.client.get("/api/v1/stats/training?from=2023-01-01&to=2025-12-31",
                                       headers=world.bureau)).json()  # fmt: skip
    assert training["total"] == {"person_times": 10, "persons": 8}  # 9 certificate completions passed + 1 course
    by_mode = (await world.client.get("/api/v1/stats/training?from=2024-01-01&to=2024-12-31&group_by=mode",
                                      headers=world.bureau)).json()  # fmt: skip
    assert {r["mode"]: r["person_times"] for r in by_mode["rows"]} == {"order": 1, "无": 1}
    certificates = (await world.client.get("/api/v1/stats/certificates?from=2023-01-01&to=2023-12-31",
                                           headers=world.bureau)).json()  # fmt: skip
    assert certificates["total"] == {"certificates": 8, "persons": 8}
    new = (await world.client.get("/api/v1/stats/new-high-skill?from=2024-01-01&to=2024-12-31",
                                  headers=world.bureau)).json()  # fmt: skip
    assert new["total"] == {"first_reached": 1, "obtained": 1}
    dual = await world.client.get("/api/v1/stats/dual?from=2024-01-01&to=2024-12-31", headers=world.bureau)
    assert dual.status_code == 200 and dual.json()["total"]["completions"] == 0


async def test_publication_suppresses_small_cells_and_rounds(world: World) -> None:
    await seed(world.settings.database_url or "")
    response = await world.client.get(
        "/api/v1/stats/talent?as_of=2024-12-31&group_by=prefecture&publish=true", headers=world.bureau
    )
    body = response.json()
    cells = {r["prefecture_code"]: r["talent"] for r in body["rows"]}
    # 2 is below k; 6 (which would round to 5) is hidden too, or the total 8 (published as 10) less it would
    # narrow the 2 down: the one suppressed cell of a published total always has a second
    assert cells == {"650100": None, "653100": None}
    assert body["published"] is True and body["k"] == 5 and body["total"]["talent"] == 10
    by_level = (await world.client.get("/api/v1/stats/talent?as_of=2024-12-31&group_by=level&publish=true",
                                       headers=world.bureau)).json()  # fmt: skip
    assert {r["level"]: r["talent"] for r in by_level["rows"]} == {2: None, 3: None, 4: 5}  # 1, 2 and 5 persons
    mid_month = (await world.client.get("/api/v1/stats/talent?as_of=2025-01-20&publish=true",
                                        headers=world.bureau)).json()  # fmt: skip
    assert mid_month["as_of"] == "2024-12-31"  # whole months only: no day-by-day differencing


async def test_baseline_and_plans(world: World) -> None:
    await seed(world.settings.database_url or "")
    loaded = await world.client.put(
        "/api/v1/baseline",
        json={"as_of": "2020-12-31", "source": "2020年统计年报",
              "rows": [{"region_code": "650100", "level": 3, "persons": 100},
                       {"region_code": "653100", "level": 5, "persons": 50}]},
        headers=world.admin,
    )  # fmt: skip
    assert loaded.status_code == 200, loaded.text
    with_baseline = (await world.client.get("/api/v1/stats/talent?as_of=2024-12-31", headers=world.bureau)).json()
    assert with_baseline["total"]["talent"] == 158 and with_baseline["total"]["high_skill"] == 103
    without = (await world.client.get("/api/v1/stats/talent?as_of=2024-12-31&include_baseline=false",
                                      headers=world.bureau)).json()  # fmt: skip
    assert without["total"]["talent"] == 8 and without["baseline_included"] is False
    denied = await world.client.put("/api/v1/baseline", json={"as_of": "2020-12-31", "rows": []},
                                    headers=world.bureau)  # fmt: skip
    assert denied.status_code == 403

    plan = {"name": "十四五职业技能培训", "metric": "training_person_times", "region_code": "650000",
            "starts_on": "2021-01-01", "ends_on": "2025-12-31", "target": 20}  # fmt: skip
    assert (await world.client.put("/api/v1/plans/xj-1405", json=plan, headers=world.bureau)).status_code == 200
    kashgar = await bureau(world, "653100")
    assert (await world.client.put("/api/v1/plans/xj-1405", json=plan, headers=kashgar)).status_code == 404
    progress = (await world.client.get("/api/v1/stats/plan-progress?as_of=2025-12-31", headers=world.bureau)).json()
    (row,) = progress["rows"]
    assert (row["actual"], row["target"], row["progress"]) == (10, 20, 0.5)


@pytest.mark.parametrize("path", ["talent", "training"])
async def test_unauthenticated_is_401(world: World, path: str) -> None:
    response = await world.client.get(f"/api/v1/stats/{path}")
    assert response.status_code == 401
