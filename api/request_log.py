"""Logs without personal data: one structured access line per request, and one handler for every log record.

The access line names the route by its template (`/v/{code}`), never by the path typed, so a certificate code,
a share token or an ID number typed into a URL is not written down; a path no route matched is written with every
ID-number-like and phone-number-like run masked. Each request gets an id (a load balancer's `X-Request-Id` if it
sends a plain one, else a new one), returned as `X-Request-Id` and carried by every record logged while the request
runs. Every record, whoever logs it (the ledger, Litestar, uvicorn, SQLAlchemy), passes the same redaction before it
is written: its message and fields are masked by `mask_personal_numbers`.

`LEDGER_LOG_FORMAT=json` (the default) writes one JSON object per line (`ts`, `level`, `logger`, `message`, and for
requests `request_id`, `method`, `route`, `status`, `duration_ms`); `text` writes the same as a readable line. The
standard library's logging is enough for this: msgspec encodes the line (a few µs), no second logging framework.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import logging
import re
import sys
import time
import uuid
from collections.abc import Iterator
from typing import IO, Any, Literal

import msgspec
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from ledger.people.identity import mask_personal_numbers

LogFormat = Literal["json", "text"]
ACCESS = logging.getLogger("api.access")
REQUEST_ID_HEADER = b"x-request-id"
_FIELDS = ("request_id", "method", "route", "status", "duration_ms")
_PLAIN_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def current_request_id() -> str:
    """The id of the request this code runs for ("-" outside one)."""
    return _request_id.get()


@contextlib.contextmanager
def logged_as(request_id: str) -> Iterator[None]:
    """Log lines written in the block carry `request_id` (work a helper process does for a request)."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


class Redaction(logging.Filter):
    """Masks ID-number-like and phone-number-like runs in a record's message, and adds the request id."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_personal_numbers(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_personal_numbers(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = mask_personal_numbers(record.exc_text)
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record; its string fields masked like the message."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in _FIELDS:
            value = getattr(record, name, None)
            if value is not None and value != "-":
                line[name] = mask_personal_numbers(value) if isinstance(value, str) else value
        if record.exc_info or record.exc_text:
            line["exception"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return msgspec.json.encode(line).decode()


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def log_handler(log_format: LogFormat, stream: IO[str] | None = None) -> logging.Handler:
    """The handler every record goes through: redaction, then JSON or a text line."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(Redaction())
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    return handler


def configure_logging(log_format: LogFormat, level: str = "INFO") -> None:
    """The root logger writes through `log_handler` only; uvicorn's loggers propagate to it, except its access
    log, which stays off (it writes raw paths; `request_log` writes route templates). Safe to call again, as each
    `ledger serve` worker process does once uvicorn has set up its own loggers."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(log_handler(log_format))
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = name != "uvicorn.access"


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER:
            text = value.decode("latin-1")
            return text if _PLAIN_ID.match(text) else None
    return None


def route_of(scope: Scope) -> str:
    """The route's template (`/v/{code}`), never the path typed, which may hold a code or an ID number; a path no
    route matched, masked."""
    return str(scope.get("path_template") or mask_personal_numbers(scope.get("path", "")))


def request_log(app: ASGIApp) -> ASGIApp:
    """Wraps the whole ASGI app (unmatched routes included): a request id, the `X-Request-Id` header, and one
    access line when the response ends."""

    async def logged(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        request_id = _incoming_id(scope) or uuid.uuid4().hex
        token = _request_id.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            route = route_of(scope)
            duration = round((time.perf_counter() - started) * 1000, 2)
            method = scope.get("method", "")
            ACCESS.info(
                "%s %s %s %.1fms", method, route, status, duration,
                extra={"method": method, "route": route, "status": status, "duration_ms": duration},
            )  # fmt: skip
            _request_id.reset(token)

    return logged
