"""What an institution may see of its own trainees: masked ID, never another institution's records."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.errors import NotFound
from ledger.people.tables import Person
from ledger.registration.tables import Completion, Course, Trainee


@dataclass(frozen=True, slots=True)
class TraineeView:
    id: uuid.UUID
    name: str
    id_number_masked: str
    sex: str
    birth_date: dt.date
    domicile_region: str | None
    completions: list[tuple[str, dt.date, bool, int | None]]  # course code, completed on, passed, level


async def trainee_view(session: AsyncSession, institution_id: int, trainee_id: uuid.UUID) -> TraineeView:
    row = (
        await session.execute(
            select(Trainee, Person.id_masked, Person.sex, Person.birth_date)
            .join(Person, Person.id == Trainee.person_id)
            .where(Trainee.id == trainee_id, Trainee.institution_id == institution_id)
        )
    ).first()
    if row is None:
        raise NotFound("no such trainee")
    trainee, masked, sex, birth_date = row
    completions = await session.execute(
        select(Course.code, Completion.completed_on, Completion.passed, Completion.assessment_level)
        .join(Course, Course.id == Completion.course_id)
        .where(Completion.trainee_id == trainee.id)
        .order_by(Completion.completed_on, Course.code)
    )
    return TraineeView(
        id=trainee.id,
        name=trainee.name,
        id_number_masked=masked,
        sex=sex,
        birth_date=birth_date,
        domicile_region=trainee.domicile_region_code,
        completions=[(c[0], c[1], c[2], c[3]) for c in completions],
    )
