"""Dates as the bureau sees them: China Standard Time (UTC+8), the legal time for certificates."""

from __future__ import annotations

import datetime as dt

CHINA = dt.timezone(dt.timedelta(hours=8), "CST")


def today() -> dt.date:
    return dt.datetime.now(CHINA).date()


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
