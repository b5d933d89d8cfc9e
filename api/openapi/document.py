"""The OpenAPI document as the API behaves: Litestar's generated document, completed from the routes themselves.

Litestar documents each route's success, its parameters and its JSON body. What it cannot see is said here, once
for every route, from what the route declares:

- the problems (application/problem+json, the `Problem` of api/problems.py) it can answer with: 400 and 503 for
  every route (an unknown query parameter, a lost database); 401 and 403 where a key guard stands; 404 where the
  path or a query names something (a course, a region, a plan, a log index); 422 where a body or a parameter is
  validated; 409 and 413 for writes and bodies; 429 where a rate limit stands; each with its Retry-After or
  WWW-Authenticate header;
- the Bearer scheme on every guarded operation with the key kinds its guards take (OpenAPI 3.1 lets a non-OAuth
  scheme list roles: ours are key kinds), and an empty `security` on public ones;
- the Idempotency-Key header where the route honours it (`opt=IDEMPOTENT`), a spreadsheet body where it reads one
  (`opt=SHEET_UPLOAD`), `Location` on every 202, and the examples of the main calls (api/openapi/examples.py).

A route adds a status of its own with `responses={409: problem_spec("why")}`; its description is kept.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import msgspec
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute

from api.guards import is_public, key_guards
from api.limits import SharedRateLimit
from api.openapi.examples import EXAMPLES, PROBLEM_EXAMPLES
from api.problems import PROBLEM_JSON, Problem, ProblemWarning
from ledger.tenancy.service import KEY_PREFIX

BEARER = "bearer"
REF = "#/components/schemas/{name}"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

PROBLEMS = {
    400: "请求有误 / bad request: an unknown query parameter (named in `errors[].field`), malformed JSON, JSON "
    "nested too deep or a number out of range",
    401: "需要 API 密钥 / no key, or an unknown or revoked one (`WWW-Authenticate: Bearer`)",
    403: "密钥种类不符 / the key is of a kind this operation does not take",
    404: "不存在 / not found; another institution's records are not found either",
    409: "与当前状态冲突 / conflict with the current state: a unique value already taken, a certificate whose "
    "status forbids it; `errors[].field` names the field",
    413: "请求体过大 / the body is larger than LEDGER_MAX_BODY_BYTES (an upload: LEDGER_MAX_IMPORT_BYTES)",
    422: "输入无效 / the input is invalid: every bad row and field of the body or parameters in `errors`, all in "
    "one answer; or an Idempotency-Key reused with another request",
    429: "请求过于频繁 / too many requests from this address: retry after `Retry-After` seconds",
    503: "服务暂时不可用 / the database or Redis is unavailable (or every import slot is busy): nothing was saved; "
    "retry after `Retry-After` seconds",
}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
NO_DATABASE = {"/health"}  # answers without the database: no 503

_RETRY_AFTER = {
    "description": "秒 / seconds to wait before retrying",
    "schema": {"type": "integer", "minimum": 0},
}
HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "always `Bearer`", "schema": {"type": "string"}}},
    429: {"Retry-After": _RETRY_AFTER},
    503: {"Retry-After": _RETRY_AFTER},
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "幂等键 / 1 to 255 characters of your choosing. A retry with the same key and body replays the "
    "first answer (with `Idempotent-Replayed: true`) and writes nothing; the same key with another body is 422. "
    "Kept LEDGER_IDEMPOTENCY_HOURS (7 days).",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}
_BINARY = {"type": "string", "format": "binary"}
SHEET_BODY = {
    "required": True,
    "description": "结业名单 / the completion list as a spreadsheet: the `file` part of a multipart/form-data "
    "upload, or the file itself as the body (.xlsx, .xls, .ods, or CSV in UTF-8, UTF-8 with BOM or GB18030, comma "
    "or tab separated). docs/import.md lists the headers and values it reads.",
    "content": {
        "multipart/form-data": {
            "schema": {"type": "object", "required": ["file"], "properties": {"file": _BINARY}},
            "encoding": {"file": {"contentType": f"{XLSX}, application/vnd.ms-excel, text/csv"}},
        },
        XLSX: {"schema": _BINARY},
        "application/vnd.ms-excel": {"schema": _BINARY},
        "application/vnd.oasis.opendocument.spreadsheet": {"schema": _BINARY},
        "text/csv": {
            "schema": {"type": "string"},
            "example": "课程编号,姓名,身份证号,结业日期,学时,是否合格,鉴定等级\n"
            "CHEGONG-2025-07,买买提·艾力,650102199001011239,2025-08-30,120,合格,四级\n",
        },
    },
}
FORMATS = {"csv": ("text/csv", {"type": "string"}), "xlsx": (XLSX, _BINARY)}  # ?format= of an export
LOCATION = {"Location": {"description": "the job: `/api/v1/jobs/{id}`", "schema": {"type": "string"}}}


def handlers(app: Litestar) -> Iterator[tuple[str, str, HTTPRouteHandler]]:
    """(OpenAPI path, method, handler) of every documented operation."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            if method != "OPTIONS" and handler.resolve_include_in_schema():
                yield route.path_format or "/", method, handler


def key_kinds(handler: HTTPRouteHandler) -> list[str]:
    """The kinds of key every guard on the route lets through (all must pass, so their intersection)."""
    kinds: set[str] | None = None
    for guard in key_guards(handler):
        kinds = set(guard.kinds) if kinds is None else kinds & set(guard.kinds)
    return sorted(kinds or ())


def rate_limited(handler: HTTPRouteHandler) -> bool:
    return any(
        getattr(m, "middleware", None) is SharedRateLimit
        for layer in handler.ownership_layers
        for m in layer.middleware or []
    )


def problem_statuses(path: str, method: str, handler: HTTPRouteHandler, operation: dict[str, Any]) -> set[int]:
    """Every problem status the operation can answer with (beyond those the route declares itself)."""
    statuses = {400}
    if path not in NO_DATABASE:
        statuses.add(503)
    if key_guards(handler):
        statuses |= {401, 403}
    if rate_limited(handler):
        statuses.add(429)
    parameters = operation.get("parameters", [])
    if any(p["in"] in ("path", "query") for p in parameters):
        statuses.add(404)  # a path or a query may name what is not there: a course, a region, a plan, an index
    if parameters or "requestBody" in operation or handler.opt.get("idempotent"):
        statuses.add(422)
    if "requestBody" in operation:
        statuses.add(413)
    if method in WRITES:
        statuses |= {409, 422}
    return statuses


def problem_response(status: int, description: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": REF.format(name="Problem")}}},
    }
    if status in PROBLEM_EXAMPLES:
        response["content"][PROBLEM_JSON]["example"] = PROBLEM_EXAMPLES[status]
    if status in HEADERS:
        response["headers"] = HEADERS[status]
    return response


def security_of(handler: HTTPRouteHandler) -> tuple[list[dict[str, list[str]]], str]:
    """The operation's `security` and the sentence its description ends with."""
    if is_public(handler) or not key_guards(handler):
        return [], "公开 / public: no key."
    kinds = key_kinds(handler)
    named = ", ".join(f"{kind} (`{KEY_PREFIX[kind]}…`)" for kind in kinds)
    return [{BEARER: kinds}], f"密钥 / key: `Authorization: Bearer <key>` of the kind {named}."


def complete_operation(path: str, method: str, handler: HTTPRouteHandler, operation: dict[str, Any]) -> None:
    if handler.opt.get("sheet_upload"):
        operation["requestBody"] = copy.deepcopy(SHEET_BODY)
    declared = {int(status): spec for status, spec in (handler.responses or {}).items()}
    own = {status for status, spec in declared.items() if spec.data_container is not Problem}  # e.g. /ready's 503
    responses = operation.setdefault("responses", {})
    wanted = problem_statuses(path, method, handler, operation) | {s for s in declared if s >= 400}
    for status in sorted(wanted - own):
        description = responses.get(str(status), {}).get("description") if status in declared else None
        responses[str(status)] = problem_response(status, description or PROBLEMS.get(status, "problem"))
    _formats(operation)
    if "202" in responses:
        responses["202"].setdefault("headers", {}).update(LOCATION)
    security, sentence = security_of(handler)
    operation["security"] = security
    description = operation.get("description") or ""
    operation["description"] = f"{description.strip()}\n\n{sentence}".strip()
    if handler.opt.get("idempotent"):
        operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
        operation["description"] += " 支持幂等键 / honours `Idempotency-Key`."
    for where, example in EXAMPLES.get((method, path), {}).items():
        if where == "request" and "requestBody" in operation:
            operation["requestBody"]["content"]["application/json"]["example"] = example
        elif where in responses:
            for media in responses[where].get("content", {}).values():
                media["example"] = example


def _formats(operation: dict[str, Any]) -> None:
    """An operation with `?format=csv|xlsx` answers in those media types too (its 200 says each)."""
    chosen = next((p for p in operation.get("parameters", []) if p["name"] == "format" and p["in"] == "query"), None)
    success = operation["responses"].get("200")
    if chosen is None or success is None:
        return
    content = success.setdefault("content", {})
    if "json" not in chosen["schema"].get("enum", []):
        content.pop("application/json", None)
    for name in chosen["schema"].get("enum", []):
        if name in FORMATS:
            media, schema = FORMATS[name]
            content[media] = {"schema": schema}


def problem_schemas() -> dict[str, Any]:
    """`Problem` and the structs in it, from the very Structs the API encodes."""
    _, components = msgspec.json.schema_components([Problem, ProblemWarning], ref_template=REF)
    return components


def complete(app: Litestar, document: dict[str, Any]) -> dict[str, Any]:
    """`document` (Litestar's, as a dict) completed in place, and returned."""
    components = document.setdefault("components", {})
    components.setdefault("schemas", {}).update(problem_schemas())
    kinds = ", ".join(f"{kind} `{prefix}…`" for kind, prefix in KEY_PREFIX.items())
    components["securitySchemes"] = {
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "description": f"API 密钥 / an API key, shown once when issued; kinds: {kinds}. A bureau key is "
            "scoped to a region. Each operation lists the kinds it takes.",
        }
    }
    for path, method, handler in handlers(app):
        operation = document["paths"][path][method.lower()]
        complete_operation(path, method, handler, operation)
    return document
