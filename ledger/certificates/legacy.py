"""The person-by-person baseline: legacy 职业资格证书 issued before the ledger, imported by an administrator.

Each row becomes a `legacy_qualification` certificate of its holder (found or created through the ID lookup hash,
so a worker who also holds ledger certificates is one person), issued by the `archive` institution of the issuing
region. They count toward 技能人才 / 高技能人才 when a report includes the baseline and are left out when it does not
(the talent layers of `ledger.statistics.spells`). The import is all-or-nothing, idempotent by certificate number,
and every certificate is committed to the ledger log.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ledger.certificates import issuance, repository
from ledger.errors import Conflict, ErrorCollector, InvalidInput
from ledger.journal import Journal
from ledger.people.identity import IdNumberError, id_facts, mask_id, normalize_id_number
from ledger.people.names import NameError_, name_match_key, normalize_name
from ledger.people.pii import PiiVault
from ledger.registration import repository as store
from ledger.statistics.refresh import LEGACY
from ledger.tenancy.service import INSTITUTION

LEGACY_BEFORE = dt.date(2020, 1, 1)  # 职业资格证书 of skill occupations were replaced by level certificates in 2020


@dataclass(frozen=True, slots=True)
class LegacyCertificateIn:
    id_number: str
    name: str
    number: str  # the 16-digit certificate number
    occupation_code: str
    issued_on: dt.date
    issuer_region: str  # the region of the authority that issued it (GB/T 2260, Xinjiang)
    level: int | None = None  # 5 … 1 (五级/初级工 … 一级/高级技师), None when the record has none
    issuer_name: str = ""  # as printed, e.g. 喀什地区职业技能鉴定中心
    domicile_region: str | None = None


@dataclass(frozen=True, slots=True)
class LegacyOutcome:
    row: int
    status: str  # created | unchanged
    certificate_id: int
    verification_code: str


@dataclass(frozen=True, slots=True)
class _Row:
    index: int
    item: LegacyCertificateIn
    number: str
    id_number: str
    lookup: bytes
    name: str
    sex: str
    birth_date: dt.date


async def import_legacy(
    session: AsyncSession, vault: PiiVault, items: list[LegacyCertificateIn], source: str
) -> list[LegacyOutcome]:
    """Validate every row, then write them all in the caller's transaction. Raises InvalidInput naming each bad
    row and field, or Conflict when a number is already recorded with different content; nothing is written then."""
    regions = await repository.xinjiang_regions(session)
    occupations = await repository.occupation_names(session)
    errors = ErrorCollector()
    rows: list[_Row] = []
    numbers: dict[str, int] = {}
    for index, item in enumerate(items):
        before = len(errors.errors)
        id_number = name = ""
        try:
            id_number = normalize_id_number(item.id_number)
        except IdNumberError as exc:
            errors.add("id_number", exc.code, str(exc), index)
        try:
            name = normalize_name(item.name)
        except NameError_ as exc:
            errors.add("name", exc.code, str(exc), index)
        number = item.number.strip()
        if not (len(number) == 16 and number.isascii() and number.isdigit()):
            errors.add("number", "invalid_number", "a 职业资格证书 number is 16 digits", index)
        elif numbers.setdefault(number, index) != index:
            errors.add("number", "duplicate_in_batch", f"the same number as row {numbers[number]}", index)
        if item.occupation_code not in occupations:
            errors.add("occupation_code", "unknown_occupation", "not in the occupation catalogue", index)
        if item.level is not None and not 1 <= item.level <= 5:
            errors.add("level", "invalid_level", "levels are 1 (highest) to 5, or empty", index)
        if item.issued_on >= LEGACY_BEFORE:
            errors.add("issued_on", "not_legacy", "legacy qualifications were issued before 2020", index)
        if item.issuer_region not in regions:
            errors.add("issuer_region", "unknown_region", "not a Xinjiang region code (GB/T 2260)", index)
        if item.domicile_region is not None and item.domicile_region not in regions:
            errors.add("domicile_region", "unknown_region", "not a Xinjiang region code (GB/T 2260)", index)
        if len(item.issuer_name) > 128:
            errors.add("issuer_name", "too_long", "at most 128 characters", index)
        if len(errors.errors) > before:
            continue
        facts = id_facts(id_number)
        if item.issued_on <= facts.birth_date:
            errors.add("issued_on", "before_birth", "issued before the holder was born", index)
            continue
        lookup = vault.lookup_hash("id_number", id_number)
        rows.append(_Row(index, item, number, id_number, lookup, name, facts.sex, facts.birth_date))
    if errors:
        raise InvalidInput(f"{len({e.row for e in errors.errors})} row(s) are invalid", errors=errors.errors)
    if not rows:
        return []
    await repository.lock_legacy_imports(session)  # one import at a time
    person_ids = await store.upsert_persons(
        session,
        [
            store.PersonRow(
                r.lookup,
                vault.seal("id_number", r.id_number),
                mask_id(r.id_number),
                r.name,
                name_match_key(r.name),
                r.sex,
                r.birth_date,
            )
            for r in rows
        ],
    )
    journal = Journal(session)
    archives = await _archives(session, {r.item.issuer_region for r in rows}, regions, journal)
    existing = await repository.certificates_by_number(session, [r.number for r in rows])
    conflicts = ErrorCollector()
    fresh: list[_Row] = []
    for r in rows:
        old = existing.get(r.number)
        if old is None:
            fresh.append(r)
        elif _stored_as(old) != _imported_as(r, person_ids[r.lookup], archives):
            conflicts.add("number", "number_exists", "this number is already recorded with different content", r.index)
    if conflicts:
        raise Conflict("certificate numbers already recorded differently", errors=conflicts.errors)
    await _trainees(session, [(person_ids[r.lookup], archives[r.item.issuer_region][0], r) for r in fresh])
    made = await _insert(session, fresh, person_ids, archives, occupations)
    for certificate_id, _ in made.values():
        journal.record(
            "certificate.imported",
            issuance.CERTIFICATE,
            certificate_id,
            refs={"kind": LEGACY, "source": source[:200]},
        )
    journal.touch({person_ids[r.lookup] for r in fresh})
    await journal.write()
    return [
        LegacyOutcome(r.index, "created", *made[r.number])
        if r.number in made
        else LegacyOutcome(r.index, "unchanged", existing[r.number]["id"], existing[r.number]["verification_code"])
        for r in rows
    ]


def _stored_as(row: Any) -> tuple:
    """What must match for a re-imported number to be `unchanged`, from the stored certificate ..."""
    return (row["kind"], row["person_id"], row["occupation_code"], row["level"], row["issued_on"],
            row["institution_id"], row["issuer_name"])  # fmt: skip


def _imported_as(r: _Row, person_id: int, archives: dict[str, tuple[int, str, str]]) -> tuple:
    """... and from the imported row."""
    item = r.item
    return (LEGACY, person_id, item.occupation_code, item.level, item.issued_on, archives[item.issuer_region][0],
            _issuer_name(item, archives))  # fmt: skip


def _issuer_name(item: LegacyCertificateIn, archives: dict[str, tuple[int, str, str]]) -> str:
    return item.issuer_name.strip() or archives[item.issuer_region][2]


async def _archives(
    session: AsyncSession, codes: set[str], regions: dict[str, tuple[str, str]], journal: Journal
) -> dict[str, tuple[int, str, str]]:
    """The archive institution of each issuing region (created, and logged, on first use): id, code, name."""
    wanted = sorted(codes)
    created = await repository.create_archives(session, [(c, *regions[c]) for c in wanted])
    for r in created:
        journal.record("institution.registered", INSTITUTION, r["id"], refs={"code": r["code"]})
    found = await repository.archives(session, wanted)
    return {r["region_code"]: (r["id"], r["code"], r["name"]) for r in found}


async def _trainees(session: AsyncSession, rows: list[tuple[int, int, _Row]]) -> None:
    """The holder as recorded by the archive (name and domicile), for the domicile basis of the statistics."""
    if not rows:
        return
    unique = {(person, archive): r for person, archive, r in rows}
    await repository.upsert_archive_trainees(
        session,
        [repository.ArchiveTrainee(uuid.uuid4(), a, p, r.name, r.item.domicile_region) for (p, a), r in unique.items()],
    )


async def _insert(
    session: AsyncSession,
    rows: list[_Row],
    person_ids: dict[bytes, int],
    archives: dict[str, tuple[int, str, str]],
    occupations: dict[str, str],
) -> dict[str, tuple[int, str]]:
    """Insert the new certificates; returns their ids and verification codes by number."""
    if not rows:
        return {}
    indices = await repository.allocate_status_indices(session, len(rows))
    records = []
    for r, status_index in zip(rows, indices, strict=True):
        item = r.item
        code = issuance.new_verification_code()
        snapshot = issuance.frozen_snapshot(
            kind=LEGACY,
            number=r.number,
            verification_code=code,
            holder_name=r.name,
            id_masked=mask_id(r.id_number),
            occupation_code=item.occupation_code,
            occupation_name=occupations[item.occupation_code],
            work_type="",
            level=item.level,
            issuer_name=_issuer_name(item, archives),
            issuer_code=archives[item.issuer_region][1],
            issued_on=item.issued_on,
            course_name="",
            course_hours=None,
            qr_text="",
        )
        records.append(
            repository.NewCertificate(
                kind=LEGACY,
                number=r.number,
                verification_code=code,
                status_index=status_index,
                institution_id=archives[item.issuer_region][0],
                course_id=None,
                completion_id=None,
                person_id=person_ids[r.lookup],
                occupation_code=item.occupation_code,
                level=item.level,
                issued_on=item.issued_on,
                snapshot=snapshot,
            )
        )
    found = await repository.insert_certificates(session, records)
    return {r["number"]: (r["id"], r["verification_code"]) for r in found}


__all__ = ["LEGACY_BEFORE", "LegacyCertificateIn", "LegacyOutcome", "import_legacy"]
