"""The API as its OpenAPI document tells it, and the routes' own strictness: unknown query parameters are refused,
every bad field of a body is named, and every route's Content-Type is one media type with at most one charset."""

from __future__ import annotations

import re
import uuid

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from api.app import create_app
from api.guards import key_guards
from api.openapi.config import openapi_document
from api.strict_query import strict_query
from tests.factories import completion
from tests.integration.conftest import World
from tests.integration.test_dashboard import csrf_of

pytestmark = [pytest.mark.https]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# would end the sessions or revoke the keys the rest of a walk uses
SPARED = {"/school/logout", "/dashboard/logout", "/api/v1/keys/{key_id:int}", "/api/v1/keys/current/rotate"}
PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")


def routes(app: Litestar) -> list[tuple[str, str, object]]:
    """(method, path template, handler) of every route, without the OPTIONS Litestar adds."""
    found = []
    for route in app.routes:
        assert isinstance(route, HTTPRoute)
        for method, (handler, _) in route.route_handler_map.items():
            if method not in ("OPTIONS", "HEAD"):
                found.append((method, route.path, handler))
    return found


def keyed(world: World, handler: object) -> dict[str, str]:
    kinds = {kind for guard in key_guards(handler) for kind in guard.kinds}  # type: ignore[arg-type]
    if not kinds or "institution" in kinds:
        return world.evaluator
    return world.bureau if "bureau" in kinds else world.admin


def concrete(path: str, values: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        name, kind = match.group(1), match.group(2)
        if name in values:
            return values[name]
        return {"int": "1", "uuid": str(uuid.uuid4()), "path": "/swagger-ui.css"}.get(kind or "", "X")

    return PARAM.sub(fill, path)


def charsets(content_type: str) -> tuple[str, list[str]]:
    """The media type and the value of every charset parameter of a Content-Type."""
    media, *params = [part.strip() for part in content_type.split(";")]
    return media.lower(), [p.split("=", 1)[1].lower() for p in params if p.lower().startswith("charset=")]


async def signed_in(world: World) -> None:
    """The client signed in to the school portal (evaluator key) and the dashboard (bureau key)."""
    for area, key in (("school", world.evaluator), ("dashboard", world.bureau)):
        form = await world.client.get(f"/{area}/login")
        secret = key["Authorization"].removeprefix("Bearer ")
        answer = await world.client.post(f"/{area}/login", data={"key": secret, "_csrf_token": csrf_of(form.text)})
        assert answer.status_code in (302, 303), answer.text


async def a_certificate(world: World) -> dict[str, str]:
    response = await world.client.post("/api/v1/completions", json={"items": [completion(1)]}, headers=world.evaluator)
    assert response.status_code == 201, response.text
    certificates = response.json()["rows"][0]["certificates"]
    skill = next(c for c in certificates if c["kind"] == "skill_level")
    trainee = response.json()["rows"][0]["trainee_id"]
    return {"number": skill["number"], "verification_code": skill["verification_code"], "trainee_id": trainee}


def test_every_operation_has_a_summary_a_description_its_security_and_its_problems() -> None:
    app = create_app_for_test()
    document = openapi_document(app)
    problem = {"$ref": "#/components/schemas/Problem"}
    missing = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            name = f"{method.upper()} {path}"
            responses = operation["responses"]
            needed = {"400"} | ({"401", "403"} if operation["security"] else set())
            needed |= {"404"} if "{" in path else set()
            needed |= {"413", "422"} if "requestBody" in operation else set()
            if not operation.get("summary") or operation["summary"] == operation["operationId"]:
                missing.append(f"{name}: summary")
            if operation.get("description", "").startswith(("公开 / public", "密钥 / key")):  # no words of its own
                missing.append(f"{name}: description")
            if "security" not in operation:
                missing.append(f"{name}: security")
            for status in sorted(needed - set(responses)):
                missing.append(f"{name}: {status}")
            for status, response in responses.items():
                if int(status) >= 400 and not (path == "/ready" and status == "503"):
                    assert response["content"] == {"application/problem+json": {"schema": problem, **(
                        {"example": response["content"]["application/problem+json"]["example"]}
                        if "example" in response["content"]["application/problem+json"] else {})}}, name  # fmt: skip
                if status in ("429", "503") and path != "/ready":
                    assert "Retry-After" in response["headers"], name
                if status == "202":
                    assert "Location" in response["headers"], name
    assert missing == []
    problem_schema = document["components"]["schemas"]["Problem"]
    assert set(problem_schema["required"]) == {"type", "title", "status"}
    error = document["components"]["schemas"]["ProblemError"]
    assert {"row", "field", "code", "message"} <= set(error["properties"])


def test_guarded_operations_name_the_key_kinds_and_writes_their_idempotency_key() -> None:
    document = openapi_document(create_app_for_test())
    assert "bearer" in document["components"]["securitySchemes"]
    paths = document["paths"]
    assert paths["/api/v1/courses"]["post"]["security"] == [{"bearer": ["institution"]}]
    assert paths["/api/v1/stats/talent"]["get"]["security"] == [{"bearer": ["admin", "bureau"]}]
    assert paths["/api/v1/verify/{code}"]["get"]["security"] == []
    writes = [("/api/v1/completions", "post"), ("/api/v1/completions/import", "post"),
              ("/api/v1/certificates/{number}/revoke", "post"), ("/api/v1/institutions", "post")]  # fmt: skip
    for path, method in writes:
        assert "Idempotency-Key" in [p["name"] for p in paths[path][method]["parameters"]], path
    assert "Idempotency-Key" not in [p["name"] for p in paths["/api/v1/certificates"]["get"]["parameters"]]
    upload = paths["/api/v1/completions/import"]["post"]["requestBody"]["content"]
    assert {"multipart/form-data", "text/csv", XLSX} <= set(upload)
    assert upload["multipart/form-data"]["schema"]["properties"]["file"]["format"] == "binary"
    assert paths["/api/v1/completions"]["post"]["requestBody"]["content"]["application/json"]["example"]["items"]
    assert "Retry-After" in paths["/api/v1/verify/{code}"]["get"]["responses"]["429"]["headers"]


def create_app_for_test() -> Litestar:
    from api.settings import WebSettings
    from ledger.settings import Settings

    return create_app(WebSettings(domain=Settings(pii_key=b"p" * 32, lookup_key=b"l" * 32)))


def test_every_route_refuses_unknown_query_parameters() -> None:
    """No layer replaces the app's check (a router's or controller's own before_request would)."""
    app = create_app_for_test()
    assert [f"{m} {p}" for m, p, h in routes(app) if h.resolve_before_request() is not strict_query] == []  # type: ignore[attr-defined]


async def test_an_unknown_query_parameter_is_a_400_naming_it_on_every_route(world: World) -> None:
    await signed_in(world)
    app = world.client.app
    seen = 0
    for method, path, handler in routes(app):
        if path in SPARED:
            continue
        url = concrete(path, {})
        response = await world.client.request(method, url, params={"colour": "red"}, headers=keyed(world, handler))
        if (
            response.status_code == 429
            or (response.status_code == 403 and method == "POST" and not path.startswith("/api"))
            or "CSRF" in response.text
        ):
            continue  # the rate limit and the forms' CSRF check stand before the route
        assert response.status_code == 400, (method, path, response.status_code, response.text[:300])
        if response.headers["content-type"].startswith("application/problem+json"):
            problem = response.json()
            assert problem["detail"].startswith("未知的查询参数")
            assert [e["field"] for e in problem["errors"]] == ["colour"]
            assert problem["errors"][0]["code"] == "unknown_parameter"
        seen += 1
    assert seen > 80


async def test_trainee_id_filters_the_certificates(world: World) -> None:
    mine = await a_certificate(world)
    other = await world.client.post("/api/v1/completions", json={"items": [completion(2)]}, headers=world.evaluator)
    assert other.status_code == 201
    every = (await world.client.get("/api/v1/certificates", headers=world.evaluator)).json()
    assert every["total"] == 4  # two completions of a dual course
    only = await world.client.get("/api/v1/certificates", params={"trainee_id": mine["trainee_id"]},
                                  headers=world.evaluator)  # fmt: skip
    assert only.status_code == 200
    assert only.json()["total"] == 2
    assert mine["number"] in {c["number"] for c in only.json()["items"]}
    misspelt = await world.client.get("/api/v1/certificates", params={"trainee": mine["trainee_id"]},
                                      headers=world.evaluator)  # fmt: skip
    assert misspelt.status_code == 400 and misspelt.json()["errors"][0]["field"] == "trainee"


async def test_a_body_with_several_schema_errors_names_every_one(world: World) -> None:
    row = completion(1)
    bad = [
        {**row, "hours": "many"},
        {key: value for key, value in row.items() if key != "completed_on"},
        {**row, "passed": "yes", "colour": "red"},
    ]
    response = await world.client.post("/api/v1/completions", json={"items": bad, "extra": 1},
                                       headers=world.evaluator)  # fmt: skip
    assert response.status_code == 422
    problem = response.json()
    found = {(e.get("row"), e["field"], e["code"]) for e in problem["errors"]}
    assert found == {
        (None, "extra", "unknown_field"),
        (0, "hours", "invalid"),
        (1, "completed_on", "required"),
        (2, "passed", "invalid"),
        (2, "colour", "unknown_field"),
    }
    assert all(e["message"] for e in problem["errors"])
    course = await world.client.post("/api/v1/courses", json={"code": 5, "name": None, "hours": "x"},
                                     headers=world.evaluator)  # fmt: skip
    fields = {e["field"] for e in course.json()["errors"]}
    assert {"code", "name", "hours", "occupation_code"} <= fields


async def test_every_route_sends_one_media_type_with_at_most_one_charset(world: World) -> None:
    certificate = await a_certificate(world)
    await signed_in(world)
    app = world.client.app
    document = openapi_document(app)
    values = {"number": certificate["number"], "trainee_id": certificate["trainee_id"], "index": "0",
              "subject_type": "certificate", "name": "skill_level.xlsx"}  # fmt: skip
    checked, seen_types = 0, set()
    for method, path, handler in routes(app):
        if path in SPARED:
            continue
        code = (certificate["verification_code"] if re.search(r"/(v|V|verify|certificates)/\{code", path)
                else "CG-2025-01")  # fmt: skip
        url = concrete(path, {**values, "code": code})
        body = {"json": {}} if method in ("POST", "PUT", "DELETE") else {}
        query = {"format": "csv"} if path in ("/api/v1/certificates/export", "/api/v1/stats/talent") else {}
        response = await world.client.request(method, url, params=query, headers=keyed(world, handler), **body)
        content_type = response.headers.get("content-type")
        if content_type is None:
            assert response.status_code in (204, 301, 302, 303, 307), (method, path)
            continue
        media, found = charsets(content_type)
        assert len(found) <= 1, (method, path, content_type)
        if media.startswith("text/"):
            assert found == ["utf-8"], (method, path, content_type)
        operation = document["paths"].get(PARAM.sub(r"{\1}", path), {}).get(method.lower())
        if operation is not None:
            documented = operation["responses"].get(str(response.status_code), {}).get("content", {})
            assert media in {m.split(";")[0] for m in documented}, (method, path, response.status_code, media)
        seen_types.add(media)
        checked += 1
    assert checked > 80
    assert {"text/html", "text/csv", "text/plain", "application/json", "application/problem+json",
            "application/pdf", "application/statuslist+jwt"} <= seen_types  # fmt: skip
