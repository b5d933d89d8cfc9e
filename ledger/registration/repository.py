"""SQL for registering completions in bulk (set-based: unnest inserts with ON CONFLICT)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.certificates.issuance import Issuer
from ledger.database.bulk import columns_of, insert_rows
from ledger.database.driver import driver
from ledger.reference.tables import Occupation, Region
from ledger.registration.tables import Course
from ledger.tenancy.tables import EvaluatorFiling, Institution


@dataclass(frozen=True, slots=True)
class CourseRef:
    id: int
    code: str
    starts_on: dt.date
    ends_on: dt.date
    outcome: str
    dual_rule: str
    target_level: int | None
    occupation_code: str
    name: str
    hours: int
    work_type: str
    occupation_name: str


@dataclass(frozen=True, slots=True)
class PersonRow:
    id_lookup: bytes
    id_sealed: bytes
    id_masked: str
    name: str
    name_key: str
    sex: str
    birth_date: dt.date


@dataclass(frozen=True, slots=True)
class TraineeRow:
    person_id: int
    name: str
    phone_sealed: bytes | None
    domicile_region_code: str | None


@dataclass(frozen=True, slots=True)
class CompletionRow:
    course_id: int
    trainee_id: uuid.UUID
    completed_on: dt.date
    hours: int
    passed: bool
    assessment_level: int | None
    theory_score: Decimal | None
    practical_score: Decimal | None
    assessed_on: dt.date | None
    graduation_number: str | None

    def content(self) -> dict[str, object]:
        """What this completion's ledger commitment covers (also how re-registrations are compared)."""
        return completion_content(
            course_id=self.course_id,
            trainee_id=self.trainee_id,
            completed_on=self.completed_on,
            hours=self.hours,
            passed=self.passed,
            assessment_level=self.assessment_level,
            theory_score=self.theory_score,
            practical_score=self.practical_score,
            assessed_on=self.assessed_on,
            graduation_number=self.graduation_number,
        )


def completion_content(
    *,
    course_id: int,
    trainee_id: uuid.UUID,
    completed_on: dt.date,
    hours: int,
    passed: bool,
    assessment_level: int | None,
    theory_score: Decimal | None,
    practical_score: Decimal | None,
    assessed_on: dt.date | None,
    graduation_number: str | None,
    **_other_columns: object,
) -> dict[str, object]:
    """The canonical content of a completion row (by column name): version 1 of the completion record's content,
    which the ledger commits to and `ledger audit` recomputes, and by which re-registrations are compared. A stored
    commitment format: never change it; register a version 2 (ledger/log/records.py) instead."""
    return {
        "course_id": course_id,
        "trainee_id": str(trainee_id),
        "completed_on": completed_on.isoformat(),
        "hours": hours,
        "passed": passed,
        "assessment_level": assessment_level,
        "theory_score": None if theory_score is None else f"{theory_score:.2f}",
        "practical_score": None if practical_score is None else f"{practical_score:.2f}",
        "assessed_on": None if assessed_on is None else assessed_on.isoformat(),
        "graduation_number": graduation_number,
    }


@dataclass(frozen=True, slots=True)
class ExistingCompletion(CompletionRow):
    id: int = 0


@dataclass(frozen=True, slots=True)
class _CompletionKey:
    course_id: int
    trainee_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class _NewTrainee:
    id: uuid.UUID
    person_id: int
    name: str
    phone_sealed: bytes | None
    domicile_region_code: str | None


async def courses_by_code(session: AsyncSession, institution_id: int, codes: Iterable[str]) -> dict[str, CourseRef]:
    result = await session.execute(
        select(
            Course.id,
            Course.code,
            Course.starts_on,
            Course.ends_on,
            Course.outcome,
            Course.dual_rule,
            Course.target_level,
            Course.occupation_code,
            Course.name,
            Course.hours,
            Course.work_type,
            Occupation.name.label("occupation_name"),
        )
        .join(Occupation, Occupation.code == Course.occupation_code)
        .where(Course.institution_id == institution_id, Course.code.in_(list(codes)))
    )
    return {row.code: CourseRef(**row._mapping) for row in result}


async def issuer(session: AsyncSession, institution_id: int) -> tuple[Issuer, set[tuple[str, int]]]:
    """The institution as a certificate issuer, with the (occupation, level) pairs it is filed to assess."""
    institution = await session.get(Institution, institution_id)
    assert institution is not None
    filings = await session.execute(
        select(EvaluatorFiling.occupation_code, EvaluatorFiling.level).where(
            EvaluatorFiling.institution_id == institution_id
        )
    )
    found = Issuer(
        id=institution.id,
        code=institution.code,
        name=institution.name,
        region_code=institution.region_code,
        evaluator_category=institution.evaluator_category,
        filing_code=institution.filing_code,
        site_code=institution.site_code,
    )
    return found, {(r.occupation_code, r.level) for r in filings}


async def known_regions(session: AsyncSession, codes: set[str]) -> set[str]:
    """Of `codes`, those that are Xinjiang regions (province 65) in the reference table."""
    if not codes:
        return set()
    result = await session.execute(select(Region.code).where(Region.code.in_(codes), Region.code.like("65%")))
    return set(result.scalars())


async def upsert_persons(session: AsyncSession, rows: list[PersonRow]) -> dict[bytes, int]:
    """Insert unknown persons, keep known ones as they are; return person ids by ID lookup hash."""
    unique = sorted({r.id_lookup: r for r in rows}.values(), key=lambda r: r.id_lookup)
    conn = await driver(session)
    await insert_rows(conn, "persons", unique, on_conflict="ON CONFLICT (id_lookup) DO NOTHING")
    found = await conn.fetch(
        "SELECT id, id_lookup FROM persons WHERE id_lookup = ANY($1::bytea[])", [r.id_lookup for r in unique]
    )
    return {bytes(r["id_lookup"]): r["id"] for r in found}


async def upsert_trainees(
    session: AsyncSession, institution_id: int, rows: list[TraineeRow]
) -> tuple[dict[int, uuid.UUID], set[int]]:
    """One trainee per (institution, person); a later registration refreshes name, phone and domicile.

    Returns the trainee id of each person, and the persons whose recorded domicile changed."""
    unique = sorted({r.person_id: r for r in rows}.values(), key=lambda r: r.person_id)
    conn = await driver(session)
    before = await conn.fetch(
        "SELECT person_id, domicile_region_code FROM trainees "
        "WHERE institution_id = $1 AND person_id = ANY($2::bigint[])",
        institution_id,
        [r.person_id for r in unique if r.domicile_region_code is not None],
    )
    old = {r["person_id"]: r["domicile_region_code"] for r in before}
    moved = {
        r.person_id
        for r in unique
        if r.person_id in old and r.domicile_region_code is not None and old[r.person_id] != r.domicile_region_code
    }
    found = await insert_rows(
        conn,
        "trainees",
        [_NewTrainee(uuid.uuid4(), r.person_id, r.name, r.phone_sealed, r.domicile_region_code) for r in unique],
        constants={"institution_id": institution_id},
        on_conflict="""ON CONFLICT (institution_id, person_id) DO UPDATE SET
            name = EXCLUDED.name,
            phone_sealed = COALESCE(EXCLUDED.phone_sealed, trainees.phone_sealed),
            domicile_region_code = COALESCE(EXCLUDED.domicile_region_code, trainees.domicile_region_code)""",
        returning="RETURNING id, person_id",
    )
    return {r["person_id"]: r["id"] for r in found}, moved


async def insert_completions(
    session: AsyncSession, rows: list[CompletionRow]
) -> tuple[dict[tuple[int, uuid.UUID], int], dict[tuple[int, uuid.UUID], ExistingCompletion]]:
    """Insert the completions not yet registered. Returns (created ids, existing rows) keyed by (course, trainee)."""
    rows = sorted(rows, key=lambda r: (r.course_id, r.trainee_id))
    conn = await driver(session)
    inserted = await insert_rows(
        conn,
        "completions",
        rows,
        on_conflict="ON CONFLICT (course_id, trainee_id) DO NOTHING",
        returning="RETURNING id, course_id, trainee_id",
    )
    created = {(r["course_id"], r["trainee_id"]): r["id"] for r in inserted}
    missing = [r for r in rows if (r.course_id, r.trainee_id) not in created]
    existing: dict[tuple[int, uuid.UUID], ExistingCompletion] = {}
    if missing:
        keys = columns_of(_CompletionKey)
        found = await conn.fetch(
            f"SELECT {', '.join('c.' + name for name in columns_of(ExistingCompletion).names)} FROM completions c "  # noqa: S608
            f"JOIN {keys.source(alias='k')} USING (course_id, trainee_id)",
            *keys.arrays(missing),
        )
        for r in found:
            existing[(r["course_id"], r["trainee_id"])] = ExistingCompletion(**dict(r))
    return created, existing


async def graduation_numbers(
    session: AsyncSession, institution_id: int, numbers: set[str]
) -> dict[str, tuple[int, bytes]]:
    """Which of `numbers` the institution has recorded, with the (course, person lookup hash) they belong to."""
    conn = await driver(session)
    rows = await conn.fetch(
        """
        SELECT c.number, c.course_id, p.id_lookup FROM certificates c JOIN persons p ON p.id = c.person_id
        WHERE c.institution_id = $1 AND c.kind = 'graduation' AND c.number = ANY($2::varchar[])
        """,
        institution_id,
        list(numbers),
    )
    return {r["number"]: (r["course_id"], bytes(r["id_lookup"])) for r in rows}


async def certificates_of_completions(
    session: AsyncSession, completion_ids: list[int]
) -> list[tuple[int, str, str, str]]:
    """(completion, number, kind, verification code) of the current certificates of these completions (a reissued
    one by its successor), in number order."""
    if not completion_ids:
        return []
    rows = await (await driver(session)).fetch(
        "SELECT completion_id, number, kind, verification_code FROM certificates"
        " WHERE completion_id = ANY($1::bigint[]) AND status <> 'superseded' ORDER BY completion_id, number",
        completion_ids,
    )
    return [(r["completion_id"], r["number"], r["kind"], r["verification_code"]) for r in rows]
