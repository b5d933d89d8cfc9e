"""The OpenAPI configuration `create_app` uses: /schema shows Swagger UI from this app's own files, and
/schema/openapi.json is Litestar's document completed by api/openapi/document.py."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.router import Router

from api.guards import PUBLIC
from api.openapi.docs_page import SCHEMA_PATH, SwaggerPage
from api.openapi.document import complete

DESCRIPTION = """技能双证账本 Skills Ledger — courses, completions, dual certificates (双证书), verifiable statistics.

The API is described in English with the Chinese terms of the trade; the messages clerks and analysts read
(`detail`, `errors[].message`) are Chinese first (English with `?lang=en` or `Accept-Language: en` where an
operation says so). Every 4xx and 5xx is `application/problem+json` (RFC 9457, schema `Problem`): a stable `type`,
`title`, `status`, `detail` and, for validation, every bad row and field in `errors`. An unknown query parameter
is refused (400) rather than ignored."""


def openapi_document(app: Litestar) -> dict[str, Any]:
    """The completed document, built once per app (the routes do not change after start-up)."""
    cached = app.state.get("openapi_document")
    if cached is None:
        cached = complete(app, msgspec.to_builtins(app.openapi_schema.to_schema()))  # examples may hold Structs
        app.state["openapi_document"] = cached
    return cached


class CompletedJson(JsonRenderPlugin):
    """/schema/openapi.json: the completed document."""

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        return self.render_json(request, openapi_document(request.app))


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Skills Ledger API",
        version="1",
        description=DESCRIPTION,
        use_handler_docstrings=True,  # a route's docstring is its operation's description
        openapi_router=Router(SCHEMA_PATH, route_handlers=[], include_in_schema=False, opt=PUBLIC),
        render_plugins=[SwaggerPage(), CompletedJson()],
    )
