"""Valid test data, computed independently of the code under test."""

from __future__ import annotations

import datetime as dt

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_char(body17: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(body17, WEIGHTS, strict=True)) % 11]


def id_number(seq: int, region: str = "650102", birth: dt.date | None = None) -> str:
    """A valid 18-digit ID; distinct for distinct `seq` below 999 * 3650."""
    birth = birth or dt.date(1980, 1, 1) + dt.timedelta(days=seq // 999)
    body = f"{region}{birth:%Y%m%d}{seq % 999 + 1:03d}"
    return body + check_char(body)


def completion(seq: int, course: str = "CG-2025-01", **over: object) -> dict:
    row: dict = {
        "course_code": course,
        "trainee": {"name": "买买提·艾力", "id_number": id_number(seq)},
        "completed_on": "2025-05-30",
        "hours": 160,
        "passed": True,
        "assessment": {"level": 4, "assessed_on": "2025-05-28", "theory_score": 81.5, "practical_score": 90},
    }
    row.update(over)
    return row
