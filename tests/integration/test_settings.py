"""Settings reach the app: the publication threshold (never a request's) and the row limit come from their LEDGER_*
variables, and 专项职业能力证书 count in neither talent nor certificates (docs/configuration.md)."""

from __future__ import annotations

import pytest

from tests.factories import completion, id_number
from tests.integration.conftest import World
from tests.integration.test_completions import counts
from tests.integration.test_csv_import import ENGLISH_HEADER, post_csv
from tests.integration.test_legacy_baseline import legacy
from tests.integration.test_stats_api import seed

LIMIT = 3


@pytest.fixture
def environment(environment: dict[str, str]) -> dict[str, str]:
    return {**environment, "LEDGER_PUBLISH_K": "4", "LEDGER_MAX_BATCH_ROWS": str(LIMIT)}


async def test_publication_uses_the_configured_k_and_refuses_a_k_per_request(world: World) -> None:
    await seed(world.settings.database_url or "")  # 6 persons in 650100, 2 in 653100 on 2024-12-31

    async def published(query: str) -> dict:
        response = await world.client.get(
            f"/api/v1/stats/talent?as_of=2024-12-31&group_by=prefecture&publish=true{query}", headers=world.bureau
        )
        assert response.status_code == 200, response.text
        return response.json()

    body = await published("")
    assert body["k"] == 4  # not the built-in 5
    assert {r["prefecture_code"]: r["talent"] for r in body["rows"]} == {"650100": None, "653100": None}
    assert body["total"]["talent"] == 8
    for figure in ("talent", "training", "certificates", "dual", "new-high-skill", "plan-progress"):
        when = "as_of=2024-12-31" if figure in ("talent", "plan-progress") else "from=2024-01-01&to=2024-12-31"
        for k in ("3", "7", "4", "x"):  # lower, higher, the same: a request never names k
            response = await world.client.get(f"/api/v1/stats/{figure}?{when}&publish=true&k={k}", headers=world.bureau)
            assert response.status_code == 400, (figure, k, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert "LEDGER_PUBLISH_K" in response.json()["detail"]
        response = await world.client.get(f"/api/v1/stats/{figure}?publish=true", headers=world.bureau)
        assert response.status_code == 200 and response.json()["k"] == 4, figure


async def test_every_batch_is_limited_by_the_row_setting(world: World) -> None:
    before = await counts(world)
    items = [completion(i) for i in range(LIMIT + 1)]
    response = await world.client.post("/api/v1/completions", json={"items": items}, headers=world.evaluator)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    (error,) = response.json()["errors"]
    assert (error["field"], error["code"]) == ("items", "too_many_rows")
    assert f"{LIMIT}" in error["message"]
    assert await counts(world) == before

    rows = "".join(f"CG-2025-01,张伟,{id_number(i)},2025-05-30,160,true,4\n" for i in range(LIMIT + 1))
    status, answer = await post_csv(world, (ENGLISH_HEADER + rows).encode(), dry_run=True)
    # a sheet above the batch limit is not refused: it becomes an import job (docs/jobs.md; here one that only checks)
    assert status == 202 and answer["kind"] == "import" and answer["total"] in (None, LIMIT + 1), answer

    baseline = {"as_of": "2020-12-31", "rows": [{"region_code": "650100", "level": 3, "persons": 1}] * (LIMIT + 1)}
    response = await world.client.put("/api/v1/baseline", json=baseline, headers=world.admin)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "rows"
    legacy_rows = [legacy(i, f"16650000000000{i:02d}") for i in range(LIMIT + 1)]
    response = await world.client.post("/api/v1/baseline/certificates", json={"rows": legacy_rows},
                                       headers=world.admin)  # fmt: skip
    assert response.status_code == 422 and response.json()["errors"][0]["code"] == "too_many_rows"
    assert await counts(world) == before

    items = [completion(i) for i in range(LIMIT)]
    response = await world.client.post("/api/v1/completions", json={"items": items}, headers=world.evaluator)
    assert response.status_code == 201, response.text


async def test_a_special_ability_holder_counts_in_neither_talent_nor_certificates(world: World) -> None:
    course = {"code": "ZX-2025-01", "name": "数控车床操作（专项）", "occupation_code": "6-18-01-01",
              "starts_on": "2025-03-01", "ends_on": "2025-05-30", "hours": 40, "outcome": "special_ability",
              "target_level": 4}  # fmt: skip
    response = await world.client.post("/api/v1/courses", json=course, headers=world.evaluator)
    assert response.status_code == 201, response.text
    items = [completion(1), completion(2, course="ZX-2025-01", hours=40)]  # a 四级 holder; a special-ability holder
    response = await world.client.post("/api/v1/completions", json={"items": items}, headers=world.evaluator)
    assert response.status_code == 201, response.text
    issued = await world.client.get("/api/v1/certificates?course_code=ZX-2025-01", headers=world.evaluator)
    assert [c["kind"] for c in issued.json()["items"]] == ["special_ability"]

    talent = await world.client.get("/api/v1/stats/talent?as_of=2025-12-31", headers=world.bureau)
    certificates = await world.client.get("/api/v1/stats/certificates?from=2025-01-01&to=2025-12-31",
                                          headers=world.bureau)  # fmt: skip
    assert talent.json()["total"]["talent"] == 1
    assert certificates.json()["total"] == {"certificates": 1, "persons": 1}
