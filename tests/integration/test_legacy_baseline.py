"""The person-by-person baseline: legacy 职业资格证书 imported by an administrator, matched by ID number with the
ledger's persons, counted once, and left out of reports that exclude the baseline."""

from __future__ import annotations

import asyncpg

from ledger.database.engine import plain_url
from tests.factories import completion, id_number
from tests.integration.conftest import World

PATH = "/api/v1/baseline/certificates"


def legacy(seq: int, number: str, **over: object) -> dict:
    row: dict = {
        "id_number": id_number(seq),
        "name": "买买提·艾力",
        "number": number,
        "occupation_code": "6-18-01-01",
        "issued_on": "2016-06-30",
        "issuer_region": "653100",
        "level": 3,
        "issuer_name": "喀什地区职业技能鉴定中心",
    }
    row.update(over)
    return row


async def talent(world: World, query: str = "") -> dict:
    response = await world.client.get(f"/api/v1/stats/talent?as_of=2025-12-31{query}", headers=world.bureau)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_legacy_holder_is_one_person_with_the_baseline_and_none_without(world: World) -> None:
    # person 1: a ledger 四级 certificate (2025) and a legacy 三级/高级工 (2016); person 2: legacy only, no level
    response = await world.client.post("/api/v1/completions", json={"items": [completion(1)]}, headers=world.evaluator)
    assert response.status_code == 201, response.text
    rows = [legacy(1, "1665000000000001"), legacy(2, "1665000000000002", level=None, issuer_region="659001")]
    response = await world.client.post(PATH, json={"rows": rows, "source": "2019 年鉴定档案"}, headers=world.admin)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["created"], body["unchanged"]) == (2, 0)

    with_baseline = await talent(world, "&group_by=level")
    assert with_baseline["total"] == {"talent": 2, "high_skill": 1, "high_skill_share": 0.5}
    assert {(r["level"], r["talent"]) for r in with_baseline["rows"]} == {(3, 1), (0, 1)}
    without = await talent(world, "&include_baseline=false&group_by=level")
    assert without["total"] == {"talent": 1, "high_skill": 0, "high_skill_share": 0.0}
    assert {(r["level"], r["talent"]) for r in without["rows"]} == {(4, 1)}
    assert any("职业资格" in rule for rule in with_baseline["rules"])
    # before the legacy certificates were issued nobody counts
    early = await world.client.get("/api/v1/stats/talent?as_of=2015-12-31", headers=world.bureau)
    assert early.json()["total"]["talent"] == 0
    # 兵团 only: the level-less legacy holder, attributed to the issuing region
    bingtuan = await talent(world, "&jurisdiction=bingtuan&group_by=region")
    assert [(r["region_code"], r["talent"]) for r in bingtuan["rows"]] == [("659001", 1)]

    # the same import again changes nothing; a different content for a known number is a 409 naming the row
    again = await world.client.post(PATH, json={"rows": rows}, headers=world.admin)
    assert again.status_code == 201 and again.json()["unchanged"] == 2
    changed = [rows[0], {**rows[1], "level": 2}]
    conflict = await world.client.post(PATH, json={"rows": changed}, headers=world.admin)
    assert conflict.status_code == 409, conflict.text
    assert [(e["row"], e["field"]) for e in conflict.json()["errors"]] == [(1, "number")]
    assert (await talent(world))["total"]["talent"] == 2

    # every imported certificate is in the ledger log, and the ID number is stored sealed only
    conn = await asyncpg.connect(plain_url(world.settings.database_url or ""))
    try:
        kinds = await conn.fetch("SELECT kind FROM ledger_entries ORDER BY idx")
        assert sum(k["kind"] == "certificate.imported" for k in kinds) == 2
        assert await conn.fetchval("SELECT count(*) FROM persons") == 2
        stored = await conn.fetchval("SELECT count(*) FROM certificates WHERE kind = 'legacy_qualification' "
                                     "AND course_id IS NULL AND completion_id IS NULL")  # fmt: skip
        assert stored == 2
    finally:
        await conn.close()


async def test_bad_rows_are_named_and_nothing_is_written(world: World) -> None:
    rows = [
        legacy(1, "1665000000000001"),
        legacy(2, "16650000000000AB"),  # not 16 digits
        legacy(3, "1665000000000003", issued_on="2021-01-01"),  # not a pre-ledger certificate
        legacy(4, "1665000000000004", id_number=id_number(4)[:-1] + "0"),  # wrong check character
        legacy(5, "1665000000000001"),  # the number of row 0 again
        legacy(6, "1665000000000006", issuer_region="110000"),  # not Xinjiang
        legacy(7, "1665000000000007", occupation_code="9-99-99-99"),
    ]
    response = await world.client.post(PATH, json={"rows": rows}, headers=world.admin)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    named = {(e["row"], e["field"]) for e in response.json()["errors"]}
    assert named == {(1, "number"), (2, "issued_on"), (3, "id_number"), (4, "number"), (5, "issuer_region"),
                     (6, "occupation_code")}  # fmt: skip
    assert (await talent(world))["total"]["talent"] == 0
    conn = await asyncpg.connect(plain_url(world.settings.database_url or ""))
    try:
        assert await conn.fetchval("SELECT count(*) FROM persons") == 0
        assert await conn.fetchval("SELECT count(*) FROM institutions WHERE kind = 'archive'") == 0
    finally:
        await conn.close()


async def test_only_an_administrator_imports(world: World) -> None:
    for headers in (world.bureau, world.evaluator):
        response = await world.client.post(PATH, json={"rows": [legacy(1, "1665000000000001")]}, headers=headers)
        assert response.status_code == 403, response.text


async def test_a_legacy_certificate_is_publicly_verifiable(world: World) -> None:
    response = await world.client.post(PATH, json={"rows": [legacy(1, "1665000000000001")]}, headers=world.admin)
    code = response.json()["rows"][0]["verification_code"]
    page = await world.client.get(f"/v/{code}")
    assert page.status_code == 200, page.text
    assert "职业资格证书" in page.text and "有效" in page.text
    assert id_number(1) not in page.text
