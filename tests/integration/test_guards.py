"""Authorisation runs before the request is read: the wrong kind of key is 403 and no key 401 whatever the body or
query holds, while another tenant's record stays 404."""

from __future__ import annotations

import uuid

import httpx
import pytest
from litestar import Litestar

from api.guards import bearer_key, is_public, key_guards
from tests.factories import completion
from tests.integration.conftest import World

INVALID = {"code": "X"}  # a body no write route accepts
KINDS = ("admin", "institution", "bureau")
WRITES = {
    ("PUT", "/api/v1/plans/{code:str}"): ("/api/v1/plans/p1", ("bureau", "admin")),
    ("PUT", "/api/v1/baseline"): ("/api/v1/baseline", ("admin",)),
    ("PUT", "/api/v1/published-figures"): ("/api/v1/published-figures", ("bureau", "admin")),
    ("POST", "/api/v1/baseline/certificates"): ("/api/v1/baseline/certificates", ("admin",)),
    ("POST", "/api/v1/institutions"): ("/api/v1/institutions", ("admin",)),
    ("POST", "/api/v1/institutions/{code:str}/keys"): ("/api/v1/institutions/EVAL-A/keys", ("admin",)),
    ("POST", "/api/v1/bureau-keys"): ("/api/v1/bureau-keys", ("admin",)),
    ("DELETE", "/api/v1/keys/{key_id:int}"): ("/api/v1/keys/1", ("admin",)),
    ("POST", "/api/v1/keys/current/rotate"): ("/api/v1/keys/current/rotate", KINDS),
    ("POST", "/api/v1/ledger/checkpoints"): ("/api/v1/ledger/checkpoints", ("admin",)),
    ("POST", "/api/v1/courses"): ("/api/v1/courses", ("institution",)),
    ("POST", "/api/v1/completions"): ("/api/v1/completions", ("institution",)),
    ("POST", "/api/v1/completions/import"): ("/api/v1/completions/import", ("institution",)),
    ("POST", "/api/v1/completions/import/errors"): ("/api/v1/completions/import/errors", ("institution",)),
    **{
        ("POST", f"/api/v1/certificates/{{number:str}}/{action}"): (f"/api/v1/certificates/X/{action}",
                                                                    ("institution",))
        for action in ("revoke", "suspend", "reinstate", "reissue")
    },
}  # fmt: skip


def headers_of(world: World, kind: str) -> dict[str, str]:
    return {"admin": world.admin, "institution": world.evaluator, "bureau": world.bureau}[kind]


def bearer_routes(app: Litestar) -> dict[tuple[str, str], tuple[str, ...]]:
    """Every route that asks for a bearer key, with the kinds it lets through."""
    found = {}
    for path, by_method in app.route_handler_method_map.items():
        for method, handler in by_method.items():
            guards = key_guards(handler)
            if method != "OPTIONS" and not is_public(handler) and all(g.resolve is bearer_key for g in guards):
                (guard,) = guards
                found[(method, path)] = guard.kinds
    return found


def concrete(path: str) -> str:
    for pattern, value in (("{trainee_id:uuid}", str(uuid.uuid4())), ("{award_id:uuid}", str(uuid.uuid4())),
                           ("{job_id:uuid}", str(uuid.uuid4())),
                           ("{number:str}", "X"), ("{code:str}", "X"), ("{name:str}", "talent")):  # fmt: skip
        path = path.replace(pattern, value)
    return path


def assert_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == status


async def test_the_table_names_every_write_route_and_its_kinds(world: World) -> None:
    app = world.client.app
    writes = {route: kinds for route, kinds in bearer_routes(app).items() if route[0] != "GET"}
    assert writes == {route: kinds for route, (_, kinds) in WRITES.items()}


@pytest.mark.parametrize("route", sorted(WRITES), ids=lambda r: f"{r[0]} {r[1]}")
async def test_the_wrong_key_with_an_invalid_body_is_403_and_no_key_401(world: World, route: tuple[str, str]) -> None:
    method, _ = route
    path, allowed = WRITES[route]
    for kind in KINDS:
        if kind in allowed:
            continue
        response = await world.client.request(method, path, json=INVALID, headers=headers_of(world, kind))
        assert_problem(response, 403)
        assert "密钥" in response.json()["detail"]
    for headers in ({}, {"Authorization": "Bearer ldg_inst_notakey"}, {"Authorization": "Basic eDp4"}):
        response = await world.client.request(method, path, json=INVALID, headers=headers)
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"


async def test_the_invalid_body_is_what_the_right_key_gets_422_for(world: World) -> None:
    """So the 403s above are answered before the body is looked at, not because it happens to be acceptable."""
    for (method, _), (path, allowed) in WRITES.items():
        if path.endswith(("/checkpoints", "/rotate")) or method == "DELETE":  # they take no body
            continue
        response = await world.client.request(method, path, json=INVALID, headers=headers_of(world, allowed[0]))
        assert_problem(response, 422)


async def test_every_read_route_refuses_the_wrong_key_and_no_key(world: World) -> None:
    reads = {route: kinds for route, kinds in bearer_routes(world.client.app).items() if route[0] == "GET"}
    assert len(reads) >= 15
    for (_, template), allowed in reads.items():
        path = concrete(template)
        for kind in KINDS:
            if kind not in allowed:
                assert_problem(await world.client.get(path, headers=headers_of(world, kind)), 403)
        assert_problem(await world.client.get(path), 401)


async def test_the_wrong_key_with_bad_query_parameters_is_403(world: World) -> None:
    stats = await world.client.get("/api/v1/stats/talent?as_of=never&group_by=nothing", headers=world.evaluator)
    assert_problem(stats, 403)
    courses = await world.client.get("/api/v1/courses?limit=0&offset=-1", headers=world.bureau)
    assert_problem(courses, 403)
    assert_problem(await world.client.get("/api/v1/stats/talent?as_of=never", headers=world.bureau), 422)


async def test_another_institutions_certificate_is_still_404_to_change(world: World) -> None:
    posted = await world.client.post("/api/v1/completions", json={"items": [completion(1)]}, headers=world.evaluator)
    assert posted.status_code == 201, posted.text
    listed = await world.client.get("/api/v1/certificates", headers=world.evaluator)
    number = listed.json()["items"][0]["number"]
    for action in ("revoke", "suspend"):
        other = await world.client.post(f"/api/v1/certificates/{number}/{action}", json={"reason": "试"},
                                        headers=world.school)  # fmt: skip
        assert_problem(other, 404)
    assert_problem(await world.client.get(f"/api/v1/certificates/{number}", headers=world.school), 404)
    still = await world.client.get(f"/api/v1/certificates/{number}", headers=world.evaluator)
    assert still.json()["status"] == "valid"


async def test_an_admin_key_reads_the_whole_province(world: World) -> None:
    admin = await world.client.get("/api/v1/stats/talent", headers=world.admin)
    assert admin.status_code == 200, admin.text
    assert admin.json()["region_code"] == "650000"
