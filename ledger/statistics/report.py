"""A statistics report: figures by group, with the counting rules, dates and scope that make it explainable."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ledger import clock

PUBLISH_K = 5


@dataclass(frozen=True, slots=True)
class Report:
    figure: str  # talent | training | certificates | dual | new_high_skill | plan_progress
    title: str
    units: dict[str, str]  # figure column → unit and meaning
    rules: list[str]
    region_code: str
    region_name: str
    jurisdiction: str
    basis: str
    group_by: tuple[str, ...]
    columns: list[str]  # group columns, then figure columns
    rows: list[dict[str, object]]
    total: dict[str, object]
    as_of: dt.date | None = None
    period_from: dt.date | None = None
    period_to: dt.date | None = None
    baseline_included: bool = False
    published: bool = False
    k: int | None = None
    generated_at: dt.datetime = field(default_factory=clock.now)


def rate(numerator: object, denominator: object) -> float | None:
    if not isinstance(numerator, int) or not isinstance(denominator, int) or denominator <= 0:
        return None
    return round(numerator / denominator, 4)


# ---- publication mode -----------------------------------------------------------------------------------------


def month_end_on_or_before(day: dt.date) -> dt.date:
    """The last day of `day`'s month if `day` is that day, else the last day of the month before."""
    following = day + dt.timedelta(days=1)
    if following.month != day.month:
        return day
    return day.replace(day=1) - dt.timedelta(days=1)


def publishable_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """Whole months only: `start` moves to the first of its month, `end` back to a month end."""
    return start.replace(day=1), max(month_end_on_or_before(end), start.replace(day=1) - dt.timedelta(days=1))


def publish_count(value: object, k: int) -> int | None:
    """0 stays 0; 1…k-1 is suppressed (None); anything else is rounded to the nearest multiple of k."""
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    if value == 0:
        return 0
    if value < k:
        return None
    return ((value + k // 2) // k) * k


def published(
    report: Report, k: int = PUBLISH_K, *, counts: Sequence[str], rates: dict[str, tuple[str, str]] | None = None
) -> Report:
    """The report safe to publish: small cells suppressed, every count rounded to base k (so that the difference
    of any two published figures is a multiple of k and never reveals fewer than k persons exactly), and rates
    recomputed from the rounded counts. Dates are whole months (see `publishable_period`)."""
    rates = rates or {}

    def treat(row: dict[str, object]) -> dict[str, object]:
        out = dict(row)
        for name in counts:
            if name in out:
                out[name] = publish_count(out[name], k)
        for name, (num, den) in rates.items():
            if name in out:
                out[name] = rate(out.get(num), out.get(den))
        return out

    rules = [
        *report.rules,
        f"发布模式：1至{k - 1}人（次）的格不显示，其余数字按{k}的倍数舍入，比率由舍入后的数字计算，时间取整月。"
        f" / Publication: cells of 1-{k - 1} are suppressed, other counts rounded to a multiple of {k}, rates from "
        "the rounded counts, whole months only.",
    ]
    return replace(
        report,
        rows=[treat(r) for r in report.rows],
        total=treat(report.total),
        rules=rules,
        published=True,
        k=k,
    )
