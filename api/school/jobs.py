"""Long work in the portal, as jobs (docs/jobs.md): an upload too big to check or register while the clerk waits, and
a course PDF of many certificates. The clerk is sent to the job's page, `/school/jobs/{id}`, which shows a progress
bar (reloading itself every 2 s until the job ends) and then the result, the errors, or the PDF to download.

    an upload above LEDGER_ASYNC_IMPORT_BYTES, or of more than LEDGER_MAX_BATCH_ROWS rows:
        GET /school/uploads/{file}  -> a dry-run import job of the kept file -> 303 /school/jobs/{dry run}
        POST …/confirm              -> the import job of the same kept file  -> 303 /school/jobs/{import}
    a course of more than LEDGER_COURSE_PDF_JOB_CERTIFICATES valid certificates:
        GET /school/courses/{code}/certificates.pdf -> its course_pdf job (the one still running, if any) -> 303
        /school/jobs/{id}, then /school/jobs/{id}/output
"""

from __future__ import annotations

import uuid
from contextlib import suppress
from typing import Annotated

from litestar import Controller, Response, get
from litestar.params import Parameter
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import DbSession, OwnInstitution, Runtime, Shared
from api.jobs.controllers import job_output
from api.jobs.course_pdf import COURSE_PDF, submit_course_pdf
from api.school import pages
from api.school.job_pages import JOB, job_context
from api.school.portal import signed_in_school
from api.school.upload_pages import issued_lines
from api.sessions import html, see
from ledger.certificates import reads
from ledger.errors import NotFound
from ledger.jobs.files import FileInfo, file_info
from ledger.jobs.imports import submit_import
from ledger.jobs.service import job_status, latest_import_of_file, registered_rows, waiting_job
from ledger.tenancy.service import Principal

After = Annotated[int, Parameter(ge=0, le=2**31 - 1)]


def href(job_id: uuid.UUID) -> str:
    return f"/school/jobs/{job_id}"


def too_big_to_wait(info: FileInfo, runtime: Runtime) -> bool:
    """Whether an upload is checked and registered by a job, by its size (as the API decides for a body)."""
    return info.size > min(runtime.settings.async_import_bytes, runtime.settings.max_body_bytes)


async def import_job(
    session: AsyncSession, principal: Principal, institution_id: int, file_id: uuid.UUID, *, dry_run: bool
) -> Response:
    """The import job (or dry run) of a kept upload: the one already made for it, else a new one; its page."""
    found = await latest_import_of_file(session, institution_id, file_id, dry_run=dry_run)
    if found is not None and (dry_run or found.state != "failed"):  # a failed import may be confirmed again
        return see(href(found.id))
    job_id = await submit_import(session, institution_id, file_id, api_key_id=principal.key_id, dry_run=dry_run)
    await session.commit()
    return see(href(job_id))


async def course_pdf_job(
    session: AsyncSession, principal: Principal, institution_id: int, code: str, count: int
) -> Response:
    """The course's PDF job still queued or running, else a new one; its page."""
    job_id = await waiting_job(session, institution_id, COURSE_PDF, {"course_code": code})
    if job_id is None:
        job_id = await submit_course_pdf(session, institution_id, code, count, principal.key_id)
        await session.commit()
    return see(href(job_id))


class SchoolJobController(Controller):
    path = "/jobs"
    guards = [signed_in_school]

    @get("/{job_id:uuid}")
    async def read(
        self, job_id: uuid.UUID, db_session: DbSession, institution_id: OwnInstitution, after: After = 0
    ) -> Response:
        """The job's state and progress; once it ended, what it registered (a page of rows at a time, each with
        its certificates) or made, or why it failed and what had been committed."""
        job = await job_status(db_session, institution_id, job_id)
        filename, file_kept = None, False
        if job.input_file_id is not None:
            with suppress(NotFound):  # expired since
                filename, file_kept = (await file_info(db_session, institution_id, job.input_file_id)).filename, True
        lines, next_after = [], None
        if job.kind == "import" and job.done:
            found = await registered_rows(db_session, institution_id, job_id, after, pages.PAGE_SIZE)
            numbers = [c[0] for row in found for c in row.certificates]
            own = {c.number: c for c in await reads.own_certificates(db_session, institution_id, numbers)}
            lines = issued_lines(found, own)
            next_after = found[-1].row if len(found) == pages.PAGE_SIZE else None
        can_confirm = bool(job.params.get("dry_run")) and job.state == "succeeded" and file_kept
        school = await pages.institution_of(db_session, institution_id)
        context = job_context(school, job, filename, lines, after=after, next_after=next_after, can_confirm=can_confirm)
        return html(JOB, context)

    @get("/{job_id:uuid}/output")
    async def output(
        self, job_id: uuid.UUID, db_session: DbSession, institution_id: OwnInstitution, runtime: Shared
    ) -> Stream:
        """What the job made (a course's PDF), once it succeeded."""
        return await job_output(db_session, runtime, institution_id, job_id)
