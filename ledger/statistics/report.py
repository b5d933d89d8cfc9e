"""A statistics report: figures by group, with the counting rules, dates and scope that make it explainable."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ledger import clock

PUBLISH_K = 5  # the publication threshold unless LEDGER_PUBLISH_K says otherwise


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


def unsummed(report: Report) -> list[str]:
    """The count columns whose total is not the sum of the rows: distinct persons (one person in several rows is
    counted once in the total), records under several tags, stocks of different dates, or counts rounded one by
    one in publication mode."""
    found = []
    for column in report.units:
        total = report.total.get(column)
        values = [row.get(column) for row in report.rows]
        if not isinstance(total, int) or isinstance(total, bool) or column.endswith(("share", "rate", "progress")):
            continue
        if any(not isinstance(v, int) for v in values) or sum(v for v in values if isinstance(v, int)) != total:
            found.append(column)
    return found
