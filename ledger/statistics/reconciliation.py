"""The survey's published figures beside the ledger's own count: recorded by the bureau, never used to adjust.

The official totals (技能人才 320万, 高技能人才 66万 in Xinjiang at the end of 2025) come from the 人才资源统计调查, a
survey of employers (public units in full, others sampled, as of 31 December). The ledger counts certificate
holders. A bureau records each published figure with its source (`record_published`), and the reconciliation
(`reconcile`) sets the ledger's count on the same date beside it, with and without the baseline, with the gap and
the reasons such a gap has. The ledger's count is the one its rules give; nothing here changes it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from ledger import clock
from ledger.database.base import Base, _now
from ledger.database.constraints import named_violations
from ledger.database.loaders import table_loader
from ledger.errors import ErrorCollector, InvalidInput
from ledger.journal import Journal
from ledger.log.records import RecordType, Row, register
from ledger.statistics.dimensions import JURISDICTION_LABELS, RegionBook, resolve_scope
from ledger.statistics.report import Report, rate
from ledger.statistics.talent import talent_report

FIGURES = {"talent": ("技能人才", "skilled talent"), "high_skill": ("高技能人才", "high-skill talent")}
MAX_VALUE = 10**10


class PublishedFigure(Base):
    """A figure the bureau (or the statistics office) published for a region and date, with where it appeared."""

    __tablename__ = "published_figures"
    __table_args__ = (
        UniqueConstraint("region_code", "jurisdiction", "figure", "as_of"),
        CheckConstraint("figure IN ('talent', 'high_skill')", name="figure"),
        CheckConstraint("jurisdiction IN ('all', 'zizhiqu', 'bingtuan')", name="jurisdiction"),
        CheckConstraint(f"value BETWEEN 0 AND {MAX_VALUE}", name="value"),
        CheckConstraint("char_length(source) BETWEEN 1 AND 500", name="source"),
        CheckConstraint("published_on IS NULL OR published_on >= as_of", name="dates"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    jurisdiction: Mapped[str] = mapped_column(String(12), server_default=text("'all'"))
    figure: Mapped[str] = mapped_column(String(16))
    as_of: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(Text)
    published_on: Mapped[dt.date | None] = mapped_column(Date)
    recorded_at: Mapped[dt.datetime] = _now()


def _published_figure_v1(row: Row) -> dict[str, object]:
    return {
        "region_code": row["region_code"],
        "jurisdiction": row["jurisdiction"],
        "figure": row["figure"],
        "as_of": row["as_of"].isoformat(),
        "value": row["value"],
        "source": row["source"],
        "published_on": row["published_on"].isoformat() if row["published_on"] else None,
    }


PUBLISHED_FIGURE = register(
    RecordType("published_figure", {1: _published_figure_v1}, table_loader("published_figures"))
)


@dataclass(frozen=True, slots=True)
class PublishedIn:
    region_code: str
    as_of: dt.date
    figures: dict[str, int]  # talent / high_skill → persons
    source: str
    published_on: dt.date | None = None
    jurisdiction: str = "all"


async def record_published(
    session: AsyncSession, book: RegionBook, key_region: str, data: PublishedIn
) -> list[PublishedFigure]:
    """Record (or correct) the published figures of a region and date; each is a ledger entry."""
    errors = ErrorCollector()
    if not data.figures:
        errors.add("figures", "required", "至少给出一个公布数 / give at least one figure")
    for name, value in data.figures.items():
        if name not in FIGURES:
            errors.add(f"figures.{name}", "invalid", "公布数为 talent 或 high_skill / talent or high_skill")
        elif not 0 <= value <= MAX_VALUE:
            errors.add(f"figures.{name}", "out_of_range", f"0 至 {MAX_VALUE:,} 人 / 0 to {MAX_VALUE:,} persons")
    if data.jurisdiction not in JURISDICTION_LABELS:
        errors.add("jurisdiction", "invalid", "all、zizhiqu 或 bingtuan / all, zizhiqu or bingtuan")
    if not data.source.strip():
        errors.add("source", "required", "注明来源，如「新疆日报 2026-01-31」 / name the source")
    if data.published_on is not None and data.published_on < data.as_of:
        errors.add("published_on", "before_as_of", "公布日期早于统计日 / published before the date it is as of")
    if errors:
        raise InvalidInput("the published figure is invalid", errors=errors.errors)
    resolve_scope(book, key_region, region=data.region_code)  # NotFound outside the key's region
    values = [
        {"region_code": data.region_code, "jurisdiction": data.jurisdiction, "figure": name, "as_of": data.as_of,
         "value": value, "source": data.source.strip(), "published_on": data.published_on}
        for name, value in sorted(data.figures.items())
    ]  # fmt: skip
    upsert = insert(PublishedFigure).values(values)
    statement = upsert.on_conflict_do_update(
        constraint="uq_published_figures_region_code_jurisdiction_figure_as_of",
        set_={"value": upsert.excluded.value, "source": upsert.excluded.source,
              "published_on": upsert.excluded.published_on, "recorded_at": dt.datetime.now(dt.UTC)},
    ).returning(PublishedFigure.id)  # fmt: skip
    with named_violations():
        ids = list((await session.execute(statement)).scalars())
    journal = Journal(session)
    for figure_id in ids:
        journal.record("published_figure.set", PUBLISHED_FIGURE, figure_id)
    await journal.write()
    found = await session.execute(
        select(PublishedFigure)
        .where(PublishedFigure.id.in_(ids))
        .order_by(PublishedFigure.figure)
        .execution_options(populate_existing=True)
    )
    return list(found.scalars())


# ---- reconciliation -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Explanation:
    """One reason the survey's figure and the ledger's count differ (structured, Chinese first)."""

    code: str  # pre_ledger_stock | survey_scope | sampling | timing
    title: str
    title_en: str
    text: str
    text_en: str
    effect: str  # ledger_lower: the cause makes the ledger's count smaller; either: it can go both ways


@dataclass(frozen=True, slots=True)
class Line:
    figure: str
    published: int | None
    source: str | None
    published_on: dt.date | None
    with_baseline: int
    without_baseline: int

    @property
    def gap(self) -> int | None:
        """The published figure minus the ledger's count with the baseline (positive: the survey counts more)."""
        return None if self.published is None else self.published - self.with_baseline

    @property
    def gap_share(self) -> float | None:
        return rate(self.gap, self.published)


@dataclass(frozen=True, slots=True)
class Reconciliation:
    region_code: str
    region_name: str
    jurisdiction: str
    as_of: dt.date
    lines: list[Line]
    explanations: list[Explanation]
    generated_at: dt.datetime


RULES = [
    "公布数来自人才资源统计调查（按用人单位填报，机关事业单位和国有企业全面调查、其他单位抽样推算，时点为12月31日），"
    "账本计数为统计日持有有效技能证书的人数（按人去重）。两者口径不同，账本计数从不按公布数调整。"
    " / The published figure comes from the talent resources survey (employers report; public units in full, others "
    "sampled; as of 31 December). The ledger counts distinct holders of a valid skill certificate on the date. The "
    "two measure different things, and the ledger's count is never adjusted to the published one.",
    "差额 = 公布数 − 账本计数（含基线）；差额占比 = 差额 / 公布数。"
    " / Gap = published − ledger count with the baseline; gap share = gap / published.",
]


def explanations(baseline_persons: int) -> list[Explanation]:
    loaded = (
        f"本地区本日已计入基线 {baseline_persons:,} 人（含基线与不含基线之差）。"
        if baseline_persons
        else "本地区尚未导入基线，历史持证人均未计入。"
    )
    loaded_en = (
        f"The baseline adds {baseline_persons:,} persons here on this date (with minus without)."
        if baseline_persons
        else "No baseline is loaded for this region: no pre-ledger holder is counted."
    )
    return [
        Explanation(
            "pre_ledger_stock", "历史存量未载入", "Pre-ledger stock not loaded",
            "账本只计其记录的证书：2020年以前的职业资格证书和未经账本颁发的证书，只有作为基线导入后才计入。" + loaded,
            "The ledger counts only certificates it holds: pre-2020 qualification certificates and certificates "
            "issued outside it count only once imported as the baseline. " + loaded_en,
            "ledger_lower",
        ),
        Explanation(
            "survey_scope", "调查口径", "Survey scope",
            "调查按用人单位统计在岗从业人员：机关、事业单位和国有企业全面调查，其他单位抽样；账本统计全部持证人，不论是否在岗、"
            "在何处就业，并按发证机构所在地归属。",
            "The survey counts people employed by the units it covers (public units in full, others sampled); the "
            "ledger counts every certificate holder, employed or not, wherever they work, attributed to the issuing "
            "institution's region.",
            "either",
        ),
        Explanation(
            "sampling", "抽样误差", "Sampling",
            "非公有单位为抽样推算，公布数带有抽样误差，不是逐人计数。",
            "Units outside the public sector are sampled and the figure is an estimate with sampling error, not a "
            "count of persons.",
            "either",
        ),
        Explanation(
            "timing", "时点", "Timing",
            "调查时点为12月31日、次年公布；账本计统计日当天有效的证书，撤销、暂停和补录按生效日计。",
            "The survey is as of 31 December and published the next year; the ledger counts certificates valid on "
            "the date, with revocations, suspensions and late records from their effective dates.",
            "either",
        ),
    ]  # fmt: skip


async def latest_published_on_or_before(
    session: AsyncSession, region: str, jurisdiction: str, day: dt.date
) -> dt.date | None:
    found = await session.execute(
        select(func.max(PublishedFigure.as_of)).where(
            PublishedFigure.region_code == region,
            PublishedFigure.jurisdiction == jurisdiction,
            PublishedFigure.as_of <= day,
        )
    )
    return found.scalar()


async def reconcile(
    session: AsyncSession,
    book: RegionBook,
    key_region: str,
    *,
    region: str | None = None,
    as_of: dt.date | None = None,
    jurisdiction: str = "all",
) -> Reconciliation:
    """The published figures of the region on `as_of` (default: the latest recorded up to today) beside the
    ledger's count on that date, with and without the baseline."""
    with_baseline = resolve_scope(book, key_region, region=region, jurisdiction=jurisdiction)
    without = resolve_scope(book, key_region, region=region, jurisdiction=jurisdiction, include_baseline=False)
    day = as_of or await latest_published_on_or_before(
        session, with_baseline.region_code, jurisdiction, clock.today()
    ) or clock.today()  # fmt: skip
    counted = (await talent_report(session, book, with_baseline, day)).total
    ledger_only = (await talent_report(session, book, without, day)).total
    rows = await session.execute(
        select(PublishedFigure).where(
            PublishedFigure.region_code == with_baseline.region_code,
            PublishedFigure.jurisdiction == jurisdiction,
            PublishedFigure.as_of == day,
        )
    )
    published = {r.figure: r for r in rows.scalars()}
    lines = [
        Line(
            figure=name,
            published=published[name].value if name in published else None,
            source=published[name].source if name in published else None,
            published_on=published[name].published_on if name in published else None,
            with_baseline=int(str(counted[name])),
            without_baseline=int(str(ledger_only[name])),
        )
        for name in FIGURES
    ]
    baseline_persons = lines[0].with_baseline - lines[0].without_baseline
    return Reconciliation(
        region_code=with_baseline.region_code,
        region_name=book.name(with_baseline.region_code),
        jurisdiction=jurisdiction,
        as_of=day,
        lines=lines,
        explanations=explanations(baseline_persons),
        generated_at=clock.now(),
    )


def reconciliation_report(found: Reconciliation) -> Report:
    """The reconciliation as a report, for the CSV and XLSX exports: one row per figure, the reasons as rules."""
    rows: list[dict[str, object]] = [
        {"figure": FIGURES[line.figure][0], "published_value": line.published, "source": line.source,
         "published_on": line.published_on.isoformat() if line.published_on else None,
         "ledger_with_baseline": line.with_baseline, "ledger_without_baseline": line.without_baseline,
         "gap": line.gap, "gap_share": line.gap_share}
        for line in found.lines
    ]  # fmt: skip
    reasons = [f"差额原因·{e.title}：{e.text} / Cause · {e.title_en}: {e.text_en}" for e in found.explanations]
    return Report(
        figure="reconciliation",
        title="统计调查公布数与账本计数对照",
        units={"published_value": "人 / persons", "ledger_with_baseline": "人 / persons",
               "ledger_without_baseline": "人 / persons", "gap": "人 / persons", "gap_share": "比例 / share"},
        rules=[*RULES, *reasons],
        region_code=found.region_code,
        region_name=found.region_name,
        jurisdiction=f"{found.jurisdiction} ({JURISDICTION_LABELS[found.jurisdiction]})",
        basis="institution",
        group_by=(),
        columns=["figure", "published_value", "source", "published_on", "ledger_with_baseline",
                 "ledger_without_baseline", "gap", "gap_share"],
        rows=rows,
        total={},
        as_of=found.as_of,
        baseline_included=True,
        generated_at=found.generated_at,
    )  # fmt: skip
