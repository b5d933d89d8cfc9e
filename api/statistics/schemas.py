"""Wire contract of the statistics API: plan and baseline bodies, and the report every figure comes back in."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec

from ledger.commands import NO_BIDI, ROWS, Title
from ledger.statistics.report import Report, unsummed

Metric = Literal[
    "training_person_times",
    "training_persons",
    "talent",
    "high_skill",
    "certificates",
    "new_high_skill",
    "new_high_skill_obtained",
]


class Strict(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    pass


class PlanIn(Strict):
    name: Title
    metric: Metric
    region_code: Annotated[str, msgspec.Meta(pattern=r"^[1-9][0-9]{5}$")]
    starts_on: dt.date
    ends_on: dt.date
    target: Annotated[int, msgspec.Meta(gt=0, le=10**12)]
    jurisdiction: Literal["all", "zizhiqu", "bingtuan"] = "all"


class PlanOut(msgspec.Struct):
    code: str
    name: str
    metric: str
    region_code: str
    jurisdiction: str
    starts_on: dt.date
    ends_on: dt.date
    target: int


class BaselineRowIn(Strict):
    region_code: Annotated[str, msgspec.Meta(pattern=r"^[1-9][0-9]{5}$")]
    level: Annotated[int, msgspec.Meta(ge=0, le=5)]
    persons: Annotated[int, msgspec.Meta(ge=0, le=10**9)]
    jurisdiction: Literal["zizhiqu", "bingtuan"] | None = None


class BaselineIn(Strict):
    as_of: dt.date
    rows: Annotated[list[BaselineRowIn], msgspec.Meta(min_length=1, description=ROWS)]
    source: Annotated[str, msgspec.Meta(max_length=500, pattern=NO_BIDI)] = ""


class BaselineOut(msgspec.Struct):
    as_of: dt.date
    rows: int


class LegacyCertificateRowIn(Strict):
    """One pre-ledger 职业资格证书 of one person."""

    id_number: Annotated[str, msgspec.Meta(max_length=32)]
    name: Annotated[str, msgspec.Meta(max_length=64, pattern=NO_BIDI)]
    number: Annotated[str, msgspec.Meta(max_length=32, description="16 digits")]
    occupation_code: Annotated[str, msgspec.Meta(max_length=16)]
    issued_on: dt.date
    issuer_region: Annotated[str, msgspec.Meta(max_length=6, description="GB/T 2260 code of the issuing authority")]
    level: Annotated[int, msgspec.Meta(ge=1, le=5)] | None = None
    issuer_name: Annotated[str, msgspec.Meta(max_length=128, pattern=NO_BIDI)] = ""
    domicile_region: Annotated[str, msgspec.Meta(max_length=6)] | None = None


class LegacyCertificatesIn(Strict):
    rows: Annotated[list[LegacyCertificateRowIn], msgspec.Meta(min_length=1, description=ROWS)]
    source: Annotated[str, msgspec.Meta(max_length=500, pattern=NO_BIDI)] = ""


class LegacyRowOut(msgspec.Struct):
    row: int
    status: str
    certificate_id: int
    verification_code: str


class LegacyCertificatesOut(msgspec.Struct):
    total: int
    created: int
    unchanged: int
    rows: list[LegacyRowOut]


class StatsOut(msgspec.Struct):
    """One figure, grouped, with everything needed to read it right: rules, dates, scope, baseline, publication."""

    figure: str
    title: str
    units: dict[str, str]
    rules: list[str]
    region_code: str
    region_name: str
    jurisdiction: str
    basis: str
    group_by: list[str]
    as_of: dt.date | None
    period_from: dt.date | None
    period_to: dt.date | None
    baseline_included: bool
    published: bool
    k: int | None
    generated_at: dt.datetime
    columns: list[str]
    rows: list[dict[str, Any]]
    total: dict[str, Any]
    # the count columns whose total is not the sum of the rows (distinct persons, tags, dates, rounding)
    total_not_sum_of_rows: list[str]

    @classmethod
    def of(cls, report: Report) -> StatsOut:
        return cls(
            figure=report.figure,
            title=report.title,
            units=report.units,
            rules=report.rules,
            region_code=report.region_code,
            region_name=report.region_name,
            jurisdiction=report.jurisdiction,
            basis=report.basis,
            group_by=list(report.group_by),
            as_of=report.as_of,
            period_from=report.period_from,
            period_to=report.period_to,
            baseline_included=report.baseline_included,
            published=report.published,
            k=report.k,
            generated_at=report.generated_at,
            columns=report.columns,
            rows=report.rows,
            total=report.total,
            total_not_sum_of_rows=unsummed(report),
        )


class PublishedFiguresIn(Strict):
    """Figures the survey published for one region and date, from one source (e.g. 新疆日报 2026-01-31)."""

    region_code: Annotated[str, msgspec.Meta(pattern=r"^[1-9][0-9]{5}$")]
    as_of: Annotated[dt.date, msgspec.Meta(description="the date the figures are as of (the survey: 31 December)")]
    figures: Annotated[
        dict[Literal["talent", "high_skill"], Annotated[int, msgspec.Meta(ge=0, le=10**10)]],
        msgspec.Meta(min_length=1, description="技能人才 and / or 高技能人才, in persons"),
    ]
    source: Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=NO_BIDI)]
    published_on: dt.date | None = None
    jurisdiction: Literal["all", "zizhiqu", "bingtuan"] = "all"


class PublishedFigureOut(msgspec.Struct):
    id: int  # its subject id in the ledger: GET /api/v1/ledger/subjects/published_figure/{id}
    region_code: str
    jurisdiction: str
    figure: str
    as_of: dt.date
    value: int
    source: str
    published_on: dt.date | None


class PublishedFiguresOut(msgspec.Struct):
    figures: list[PublishedFigureOut]


class ExplanationOut(msgspec.Struct):
    code: str
    title: str
    title_en: str
    text: str
    text_en: str
    effect: str


class ReconciliationLineOut(msgspec.Struct):
    figure: str
    name: str
    published: int | None
    source: str | None
    published_on: dt.date | None
    ledger_with_baseline: int
    ledger_without_baseline: int
    gap: int | None
    gap_share: float | None
    gap_without_baseline: int | None


class ReconciliationOut(msgspec.Struct):
    """The survey's published figures beside the ledger's count on the same date; the ledger is never adjusted."""

    region_code: str
    region_name: str
    jurisdiction: str
    as_of: dt.date
    lines: list[ReconciliationLineOut]
    explanations: list[ExplanationOut]
    rules: list[str]
    generated_at: dt.datetime
