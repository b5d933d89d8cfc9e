"""The bureau dashboard (`/dashboard`): sign in with a bureau or admin key, read the figures and charts, export them.

Sessions are Litestar's client-side cookie sessions, encrypted and authenticated (AES-GCM) with a key derived from the
lookup key. A session holds the API key's id and the sign-in time, never the secret, and the key is looked up again
on every request, so revoking it ends the session. The forms carry Litestar's CSRF token (double submit); cookies are
HttpOnly, SameSite=Lax, limited to /dashboard, and Secure when the public base URL is https.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, Router, get, post
from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.middleware.session.base import SessionMiddleware
from litestar.middleware.session.client_side import ClientSideSessionBackend, CookieBackendConfig
from litestar.params import Body, Parameter
from litestar.response import Redirect, Template
from litestar.types import ASGIApp
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import Caller, DbSession, HomeRegion
from api.guards import PUBLIC, KeyGuard
from api.settings import WebSettings
from api.statistics.controllers import From, Jurisdiction, Output, render
from api.statistics.dashboard_figures import FIGURES, DashboardQuery, dashboard, figure, region_choices
from api.statistics.pages import CSP, LOGIN, PAGE, PROBLEM, dashboard_context, login_context, problem_context
from ledger import clock
from ledger.errors import InvalidInput, NotFound
from ledger.statistics.dimensions import RegionBook, region_book
from ledger.tenancy.service import Principal, principal_by_id, principal_for

SESSION_COOKIE = "ledger_dashboard"
CSRF_COOKIE = "ledger_csrf"
IDLE_SECONDS = 8 * 3600  # the cookie's lifetime, renewed by each page view
SIGNED_IN_SECONDS = 12 * 3600  # a sign-in lasts this long however active the session is
DASHBOARD_KINDS = ("bureau", "admin")


class SignIn(msgspec.Struct):
    key: Annotated[str, msgspec.Meta(max_length=256)] = ""


SignInForm = Annotated[SignIn, Body(media_type=RequestEncodingType.URL_ENCODED)]
AsOf = Annotated[dt.date | None, Parameter(description="统计日 (default today)")]
Region = Annotated[str | None, Parameter(max_length=12)]


def derived_secret(settings: WebSettings, label: str) -> bytes:
    """A 32-byte key for `label`, derived from the lookup key so that nothing new must be configured or kept."""
    assert settings.domain.lookup_key
    return hmac.new(settings.domain.lookup_key, f"skills-ledger dashboard {label}".encode(), hashlib.sha256).digest()


def _session_middleware(app: ASGIApp, config: CookieBackendConfig) -> ASGIApp:
    """Litestar's session middleware, its backend (which holds a cipher) built when the app is, not before: the app
    deep-copies a router when registering it, and a cipher cannot be copied."""
    return SessionMiddleware(app, backend=ClientSideSessionBackend(config=config))


def dashboard_router(settings: WebSettings) -> Router:
    secure = settings.public_base_url.startswith("https://")
    session = CookieBackendConfig(
        secret=derived_secret(settings, "session"), key=SESSION_COOKIE, path="/dashboard", max_age=IDLE_SECONDS,
        httponly=True, samesite="lax", secure=secure,
    )  # fmt: skip
    csrf = CSRFConfig(
        secret=derived_secret(settings, "csrf").hex(), cookie_name=CSRF_COOKIE, cookie_path="/dashboard",
        cookie_secure=secure, cookie_httponly=True, cookie_samesite="lax",
    )  # fmt: skip
    return Router(
        "/dashboard",
        route_handlers=[DashboardController],
        middleware=[
            DefineMiddleware(_session_middleware, config=session),
            DefineMiddleware(CSRFMiddleware, config=csrf),
        ],
        include_in_schema=False,
    )


def _html(template: str, context: dict[str, object], status: int = 200) -> Template:
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


def _see(path: str) -> Redirect:
    return Redirect(path, status_code=303, headers={"Cache-Control": "no-store"})


async def signed_in(connection: ASGIConnection, db_session: AsyncSession) -> Principal | None:
    """The bureau or admin behind this session, or None (no session, expired, or the key revoked since)."""
    session: Any = connection.session
    if not isinstance(session, dict):
        return None
    key_id, since = session.get("key_id"), session.get("since")
    if not isinstance(key_id, int) or not isinstance(since, int) or time.time() - since > SIGNED_IN_SECONDS:
        return None
    principal = await principal_by_id(db_session, key_id)
    return principal if principal is not None and principal.kind in DASHBOARD_KINDS else None


class SignInRequired(NotAuthorizedException):
    """No dashboard session, an expired one, or one whose key has been revoked since: 401, or on the page itself a
    redirect to the sign-in form."""


async def session_key(connection: ASGIConnection, db_session: AsyncSession) -> Principal:
    principal = await signed_in(connection, db_session)
    if principal is None:
        raise SignInRequired("请先登录看板（sign in at /dashboard/login）")
    return principal


signed_in_bureau = KeyGuard(
    DASHBOARD_KINDS, "看板仅供人社局（或管理员）密钥使用（bureau or admin keys only）", session_key
)


def _to_sign_in(request: Request, _: SignInRequired) -> Response:
    request.clear_session()
    return _see("/dashboard/login")


def _who(principal: Principal, book: RegionBook) -> str:
    if principal.kind == "admin":
        return "管理员密钥"
    region = principal.region_code or ""
    return f"人社局密钥 · {book.name(region)}（{region}）"


def _query(as_of: dt.date | None, start: dt.date | None, region: str | None, jurisdiction: str) -> DashboardQuery:
    day = as_of or clock.today()
    return DashboardQuery(
        as_of=day, start=start or day.replace(month=1, day=1), region=region or None, jurisdiction=jurisdiction
    )


class DashboardController(Controller):
    path = "/"
    include_in_schema = False

    @get("/", guards=[signed_in_bureau], exception_handlers={SignInRequired: _to_sign_in})
    async def page(
        self,
        request: Request,
        db_session: DbSession,
        principal: Caller,
        home_region: HomeRegion,
        as_of: AsOf = None,
        start: From = None,
        region: Region = None,
        jurisdiction: Jurisdiction = "all",
    ) -> Response:
        """The dashboard for the signed-in bureau's region (or a region within it); sign in first."""
        book = await region_book(db_session)
        query = _query(as_of, start, region, jurisdiction)
        who = _who(principal, book)
        try:
            dash = await dashboard(db_session, book, home_region, query)
        except (InvalidInput, NotFound) as exc:
            status = 404 if isinstance(exc, NotFound) else 400
            message = "所选地区不在本密钥的范围内。" if isinstance(exc, NotFound) else f"查询条件有误：{exc.detail}"
            if exc.errors:
                message += "（" + "；".join(e.message for e in exc.errors) + "）"
            choices = region_choices(book, home_region, home_region)
            return _html(PROBLEM, problem_context(query, choices, home_region, who, message), status)
        choices = region_choices(book, home_region, dash.region_code)
        return _html(PAGE, dashboard_context(dash, choices=choices, who=who, generated_at=clock.now()))

    @get("/login", opt=PUBLIC)
    async def sign_in_form(self, request: Request, db_session: DbSession) -> Response:
        if await signed_in(request, db_session) is not None:
            return _see("/dashboard")
        return _html(LOGIN, login_context())

    @post("/login", status_code=303, opt=PUBLIC)
    async def sign_in(self, request: Request, db_session: DbSession, data: SignInForm) -> Response:
        """Check the key (bureau or admin only) and start a session that remembers the key's id."""
        secret = data.key.strip()
        principal = await principal_for(db_session, secret) if secret else None
        if principal is None:
            return _html(LOGIN, login_context("密钥无效或已停用，请核对后重试。"), 401)
        if principal.kind not in DASHBOARD_KINDS:
            message = "看板仅供人社局（或管理员）密钥登录；机构密钥请使用 API。"
            return _html(LOGIN, login_context(message), 403)
        request.set_session({"key_id": principal.key_id, "since": int(time.time())})
        return _see("/dashboard")

    @post("/logout", status_code=303, opt=PUBLIC)
    async def sign_out(self, request: Request) -> Response:
        request.clear_session()
        return _see("/dashboard/login")

    @get("/export/{name:str}", guards=[signed_in_bureau])
    async def export(
        self,
        db_session: DbSession,
        home_region: HomeRegion,
        name: str,
        as_of: AsOf = None,
        start: From = None,
        region: Region = None,
        jurisdiction: Jurisdiction = "all",
        group_by: Annotated[str, Parameter(max_length=200)] = "",
        output: Output = "csv",
    ) -> Response:
        """A figure of the page as CSV, XLSX or JSON: the same report `GET /api/v1/stats/...` gives."""
        if name not in FIGURES:
            raise NotFound(f"no dashboard figure {name!r}")
        book = await region_book(db_session)
        query = _query(as_of, start, region, jurisdiction)
        report = await figure(db_session, book, home_region, query, name, [group_by] if group_by else [])
        response = render(report, output)
        response.headers["Cache-Control"] = "no-store"
        return response
