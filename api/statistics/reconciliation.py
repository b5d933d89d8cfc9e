"""The survey's published figures: recorded by a bureau (`PUT /api/v1/published-figures`) and set beside the
ledger's count (`GET /api/v1/stats/reconciliation`, and a section of the dashboard)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, get, put
from litestar.params import JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import Caller, DbSession, HomeRegion
from api.guards import bureau_key
from api.idempotency import run_write
from api.registration.sheets import LangParam, clerk_lang
from api.statistics.export import render
from api.statistics.params import Jurisdiction, Output, Region
from api.statistics.schemas import (
    ExplanationOut,
    PublishedFigureOut,
    PublishedFiguresIn,
    PublishedFiguresOut,
    ReconciliationLineOut,
    ReconciliationOut,
)
from ledger.statistics import reconciliation
from ledger.statistics.dimensions import RegionBook, region_book
from ledger.statistics.reconciliation import FIGURES, Reconciliation, reconcile, reconciliation_report


def reconciliation_out(found: Reconciliation) -> ReconciliationOut:
    return ReconciliationOut(
        region_code=found.region_code,
        region_name=found.region_name,
        jurisdiction=found.jurisdiction,
        as_of=found.as_of,
        lines=[
            ReconciliationLineOut(
                figure=line.figure,
                name=FIGURES[line.figure][0],
                published=line.published,
                source=line.source,
                published_on=line.published_on,
                ledger_with_baseline=line.with_baseline,
                ledger_without_baseline=line.without_baseline,
                gap=line.gap,
                gap_share=line.gap_share,
                gap_without_baseline=None if line.published is None else line.published - line.without_baseline,
            )
            for line in found.lines
        ],
        explanations=[msgspec.convert(e, ExplanationOut, from_attributes=True) for e in found.explanations],
        rules=reconciliation.RULES,
        generated_at=found.generated_at,
    )


class PublishedFigureController(Controller):
    path = "/api/v1/published-figures"
    tags = ["bureau"]
    guards = [bureau_key]

    @put("/", status_code=200)
    async def record(
        self,
        request: Request,
        data: JSONBody[PublishedFiguresIn],
        db_session: DbSession,
        principal: Caller,
        home_region: HomeRegion,
    ) -> Response[PublishedFiguresOut]:
        """Record the survey's published 技能人才 / 高技能人才 for a region (the key's or one below it) and date, with
        its source. Recording the same region, jurisdiction, figure and date again corrects it; each recording is
        a ledger entry. The ledger's own count is never changed by it."""

        figures = {str(name): value for name, value in data.figures.items()}
        given = reconciliation.PublishedIn(
            region_code=data.region_code, as_of=data.as_of, figures=figures, source=data.source,
            published_on=data.published_on, jurisdiction=data.jurisdiction,
        )  # fmt: skip

        async def work() -> PublishedFiguresOut:
            book = await region_book(db_session)
            kept = await reconciliation.record_published(db_session, book, home_region, given)
            return PublishedFiguresOut(
                figures=[msgspec.convert(f, PublishedFigureOut, from_attributes=True) for f in kept]
            )

        return await run_write(request, db_session, principal, work, status_code=200)  # fmt: skip


class ReconciliationController(Controller):
    path = "/api/v1/stats/reconciliation"
    tags = ["bureau"]
    guards = [bureau_key]

    @get("/")
    async def reconciliation(
        self,
        request: Request,
        db_session: DbSession,
        home_region: HomeRegion,
        region: Region = None,
        as_of: Annotated[dt.date | None, Parameter(description="default: the latest date with a figure")] = None,
        jurisdiction: Jurisdiction = "all",
        output: Output = "json",
        lang: LangParam = None,
    ) -> Response:
        """The survey's published figures beside the ledger's count on the same date, with and without the
        baseline, the gap (absolute and as a share of the published figure) and the reasons a gap has."""
        book = await region_book(db_session)
        found = await reconcile(db_session, book, home_region, region=region, as_of=as_of, jurisdiction=jurisdiction)
        if output != "json":
            return render(reconciliation_report(found), output, clerk_lang(request, lang))
        return Response(content=msgspec.json.encode(reconciliation_out(found)), media_type="application/json")


async def dashboard_section(
    session: AsyncSession, book: RegionBook, home: str, region: str | None, as_of: dt.date, jurisdiction: str
) -> dict[str, object]:
    """What the dashboard's reconciliation section shows: the latest published figures up to the page's date."""
    scope_region = region or home
    day = await reconciliation.latest_published_on_or_before(session, scope_region, jurisdiction, as_of)
    if day is None:
        return {"reconciliation": None}
    found = await reconcile(session, book, home, region=region, as_of=day, jurisdiction=jurisdiction)
    return {"reconciliation": reconciliation_out(found)}
