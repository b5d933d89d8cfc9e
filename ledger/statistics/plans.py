"""Plan targets (规划目标) and the pre-ledger baseline stock: what an administrator or bureau keeps, and progress."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.database.constraints import named_violations
from ledger.database.loaders import table_loader
from ledger.errors import ErrorCollector, InvalidInput, NotFound
from ledger.journal import Journal
from ledger.log.records import RecordType, Row, register
from ledger.statistics.dimensions import JURISDICTION_LABELS, RegionBook, Scope, resolve_scope
from ledger.statistics.report import Report, rate
from ledger.statistics.tables import PLAN_METRICS, BaselineStock, PlanTarget

_PLAN_FIELDS = ("name", "metric", "region_code", "jurisdiction", "starts_on", "ends_on", "target")


def _plan_v1(row: Row) -> dict[str, object]:
    return {"code": row["code"], **{k: str(row[k]) for k in _PLAN_FIELDS}}


async def baseline_groups(conn: Any, ids: Sequence[str] | None) -> AsyncIterator[tuple[str, Row]]:
    """The aggregate baseline stock, one record per (region, jurisdiction): subject id `region/jurisdiction`."""
    groups: dict[str, dict[str, Any]] = {}
    for r in await conn.fetch(
        "SELECT region_code, jurisdiction, level, as_of, persons, source FROM baseline_stock"
        " ORDER BY region_code, jurisdiction, level"
    ):
        sid = f"{r['region_code']}/{r['jurisdiction']}"
        if ids is not None and sid not in ids:
            continue
        group = groups.setdefault(
            sid,
            {"region_code": r["region_code"], "jurisdiction": r["jurisdiction"], "levels": []},
        )
        group["levels"].append((r["level"], r["as_of"], r["persons"], r["source"]))
    for sid, group in groups.items():
        yield sid, group


def _baseline_stock_v1(row: Row) -> dict[str, object]:
    return {
        "region_code": row["region_code"],
        "jurisdiction": row["jurisdiction"],
        "levels": sorted(
            [level, as_of.isoformat(), persons, source] for level, as_of, persons, source in row["levels"]
        ),
    }


PLAN = register(RecordType("plan", {1: _plan_v1}, table_loader("plan_targets", "code", "text")))
# The aggregate stock of one region and jurisdiction: a load replaces it whole.
BASELINE_STOCK = register(RecordType("baseline_stock", {1: _baseline_stock_v1}, baseline_groups))
# Before record types, a load was logged as one `baseline:<as_of>` summary and each legacy import as
# `baseline:legacy`; those entries are history (the stock is now `baseline_stock`, legacy rows are certificates).
register(RecordType("baseline", retired="summaries of loads, superseded by baseline_stock and certificate entries"))


@dataclass(frozen=True, slots=True)
class PlanIn:
    name: str
    metric: str
    region_code: str
    starts_on: dt.date
    ends_on: dt.date
    target: int
    jurisdiction: str = "all"


@dataclass(frozen=True, slots=True)
class BaselineRow:
    region_code: str
    level: int
    persons: int
    jurisdiction: str | None = None  # defaults to the region's jurisdiction


async def put_plan(session: AsyncSession, book: RegionBook, key_region: str, code: str, data: PlanIn) -> PlanTarget:
    """Create or replace plan `code`. A bureau may keep plans for its own region and below only."""
    errors = ErrorCollector()
    if data.metric not in PLAN_METRICS:
        errors.add("metric", "invalid", f"one of {', '.join(PLAN_METRICS)}")
    if data.jurisdiction not in JURISDICTION_LABELS:
        errors.add("jurisdiction", "invalid", "one of all, zizhiqu, bingtuan")
    if data.ends_on < data.starts_on:
        errors.add("ends_on", "before_start", "the plan ends before it starts")
    if data.target <= 0:
        errors.add("target", "not_positive", "a target is a positive number")
    if not data.name.strip():
        errors.add("name", "required", "give the plan a name")
    if errors:
        raise InvalidInput("the plan is invalid", errors=errors.errors)
    resolve_scope(book, key_region, region=data.region_code)  # NotFound outside the caller's region
    existing = await session.get(PlanTarget, code)
    if existing is not None:
        resolve_scope(book, key_region, region=existing.region_code)
    values = {
        "name": data.name.strip(),
        "metric": data.metric,
        "region_code": data.region_code,
        "jurisdiction": data.jurisdiction,
        "starts_on": data.starts_on,
        "ends_on": data.ends_on,
        "target": data.target,
    }
    with named_violations():
        await session.execute(
            insert(PlanTarget)
            .values(code=code, **values)
            .on_conflict_do_update(
                index_elements=[PlanTarget.code], set_={**values, "updated_at": dt.datetime.now(dt.UTC)}
            )
        )
    journal = Journal(session)
    journal.record("plan.set", PLAN, code)
    await journal.write()
    plan = await session.get(PlanTarget, code, populate_existing=True)
    assert plan is not None
    return plan


async def plans_in(
    session: AsyncSession,
    book: RegionBook,
    scope: Scope,
    code: str | None = None,
    *,
    overlapping: tuple[dt.date, dt.date] | None = None,
) -> list[PlanTarget]:
    """The plans kept for the scope's region or below (or plan `code`); with `overlapping`, only those whose period
    shares a day with it."""
    query = select(PlanTarget).where(PlanTarget.region_code.in_(scope.region_codes)).order_by(PlanTarget.code)
    if code is not None:
        query = query.where(PlanTarget.code == code)
    if overlapping is not None:
        first, last = overlapping
        query = query.where(PlanTarget.starts_on <= last, PlanTarget.ends_on >= first)
    plans = list((await session.execute(query)).scalars())
    if code is not None and not plans:
        raise NotFound(f"no plan {code!r}")
    return plans


async def load_baseline(
    session: AsyncSession, book: RegionBook, as_of: dt.date, rows: list[BaselineRow], source: str
) -> int:
    """Replace the baseline of every (region, jurisdiction) in `rows` with these figures as of `as_of`."""
    errors = ErrorCollector()
    values = []
    for i, row in enumerate(rows):
        info = book.regions.get(row.region_code)
        if info is None:
            errors.add("region_code", "unknown_region", "not a region code (GB/T 2260)", row=i)
            continue
        jurisdiction = row.jurisdiction or (
            "bingtuan" if book.regions[row.region_code].code.startswith("659") else "zizhiqu"
        )
        if jurisdiction not in ("zizhiqu", "bingtuan"):
            errors.add("jurisdiction", "invalid", "zizhiqu or bingtuan", row=i)
        if not 0 <= row.level <= 5:
            errors.add("level", "invalid_level", "levels are 1 to 5 (0 = not recorded)", row=i)
        if row.persons < 0:
            errors.add("persons", "negative", "a count is never negative", row=i)
        values.append(
            {
                "region_code": row.region_code,
                "jurisdiction": jurisdiction,
                "level": row.level,
                "as_of": as_of,
                "persons": row.persons,
                "source": source,
            }
        )
    keys = {(v["region_code"], v["jurisdiction"], v["level"]) for v in values}
    if len(keys) != len(values):
        errors.add("rows", "duplicate", "a region, jurisdiction and level appears twice")
    if errors:
        raise InvalidInput("the baseline is invalid", errors=errors.errors)
    for region, jurisdiction in {(str(v["region_code"]), str(v["jurisdiction"])) for v in values}:
        await session.execute(
            delete(BaselineStock).where(BaselineStock.region_code == region, BaselineStock.jurisdiction == jurisdiction)
        )
    if values:
        with named_violations():  # a concurrent load of the same region inserts its rows first
            await session.execute(insert(BaselineStock).values(values))
    journal = Journal(session)
    for region, jurisdiction in sorted({(str(v["region_code"]), str(v["jurisdiction"])) for v in values}):
        journal.record("baseline.loaded", BASELINE_STOCK, f"{region}/{jurisdiction}", refs={"as_of": as_of.isoformat()})
    await journal.write()
    return len(values)


def progress_report(book: RegionBook, scope: Scope, as_of: dt.date, rows: list[dict[str, object]]) -> Report:
    for row in rows:
        row["progress"] = rate(row["actual"], row["target"])
    return Report(
        figure="plan_progress",
        title="规划目标进度",
        units={
            "target": "目标 / target",
            "actual": "实际 / actual",
            "progress": "完成率 / actual ÷ target",
            "time_elapsed": "时间进度 / share of the plan period elapsed",
        },
        rules=[
            "实际值按各计划的指标、地区、管辖口径和期间（截至统计日）从账本计算，口径同对应统计。"
            " / Actual is counted from the ledger for each plan's metric, region, jurisdiction and period "
            "(up to the as-of date), with the rules of that figure.",
            "完成率 = 实际 / 目标。 / Progress = actual / target.",
        ],
        region_code=scope.region_code,
        region_name=book.name(scope.region_code),
        jurisdiction=f"{scope.jurisdiction} ({JURISDICTION_LABELS[scope.jurisdiction]})",
        basis=scope.basis,
        group_by=(),
        columns=[
            "plan_code",
            "name",
            "metric",
            "region_code",
            "jurisdiction",
            "starts_on",
            "ends_on",
            "target",
            "actual",
            "progress",
            "time_elapsed",
        ],
        rows=rows,
        total={},
        as_of=as_of,
        baseline_included=scope.include_baseline,
    )


async def plan_actual(session: AsyncSession, book: RegionBook, scope: Scope, metric: str, start: dt.date,
                      end: dt.date) -> int:  # fmt: skip
    """A plan's figure over [start, end]: a flow over the period, or a stock on `end`."""
    from ledger.statistics.talent import talent_report
    from ledger.statistics.volume import certificates_report, new_high_skill_report, training_report

    if metric in ("training_person_times", "training_persons"):
        report = await training_report(session, book, scope, start, end)
        return int(str(report.total["person_times" if metric.endswith("times") else "persons"]))
    if metric == "certificates":
        report = await certificates_report(session, book, scope, start, end)
        return int(str(report.total["certificates"]))
    if metric in ("new_high_skill", "new_high_skill_obtained"):
        report = await new_high_skill_report(session, book, scope, start, end)
        return int(str(report.total["obtained" if metric.endswith("obtained") else "first_reached"]))
    report = await talent_report(session, book, scope, end)
    return int(str(report.total[metric]))


async def plan_progress(
    session: AsyncSession,
    book: RegionBook,
    key_region: str,
    scope: Scope,
    as_of: dt.date,
    code: str | None = None,
    *,
    overlapping: tuple[dt.date, dt.date] | None = None,
) -> Report:
    """Every plan kept for the scope's region or below (or plan `code`; with `overlapping`, those whose period
    shares a day with it), with its actual figure on `as_of`."""
    rows: list[dict[str, object]] = []
    for plan in await plans_in(session, book, scope, code, overlapping=overlapping):
        plan_scope = resolve_scope(
            book, key_region, region=plan.region_code, jurisdiction=plan.jurisdiction,
            include_baseline=scope.include_baseline,
        )  # fmt: skip
        end = min(plan.ends_on, as_of)
        actual: int | None = None
        if end >= plan.starts_on:
            actual = await plan_actual(session, book, plan_scope, plan.metric, plan.starts_on, end)
        span = (plan.ends_on - plan.starts_on).days + 1
        elapsed = min(max((as_of - plan.starts_on).days + 1, 0), span)
        rows.append(
            {
                "plan_code": plan.code,
                "name": plan.name,
                "metric": plan.metric,
                "region_code": plan.region_code,
                "jurisdiction": plan.jurisdiction,
                "starts_on": plan.starts_on.isoformat(),
                "ends_on": plan.ends_on.isoformat(),
                "target": plan.target,
                "actual": actual if actual is not None else 0,
                "time_elapsed": round(elapsed / span, 4),
            }
        )
    return progress_report(book, scope, as_of, rows)
