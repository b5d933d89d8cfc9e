"""Authorisation, declared on controllers and routes: which kinds of key may call a route, or that it is public.

Litestar runs a route's guards before it reads the request body, resolves dependencies or validates anything, so a
key of the wrong kind gets 403 (and no key 401) whatever the body holds. The guard looks the key up once and leaves
the caller in the request's scope state, where the `principal` dependency (api/deps.py) picks it up.

Every route is either guarded by a `KeyGuard` or marked public with `opt=PUBLIC` (or `public=True`) on its route or
one of its layers; `undeclared_routes(app)` lists any that is neither, and a test holds that list empty.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler, HTTPRouteHandler
from litestar.routes import HTTPRoute
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.tenancy.service import Principal, principal_for

PRINCIPAL = "ledger_principal"  # the key in the request's scope state where a guard leaves the caller
PUBLIC: dict[str, Any] = {"public": True}  # a route's (or layer's) opt: anyone may call it, no key (Litestar copies it)

Resolve = Callable[[ASGIConnection, AsyncSession], Awaitable[Principal]]


async def bearer_key(connection: ASGIConnection, session: AsyncSession) -> Principal:
    """The caller behind `Authorization: Bearer <key>`; 401 without a key or with an unknown or revoked one."""
    scheme, _, secret = connection.headers.get("authorization", "").partition(" ")
    challenge = {"WWW-Authenticate": "Bearer"}
    if scheme.lower() != "bearer" or not secret.strip():
        raise NotAuthorizedException(
            "请提供 API 密钥（send an API key: Authorization: Bearer <key>）", headers=challenge
        )
    principal = await principal_for(session, secret.strip())
    if principal is None:
        raise NotAuthorizedException("API 密钥无效或已停用（unknown or revoked API key）", headers=challenge)
    return principal


def caller(connection: ASGIConnection) -> Principal | None:
    """The caller a guard let through on this request, if any."""
    principal = connection.state.get(PRINCIPAL)
    return principal if isinstance(principal, Principal) else None


@dataclass(frozen=True, slots=True)
class KeyGuard:
    """Lets a request through only if its caller holds a key of one of `kinds`; otherwise 403 with `forbidden`."""

    kinds: tuple[str, ...]
    forbidden: str
    resolve: Resolve = bearer_key

    async def __call__(self, connection: ASGIConnection, _: BaseRouteHandler) -> None:
        principal = caller(connection)  # another guard on the route may have looked the key up already
        if principal is None:
            async with connection.app.state.runtime.sessionmaker() as session:
                principal = await self.resolve(connection, session)
            connection.state[PRINCIPAL] = principal
        if principal.kind not in self.kinds:
            raise PermissionDeniedException(self.forbidden)


institution_key = KeyGuard(("institution",), "此操作需要机构密钥（this needs an institution key）")
bureau_key = KeyGuard(  # an admin key reads the statistics of the whole province
    ("bureau", "admin"), "此操作需要人社局或管理员密钥（this needs a bureau or admin key）"
)
admin_key = KeyGuard(("admin",), "此操作需要管理员密钥（this needs an admin key）")


def key_guards(handler: BaseRouteHandler) -> list[KeyGuard]:
    """The key guards on a route and on every layer above it (controller, routers, app)."""
    return [g for layer in handler.ownership_layers for g in layer.guards or [] if isinstance(g, KeyGuard)]


def is_public(handler: BaseRouteHandler) -> bool:
    return handler.opt.get("public") is True


def _is_automatic_options(handler: HTTPRouteHandler) -> bool:
    """Litestar adds an OPTIONS handler (204 with an Allow header, no data) to every path that has none."""
    return handler.http_methods == {"OPTIONS"} and handler.handler_name == "options_handler"


def undeclared_routes(app: Litestar) -> list[str]:
    """Routes neither guarded by a key nor marked public, and routes marked public that are guarded all the same."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            found.append(f"{route.path} (not HTTP)")
            continue
        for handler in route.route_handlers:
            if _is_automatic_options(handler):
                continue
            guarded, public = bool(key_guards(handler)), is_public(handler)
            if guarded == public:
                methods = ",".join(sorted(handler.http_methods))
                found.append(f"{methods} {route.path}: " + ("public and guarded" if public else "no key guard"))
    return found
