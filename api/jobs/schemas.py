"""Jobs on the wire: a job's state and progress, its errors, and the rows an import registered."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec

from api.schemas import EarnedCertificateOut
from ledger.jobs.service import JobStatus


class JobErrorOut(msgspec.Struct):
    field: str
    code: str
    message: str
    row: int | None = None  # the row as the spreadsheet shows it (the header row counted)
    column: str | None = None  # the clerk's own column header, where known


class JobLinks(msgspec.Struct, omit_defaults=True):
    self: str
    rows: str | None = None  # imports: every registered row with the certificates it earned
    output: str | None = None  # a course PDF, once made


class JobOut(msgspec.Struct):
    id: uuid.UUID
    kind: str  # import | course_pdf
    state: str  # queued | running | succeeded | failed
    done: int  # rows registered (imports) or certificates rendered (course PDFs), as committed
    total: int | None  # known once an import's file is checked, or a PDF's certificates counted
    percent: float | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    message: str | None  # why it failed, Chinese first
    error_count: int  # all errors; `errors` holds the first 200
    errors: list[JobErrorOut]
    result: dict[str, Any]  # imports: phase, checked, created, unchanged, certificates; PDFs: certificates, bytes
    links: JobLinks

    @classmethod
    def of(cls, job: JobStatus) -> JobOut:
        base = f"/api/v1/jobs/{job.id}"
        links = JobLinks(
            self=base,
            rows=f"{base}/rows" if job.kind == "import" else None,
            output=f"{base}/output" if job.output_file_id is not None and job.state == "succeeded" else None,
        )
        errors = [msgspec.convert(e, JobErrorOut) for e in job.errors]
        same = {name: getattr(job, name) for name in cls.__struct_fields__ if name not in ("errors", "links")}
        return cls(**same, errors=errors, links=links)


class JobList(msgspec.Struct):
    items: list[JobOut]


class JobRowOut(msgspec.Struct):
    row: int
    status: str  # created | unchanged
    completion_id: int
    certificates: list[EarnedCertificateOut]


class JobRowsOut(msgspec.Struct):
    items: list[JobRowOut]
    next_after: int | None  # pass as `after` for the next page; None on the last page
