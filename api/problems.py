"""One map from every error to RFC 9457 problem details (application/problem+json)."""

from __future__ import annotations

import logging
import re
from collections import Counter
from typing import Any

import asyncpg
import msgspec
import redis.exceptions
import sqlalchemy.exc
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import ResponseSpec
from litestar.utils.scope.state import ScopeState

from api.body_errors import body_errors
from api.json_limits import out_of_range_paths
from api.request_log import route_of
from ledger.commands import BIDI_MESSAGE, NO_BIDI
from ledger.database.constraints import constraint_violation
from ledger.errors import Conflict, FieldError, InvalidInput, LedgerError, NotFound, RuleViolation
from ledger.people.identity import mask_personal_numbers

log = logging.getLogger("api.problems")

PROBLEM_JSON = "application/problem+json"

_DOMAIN = {
    InvalidInput: (422, "validation", "The input is invalid"),
    RuleViolation: (422, "rule-violation", "A domain rule forbids this"),
    NotFound: (404, "not-found", "Not found"),
    Conflict: (409, "conflict", "Conflict with the current state"),
}

_BY_STATUS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Conflict with the current state"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("validation", "The input is invalid"),
    429: ("rate-limited", "Too many requests"),
    503: ("unavailable", "Service unavailable"),
}


class ProblemError(msgspec.Struct, omit_defaults=True):
    """One bad value: its field path (`items[3].hours` is `field` hours of `row` 3), a stable code and a message."""

    field: str
    code: str
    message: str
    row: int | None = None
    column: str | None = None  # a spreadsheet's own header for the field


class ProblemWarning(msgspec.Struct, omit_defaults=True):
    """Something read past but not refused (a title row, a column the ledger does not keep)."""

    code: str
    message: str
    row: int | None = None
    column: str | None = None


class Problem(msgspec.Struct, omit_defaults=True):
    """RFC 9457 problem details, as every 4xx and 5xx of the API is sent (application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str = ""
    errors: list[ProblemError] = []
    total_errors: int | None = None  # when `errors` is capped: how many there are
    summary: dict[str, int] | None = None  # errors per code
    warnings: list[ProblemWarning] = []


def problem_spec(description: str) -> ResponseSpec:
    """A route's own problem status for the OpenAPI document: `responses={409: problem_spec("why")}`."""
    return ResponseSpec(Problem, description=description, media_type=PROBLEM_JSON, generate_examples=False)


def problem_type(slug: str) -> str:
    return f"/problems/{slug}"


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str,
    errors: list[FieldError] | None = None,
    headers: Any = None,
    *,
    max_errors: int | None = None,
    warnings: list[ProblemWarning] | None = None,
) -> Response:
    """`max_errors` caps the list and adds `total_errors` and a count per code (`summary`)."""
    content = problem_content(status, slug, title, detail, errors, max_errors=max_errors, warnings=warnings)
    return Response(content=content, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def problem_content(
    status: int,
    slug: str,
    title: str,
    detail: str,
    errors: list[FieldError] | None = None,
    *,
    max_errors: int | None = None,
    warnings: list[ProblemWarning] | None = None,
) -> bytes:
    """The problem+json body. No message repeats an ID or mobile number someone typed: every such run in the
    detail and the messages is masked, whatever raised the error."""
    errors = errors or []
    total = summary = None
    if max_errors is not None:
        total = len(errors)
        summary = dict(Counter(e.code for e in errors).most_common())
    body = Problem(
        type=problem_type(slug),
        title=title,
        status=status,
        detail=mask_personal_numbers(detail),
        errors=[
            ProblemError(e.field, e.code, mask_personal_numbers(e.message), e.row, e.column)
            for e in errors[:max_errors]
        ],
        total_errors=total,
        summary=summary,
        warnings=warnings or [],
    )
    return msgspec.json.encode(body)


def domain_error(request: Request, exc: LedgerError) -> Response:
    for cls, (status, slug, title) in _DOMAIN.items():
        if isinstance(exc, cls):
            return problem_response(status, slug, title, exc.detail, exc.errors)
    return problem_response(422, "validation", "The input is invalid", exc.detail, exc.errors)


_ROW = re.compile(r"^items\[(\d+)\]\.?")
_NAMED = re.compile(r"field `([^`]*)`")


def field_error_from_msgspec(message: str, key: str | None) -> FieldError:
    """Turn msgspec's ("Expected `int`, got `str`", "items[9998].hours") into row 9998, field `hours`."""
    path = key or ""
    row = None
    match = _ROW.match(path)
    if match:
        row = int(match.group(1))
        path = path[match.end() :]
    code = "invalid"
    if NO_BIDI in message.replace("\\\\", "\\"):
        return FieldError(field=path or "body", code="bidi_control", message=BIDI_MESSAGE, row=row)
    if message.startswith(("Object contains unknown field", "Object missing required field")):
        code = "unknown_field" if "unknown" in message else "required"
        named = _NAMED.search(message)
        if named:
            path = f"{path}.{named.group(1)}" if path else named.group(1)
    return FieldError(field=path or "body", code=code, message=message, row=row)


def validation_error(request: Request, exc: ValidationException) -> Response:
    """Every bad parameter, and every bad field of the body (api/body_errors.py: msgspec names only the first)."""
    errors: list[FieldError] = []
    body = [field_error_from_msgspec(message, key or None) for message, key in body_errors(request)]
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict) and not (body and item.get("source") == "body"):
            key = item.get("key")
            errors.append(field_error_from_msgspec(str(item.get("message", "")), str(key) if key else None))
    errors += body
    if not errors:
        errors.append(FieldError(field="body", code="invalid", message=str(exc.detail)))
    return problem_response(422, "validation", "The input is invalid", "the request does not match the schema", errors)


RETRY_AFTER = {429: "60", 503: "5"}  # seconds, when the refusal did not say how long itself
OUT_OF_RANGE = "数值超出范围 / the number is out of range"


def http_error(request: Request, exc: HTTPException) -> Response:
    slug, title = _BY_STATUS.get(exc.status_code, ("error", "Error"))
    if exc.status_code == 400 and str(exc.detail).startswith("Number out of range"):
        return _number_out_of_range(request)
    detail = exc.detail if exc.status_code < 500 or exc.status_code == 503 else title
    headers = dict(exc.headers or {})
    if exc.status_code in RETRY_AFTER and not any(name.lower() == "retry-after" for name in headers):
        headers["Retry-After"] = RETRY_AFTER[exc.status_code]
    return problem_response(exc.status_code, slug, title, detail, headers=headers)


def _number_out_of_range(request: Request) -> Response:
    """msgspec names no place for a number too large for a double; find each in the body Litestar kept."""
    body = ScopeState.from_scope(request.scope).body
    errors = []
    for path in out_of_range_paths(body) if isinstance(body, bytes) else []:
        error = field_error_from_msgspec("", path)
        errors.append(FieldError(error.field, "out_of_range", OUT_OF_RANGE, error.row))
    return problem_response(400, "bad-request", "Bad request", OUT_OF_RANGE, errors, max_errors=100)


def too_deep(request: Request, exc: RecursionError) -> Response:
    """A structure nested too deep for a decoder or encoder, if one got past the body guard (api/body_guard.py)."""
    log.warning("nesting too deep on %s %s", request.method, route_of(request.scope))
    return problem_response(400, "bad-request", "Bad request", "the input nests too deep")


def undecodable_body(request: Request, exc: UnicodeDecodeError) -> Response:
    return problem_response(
        400, "bad-request", "Bad request", "the request body is not valid UTF-8",
        [FieldError(field="body", code="encoding", message="send UTF-8 JSON")],
    )  # fmt: skip


def is_data_error(exc: sqlalchemy.exc.DBAPIError) -> bool:
    """SQLSTATE class 22 (data exception), whichever way the driver adapter wrapped it."""
    orig = exc.orig
    return isinstance(getattr(orig, "__cause__", None), asyncpg.DataError) or str(
        getattr(orig, "sqlstate", "") or ""
    ).startswith("22")


def unstorable_value(request: Request, exc: Exception) -> Response:
    """A value PostgreSQL cannot store (a NUL character, a number or date out of range). The statement and its
    values are not echoed."""
    if connection_lost(exc) or (isinstance(exc, sqlalchemy.exc.DBAPIError) and not is_data_error(exc)):
        return unexpected_error(request, exc)
    return problem_response(
        400, "bad-request", "Bad request",
        "a value is out of range or contains a character that cannot be stored (such as NUL)",
    )  # fmt: skip


def violated_constraint(
    request: Request, exc: sqlalchemy.exc.IntegrityError | asyncpg.IntegrityConstraintViolationError
) -> Response:
    """The safety net for a write no service mapped: the same map by constraint name, no driver text."""
    log.warning("constraint violation reached the API on %s %s", request.method, route_of(request.scope))
    return domain_error(request, constraint_violation(exc))


# What a lost or unreachable database (or Redis) looks like, whichever layer raised it.
_CONNECTION_LOST: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.exceptions.OperatorInterventionError,  # class 57: pg_terminate_backend, shutdown, recovery
    asyncpg.exceptions.ConnectionDoesNotExistError,
    ConnectionError,
    sqlalchemy.exc.TimeoutError,  # no pooled connection came free in time
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


def connection_lost(exc: BaseException) -> bool:
    """Whether `exc`, or what caused it, is a database connection that was lost or could not be had."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, _CONNECTION_LOST):
            return True
        if isinstance(seen, sqlalchemy.exc.DBAPIError) and seen.connection_invalidated:
            return True
        if isinstance(seen, asyncpg.InterfaceError) and "connection is closed" in str(seen):
            return True
        orig = getattr(seen, "orig", None)
        seen = orig if isinstance(orig, BaseException) else (seen.__cause__ or seen.__context__)
    return False


def database_unavailable(request: Request, exc: Exception) -> Response:
    """The database (or Redis) went away under the request: nothing was committed; the client may retry."""
    log.warning(
        "database or Redis unavailable on %s %s: %s", request.method, route_of(request.scope), type(exc).__name__
    )
    return problem_response(
        503, "unavailable", "Service unavailable",
        "服务暂时不可用，未保存任何数据，请稍后重试（the database or Redis is unavailable; nothing was saved; retry）",
        headers={"Retry-After": RETRY_AFTER[503]},
    )  # fmt: skip


def unexpected_error(request: Request, exc: Exception) -> Response:
    if connection_lost(exc):
        return database_unavailable(request, exc)
    log.error("unhandled %s on %s %s", type(exc).__name__, request.method, route_of(request.scope), exc_info=exc)
    return problem_response(500, "internal", "Internal error", "an unexpected error occurred; it has been logged")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    LedgerError: domain_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    UnicodeDecodeError: undecodable_body,
    RecursionError: too_deep,
    OverflowError: unstorable_value,
    asyncpg.DataError: unstorable_value,
    sqlalchemy.exc.DBAPIError: unstorable_value,
    sqlalchemy.exc.IntegrityError: violated_constraint,
    asyncpg.IntegrityConstraintViolationError: violated_constraint,
    **dict.fromkeys(_CONNECTION_LOST, database_unavailable),
    Exception: unexpected_error,
}
