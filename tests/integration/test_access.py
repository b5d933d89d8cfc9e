"""Tenancy: an institution sees only its own records; other tenants' records are 404; keys have kinds."""

from __future__ import annotations

from tests.factories import completion
from tests.integration.conftest import COURSE, World


async def test_another_institutions_course_is_404(world: World) -> None:
    own = await world.client.get(f"/api/v1/courses/{COURSE['code']}", headers=world.evaluator)
    other = await world.client.get(f"/api/v1/courses/{COURSE['code']}", headers=world.school)
    missing = await world.client.get("/api/v1/courses/NO-SUCH", headers=world.school)
    assert own.status_code == 200
    assert other.status_code == 404
    assert other.json() == {**missing.json(), "detail": other.json()["detail"]}
    assert (await world.client.get("/api/v1/courses", headers=world.school)).json()["items"] == []


async def test_another_institutions_trainee_is_404(world: World) -> None:
    posted = await world.client.post("/api/v1/completions", json={"items": [completion(1)]}, headers=world.evaluator)
    trainee_id = posted.json()["rows"][0]["trainee_id"]
    assert (await world.client.get(f"/api/v1/trainees/{trainee_id}", headers=world.evaluator)).status_code == 200
    assert (await world.client.get(f"/api/v1/trainees/{trainee_id}", headers=world.school)).status_code == 404


async def test_an_institution_cannot_register_for_another_institutions_course(world: World) -> None:
    response = await world.client.post("/api/v1/completions", json={"items": [completion(1)]}, headers=world.school)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "unknown_course"


async def test_the_same_person_at_two_institutions_reveals_nothing(world: World) -> None:
    await world.client.post("/api/v1/completions", json={"items": [completion(1)]}, headers=world.evaluator)
    course = {**COURSE, "outcome": "training", "target_level": None, "dual_rule": "none"}
    await world.client.post("/api/v1/courses", json=course, headers=world.school)
    row = completion(1)
    row.pop("assessment")
    response = await world.client.post("/api/v1/completions", json={"items": [row]}, headers=world.school)
    assert response.status_code == 201
    assert response.json()["rows"][0]["status"] == "created"
    trainee = await world.client.get(f"/api/v1/trainees/{response.json()['rows'][0]['trainee_id']}",
                                     headers=world.school)  # fmt: skip
    assert [c["course_code"] for c in trainee.json()["completions"]] == [COURSE["code"]]
    assert trainee.json()["completions"][0]["assessment_level"] is None


async def test_bureau_keys_are_read_only(world: World) -> None:
    for path, body in (("/api/v1/courses", COURSE), ("/api/v1/completions", {"items": [completion(1)]})):
        response = await world.client.post(path, json=body, headers=world.bureau)
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_admin_routes_need_an_admin_key(world: World) -> None:
    body = {"region_code": "650000"}
    assert (await world.client.post("/api/v1/bureau-keys", json=body, headers=world.evaluator)).status_code == 403
    assert (await world.client.post("/api/v1/bureau-keys", json=body)).status_code == 401
    bad = {"Authorization": "Bearer ldg_admin_notakey"}
    assert (await world.client.post("/api/v1/bureau-keys", json=body, headers=bad)).status_code == 401


async def test_institution_codes_are_unique(world: World) -> None:
    body = {
        "code": "SCHOOL-B",
        "name": "重复",
        "kind": "training",
        "region_code": "650100",
        "jurisdiction": "zizhiqu",
    }
    response = await world.client.post("/api/v1/institutions", json=body, headers=world.admin)
    assert response.status_code == 409
