"""Jobs as an institution sees them: submit one, read its state and progress, list its own.

A job is queued here, in the caller's transaction (so a submit and the upload it reads commit together, or
neither does), and claimed later by a worker (ledger/jobs/queue.py). An institution only ever finds its own jobs.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.database.driver import driver
from ledger.errors import NotFound
from ledger.jobs.tables import JOB_KINDS, Job
from ledger.registration.repository import certificates_of_completions

MAX_KEPT_ERRORS = 200  # a job keeps this many errors in full; error_count counts them all


@dataclass(frozen=True, slots=True)
class JobStatus:
    id: uuid.UUID
    institution_id: int
    kind: str
    state: str  # queued | running | succeeded | failed
    total: int | None
    done: int
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    params: dict[str, Any]
    result: dict[str, Any]
    errors: list[dict[str, Any]]
    error_count: int
    message: str | None
    attempts: int
    input_file_id: uuid.UUID | None
    output_file_id: uuid.UUID | None

    @property
    def percent(self) -> float | None:
        """Done out of total, 0–100 (100 once succeeded); None while the total is not known yet."""
        if self.state == "succeeded":
            return 100.0
        if not self.total:
            return None
        return round(min(100.0, 100.0 * self.done / self.total), 1)

    @property
    def finished(self) -> bool:
        return self.state in ("succeeded", "failed")


def _status(job: Job) -> JobStatus:
    """A job row as its status: every field of JobStatus is a column of the same name."""
    return JobStatus(**{name: getattr(job, name) for name in JobStatus.__slots__})


async def submit_job(
    session: AsyncSession,
    institution_id: int,
    kind: str,
    *,
    api_key_id: int | None = None,
    params: dict[str, Any] | None = None,
    input_file_id: uuid.UUID | None = None,
    total: int | None = None,
) -> uuid.UUID:
    """Queue a job in the caller's transaction (the caller commits); its id. `params` is JSON the job's kind reads."""
    if kind not in JOB_KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    job_id = uuid.uuid4()
    session.add(
        Job(
            id=job_id,
            institution_id=institution_id,
            api_key_id=api_key_id,
            kind=kind,
            state="queued",
            params=params or {},
            input_file_id=input_file_id,
            total=total,
        )
    )
    await session.flush()
    return job_id


async def waiting_job(
    session: AsyncSession, institution_id: int, kind: str, params: dict[str, Any]
) -> uuid.UUID | None:
    """The institution's queued or running job of `kind` with these params, if there is one (asked again for the
    same work, the caller hands out that job instead of queuing another)."""
    found = await session.execute(
        select(Job.id)
        .where(
            Job.institution_id == institution_id,
            Job.kind == kind,
            Job.state.in_(("queued", "running")),
            Job.params.contains(params),
        )
        .order_by(Job.created_at)
        .limit(1)
    )
    return found.scalar_one_or_none()


async def job_status(session: AsyncSession, institution_id: int, job_id: uuid.UUID) -> JobStatus:
    """The job as it stands (what was committed); NotFound when it does not exist or is another institution's."""
    job = (
        await session.execute(
            select(Job)
            .where(Job.id == job_id, Job.institution_id == institution_id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if job is None:
        raise NotFound("没有这个任务 / no such job")
    return _status(job)


async def recent_jobs(session: AsyncSession, institution_id: int, limit: int = 20) -> list[JobStatus]:
    """The institution's latest jobs, newest first."""
    jobs = await session.execute(
        select(Job)
        .where(Job.institution_id == institution_id)
        .order_by(Job.created_at.desc(), Job.id)
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    return [_status(job) for job in jobs.scalars()]


@dataclass(frozen=True, slots=True)
class RegisteredRow:
    row: int  # the spreadsheet row
    status: str  # created | unchanged
    completion_id: int
    certificates: list[tuple[str, str, str]]  # (number, kind, verification code), current ones


async def registered_rows(
    session: AsyncSession, institution_id: int, job_id: uuid.UUID, after: int, limit: int
) -> list[RegisteredRow]:
    """An import job's registered rows after spreadsheet row `after`, in row order, with their certificates."""
    await job_status(session, institution_id, job_id)  # the institution's own job
    rows = await (await driver(session)).fetch(
        "SELECT row, status, completion_id FROM job_rows WHERE job_id = $1 AND row > $2 ORDER BY row LIMIT $3",
        job_id,
        after,
        limit,
    )
    earned: dict[int, list[tuple[str, str, str]]] = {}
    for completion_id, number, kind, code in await certificates_of_completions(
        session, [r["completion_id"] for r in rows]
    ):
        earned.setdefault(completion_id, []).append((number, kind, code))
    return [RegisteredRow(r["row"], r["status"], r["completion_id"], earned.get(r["completion_id"], [])) for r in rows]


async def latest_import_of_file(
    session: AsyncSession, institution_id: int, file_id: uuid.UUID, *, dry_run: bool
) -> JobStatus | None:
    """The institution's latest import job (a dry run or a real one) of the stored file `file_id`, in any state: a
    page asked again for the same upload shows that job instead of queuing another."""
    job = (
        await session.execute(
            select(Job)
            .where(
                Job.institution_id == institution_id,
                Job.input_file_id == file_id,
                Job.kind == "import",
                Job.params.contains({"dry_run": dry_run}),
            )
            .order_by(Job.created_at.desc())
            .limit(1)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    return _status(job) if job is not None else None
