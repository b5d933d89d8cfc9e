"""Bureau statistics: talent stock, training volume, certificates, dual awards, new high-skill talent and plan
progress, scoped to the key's region (a region outside it is 404), as JSON, CSV or XLSX; plans and baseline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, Parameter

from api.deps import Caller, DbSession, HomeRegion, Shared
from api.guards import admin_key, bureau_key
from api.idempotency import run_write
from api.openapi.hints import IDEMPOTENT
from api.registration.sheets import LangParam, clerk_lang
from api.statistics.columns import Lang
from api.statistics.export import render
from api.statistics.params import (
    AgeBands,
    Basis,
    From,
    GroupBy,
    Jurisdiction,
    Output,
    RefusedK,
    Region,
    To,
    refuse_k,
)
from api.statistics.schemas import (
    BaselineIn,
    BaselineOut,
    LegacyCertificatesIn,
    LegacyCertificatesOut,
    LegacyRowOut,
    PlanIn,
    PlanOut,
)
from ledger import clock
from ledger.certificates import legacy
from ledger.commands import check_batch_size
from ledger.errors import FieldError, InvalidInput
from ledger.statistics import plans
from ledger.statistics.dimensions import (
    DEFAULT_AGE_BANDS,
    RegionBook,
    Scope,
    parse_group_by,
    region_book,
    resolve_scope,
)
from ledger.statistics.publication import month_end_on_or_before, publishable_period, published
from ledger.statistics.report import Report
from ledger.statistics.talent import talent_report
from ledger.statistics.volume import certificates_report, dual_report, new_high_skill_report, training_report


@dataclass(frozen=True, slots=True)
class PeriodQuery:
    """The query every period figure (training, certificates, dual, new high-skill) takes."""

    start: dt.date | None
    end: dt.date | None
    region: str | None
    jurisdiction: str
    basis: str
    group_by: list[str] | None
    age_bands: str | None
    publish: bool
    output: str
    lang: Lang


def period_query(
    request: Request,
    start: From = None,
    end: To = None,
    region: Region = None,
    jurisdiction: Jurisdiction = "all",
    basis: Basis = "institution",
    group_by: GroupBy = None,
    age_bands: AgeBands = None,
    publish: bool = False,
    k: RefusedK = None,
    output: Output = "json",
    lang: LangParam = None,
) -> PeriodQuery:
    refuse_k(k)
    chosen = clerk_lang(request, lang)
    return PeriodQuery(start, end, region, jurisdiction, basis, group_by, age_bands, publish, output, chosen)


Period = NamedDependency[PeriodQuery]


def _bands(raw: str | None) -> tuple[int, ...]:
    if not raw:
        return DEFAULT_AGE_BANDS
    try:
        return tuple(int(part) for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise InvalidInput(
            "bad age bands", errors=[FieldError("age_bands", "invalid", "comma-separated ages, e.g. 16,25,35")]
        ) from exc


class StatsController(Controller):
    path = "/api/v1/stats"
    tags = ["bureau"]
    guards = [bureau_key]
    dependencies = {"period": Provide(period_query, sync_to_thread=False)}

    async def _scoped(
        self,
        db_session: DbSession,
        home: str,
        *,
        region: str | None,
        jurisdiction: str,
        basis: str,
        include_baseline: bool,
        age_bands: str | None,
    ) -> tuple[RegionBook, Scope]:
        book = await region_book(db_session)
        scope = resolve_scope(
            book, home, region=region, jurisdiction=jurisdiction, basis=basis,
            include_baseline=include_baseline, age_bands=_bands(age_bands),
        )  # fmt: skip
        return book, scope

    async def _flow(
        self,
        build: Callable[[RegionBook, Scope, dt.date, dt.date, tuple[str, ...]], Awaitable[Report]],
        db_session: DbSession,
        home: str,
        publish_k: int,
        query: PeriodQuery,
        counts: tuple[str, ...],
        rates: dict[str, tuple[str, str]] | None = None,
    ) -> Response:
        book, scope = await self._scoped(
            db_session, home, region=query.region, jurisdiction=query.jurisdiction, basis=query.basis,
            include_baseline=False, age_bands=query.age_bands,
        )  # fmt: skip
        end = query.end or clock.today()
        start = query.start or end.replace(month=1, day=1)
        if query.publish:
            start, end = publishable_period(start, end)
        report = await build(book, scope, start, end, parse_group_by(query.group_by or ()))
        if query.publish:
            report = published(report, publish_k, counts=counts, rates=rates)
        return render(report, query.output, query.lang)

    @get("/talent", summary="Skilled and high-skill talent stock (技能人才总量) at a date")
    async def talent(
        self,
        request: Request,
        db_session: DbSession,
        home_region: HomeRegion,
        runtime: Shared,
        as_of: dt.date | None = None,
        region: Region = None,
        jurisdiction: Jurisdiction = "all",
        basis: Basis = "institution",
        group_by: GroupBy = None,
        include_baseline: bool = True,
        age_bands: AgeBands = None,
        first_year: Annotated[int | None, Parameter(ge=1950, le=2100)] = None,
        publish: bool = False,
        k: RefusedK = None,
        output: Output = "json",
        lang: LangParam = None,
    ) -> Response:
        """技能人才 and 高技能人才 on `as_of` (default today): distinct persons by highest valid level."""
        refuse_k(k)
        book, scope = await self._scoped(
            db_session, home_region, region=region, jurisdiction=jurisdiction, basis=basis,
            include_baseline=include_baseline, age_bands=age_bands,
        )  # fmt: skip
        day = as_of or clock.today()
        if publish:
            day = month_end_on_or_before(day)
        report = await talent_report(
            db_session, book, scope, day, parse_group_by(group_by or ()), first_year=first_year
        )
        if publish:
            report = published(
                report, runtime.settings.publish_k, counts=("talent", "high_skill"),
                rates={"high_skill_share": ("high_skill", "talent")},
            )  # fmt: skip
        return render(report, output, clerk_lang(request, lang))

    @get("/training", summary="Training volume (职业技能培训人次) in a period")
    async def training(
        self,
        db_session: DbSession,
        home_region: HomeRegion,
        runtime: Shared,
        period: Period,
    ) -> Response:
        """职业技能培训: passed completions in the period, in 人次 and distinct persons."""

        async def build(book: RegionBook, scope: Scope, a: dt.date, b: dt.date, dims: tuple[str, ...]) -> Report:
            return await training_report(db_session, book, scope, a, b, dims)

        return await self._flow(
            build, db_session, home_region, runtime.settings.publish_k, period,
            counts=("person_times", "persons"),
        )  # fmt: skip

    @get("/certificates", summary="Certificates issued (取证人次 and 人) by dimension")
    async def certificates(
        self,
        db_session: DbSession,
        home_region: HomeRegion,
        runtime: Shared,
        period: Period,
    ) -> Response:
        """取证: skill certificates issued in the period (人次, reissues not again) and distinct persons."""

        async def build(book: RegionBook, scope: Scope, a: dt.date, b: dt.date, dims: tuple[str, ...]) -> Report:
            return await certificates_report(db_session, book, scope, a, b, dims)

        return await self._flow(
            build, db_session, home_region, runtime.settings.publish_k, period,
            counts=("certificates", "persons"),
        )  # fmt: skip

    @get("/dual", summary="Dual-certificate awards (双证) and their rate")
    async def dual(
        self,
        db_session: DbSession,
        home_region: HomeRegion,
        runtime: Shared,
        period: Period,
    ) -> Response:
        """双证: completions of dual courses, awards, complete awards (both certificates valid) and the rate."""

        async def build(book: RegionBook, scope: Scope, a: dt.date, b: dt.date, dims: tuple[str, ...]) -> Report:
            return await dual_report(db_session, book, scope, a, b, dims)

        return await self._flow(
            build, db_session, home_region, runtime.settings.publish_k, period,
            counts=("completions", "awards", "complete_awards"),
            rates={"rate": ("complete_awards", "completions")},
        )  # fmt: skip

    @get("/new-high-skill", summary="New high-skill talent (新增高技能人才) in a period")
    async def new_high_skill(
        self,
        db_session: DbSession,
        home_region: HomeRegion,
        runtime: Shared,
        period: Period,
    ) -> Response:
        """新增高技能人才 in the period under both definitions of SPEC §2.6, labelled (a) and (b)."""

        async def build(book: RegionBook, scope: Scope, a: dt.date, b: dt.date, dims: tuple[str, ...]) -> Report:
            return await new_high_skill_report(db_session, book, scope, a, b, dims)

        return await self._flow(
            build, db_session, home_region, runtime.settings.publish_k, period,
            counts=("first_reached", "obtained"),
        )  # fmt: skip

    @get("/plan-progress", summary="Progress against a plan target (计划完成进度)")
    async def plan_progress(
        self,
        request: Request,
        db_session: DbSession,
        home_region: HomeRegion,
        runtime: Shared,
        as_of: dt.date | None = None,
        region: Region = None,
        plan: Annotated[str | None, Parameter(description="one plan code (default: every plan in scope)")] = None,
        include_baseline: bool = True,
        publish: bool = False,
        k: RefusedK = None,
        output: Output = "json",
        lang: LangParam = None,
    ) -> Response:
        """Each plan's actual figure against its target (e.g. 2021–2025 training 750万人次)."""
        refuse_k(k)
        book, scope = await self._scoped(
            db_session, home_region, region=region, jurisdiction="all", basis="institution",
            include_baseline=include_baseline, age_bands=None,
        )  # fmt: skip
        day = as_of or clock.today()
        if publish:
            day = month_end_on_or_before(day)
        report = await plans.plan_progress(db_session, book, home_region, scope, day, plan)
        if publish:
            report = published(
                report, runtime.settings.publish_k, counts=("actual",), rates={"progress": ("actual", "target")}
            )
        return render(report, output, clerk_lang(request, lang))


class PlanController(Controller):
    path = "/api/v1/plans"
    tags = ["bureau"]
    guards = [bureau_key]

    @put("/{code:str}", summary="Set a plan target (计划目标)", status_code=200, opt=IDEMPOTENT)
    async def put_plan(
        self,
        request: Request,
        code: str,
        data: JSONBody[PlanIn],
        db_session: DbSession,
        principal: Caller,
        home_region: HomeRegion,
    ) -> Response[PlanOut]:
        """Create or replace a plan target for the key's region or a region below it."""
        if not 1 <= len(code) <= 64 or not all(c.isalnum() or c in "_.-" for c in code) or not code.isascii():
            raise InvalidInput("bad plan code", errors=[FieldError("code", "invalid", "1-64 of A-Z a-z 0-9 _ . -")])

        async def work() -> PlanOut:
            book = await region_book(db_session)
            kept = await plans.put_plan(
                db_session, book, home_region, code,
                plans.PlanIn(name=data.name, metric=data.metric, region_code=data.region_code,
                             starts_on=data.starts_on, ends_on=data.ends_on, target=data.target,
                             jurisdiction=data.jurisdiction),
            )  # fmt: skip
            return PlanOut(code=kept.code, name=kept.name, metric=kept.metric, region_code=kept.region_code,
                           jurisdiction=kept.jurisdiction, starts_on=kept.starts_on, ends_on=kept.ends_on,
                           target=kept.target)  # fmt: skip

        return await run_write(request, db_session, principal, work, status_code=200)


class BaselineController(Controller):
    path = "/api/v1/baseline"
    tags = ["admin"]
    guards = [admin_key]

    @put("/", summary="Load baseline figures (基数) from before the ledger", status_code=200, opt=IDEMPOTENT)
    async def load(
        self, request: Request, data: JSONBody[BaselineIn], db_session: DbSession, principal: Caller, runtime: Shared
    ) -> Response[BaselineOut]:
        """Load pre-ledger talent stock (persons by region and level as of a date). Replaces the baseline of each
        region and jurisdiction given; reports include it from `as_of` unless asked not to."""
        check_batch_size(len(data.rows), runtime.settings.domain.max_batch_rows, "rows")

        async def work() -> BaselineOut:
            book = await region_book(db_session)
            rows = [plans.BaselineRow(r.region_code, r.level, r.persons, r.jurisdiction) for r in data.rows]
            count = await plans.load_baseline(db_session, book, data.as_of, rows, data.source)
            return BaselineOut(as_of=data.as_of, rows=count)

        return await run_write(request, db_session, principal, work, status_code=200)

    @post(
        "/certificates",
        summary="Load legacy certificates (历史证书) into the baseline",
        status_code=201,
        opt=IDEMPOTENT,
    )
    async def load_certificates(
        self,
        request: Request,
        data: JSONBody[LegacyCertificatesIn],
        db_session: DbSession,
        principal: Caller,
        runtime: Shared,
    ) -> Response[LegacyCertificatesOut]:
        """Import pre-ledger 职业资格证书 person by person (up to LEDGER_MAX_BATCH_ROWS per request, default 10,000;
        all rows or none). Each holder is matched by ID number with the ledger's persons, so talent counts them once;
        reports include them with the baseline. A number already imported with the same content is `unchanged`; with
        other content, 409."""
        check_batch_size(len(data.rows), runtime.settings.domain.max_batch_rows, "rows")

        async def work() -> LegacyCertificatesOut:
            items = [legacy.LegacyCertificateIn(**msgspec.structs.asdict(r)) for r in data.rows]
            outcomes = await legacy.import_legacy(db_session, runtime.vault, items, data.source)
            return LegacyCertificatesOut(
                total=len(outcomes),
                created=sum(o.status == "created" for o in outcomes),
                unchanged=sum(o.status == "unchanged" for o in outcomes),
                rows=[LegacyRowOut(o.row, o.status, o.certificate_id, o.verification_code) for o in outcomes],
            )

        return await run_write(request, db_session, principal, work, status_code=201)
