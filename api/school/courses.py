"""The portal's courses: the list, a new course, and a course's page with its certificates and downloads."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Stream

from api.certificates.bundles import course_zip
from api.certificates.pdfs import course_pdf
from api.deps import Caller, DbSession, OwnInstitution, Shared
from api.school import pages
from api.school.course_form import field_errors, read_course_form
from api.school.jobs import course_pdf_job
from api.school.portal import signed_in_school
from api.sessions import html, see
from ledger.certificates import reads
from ledger.certificates.repository import occupation_names
from ledger.database.constraints import named_violations
from ledger.errors import LedgerError, NotFound
from ledger.registration.courses import course_by_code, create_course, list_courses

Page = Annotated[int, Parameter(ge=1, le=10**6)]
Status = Annotated[Literal["valid", "suspended", "revoked", "superseded"] | None, Parameter()]


async def _form(db_session: DbSession, school: pages.School, form: pages.CourseForm, status: int = 200) -> Response:
    return html(pages.NEW_COURSE, pages.new_course_context(school, form), status)


async def _occupations(db_session: DbSession) -> list[tuple[str, str]]:
    return sorted((await occupation_names(db_session)).items())


class SchoolCourseController(Controller):
    path = "/courses"
    guards = [signed_in_school]

    @get("/")
    async def index(self, db_session: DbSession, institution_id: OwnInstitution, page: Page = 1) -> Response:
        school = await pages.institution_of(db_session, institution_id)
        found = await list_courses(db_session, institution_id, pages.PAGE_SIZE + 1, (page - 1) * pages.PAGE_SIZE)
        more = len(found) > pages.PAGE_SIZE
        pager = pages.Pager(page, page + 1 if more else page, 0, "/school/courses")
        return html(pages.COURSES, pages.courses_context(school, found[: pages.PAGE_SIZE], pager))

    @get("/new")
    async def new(self, db_session: DbSession, institution_id: OwnInstitution) -> Response:
        school = await pages.institution_of(db_session, institution_id)
        defaults = {"outcome": "skill_level" if school.evaluator else "training", "dual_rule": "none"}
        return await _form(db_session, school, pages.course_form(defaults, {}, await _occupations(db_session)))

    @post("/", status_code=303)
    async def create(self, request: Request, db_session: DbSession, institution_id: OwnInstitution) -> Response:
        """Create the course the form describes, or show the form again with each refused field's reason."""
        form = await request.form()
        data, shown, errors = read_course_form(
            {k: v for k, v in form.items() if isinstance(v, str)}, form.getall("mode_tags", [])
        )
        problem = None
        if data is not None:
            try:
                with named_violations():
                    await create_course(db_session, institution_id, data)
                    await db_session.commit()
                return see(f"/school/courses/{data.code}")
            except LedgerError as exc:
                await db_session.rollback()
                errors, others = field_errors(exc.errors)
                problem = "；".join(others) or (None if errors else "课程未能创建，请检查后重试。")
        school = await pages.institution_of(db_session, institution_id)
        occupations = await _occupations(db_session)
        return await _form(db_session, school, pages.course_form(shown, errors, occupations, problem), 422)

    @get("/{code:str}")
    async def read(
        self,
        code: str,
        db_session: DbSession,
        institution_id: OwnInstitution,
        page: Page = 1,
        status: Status = None,
    ) -> Response:
        """The course and its certificates, a page at a time (optionally only those of one status)."""
        school = await pages.institution_of(db_session, institution_id)
        course = await course_by_code(db_session, institution_id, code)
        _, total = await reads.list_certificates(db_session, institution_id, code, status, 0, 0)
        params = {"status": status} if status else {}
        pager = pages.pager(page, total, f"/school/courses/{code}", **params)
        found, _ = await reads.list_certificates(
            db_session, institution_id, code, status, pages.PAGE_SIZE, (pager.page - 1) * pages.PAGE_SIZE
        )
        return html(pages.COURSE, pages.course_context(school, course, found, pager, status))

    @get("/{code:str}/certificates.pdf")  # the PDF, or a redirect to its job
    async def course_pdf(
        self, code: str, db_session: DbSession, institution_id: OwnInstitution, runtime: Shared, principal: Caller
    ) -> Response:
        """Every valid certificate of the course in one PDF (as `GET /api/v1/courses/{code}/certificates.pdf`);
        above LEDGER_COURSE_PDF_JOB_CERTIFICATES made by a job, whose page (progress, then the download) this
        leads to."""
        count = await reads.course_certificate_count(db_session, institution_id, code)
        if not count:
            raise NotFound(f"no certificates for course {code!r}")
        if count > runtime.settings.course_pdf_job_certificates:
            return await course_pdf_job(db_session, principal, institution_id, code, count)
        found = await reads.course_certificates(db_session, institution_id, code)
        pdf = await course_pdf(found, runtime.pdf_signer)
        disposition = f'attachment; filename="{code}.pdf"'
        return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": disposition})

    @get("/{code:str}/certificates.zip", media_type="application/zip")
    async def course_zip(
        self, code: str, db_session: DbSession, institution_id: OwnInstitution, runtime: Shared
    ) -> Stream:
        return await course_zip(db_session, runtime.sessionmaker, runtime.pdf_signer, institution_id, code)
