"""A middleware that caps JSON bodies before anything decodes them: their size and their nesting depth.

It runs before the route's guards, so a body nested too deep gets a plain 400 problem whoever sends it (no
traceback, no 500). It looks only at bodies that start like a JSON document (`{` or `[`) and are not form posts;
others pass untouched (Litestar's own LEDGER_MAX_BODY_BYTES limit still holds for them).
"""

from __future__ import annotations

from collections.abc import Callable

from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send

from api.json_limits import nesting_exceeds
from api.problems import PROBLEM_JSON, problem_content
from ledger.errors import FieldError

_FORMS = ("multipart/", "application/x-www-form-urlencoded")


def json_body_guard(max_depth: int, max_bytes: int) -> Callable[[ASGIApp], ASGIApp]:
    """Refuse a JSON body nested deeper than `max_depth` (400 `too_deep`) or longer than `max_bytes` (413)."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http" or _is_form(scope):
                await app(scope, receive, send)
                return
            message = await receive()
            parts: list[bytes] = [message.get("body", b"")]  # type: ignore[list-item]
            if message["type"] != "http.request" or parts[0].lstrip()[:1] not in (b"{", b"["):
                await app(scope, _replay(message, receive), send)
                return
            size = len(parts[0])
            while message.get("more_body", False):
                message = await receive()
                if message["type"] != "http.request":  # the client went away
                    await app(scope, _replay(message, receive), send)
                    return
                parts.append(message.get("body", b""))
                size += len(parts[-1])
                if size > max_bytes:
                    detail = f"请求体超过 {max_bytes} 字节 / the body is larger than {max_bytes} bytes"
                    await _refuse(send, 413, "payload-too-large", "Request body too large", detail)
                    return
            body = b"".join(parts)
            if nesting_exceeds(body, max_depth):
                detail = (
                    f"JSON 嵌套超过 {max_depth} 层或括号不配对 / the JSON nests deeper than {max_depth} levels or its "
                    "brackets do not balance"
                )
                await _refuse(send, 400, "bad-request", "Bad request", detail,
                              [FieldError("body", "too_deep", f"at most {max_depth} levels of nesting")])  # fmt: skip
                return
            await app(scope, _replay({"type": "http.request", "body": body, "more_body": False}, receive), send)

        return guarded

    return middleware


def _is_form(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return value.decode("latin-1").lower().startswith(_FORMS)
    return False


def _replay(first: ReceiveMessage, receive: Receive) -> Receive:
    pending = [first]

    async def replayed() -> ReceiveMessage:
        return pending.pop() if pending else await receive()

    return replayed


async def _refuse(
    send: Send, status: int, slug: str, title: str, detail: str, errors: list[FieldError] | None = None
) -> None:
    content = problem_content(status, slug, title, detail, errors)
    headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(content)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content, "more_body": False})
