"""What an institution may read of its own certificates and dual awards."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.certificates.tables import Certificate, DualAward
from ledger.errors import NotFound
from ledger.registration.tables import Completion, Course


async def list_certificates(
    session: AsyncSession,
    institution_id: int,
    course_code: str | None,
    status: str | None,
    limit: int,
    offset: int,
    trainee_id: uuid.UUID | None = None,
    after_id: int | None = None,
) -> tuple[list[Certificate], int]:
    """One page of the institution's certificates (by id), and how many match in all. `after_id` pages by key
    (the page after that certificate, as fast at the millionth row as at the first); `offset` counts from it."""
    query = select(Certificate).where(Certificate.institution_id == institution_id)
    if course_code is not None:
        query = query.join(Course, Course.id == Certificate.course_id).where(Course.code == course_code)
    if status is not None:
        query = query.where(Certificate.status == status)
    if trainee_id is not None:
        query = query.join(Completion, Completion.id == Certificate.completion_id).where(
            Completion.trainee_id == trainee_id
        )
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    if after_id is not None:
        query = query.where(Certificate.id > after_id)
    result = await session.execute(query.order_by(Certificate.id).limit(limit).offset(offset))
    return list(result.scalars()), int(total or 0)


async def course_certificate_count(session: AsyncSession, institution_id: int, course_code: str) -> int:
    """How many certificates `course_certificates` would give."""
    result = await session.execute(
        select(func.count())
        .select_from(Certificate)
        .join(Course, Course.id == Certificate.course_id)
        .where(Course.institution_id == institution_id, Course.code == course_code, Certificate.status == "valid")
    )
    return result.scalar_one()


async def course_certificates(session: AsyncSession, institution_id: int, course_code: str) -> list[Certificate]:
    """Every valid certificate of a course, for printing (revoked, suspended and superseded ones are left out)."""
    result = await session.execute(
        select(Certificate)
        .join(Course, Course.id == Certificate.course_id)
        .where(Course.institution_id == institution_id, Course.code == course_code, Certificate.status == "valid")
        .order_by(Certificate.number)
    )
    return list(result.scalars())


@dataclass(frozen=True, slots=True)
class AwardView:
    id: uuid.UUID
    rule: str
    complete: bool
    companion: Certificate
    skill: Certificate


async def _current(session: AsyncSession, certificate: Certificate) -> Certificate:
    """Follow reissues to the certificate that stands today."""
    while certificate.superseded_by_id is not None:
        successor = await session.get(Certificate, certificate.superseded_by_id)
        assert successor is not None
        certificate = successor
    return certificate


async def award_view(session: AsyncSession, institution_id: int, award_id: uuid.UUID) -> AwardView:
    award = (
        await session.execute(
            select(DualAward)
            .join(Completion, Completion.id == DualAward.completion_id)
            .join(Course, Course.id == Completion.course_id)
            .where(DualAward.id == award_id, Course.institution_id == institution_id)
        )
    ).scalar_one_or_none()
    if award is None:
        raise NotFound("no such award")
    companion = await session.get(Certificate, award.companion_certificate_id)
    skill = await session.get(Certificate, award.skill_certificate_id)
    assert companion is not None and skill is not None
    companion, skill = await _current(session, companion), await _current(session, skill)
    return AwardView(award.id, award.rule, companion.status == skill.status == "valid", companion, skill)


async def award_of_certificate(session: AsyncSession, certificate: Certificate) -> uuid.UUID | None:
    original = certificate
    while original.supersedes_id is not None:
        previous = await session.get(Certificate, original.supersedes_id)
        assert previous is not None
        original = previous
    result = await session.execute(
        select(DualAward.id).where(
            (DualAward.companion_certificate_id == original.id) | (DualAward.skill_certificate_id == original.id)
        )
    )
    return result.scalar_one_or_none()


async def awards_of_certificates(session: AsyncSession, certificates: list[Certificate]) -> dict[int, uuid.UUID]:
    """The dual award of each listed certificate (a reissued one through its predecessor), in one query."""
    original = {c.id: c.supersedes_id or c.id for c in certificates}
    if not original:
        return {}
    wanted = list(set(original.values()))
    rows = await session.execute(
        select(DualAward.id, DualAward.companion_certificate_id, DualAward.skill_certificate_id).where(
            DualAward.companion_certificate_id.in_(wanted) | DualAward.skill_certificate_id.in_(wanted)
        )
    )
    by_certificate: dict[int, uuid.UUID] = {}
    for award_id, companion, skill in rows:
        by_certificate[companion] = by_certificate[skill] = award_id
    return {cid: by_certificate[orig] for cid, orig in original.items() if orig in by_certificate}


async def own_certificates(session: AsyncSession, institution_id: int, numbers: list[str]) -> list[Certificate]:
    """The institution's certificates among `numbers`, in the order of `numbers` (unknown ones left out)."""
    result = await session.execute(
        select(Certificate).where(Certificate.institution_id == institution_id, Certificate.number.in_(numbers))
    )
    found = {c.number: c for c in result.scalars()}
    return [found[n] for n in numbers if n in found]
