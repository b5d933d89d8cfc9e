"""Publication mode: a report safe to publish, whatever other published tables it is set beside.

Three rules, all with the one k the bureau configured (LEDGER_PUBLISH_K; a request never chooses it):

1. primary suppression: a count of 1 to k-1 is not shown (0 stays 0);
2. rounding: every other count is rounded to the nearest multiple of k (rates recomputed from the rounded counts);
3. complementary suppression: in every group of a table's rows whose sum is published somewhere (the table's
   total, or a cell of the table grouped by fewer of its dimensions, which the API also publishes), a group with
   exactly one suppressed cell gets a second one: its smallest other non-zero cell.

Why rounding alone is not the whole answer (docs/statistics.md, "Publication"): one subtraction of rounded figures
never narrows a suppressed cell, because each rounded figure hides an error of up to k/2 and two such errors cover
every value from 1 to k-1. But many linked tables give many equations, and intersecting their bounds can narrow a
cell that takes part in several of them; a lone suppressed cell in a group whose sum is published is exactly the
cell those equations reach first. Rule 3 takes that first step away; rule 2 protects what the tables' links leave.
A varying k defeats all three (a cell of v persons is shown at k = v and hidden at k = v + 1), so k is fixed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from itertools import combinations

from ledger.statistics.report import Report, rate


def publish_count(value: object, k: int) -> int | None:
    """0 stays 0; 1…k-1 is suppressed (None); anything else is rounded to the nearest multiple of k."""
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    if value == 0:
        return 0
    if value < k:
        return None
    return ((value + k // 2) // k) * k


def month_end_on_or_before(day: dt.date) -> dt.date:
    """The last day of `day`'s month if `day` is that day, else the last day of the month before."""
    following = day + dt.timedelta(days=1)
    if following.month != day.month:
        return day
    return day.replace(day=1) - dt.timedelta(days=1)


def publishable_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """Whole months only: `start` moves to the first of its month, `end` back to a month end."""
    return start.replace(day=1), max(month_end_on_or_before(end), start.replace(day=1) - dt.timedelta(days=1))


def _dimension_of(column: str, dims: Sequence[str]) -> str:
    """The grouping a row column belongs to: `prefecture_name` to prefecture, `level_name` to level."""
    return column if column in dims else column.rsplit("_", 1)[0]


def margins(dims: Sequence[str], dated: Sequence[str] = ()) -> list[tuple[str, ...]]:
    """The coarser groupings whose cells are sums of this table's cells: every proper subset of `dims` (the empty
    one is the table's total), except that the `dated` dimensions (the stock by year: rows of different dates,
    never added up) stay in every one."""
    kept = [d for d in dims if d in dated]
    plain = [d for d in dims if d not in dated]
    return [(*subset, *kept) for size in range(len(plain)) for subset in combinations(plain, size)]


def complementary(cells: list[int], groups: Sequence[Sequence[int]], suppressed: set[int], k: int) -> set[int]:
    """The cells to suppress: `suppressed` (primary) and, until no group has exactly one suppressed cell while
    its sum (k or more, so published elsewhere) is shown, each such group's smallest other non-zero cell."""
    hidden = set(suppressed)
    changed = True
    while changed:
        changed = False
        for group in groups:
            inside = [i for i in group if i in hidden]
            if len(inside) != 1 or sum(cells[i] for i in group) < k:
                continue
            candidates = sorted((cells[i], i) for i in group if i not in hidden and cells[i] > 0)
            if candidates:
                hidden.add(candidates[0][1])
                changed = True
    return hidden


def _groups(
    rows: list[dict[str, object]], columns: Sequence[str], dims: Sequence[str], dated: Sequence[str]
) -> list[list[int]]:
    """Row positions grouped by the values of each margin's dimensions."""
    found: list[list[int]] = []
    for margin in margins(dims, dated):
        kept = [c for c in columns if _dimension_of(c, dims) in margin]
        by_key: dict[tuple[object, ...], list[int]] = defaultdict(list)
        for i, row in enumerate(rows):
            by_key[tuple(row.get(c) for c in kept)].append(i)
        found.extend(by_key.values())
    return found


def published(
    report: Report, k: int, *, counts: Sequence[str], rates: dict[str, tuple[str, str]] | None = None
) -> Report:
    """The report safe to publish (the module docstring's three rules). Dates are whole months (see
    `publishable_period`); the caller moves them before counting."""
    rates = rates or {}
    figure_columns = set(report.units)
    dimension_columns = [c for c in report.columns if c not in figure_columns]
    dated = ("year",) if report.period_from is None else ()  # a stock by year: one date per year
    groups = _groups(report.rows, dimension_columns, report.group_by, dated)
    rows = [dict(r) for r in report.rows]
    for name in counts:
        if not rows or name not in rows[0]:
            continue
        cells = [v if isinstance(v, int) and not isinstance(v, bool) else 0 for v in (r[name] for r in rows)]
        primary = {i for i, v in enumerate(cells) if 0 < v < k}
        hidden = complementary(cells, groups, primary, k)
        for i, row in enumerate(rows):
            row[name] = None if i in hidden else publish_count(cells[i], k)
    total = dict(report.total)
    for name in counts:
        if name in total:
            total[name] = publish_count(total[name], k)
    for row in [*rows, total]:
        for name, (num, den) in rates.items():
            if name in row:
                row[name] = rate(row.get(num), row.get(den))
    rules = [
        *report.rules,
        f"发布模式：1至{k - 1}人（次）的格不显示，其余数字按{k}的倍数舍入；若某行、某列或某一分组仅有一格不显示"
        "而其合计公布，再隐去该组另一最小的格；比率由舍入后的数字计算，时间取整月；k 由局方设置，不随请求改变。"
        f" / Publication: cells of 1-{k - 1} are suppressed and other counts rounded to a multiple of {k}; a group "
        "whose sum is published with only one cell suppressed has its next smallest cell suppressed too; rates from "
        "the rounded counts; whole months only; k is the bureau's setting, never the request's.",
    ]
    return replace(report, rows=rows, total=total, rules=rules, published=True, k=k)
