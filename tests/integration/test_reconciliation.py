"""Reconciliation with the survey (#13 point 3): a bureau records the published 技能人才 / 高技能人才 with its source,
each recording is a ledger entry, and the reconciliation sets the ledger's count (with and without the baseline)
beside it with the gap and its causes, without ever changing the ledger's count."""

from __future__ import annotations

import io

import openpyxl
import pytest

from tests.integration.conftest import World
from tests.integration.test_dashboard import secret_of, sign_in
from tests.integration.test_stats_api import bureau, seed
from tests.integration.test_stats_exports import names

PUBLISHED = {"region_code": "650000", "as_of": "2025-12-31", "figures": {"talent": 3_200_000, "high_skill": 660_000},
             "source": "新疆日报 2026-01-31", "published_on": "2026-01-31"}  # fmt: skip
BASELINE = {"as_of": "2020-12-31", "source": "2020年统计年报",
            "rows": [{"region_code": "650100", "level": 3, "persons": 100},
                     {"region_code": "653100", "level": 5, "persons": 50}]}  # fmt: skip
CAUSES = ["pre_ledger_stock", "survey_scope", "sampling", "timing"]


async def record(world: World, body: dict, headers: dict[str, str] | None = None) -> dict:
    response = await world.client.put("/api/v1/published-figures", json=body, headers=headers or world.bureau)
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_published_figures_sit_beside_the_ledgers_count(world: World) -> None:
    await seed(world.settings.database_url or "")  # 7 persons on 2025-12-31 (one revoked), 2 of them high-skill
    assert (await world.client.put("/api/v1/baseline", json=BASELINE, headers=world.admin)).status_code == 200
    before = (await world.client.get("/api/v1/stats/talent?as_of=2025-12-31", headers=world.bureau)).json()["total"]
    kept = await record(world, PUBLISHED)
    assert [(f["figure"], f["value"], f["source"]) for f in kept["figures"]] == [
        ("high_skill", 660_000, "新疆日报 2026-01-31"), ("talent", 3_200_000, "新疆日报 2026-01-31")]  # fmt: skip

    response = await world.client.get("/api/v1/stats/reconciliation?region=650000&as_of=2025-12-31",
                                      headers=world.bureau)  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["region_code"], body["region_name"], body["as_of"]) == ("650000", "新疆维吾尔自治区", "2025-12-31")
    talent, high = body["lines"]
    assert talent == {
        "figure": "talent", "name": "技能人才", "published": 3_200_000, "source": "新疆日报 2026-01-31",
        "published_on": "2026-01-31", "ledger_with_baseline": 157, "ledger_without_baseline": 7,
        "gap": 3_200_000 - 157, "gap_share": round((3_200_000 - 157) / 3_200_000, 4),
        "gap_without_baseline": 3_200_000 - 7,
    }  # fmt: skip
    assert (high["published"], high["ledger_with_baseline"], high["ledger_without_baseline"]) == (660_000, 102, 2)
    assert [e["code"] for e in body["explanations"]] == CAUSES
    stock = body["explanations"][0]
    assert stock["title"] == "历史存量未载入" and "150 人" in stock["text"] and stock["effect"] == "ledger_lower"
    assert "抽样" in body["explanations"][1]["text"] and "全面调查" in body["explanations"][1]["text"]
    assert any("从不按公布数调整" in rule for rule in body["rules"])
    after = (await world.client.get("/api/v1/stats/talent?as_of=2025-12-31", headers=world.bureau)).json()["total"]
    assert after == before, "the ledger's count is never adjusted"

    latest = (await world.client.get("/api/v1/stats/reconciliation", headers=world.bureau)).json()
    assert latest["as_of"] == "2025-12-31", "by default, the latest date a figure was published for"
    nothing = (await world.client.get("/api/v1/stats/reconciliation?as_of=2024-12-31", headers=world.bureau)).json()
    assert [line["published"] for line in nothing["lines"]] == [None, None]
    assert nothing["lines"][0]["ledger_with_baseline"] == 158 and nothing["lines"][0]["gap"] is None

    xlsx = await world.client.get("/api/v1/stats/reconciliation?format=xlsx", headers=world.bureau)
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content))["数据"]
    at = int(str(sheet.freeze_panes)[1:]) - 1
    assert [c.value for c in sheet[at]][:2] == ["指标", "公布数（人）"]
    assert [c.value for c in sheet[at + 1]][:2] == ["技能人才", 3_200_000] and sheet[at + 1][1].number_format == "#,##0"
    assert any("差额原因·调查口径" in str(c.value) for c in sheet["A"])
    assert names(xlsx.headers["content-disposition"])[1] == "统计调查对照_新疆维吾尔自治区_2025-12-31.xlsx"


async def test_each_recording_is_a_ledger_entry_and_a_correction_replaces_it(world: World) -> None:
    first = await record(world, PUBLISHED)
    corrected = await record(world, {**PUBLISHED, "figures": {"talent": 3_210_000}, "source": "统计年鉴 2026"})
    talent = next(f for f in first["figures"] if f["figure"] == "talent")
    (again,) = corrected["figures"]
    assert again["id"] == talent["id"] and again["value"] == 3_210_000
    entries = (await world.client.get(f"/api/v1/ledger/subjects/published_figure/{talent['id']}")).json()
    assert [e["kind"] for e in entries] == ["published_figure.set", "published_figure.set"]
    body = (await world.client.get("/api/v1/stats/reconciliation", headers=world.bureau)).json()
    assert body["lines"][0]["published"] == 3_210_000 and body["lines"][0]["source"] == "统计年鉴 2026"
    assert body["lines"][1]["published"] == 660_000, "the figure not given again is kept"


async def test_only_a_bureau_of_the_region_records(world: World) -> None:
    kashgar = await bureau(world, "653100")
    outside = await world.client.put("/api/v1/published-figures", json=PUBLISHED, headers=kashgar)
    assert outside.status_code == 404
    assert (await record(world, {**PUBLISHED, "region_code": "653100"}, kashgar))["figures"]
    assert (await world.client.put("/api/v1/published-figures", json=PUBLISHED,
                                   headers=world.evaluator)).status_code == 403  # fmt: skip
    assert (await record(world, PUBLISHED, world.admin))["figures"]
    seen = await world.client.get("/api/v1/stats/reconciliation?region=650000", headers=kashgar)
    assert seen.status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [({"published_on": "2025-06-30"}, "published_on"), ({"figures": {}}, "figures"),
     ({"figures": {"training": 5}}, "figures"), ({"source": ""}, "source"), ({"region_code": "659999"}, None),
     ({"figures": {"talent": -1}}, "figures")],
)  # fmt: skip
async def test_a_bad_recording_names_its_field(world: World, change: dict, field: str | None) -> None:
    response = await world.client.put("/api/v1/published-figures", json={**PUBLISHED, **change}, headers=world.bureau)
    assert response.status_code in (404, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if field is not None:
        assert any(e["field"].startswith(field) for e in response.json()["errors"]), response.text


@pytest.mark.https  # the dashboard's cookies are Secure
async def test_the_dashboard_shows_the_reconciliation(world: World) -> None:
    await seed(world.settings.database_url or "")
    await sign_in(world.client, secret_of(world.bureau))
    before = await world.client.get("/dashboard", params={"as_of": "2026-02-28"})
    assert before.status_code == 200 and 'id="panel-reconciliation"' not in before.text
    await record(world, PUBLISHED)
    page = await world.client.get("/dashboard", params={"as_of": "2026-02-28"})
    section = page.text.split('id="panel-reconciliation"')[1].split("</section>")[0]
    assert "截至 2025-12-31" in section and "新疆日报 2026-01-31" in section
    assert 'class="n published" data-value="3200000">3,200,000<' in section
    assert 'class="n without-baseline" data-value="7">7<' in section
    assert all(f'data-cause="{code}"' in section for code in CAUSES) and "历史存量未载入" in section
