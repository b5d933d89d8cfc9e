"""Courses of the calling institution."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody, Parameter

from api.deps import Caller, DbSession, OwnInstitution
from api.guards import institution_key
from api.idempotency import run_write
from api.openapi.hints import IDEMPOTENT
from api.schemas import CourseList, CourseOut
from ledger.commands import CourseIn
from ledger.registration.courses import course_by_code, create_course, list_courses


class CourseController(Controller):
    path = "/api/v1/courses"
    tags = ["institution"]
    guards = [institution_key]

    @post("/", summary="Register a course (课程)", status_code=201, opt=IDEMPOTENT)
    async def create(
        self,
        request: Request,
        data: JSONBody[CourseIn],
        db_session: DbSession,
        principal: Caller,
        institution_id: OwnInstitution,
    ) -> Response[CourseOut]:
        """Register a course: occupation, target level, outcome, dual-certificate rule, mode tags, hours, dates."""

        async def work() -> CourseOut:
            return CourseOut.of(await create_course(db_session, institution_id, data))

        return await run_write(request, db_session, principal, work)

    @get("/", summary="List the institution's courses")
    async def index(
        self,
        db_session: DbSession,
        institution_id: OwnInstitution,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
        offset: Annotated[int, Parameter(ge=0, le=10**9)] = 0,
    ) -> CourseList:
        """The institution's courses, a page at a time (`limit`, `offset`)."""
        courses = await list_courses(db_session, institution_id, limit, offset)
        return CourseList(items=[CourseOut.of(c) for c in courses], limit=limit, offset=offset)

    @get("/{code:str}", summary="Read a course")
    async def read(self, code: str, db_session: DbSession, institution_id: OwnInstitution) -> CourseOut:
        """One of the institution's courses by its code."""
        return CourseOut.of(await course_by_code(db_session, institution_id, code))
