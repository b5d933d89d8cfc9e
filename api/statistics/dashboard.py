"""The bureau dashboard (`/dashboard`): sign in with a bureau or admin key, read the figures, charts and map, drill
down, export them, and keep the region's plan targets.

The sign-in, its cookie session and CSRF are those of every signed-in area (api/sessions.py), limited to /dashboard.
The page reads its filters as typed (`filters.py`): a bad one is explained beside its field while the figures of
the last good query stay on the page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any

from litestar import Controller, Request, Response, Router, get, post
from litestar.params import Parameter, QueryParameter

from api.deps import Caller, DbSession, HomeRegion
from api.sessions import SignedArea, SignInRequired, html, see
from api.settings import WebSettings
from api.statistics.cells import page_link
from api.statistics.controllers import From, Jurisdiction, Output, render
from api.statistics.dashboard_figures import FIGURES, DashboardQuery, dashboard, figure, region_choices
from api.statistics.filters import read_filters
from api.statistics.pages import (
    LOGIN,
    PAGE,
    PlanForm,
    dashboard_context,
    edit_plan_form,
    login_context,
)
from api.statistics.plan_form import CODE, read_plan_form, refused
from api.statistics.reconciliation import dashboard_section
from api.strict_query import OWN_QUERY
from ledger import clock
from ledger.database.constraints import named_violations
from ledger.errors import LedgerError, NotFound
from ledger.statistics import plans
from ledger.statistics.dimensions import RegionBook, region_book, resolve_scope
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
TO_SIGN_IN: Any = {SignInRequired: DASHBOARD.to_sign_in}


def dashboard_router(settings: WebSettings) -> Router:
    return DASHBOARD.router(
        settings, [*DASHBOARD.sign_in_routes(LOGIN, login_context, NOT_A_BUREAU), DashboardController]
    )


def _who(principal: Principal, book: RegionBook) -> str:
    if principal.kind == "admin":
        return "管理员密钥"
    region = principal.region_code or ""
    return f"人社局密钥 · {book.name(region)}（{region}）"


FILTERS = {OWN_QUERY: ("as_of", "from", "region", "jurisdiction", "map", "sort", "plans", "edit", "saved")}
"""The page's query: read and explained by `read_filters` (a bad one beside its field), unknown ones refused."""


def _params(request: Request) -> dict[str, str]:
    return {key: str(value)[:64] for key, value in request.query_params.items()}


def _last(request: Request) -> Mapping[str, str] | None:
    session: Any = request.session
    last = session.get("last") if isinstance(session, dict) else None
    return {str(k): str(v) for k, v in last.items()} if isinstance(last, dict) else None


async def _page(
    request: Request,
    db_session: DbSession,
    principal: Principal,
    home: str,
    *,
    form: PlanForm | None = None,
    status: int | None = None,
) -> Response:
    """The dashboard for the filters of the request (or, where one is wrong, the last good ones)."""
    raw = _params(request)
    book = await region_book(db_session)
    filters = read_filters(raw, book, home, _last(request))
    dash = await dashboard(db_session, book, home, filters.query)
    if not filters.errors:
        request.set_session({**request.session, "last": filters.remembered()})
    if form is None and raw.get("edit"):
        try:
            kept = await plans.plans_in(db_session, book, resolve_scope(book, home), raw["edit"])
            form = edit_plan_form(kept[0])
        except NotFound:
            form = None
    context = dashboard_context(
        dash,
        filters,
        book=book,
        home=home,
        choices=region_choices(book, home, dash.region_code),
        who=_who(principal, book),
        generated_at=clock.now(),
        sort=raw.get("sort", ""),
        form=form,
        saved=raw["saved"] if CODE.fullmatch(raw.get("saved", "")) else "",
    )
    query = filters.query
    context |= await dashboard_section(db_session, book, home, query.region, query.as_of, query.jurisdiction)
    return html(PAGE, context, status or filters.status)


class DashboardController(Controller):
    path = "/"
    include_in_schema = False

    @get("/", guards=[signed_in_bureau], exception_handlers=TO_SIGN_IN, opt=FILTERS)
    async def page(
        self, request: Request, db_session: DbSession, principal: Caller, home_region: HomeRegion
    ) -> Response:
        """The dashboard for the signed-in bureau's region (or a region within it); sign in first. Filters:
        as_of, from, region, jurisdiction; views: map (the map's figure), sort (institutions), plans=all, edit."""
        return await _page(request, db_session, principal, home_region)

    @post("/plans", guards=[signed_in_bureau], exception_handlers=TO_SIGN_IN, status_code=303, opt=FILTERS)
    async def save_plan(
        self, request: Request, db_session: DbSession, principal: Caller, home_region: HomeRegion
    ) -> Response:
        """Create or change a plan target (the form of the plans panel, with its CSRF token), then back to the page
        with the same filters; a refused field is shown beside it, the figures kept."""
        form = await request.form()
        plan, code, values, errors = read_plan_form({k: v for k, v in form.items() if isinstance(v, str)})
        editing = form.get("editing") == "1"
        message = ""
        if plan is not None:
            book = await region_book(db_session)
            try:
                with named_violations():
                    await plans.put_plan(db_session, book, home_region, code, plan)
                    await db_session.commit()
                query = read_filters(_params(request), book, home_region, _last(request)).query
                return see(page_link(query, "panel-plans", saved=code))
            except NotFound:
                await db_session.rollback()
                if plan.region_code in book.descendants(home_region):
                    errors["code"] = "这个代码已被本密钥范围以外的规划使用，请换一个。"
                else:
                    errors["region_code"] = "所选地区不在本密钥的范围内。"
            except LedgerError as exc:
                await db_session.rollback()
                by_field, others = refused(exc.errors)
                errors.update(by_field)
                message = "；".join(others) or ("" if by_field else "规划未能保存，请检查后重试。")
        failed = PlanForm(values, errors, editing=editing, message=message)
        return await _page(request, db_session, principal, home_region, form=failed, status=422)

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
        plans_shown: Annotated[str, QueryParameter(name="plans", max_length=8)] = "",
        output: Output = "csv",
    ) -> Response:
        """A figure of the page as CSV, XLSX or JSON: the same report `GET /api/v1/stats/...` gives."""
        if name not in FIGURES:
            raise NotFound(f"no dashboard figure {name!r}")
        book = await region_book(db_session)
        day = as_of or clock.today()
        query = DashboardQuery(
            as_of=day,
            start=start or day.replace(month=1, day=1),
            region=region or None,
            jurisdiction=jurisdiction,
            all_plans=plans_shown == "all",
        )
        report = await figure(db_session, book, home_region, query, name, [group_by] if group_by else [])
        response = render(report, output)
        response.headers["Cache-Control"] = "no-store"
        return response
