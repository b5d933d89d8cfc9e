"""Courses an institution runs: occupation, target level, outcome and dual-certificate rule."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.commands import CourseIn
from ledger.database.constraints import named_violations
from ledger.database.loaders import table_loader
from ledger.errors import ErrorCollector, InvalidInput, NotFound
from ledger.journal import Journal
from ledger.log.records import RecordType, Row, register
from ledger.people.identity import mask_personal_numbers
from ledger.reference.tables import Occupation
from ledger.registration.tables import Course
from ledger.tenancy.tables import EvaluatorFiling, Institution

# Certificate numbers carry a two-digit year of the 2000s; older history is imported as legacy records.
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2099, 12, 31)


def _course_v1(row: Row) -> dict[str, object]:
    return {
        "institution_id": row["institution_id"],
        "code": row["code"],
        "name": row["name"],
        "occupation_code": row["occupation_code"],
        "catalogue_version": row["catalogue_version"],
        "work_type": row["work_type"],
        "target_level": row["target_level"],
        "outcome": row["outcome"],
        "dual_rule": row["dual_rule"],
        "mode_tags": sorted(row["mode_tags"]),
        "hours": row["hours"],
        "starts_on": row["starts_on"].isoformat(),
        "ends_on": row["ends_on"].isoformat(),
    }


COURSE = register(RecordType("course", {1: _course_v1}, table_loader("courses")))


async def _check_can_certify(
    session: AsyncSession, institution_id: int, data: CourseIn, errors: ErrorCollector
) -> None:
    """A certificate course must be one its institution can ever issue: an evaluator (评价机构备案), and for a
    职业技能等级证书 one filed for the course's occupation at its target level."""
    institution = await session.get(Institution, institution_id)
    assert institution is not None
    if institution.evaluator_category is None:
        errors.add(
            "outcome",
            "not_an_evaluator",
            "本机构不是备案的评价机构，不能开设发证课程；请改为培训课程（outcome=training）"
            " / this institution is not a filed evaluator: it cannot run a certificate course",
        )
        return
    if data.outcome != "skill_level":
        return
    filed = await session.scalar(
        select(EvaluatorFiling.level).where(
            EvaluatorFiling.institution_id == institution_id,
            EvaluatorFiling.occupation_code == data.occupation_code,
            EvaluatorFiling.level == data.target_level,
        )
    )
    if filed is None:
        errors.add(
            "target_level",
            "not_filed",
            f"本机构未就职业 {data.occupation_code} 的 {data.target_level} 级备案，不能颁发该等级证书"
            f" / this institution is not filed to assess {data.occupation_code} at level {data.target_level}",
        )


async def create_course(session: AsyncSession, institution_id: int, data: CourseIn) -> Course:
    errors = ErrorCollector()
    occupation = await session.get(Occupation, data.occupation_code)
    if occupation is None:
        errors.add("occupation_code", "unknown_occupation", "not in the occupation catalogue (大典 2022)")
    for name, day in (("starts_on", data.starts_on), ("ends_on", data.ends_on)):
        if not FIRST_DAY <= day <= LAST_DAY:
            errors.add(name, "out_of_range", f"dates are between {FIRST_DAY} and {LAST_DAY}")
    if data.ends_on < data.starts_on:
        errors.add("ends_on", "before_start", "the course ends before it starts")
    if not 0 < data.hours <= 10_000:
        errors.add("hours", "out_of_range", "hours are between 1 and 10000")
    if data.outcome == "training":
        if data.target_level is not None:
            errors.add("target_level", "not_allowed", "a training-only course has no target level")
        if data.dual_rule != "none":
            errors.add("dual_rule", "not_allowed", "a dual-certificate course must award a skill certificate")
    elif data.target_level is None:
        errors.add("target_level", "required", "a certificate course names its target level (1-5)")
    elif not 1 <= data.target_level <= 5:
        errors.add("target_level", "invalid_level", "skill levels are 1 (highest) to 5")
    if len(set(data.mode_tags)) != len(data.mode_tags):
        errors.add("mode_tags", "duplicate", "a mode tag is given twice")
    if data.outcome in ("skill_level", "special_ability") and data.target_level is not None:
        await _check_can_certify(session, institution_id, data, errors)
    if errors:
        raise InvalidInput("the course is invalid", errors=errors.errors)
    assert occupation is not None
    course = Course(
        institution_id=institution_id,
        code=data.code,
        name=data.name.strip(),
        occupation_code=occupation.code,
        catalogue_version=occupation.catalogue_version,
        work_type=data.work_type.strip(),
        target_level=data.target_level,
        outcome=data.outcome,
        dual_rule=data.dual_rule,
        mode_tags=list(data.mode_tags),
        hours=data.hours,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
    )
    session.add(course)
    with named_violations():
        async with session.begin_nested():
            await session.flush()
    journal = Journal(session)
    journal.record("course.created", COURSE, course.id, refs={"institution": str(institution_id), "code": course.code})
    await journal.write()
    return course


async def list_courses(session: AsyncSession, institution_id: int, limit: int, offset: int) -> list[Course]:
    result = await session.execute(
        select(Course).where(Course.institution_id == institution_id).order_by(Course.id).limit(limit).offset(offset)
    )
    return list(result.scalars())


async def course_by_code(session: AsyncSession, institution_id: int, code: str) -> Course:
    result = await session.execute(select(Course).where(Course.institution_id == institution_id, Course.code == code))
    course = result.scalar_one_or_none()
    if course is None:
        raise NotFound(f"no course {mask_personal_numbers(code)!r}")
    return course
