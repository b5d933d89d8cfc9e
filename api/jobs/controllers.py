"""An institution's jobs: their state and progress, the rows an import registered, and a job's output file."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import DbSession, OwnInstitution, Runtime, Shared
from api.guards import institution_key
from api.jobs.schemas import JobList, JobOut, JobRowOut, JobRowsOut
from api.schemas import EarnedCertificateOut
from ledger.errors import NotFound
from ledger.jobs.files import file_info, read_file
from ledger.jobs.service import job_status, recent_jobs, registered_rows

MAX_ROWS_PAGE = 5_000


class JobController(Controller):
    path = "/api/v1/jobs"
    tags = ["institution"]
    guards = [institution_key]

    @get("/", summary="List the institution's jobs (任务)")
    async def list_jobs(self, db_session: DbSession, institution_id: OwnInstitution) -> JobList:
        """The institution's latest jobs (up to 20), newest first."""
        return JobList([JobOut.of(job) for job in await recent_jobs(db_session, institution_id)])

    @get("/{job_id:uuid}", summary="A job's state and progress")
    async def read(self, job_id: uuid.UUID, db_session: DbSession, institution_id: OwnInstitution) -> JobOut:
        """A job's state and progress: rows done of total, its errors (each with the spreadsheet row and the clerk's
        column header), and its result. Another institution's job is 404."""
        return JobOut.of(await job_status(db_session, institution_id, job_id))

    @get("/{job_id:uuid}/rows", summary="The rows a job registered")
    async def rows(
        self,
        job_id: uuid.UUID,
        db_session: DbSession,
        institution_id: OwnInstitution,
        after: Annotated[int, Parameter(ge=0, le=2**31 - 1, description="the last spreadsheet row seen")] = 0,
        limit: Annotated[int, Parameter(ge=1, le=MAX_ROWS_PAGE)] = 1_000,
    ) -> JobRowsOut:
        """The rows an import job registered, in spreadsheet order, each with the certificates it earned (number,
        kind, verification code). Page on with `after=next_after`."""
        found = await registered_rows(db_session, institution_id, job_id, after, limit)
        items = [
            JobRowOut(r.row, r.status, r.completion_id, [EarnedCertificateOut(*c) for c in r.certificates])
            for r in found
        ]
        return JobRowsOut(items, items[-1].row if len(items) == limit else None)

    @get("/{job_id:uuid}/output", summary="A finished job's output file")
    async def output(
        self, job_id: uuid.UUID, db_session: DbSession, institution_id: OwnInstitution, runtime: Shared
    ) -> Stream:
        """What a finished job made (a course PDF), streamed as it is stored. 404 until the job has succeeded."""
        return await job_output(db_session, runtime, institution_id, job_id)


async def job_output(db_session: AsyncSession, runtime: Runtime, institution_id: int, job_id: uuid.UUID) -> Stream:
    """A succeeded job's output file as a download, streamed part by part (the API's and the portal's)."""
    job = await job_status(db_session, institution_id, job_id)
    if job.state != "succeeded" or job.output_file_id is None:
        raise NotFound("该任务尚无输出文件 / this job has no output (yet)")
    info = await file_info(db_session, institution_id, job.output_file_id)
    await db_session.rollback()

    async def parts() -> AsyncIterator[bytes]:
        async with runtime.sessionmaker() as session:  # the request's session is closed before the body is sent
            async for data in read_file(session, institution_id, info.id):
                yield data

    return Stream(
        parts(),
        media_type=info.media_type,
        headers={
            "Content-Length": str(info.size),
            "Content-Disposition": f'attachment; filename="{_ascii(info.filename)}"',
        },
    )


def _ascii(name: str) -> str:
    return "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name)
