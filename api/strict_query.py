"""Strict queries: a query parameter the route does not declare is refused (400 naming it), never ignored.

A filter that is misspelt (`?trainee=…` for `?trainee_id=…`) would otherwise silently answer with everything. The
declared names are the route's own query parameters and those of its dependencies, as Litestar resolved them (the
route's KwargsModel), and those a page reads itself (`opt={OWN_QUERY: names}`: the dashboard's filters, explained
beside their fields). `strict_query` runs as the app's `before_request`, after the guards (a caller without a key
learns nothing of a route's parameters) and before any parameter is parsed.
"""

from __future__ import annotations

from litestar import Litestar, Request, Response
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute

from api.problems import problem_response
from ledger.errors import FieldError

OWN_QUERY = "own_query"
"""A handler's `opt` key naming the query parameters it reads itself (a page that explains a bad filter beside its
field rather than letting Litestar refuse it): they count as declared."""


def declared_queries(app: Litestar) -> dict[HTTPRouteHandler, frozenset[str]]:
    """Each route handler's declared query parameter names."""
    found: dict[HTTPRouteHandler, frozenset[str]] = {}
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler, kwargs_model in route.route_handler_map.values():
                declared = {p.field_alias for p in kwargs_model.expected_query_params}
                found[handler] = frozenset(declared | set(handler.opt.get(OWN_QUERY, ())))
    return found


def unknown_parameters(request: Request) -> list[str]:
    table = request.app.state.get("declared_queries")
    if table is None:
        table = request.app.state["declared_queries"] = declared_queries(request.app)
    allowed = table.get(request.route_handler)
    if allowed is None:  # a handler Litestar made itself (OPTIONS, the static files): nothing to hold it to
        return []
    return sorted({name for name in request.query_params if name not in allowed})


async def strict_query(request: Request) -> Response | None:
    unknown = unknown_parameters(request)
    if not unknown:
        return None
    names = ", ".join(unknown)
    errors = [
        FieldError(field=name, code="unknown_parameter", message=f"未知的查询参数 / unknown query parameter `{name}`")
        for name in unknown
    ]
    detail = f"未知的查询参数：{names}（unknown query parameter: {names}）"
    return problem_response(400, "bad-request", "Bad request", detail, errors)
