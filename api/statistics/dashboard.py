"""The bureau dashboard (`/dashboard`): sign in with a bureau or admin key, read the figures and charts, export them.

The sign-in, its cookie session and CSRF are those of every signed-in area (api/sessions.py), limited to /dashboard.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Controller, Request, Response, Router, get
from litestar.params import Parameter

from api.deps import Caller, DbSession, HomeRegion
from api.sessions import SignedArea, SignInRequired, html
from api.settings import WebSettings
from api.statistics.controllers import From, Jurisdiction, Output, render
from api.statistics.dashboard_figures import FIGURES, DashboardQuery, dashboard, figure, region_choices
from api.statistics.pages import LOGIN, PAGE, PROBLEM, dashboard_context, login_context, problem_context
from api.statistics.reconciliation import dashboard_section
from ledger import clock
from ledger.errors import InvalidInput, NotFound
from ledger.statistics.dimensions import RegionBook, region_book
from ledger.tenancy.service import Principal

NOT_A_BUREAU = "看板仅供人社局（或管理员）密钥登录；机构密钥请使用 API。"
DASHBOARD = SignedArea(
    name="dashboard",
    path="/dashboard",
    session_cookie="ledger_dashboard",
    csrf_cookie="ledger_csrf",
    kinds=("bureau", "admin"),
    sign_in_first="请先登录看板",
    forbidden="看板仅供人社局（或管理员）密钥使用（bureau or admin keys only）",
)
AsOf = Annotated[dt.date | None, Parameter(description="统计日 (default today)")]
Region = Annotated[str | None, Parameter(max_length=12)]
signed_in_bureau = DASHBOARD.guard()


def dashboard_router(settings: WebSettings) -> Router:
    return DASHBOARD.router(
        settings, [*DASHBOARD.sign_in_routes(LOGIN, login_context, NOT_A_BUREAU), DashboardController]
    )


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

    @get("/", guards=[signed_in_bureau], exception_handlers={SignInRequired: DASHBOARD.to_sign_in})
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
            return html(PROBLEM, problem_context(query, choices, home_region, who, message), status)
        choices = region_choices(book, home_region, dash.region_code)
        context = dashboard_context(dash, choices=choices, who=who, generated_at=clock.now())
        context |= await dashboard_section(db_session, book, home_region, region, query.as_of, jurisdiction)
        return html(PAGE, context)

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
