"""Pages behind a cookie sign-in (the bureau dashboard, the school portal): one way to build them.

Sessions are Litestar's client-side cookie sessions, encrypted and authenticated (AES-GCM) with a key derived from the
lookup key. A session holds the API key's id and the sign-in time, never the secret, and the key is looked up again
on every request, so revoking it ends the session. The forms carry Litestar's CSRF token (double submit); cookies are
HttpOnly, SameSite=Lax, limited to the area's path, and Secure when the public base URL is https.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotAuthorizedException
from litestar.handlers import HTTPRouteHandler
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.middleware.session.base import SessionMiddleware
from litestar.middleware.session.client_side import ClientSideSessionBackend, CookieBackendConfig
from litestar.params import Body
from litestar.response import Redirect, Template
from litestar.types import ASGIApp, ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import DbSession
from api.guards import PUBLIC, KeyGuard
from api.settings import WebSettings
from ledger.tenancy.service import Principal, principal_by_id, principal_for

IDLE_SECONDS = 8 * 3600  # the cookie's lifetime, renewed by each page view
SIGNED_IN_SECONDS = 12 * 3600  # a sign-in lasts this long however active the session is
# what a signed-in page may load: its own inline styles, images from itself; forms post only to itself
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


class SignIn(msgspec.Struct):
    key: Annotated[str, msgspec.Meta(max_length=256)] = ""


SignInForm = Annotated[SignIn, Body(media_type=RequestEncodingType.URL_ENCODED)]


class SignInRequired(NotAuthorizedException):
    """No session, an expired one, or one whose key has been revoked since: 401, or on a page a redirect to the
    sign-in form."""


def derived_secret(settings: WebSettings, label: str, area: str = "dashboard") -> bytes:
    """A 32-byte key for `label` of `area`, derived from the lookup key so that nothing new must be configured."""
    assert settings.domain.lookup_key
    return hmac.new(settings.domain.lookup_key, f"skills-ledger {area} {label}".encode(), hashlib.sha256).digest()


def _session_middleware(app: ASGIApp, config: CookieBackendConfig) -> ASGIApp:
    """Litestar's session middleware, its backend (which holds a cipher) built when the app is, not before: the app
    deep-copies a router when registering it, and a cipher cannot be copied."""
    return SessionMiddleware(app, backend=ClientSideSessionBackend(config=config))


def html(template: str, context: dict[str, object], status: int = 200) -> Template:
    """A page of a signed-in area: never cached, nothing loaded from elsewhere, no referrer sent off the site."""
    return Template(
        template,
        context=context,
        status_code=status,
        headers={
            "Cache-Control": "no-store",
            "Content-Security-Policy": CSP,
            "Referrer-Policy": "same-origin",
            "X-Content-Type-Options": "nosniff",
        },
    )


def see(path: str) -> Redirect:
    """303 See Other: where a form's answer is read (so that reloading the page does not post again)."""
    return Redirect(path, status_code=303, headers={"Cache-Control": "no-store"})


@dataclass(frozen=True, slots=True)
class SignedArea:
    """A part of the site under `path` that the holders of some kinds of key sign in to with their key."""

    name: str  # names its derived keys: "dashboard", "school"
    path: str
    session_cookie: str
    csrf_cookie: str
    kinds: tuple[str, ...]
    sign_in_first: str  # the 401's message
    forbidden: str  # the 403's message for a key of another kind

    @property
    def login(self) -> str:
        return f"{self.path}/login"

    def router(self, settings: WebSettings, handlers: Sequence[ControllerRouterHandler], **options: Any) -> Router:
        secure = settings.public_base_url.startswith("https://")
        session = CookieBackendConfig(
            secret=derived_secret(settings, "session", self.name), key=self.session_cookie, path=self.path,
            max_age=IDLE_SECONDS, httponly=True, samesite="lax", secure=secure,
        )  # fmt: skip
        csrf = CSRFConfig(
            secret=derived_secret(settings, "csrf", self.name).hex(), cookie_name=self.csrf_cookie,
            cookie_path=self.path, cookie_secure=secure, cookie_httponly=True, cookie_samesite="lax",
        )  # fmt: skip
        return Router(
            self.path,
            route_handlers=list(handlers),
            middleware=[
                DefineMiddleware(_session_middleware, config=session),
                DefineMiddleware(CSRFMiddleware, config=csrf),
            ],
            include_in_schema=False,
            **options,
        )

    async def signed_in(self, connection: ASGIConnection, db_session: AsyncSession) -> Principal | None:
        """The key holder behind this session, or None (no session, expired, or the key revoked since)."""
        session: Any = connection.session
        if not isinstance(session, dict):
            return None
        key_id, since = session.get("key_id"), session.get("since")
        if not isinstance(key_id, int) or not isinstance(since, int) or time.time() - since > SIGNED_IN_SECONDS:
            return None
        principal = await principal_by_id(db_session, key_id)
        return principal if principal is not None and principal.kind in self.kinds else None

    async def session_key(self, connection: ASGIConnection, db_session: AsyncSession) -> Principal:
        principal = await self.signed_in(connection, db_session)
        if principal is None:
            raise SignInRequired(f"{self.sign_in_first}（sign in at {self.login}）")
        return principal

    def guard(self) -> KeyGuard:
        """The guard of the area's pages: the session's key, looked up again, of one of the area's kinds."""
        return KeyGuard(self.kinds, self.forbidden, self.session_key)

    def to_sign_in(self, request: Request, _: SignInRequired) -> Response:
        request.clear_session()
        return see(self.login)

    async def check_key(self, db_session: AsyncSession, secret: str) -> tuple[Principal | None, int]:
        """The key a sign-in form was given, if it may sign in here, or the status to answer with (401, 403)."""
        principal = await principal_for(db_session, secret.strip()) if secret.strip() else None
        if principal is None:
            return None, 401
        if principal.kind not in self.kinds:
            return None, 403
        return principal, 200

    def sign_in_routes(
        self, template: str, context: Callable[[str | None], dict[str, object]], wrong_kind: str
    ) -> list[HTTPRouteHandler]:
        """The area's sign-in form (`template`, filled by `context(error)`), its answer, and the way out."""
        area = self

        @get("/login", opt=PUBLIC)
        async def sign_in_form(request: Request, db_session: DbSession) -> Response:
            if await area.signed_in(request, db_session) is not None:
                return see(area.path)
            return html(template, context(None))

        @post("/login", status_code=303, opt=PUBLIC)
        async def sign_in(request: Request, db_session: DbSession, data: SignInForm) -> Response:
            """Check the key (of the area's kinds only) and start a session that remembers the key's id and the
            time, never the key."""
            principal, status = await area.check_key(db_session, data.key)
            if principal is None:
                message = "密钥无效或已停用，请核对后重试。" if status == 401 else wrong_kind
                return html(template, context(message), status)
            request.set_session({"key_id": principal.key_id, "since": int(time.time())})
            return see(area.path)

        @post("/logout", status_code=303, opt=PUBLIC)
        async def sign_out(request: Request) -> Response:
            request.clear_session()
            return see(area.login)

        return [sign_in_form, sign_in, sign_out]
