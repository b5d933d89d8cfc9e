"""Registering completions: one row or 10,000, validated as a whole, written all together or not at all."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from ledger import clock, cpu
from ledger.certificates import issuance
from ledger.certificates.issuance import CertificateOrder, Issuer, QrSigner
from ledger.commands import CompletionIn, refuse_bidi_controls
from ledger.database.loaders import table_loader
from ledger.errors import Conflict, ErrorCollector, InvalidInput
from ledger.journal import Journal
from ledger.log.records import RecordType, register
from ledger.people.identity import IdNumberError, id_facts, mask_id, mask_personal_numbers, normalize_id_number
from ledger.people.names import NameError_, name_match_key, normalize_name
from ledger.people.pii import PiiVault
from ledger.registration import repository as store

_GENDERS = {"M": "M", "F": "F", "男": "M", "女": "F", "MALE": "M", "FEMALE": "F"}
MAX_HOURS = 10_000

COMPLETION = register(
    RecordType("completion", {1: lambda row: store.completion_content(**dict(row))}, table_loader("completions"))
)


@dataclass(frozen=True, slots=True)
class RowOutcome:
    row: int
    status: str  # created | unchanged | valid (dry run)
    completion_id: int | None
    trainee_id: uuid.UUID | None
    ledger_index: int | None = None
    certificates: tuple[EarnedCertificate, ...] = ()


@dataclass(frozen=True, slots=True)
class EarnedCertificate:
    """A certificate a registered row earned, as the school needs it back: what to print and how it is checked."""

    number: str
    kind: str
    verification_code: str


@dataclass(slots=True)
class _Row:
    """One input row after validation: canonical values ready to write."""

    index: int
    course: store.CourseRef
    id_number: str
    id_lookup: bytes
    name: str
    sex: str
    birth_date: dt.date
    domicile: str | None
    phone: str | None
    item: CompletionIn
    theory: Decimal | None
    practical: Decimal | None


async def _awards(
    new_rows: list[tuple[_Row, store.CompletionRow]],
    created: dict[tuple[int, uuid.UUID], int],
    issued: list[issuance.Issued],
) -> list[tuple[int, str, int, int]]:
    """(completion, rule, companion certificate, skill certificate) for each dual course completion."""
    by_completion: dict[int, dict[str, int]] = {}
    for i, certificate in enumerate(issued):
        await cpu.breathe(i)
        by_completion.setdefault(certificate.completion_id, {})[certificate.kind] = certificate.id
    awards = []
    for i, (r, row) in enumerate(new_rows):
        await cpu.breathe(i)
        rule = r.course.dual_rule
        certificates = by_completion.get(created[(row.course_id, row.trainee_id)], {})
        companion = certificates.get("training" if rule == "training_skill" else "graduation")
        skill = certificates.get("skill_level") or certificates.get("special_ability")
        if rule != "none" and companion is not None and skill is not None:
            awards.append((created[(row.course_id, row.trainee_id)], rule, companion, skill))
    return awards


def _score(value: float | None, field: str, row: int, errors: ErrorCollector) -> Decimal | None:
    if value is None:
        return None
    if not 0 <= value <= 100:
        errors.add(field, "out_of_range", "scores are between 0 and 100", row)
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"))


@cpu.collector_paused_during
async def register_completions(
    session: AsyncSession,
    vault: PiiVault,
    institution_id: int,
    items: Sequence[CompletionIn],
    sign: QrSigner | None,
    public_base: str,
    *,
    dry_run: bool = False,
) -> list[RowOutcome]:
    """Validate every row, then write them all in the caller's transaction (which the caller commits).

    Raises InvalidInput naming every bad row and field, or Conflict when a row re-registers an existing
    completion with different content. Nothing is written in either case.
    """
    errors = ErrorCollector()
    issuer, filings = await store.issuer(session, institution_id)
    courses = await store.courses_by_code(session, institution_id, {item.course_code for item in items})
    regions = await store.known_regions(
        session, {i.trainee.domicile_region for i in items if i.trainee.domicile_region}
    )
    today = clock.today()
    rows: list[_Row] = []
    seen: dict[tuple[int, bytes], int] = {}
    for index, item in enumerate(items):
        await cpu.breathe(index)
        before = len(errors.errors)
        course = courses.get(item.course_code)
        if course is None:
            errors.add(
                "course_code",
                "unknown_course",
                f"no course {mask_personal_numbers(item.course_code)!r} at this institution",
                index,
            )
        id_number = ""
        try:
            id_number = normalize_id_number(item.trainee.id_number)
        except IdNumberError as exc:
            errors.add("trainee.id_number", exc.code, str(exc), index)
        name = ""
        try:
            name = normalize_name(item.trainee.name)
        except NameError_ as exc:
            errors.add("trainee.name", exc.code, str(exc), index)
        facts = id_facts(id_number) if id_number else None
        if item.trainee.gender is not None and facts is not None:
            gender = _GENDERS.get(item.trainee.gender.strip().upper())
            if gender is None:
                errors.add("trainee.gender", "invalid", "gender is M or F (男/女)", index)
            elif gender != facts.sex:
                errors.add("trainee.gender", "gender_mismatch", "gender does not match the ID number", index)
        domicile = item.trainee.domicile_region
        if domicile is not None and domicile not in regions:
            errors.add("trainee.domicile_region", "unknown_region", "not a Xinjiang region code (GB/T 2260)", index)
        phone = item.trainee.phone.strip() if item.trainee.phone else None
        if phone is not None and not (phone.isascii() and phone.lstrip("+").isdigit() and 5 <= len(phone) <= 20):
            errors.add("trainee.phone", "invalid", "a phone number is 5 to 20 digits", index)
        if item.completed_on > today:
            errors.add("completed_on", "in_future", "the completion date is in the future", index)
        if course is not None and item.completed_on < course.starts_on:
            errors.add("completed_on", "before_course", f"the course starts on {course.starts_on}", index)
        if not 0 <= item.hours <= MAX_HOURS:
            errors.add("hours", "out_of_range", f"hours are between 0 and {MAX_HOURS}", index)
        theory = practical = None
        if item.assessment is not None:
            a = item.assessment
            if not 1 <= a.level <= 5:
                errors.add("assessment.level", "invalid_level", "skill levels are 1 (highest) to 5", index)
            if a.assessed_on is not None and a.assessed_on > today:
                errors.add("assessment.assessed_on", "in_future", "the assessment date is in the future", index)
            if a.assessed_on is not None and course is not None and a.assessed_on < course.starts_on:
                errors.add(
                    "assessment.assessed_on",
                    "before_course",
                    f"the course starts on {course.starts_on}",
                    index,
                )
            theory = _score(a.theory_score, "assessment.theory_score", index, errors)
            practical = _score(a.practical_score, "assessment.practical_score", index, errors)
        if course is not None and item.passed and course.outcome in ("skill_level", "special_ability"):
            _check_certifiable(course, item, issuer, filings, index, errors)
        errors.errors.extend(refuse_bidi_controls({"graduation_number": item.graduation_number}, index))
        if course is not None and course.dual_rule == "graduation_skill" and item.passed and not item.graduation_number:
            errors.add(
                "graduation_number",
                "required",
                "this 一考双证 course needs the graduation certificate number",
                index,
            )
        if len(errors.errors) > before or course is None or facts is None:
            continue
        lookup = vault.lookup_hash("id_number", id_number)
        first = seen.setdefault((course.id, lookup), index)
        if first != index:
            errors.add(
                "trainee.id_number",
                "duplicate_in_batch",
                f"the same trainee and course as row {first}",
                index,
            )
            continue
        rows.append(
            _Row(
                index,
                course,
                id_number,
                lookup,
                name,
                facts.sex,
                facts.birth_date,
                domicile,
                phone,
                item,
                theory,
                practical,
            )
        )
    await _check_graduation_numbers(session, institution_id, rows, errors)
    if errors:
        raise InvalidInput(f"{len({e.row for e in errors.errors})} row(s) are invalid", errors=errors.errors)
    if dry_run:
        return [RowOutcome(row=r.index, status="valid", completion_id=None, trainee_id=None) for r in rows]
    if sign is None:
        raise ValueError("registering completions needs a QR signer")
    return await _write(session, vault, issuer, rows, sign, public_base)


async def _check_graduation_numbers(
    session: AsyncSession, institution_id: int, rows: list[_Row], errors: ErrorCollector
) -> None:
    """A school's graduation numbers are unique: not twice in a batch, not one already recorded for another
    trainee or course (re-registering the same completion keeps its number)."""
    wanted = [
        r for r in rows if r.course.dual_rule == "graduation_skill" and r.item.passed and r.item.graduation_number
    ]
    if not wanted:
        return
    taken = await store.graduation_numbers(session, institution_id, {r.item.graduation_number or "" for r in wanted})
    first: dict[str, int] = {}
    for r in wanted:
        number = r.item.graduation_number or ""
        holder = taken.get(number)
        if holder is not None and holder != (r.course.id, r.id_lookup):
            errors.add("graduation_number", "taken", "this graduation certificate number is already recorded", r.index)
        elif first.setdefault(number, r.index) != r.index:
            errors.add("graduation_number", "duplicate_in_batch", f"the same number as row {first[number]}", r.index)


def _check_certifiable(
    course: store.CourseRef,
    item: CompletionIn,
    issuer: Issuer,
    filings: set[tuple[str, int]],
    index: int,
    errors: ErrorCollector,
) -> None:
    """A passing row of a certificate course must carry an assessment the institution may certify."""
    if item.assessment is None:
        errors.add("assessment", "required", "a passing row of a certificate course needs its assessment", index)
        return
    if issuer.evaluator_category is None:
        errors.add(
            "assessment.level", "not_an_evaluator", "this institution is not a filed evaluator (评价机构备案)", index
        )
    elif course.outcome == "skill_level" and (course.occupation_code, item.assessment.level) not in filings:
        errors.add(
            "assessment.level",
            "not_filed",
            f"this institution is not filed to assess {course.occupation_code} at level {item.assessment.level}",
            index,
        )


def _orders(
    r: _Row, completion_id: int, person_id: int, signed: Sequence[tuple[str, str]] = ()
) -> list[CertificateOrder]:
    """The certificates a passing completion earns: by the course's outcome, plus its dual companion; with their
    (verification code, QR URL) when `signed` holds them, in the same order."""
    course, item = r.course, r.item
    if not item.passed:
        return []
    codes = iter(signed)
    common = {
        "completion_id": completion_id,
        "course_id": course.id,
        "person_id": person_id,
        "holder_name": r.name,
        "id_masked": mask_id(r.id_number),
        "occupation_code": course.occupation_code,
        "occupation_name": course.occupation_name,
        "work_type": course.work_type,
        "course_name": course.name,
        "course_hours": course.hours,
        # 发证日期: the later of completion and assessment, so a certificate never predates what earned it
        "issued_on": max(item.completed_on, item.assessment.assessed_on or item.completed_on)
        if item.assessment
        else item.completed_on,
    }
    orders = []

    def order(kind: str, level: int | None, given_number: str | None = None) -> None:
        code, qr_text = next(codes, (None, None))
        orders.append(
            CertificateOrder(
                kind=kind,
                level=level,
                given_number=given_number,
                verification_code=code,
                qr_text=qr_text,
                **common,  # type: ignore[arg-type]
            )
        )

    if course.outcome in ("skill_level", "special_ability"):
        assert item.assessment is not None
        order(course.outcome, item.assessment.level if course.outcome == "skill_level" else None)
    if course.outcome == "training" or course.dual_rule == "training_skill":
        order("training", None)
    if course.dual_rule == "graduation_skill":
        order("graduation", None, item.graduation_number)
    return orders


async def _write(
    session: AsyncSession, vault: PiiVault, issuer: Issuer, rows: list[_Row], sign: QrSigner, public_base: str
) -> list[RowOutcome]:
    # The QR claims need no id from the database: the CPU pool signs them while the rows are written.
    ahead = await cpu.gently(lambda r: _orders(r, 0, 0), rows)
    signing = asyncio.ensure_future(issuance.signatures(issuer, [o for orders in ahead for o in orders], sign))
    try:
        return await _write_signing(session, vault, issuer, rows, [len(o) for o in ahead], signing, sign)
    finally:
        signing.cancel()  # a no-op once it is done; its failure, if the write failed first, is not reported twice
        signing.add_done_callback(lambda f: f.cancelled() or f.exception())


async def _write_signing(
    session: AsyncSession,
    vault: PiiVault,
    issuer: Issuer,
    rows: list[_Row],
    shape: list[int],
    signing: asyncio.Future[list[tuple[str, str]]],
    sign: QrSigner,
) -> list[RowOutcome]:
    """`_write` once the signing of each row's `shape[i]` certificates is under way."""
    institution_id = issuer.id
    person_ids = await store.upsert_persons(
        session,
        await cpu.gently(
            lambda r: store.PersonRow(
                id_lookup=r.id_lookup,
                id_sealed=vault.seal("id_number", r.id_number),
                id_masked=mask_id(r.id_number),
                name=r.name,
                name_key=name_match_key(r.name),
                sex=r.sex,
                birth_date=r.birth_date,
            ),
            rows,
        ),
    )
    trainee_ids, moved = await store.upsert_trainees(
        session,
        institution_id,
        await cpu.gently(
            lambda r: store.TraineeRow(
                person_id=person_ids[r.id_lookup],
                name=r.name,
                phone_sealed=vault.seal("phone", r.phone) if r.phone else None,
                domicile_region_code=r.domicile,
            ),
            rows,
        ),
    )
    wanted = await cpu.gently(
        lambda r: store.CompletionRow(
            course_id=r.course.id,
            trainee_id=trainee_ids[person_ids[r.id_lookup]],
            completed_on=r.item.completed_on,
            hours=r.item.hours,
            passed=r.item.passed,
            assessment_level=r.item.assessment.level if r.item.assessment else None,
            theory_score=r.theory,
            practical_score=r.practical,
            assessed_on=r.item.assessment.assessed_on if r.item.assessment else None,
            graduation_number=r.item.graduation_number,
        ),
        rows,
    )
    created, existing = await store.insert_completions(session, wanted)
    conflicts = ErrorCollector()
    for r, row in zip(rows, wanted, strict=True):
        old = existing.get((row.course_id, row.trainee_id))
        if old is not None and old.content() != row.content():
            conflicts.add(
                "course_code",
                "completion_exists",
                "this trainee's completion of this course is already registered with different content",
                r.index,
            )
    if conflicts:
        raise Conflict("completions already registered differently", errors=conflicts.errors)
    new_rows = [(r, row) for r, row in zip(rows, wanted, strict=True) if (row.course_id, row.trainee_id) in created]
    journal = Journal(session)
    for i, (r, row) in enumerate(new_rows):
        await cpu.breathe(i)
        journal.record(
            "completion.registered",
            COMPLETION,
            created[(row.course_id, row.trainee_id)],
            refs={"course": str(row.course_id), "institution": str(institution_id)},
            row={column: getattr(row, column) for column in row.__slots__},
            person_id=person_ids[r.id_lookup],
        )
    presigned = iter(await signing)
    by_row = {r.index: [next(presigned) for _ in range(count)] for r, count in zip(rows, shape, strict=True)}
    orders = [
        order
        for orders_of_row in await cpu.gently(
            lambda pair: _orders(
                pair[0],
                created[(pair[1].course_id, pair[1].trainee_id)],
                person_ids[pair[0].id_lookup],
                by_row[pair[0].index],
            ),
            new_rows,
        )
        for order in orders_of_row
    ]
    issued = await issuance.issue(session, issuer, orders, sign, "")
    for i, certificate in enumerate(issued):
        await cpu.breathe(i)
        journal.record(
            "certificate.issued",
            issuance.CERTIFICATE,
            certificate.id,
            refs={"kind": certificate.kind, "completion": str(certificate.completion_id)},
            row=certificate.row,
        )
    await issuance.create_awards(session, await _awards(new_rows, created, issued), journal)
    journal.touch({c.person_id for c in issued} | moved)  # a new domicile moves a person in the domicile figures
    indices = await journal.write()
    ledger_index = {
        str(created[(row.course_id, row.trainee_id)]): idx for (_, row), idx in zip(new_rows, indices, strict=False)
    }
    earned: dict[int, list[EarnedCertificate]] = {}
    for i, c in enumerate(issued):
        await cpu.breathe(i)
        earned.setdefault(c.completion_id, []).append(EarnedCertificate(c.number, c.kind, c.verification_code))
    unchanged_ids = [existing[k].id for k in existing]
    for completion_id, number, kind, code in await store.certificates_of_completions(session, unchanged_ids):
        earned.setdefault(completion_id, []).append(EarnedCertificate(number, kind, code))
    outcomes = []
    for i, (r, row) in enumerate(zip(rows, wanted, strict=True)):
        await cpu.breathe(i)
        key = (row.course_id, row.trainee_id)
        if key in created:
            cid = created[key]
            outcomes.append(
                RowOutcome(r.index, "created", cid, row.trainee_id, ledger_index[str(cid)], tuple(earned.get(cid, ())))
            )
        else:
            cid = existing[key].id
            outcomes.append(
                RowOutcome(r.index, "unchanged", cid, row.trainee_id, certificates=tuple(earned.get(cid, ())))
            )
    return outcomes
