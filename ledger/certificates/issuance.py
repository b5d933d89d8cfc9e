"""Issuing certificates for passing completions: numbers, verification codes, frozen snapshots, dual awards.

Runs inside the registration transaction (after the completions are written, before the ledger appends of the
caller are committed). The QR token is signed by a `QrSigner` the caller supplies, so the domain never depends
on the certificate-rendering package.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from ledger import cpu
from ledger.certificates import repository
from ledger.certificates.numbering import KIND_SPECIAL_ABILITY, KIND_TRAINING, ledger_number, skill_level_number
from ledger.certificates.snapshot import TEMPLATE_VERSION, CertificateSnapshot
from ledger.database.loaders import table_loader
from ledger.errors import RuleViolation
from ledger.journal import Journal
from ledger.log.records import RecordType, Row, register
from ledger.people.names import mask_name
from ledger.reference.levels import SkillLevel

ID_TYPE = "居民身份证"


@dataclass(frozen=True, slots=True)
class QrClaims:
    """What a certificate's QR token asserts, known before the certificate is numbered or stored."""

    code: str
    kind: str
    level: int | None
    occupation_code: str
    issued_on: dt.date
    masked_name: str
    issuer_code: str


class QrSigner(Protocol):
    """Signs the public claims of a certificate and returns the upper-case QR URL; `many` signs a batch (in the
    CPU pool, off the event loop) and returns the URLs in order."""

    def __call__(
        self,
        *,
        code: str,
        kind: str,
        level: int | None,
        occupation_code: str,
        issued_on: dt.date,
        masked_name: str,
        issuer_code: str,
    ) -> str: ...

    async def many(self, claims: Sequence[QrClaims]) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class Issuer:
    id: int
    code: str
    name: str
    region_code: str
    evaluator_category: str | None
    filing_code: str | None
    site_code: str | None


@dataclass(frozen=True, slots=True)
class CertificateOrder:
    """One certificate to issue for one completion."""

    kind: str
    completion_id: int
    course_id: int
    person_id: int
    holder_name: str
    id_masked: str
    occupation_code: str
    occupation_name: str
    work_type: str
    course_name: str
    course_hours: int | None
    level: int | None
    issued_on: dt.date
    given_number: str | None = None  # graduation certificates carry the school's own number
    supersedes_id: int | None = None  # set for a reissue (补发/更正)
    verification_code: str | None = None  # with qr_text: signed ahead (`claims_of`), else drawn and signed here
    qr_text: str | None = None


def claims_of(issuer: Issuer, order: CertificateOrder, code: str) -> QrClaims:
    """The QR claims of the certificate `order` will issue under `code`."""
    return QrClaims(
        code=code,
        kind=order.kind,
        level=order.level,
        occupation_code=order.occupation_code,
        issued_on=order.issued_on,
        masked_name=token_name(mask_name(order.holder_name)),
        issuer_code=issuer.code,
    )


@dataclass(frozen=True, slots=True)
class Issued:
    id: int
    kind: str
    number: str
    verification_code: str
    completion_id: int
    person_id: int
    level: int | None
    row: Row  # as stored, for the journal (`stored_row`)


TOKEN_NAME_CHARS = 6


def token_name(masked: str) -> str:
    """The masked name as the QR token carries it: at most six characters, so that long names (阿布都热依木·阿*)
    still fit a version-12 QR code. The page shows the full masked name from the ledger."""
    return masked if len(masked) <= TOKEN_NAME_CHARS else masked[: TOKEN_NAME_CHARS - 1] + "*"


_BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_CODE_SHIFTS = range(75, -1, -5)


def new_verification_code() -> str:
    """80 random bits as 16 upper-case base32 characters (RFC 4648, what `base64.b32encode` of the 10 bytes
    gives, at a fifth of its cost): the certificate's only public handle."""
    return base32_code(secrets.token_bytes(10))


def base32_code(raw: bytes) -> str:
    """The 16 base32 characters of 10 bytes."""
    bits = int.from_bytes(raw)
    return "".join([_BASE32_ALPHABET[(bits >> shift) & 31] for shift in _CODE_SHIFTS])


_CERTIFICATE_COLUMNS = (
    "id",
    "kind",
    "number",
    "verification_code",
    "status_index",
    "institution_id",
    "completion_id",
    "person_id",
    "occupation_code",
    "level",
    "issued_on",
    "status",
    "status_reason",
    "status_effective_on",
    "supersedes_id",
    "superseded_by_id",
)


def _certificate_v1(row: Row) -> dict[str, object]:
    snapshot = row["snapshot"]
    if isinstance(snapshot, str | bytes):
        snapshot = msgspec.json.decode(snapshot)
    return {
        "kind": row["kind"],
        "number": row["number"],
        "verification_code": row["verification_code"],
        "status_index": row["status_index"],
        "institution_id": row["institution_id"],
        "completion_id": row["completion_id"],
        "person_id": row["person_id"],
        "occupation_code": row["occupation_code"],
        "level": row["level"],
        "issued_on": row["issued_on"].isoformat(),
        "status": row["status"],
        "status_reason": row["status_reason"],
        "status_effective_on": None if row["status_effective_on"] is None else row["status_effective_on"].isoformat(),
        "supersedes_id": row["supersedes_id"],
        "superseded_by_id": row["superseded_by_id"],
        "snapshot_sha256": hashlib.sha256(msgspec.json.encode(snapshot, order="sorted")).hexdigest(),
    }


def _award_v1(row: Row) -> dict[str, object]:
    return {
        "completion_id": row["completion_id"],
        "rule": row["rule"],
        "companion": row["companion_certificate_id"],
        "skill": row["skill_certificate_id"],
    }


CERTIFICATE = register(
    RecordType(
        "certificate",
        {1: _certificate_v1},
        # what _certificate_v1 reads; the snapshot as text, which msgspec decodes ~8x faster than the driver's json
        table_loader("certificates", columns=f"{', '.join(_CERTIFICATE_COLUMNS)}, snapshot::text AS snapshot"),
        person=lambda row: row["person_id"],
    )
)
AWARD = register(RecordType("award", {1: _award_v1}, table_loader("dual_awards", key_type="uuid")))


def _prefix(issuer: Issuer, order: CertificateOrder) -> str:
    province = issuer.region_code[:2]
    if order.kind == "skill_level":
        assert issuer.evaluator_category and issuer.filing_code and issuer.site_code and order.level
        yy = order.issued_on.year % 100
        return f"{issuer.evaluator_category}{issuer.filing_code}{province}{issuer.site_code}{yy:02d}{order.level}"
    letter = KIND_TRAINING if order.kind == "training" else KIND_SPECIAL_ABILITY
    return f"{letter}{province}{order.issued_on.year}"


def _number(issuer: Issuer, order: CertificateOrder, serial: int) -> str:
    province = issuer.region_code[:2]
    if order.kind == "skill_level":
        assert issuer.evaluator_category and issuer.filing_code and issuer.site_code and order.level
        return skill_level_number(
            issuer.evaluator_category,
            issuer.filing_code,
            province,
            issuer.site_code,
            order.issued_on.year,
            order.level,
            serial,
        )
    letter = KIND_TRAINING if order.kind == "training" else KIND_SPECIAL_ABILITY
    return ledger_number(letter, province, order.issued_on.year, serial)


async def signatures(issuer: Issuer, orders: Sequence[CertificateOrder], sign: QrSigner) -> list[tuple[str, str]]:
    """A new verification code and its signed QR URL for each order, signed together (`sign.many`, in the CPU
    pool when there is one)."""
    claims = await cpu.gently(lambda order: claims_of(issuer, order, new_verification_code()), orders)
    return list(zip((c.code for c in claims), await sign.many(claims), strict=True))


async def issue(
    session: AsyncSession, issuer: Issuer, orders: Sequence[CertificateOrder], sign: QrSigner, public_base: str
) -> list[Issued]:
    """Issue one certificate per order. Returns them in order; the caller appends their ledger events."""
    if not orders:
        return []
    unsigned = [o for o in orders if o.qr_text is None]
    signed = iter(await signatures(issuer, unsigned, sign) if unsigned else ())
    numbered = [o for o in orders if o.given_number is None]
    firsts = await repository.allocate_serials(session, Counter(_prefix(issuer, o) for o in numbered))
    next_serial = dict(firsts)
    status_indices = await repository.allocate_status_indices(session, len(orders))
    records = []
    for i, (order, status_index) in enumerate(zip(orders, status_indices, strict=True)):
        await cpu.breathe(i)
        if order.given_number is None:
            prefix = _prefix(issuer, order)
            serial = next_serial[prefix]
            next_serial[prefix] = serial + 1
            if order.kind == "skill_level" and serial > 999_999:
                raise RuleViolation(
                    f"本评价站点今年该等级的证书流水号（{prefix}，至 999999）已用完，请联系人社部门 / "
                    f"the serials of {prefix} are exhausted for this year"
                )
            number = _number(issuer, order, serial)
        else:
            number = order.given_number
        code, qr_text = (order.verification_code, order.qr_text) if order.qr_text else next(signed)
        assert code is not None
        snapshot = frozen_snapshot(
            kind=order.kind,
            number=number,
            verification_code=code,
            holder_name=order.holder_name,
            id_masked=order.id_masked,
            occupation_code=order.occupation_code,
            occupation_name=order.occupation_name,
            work_type=order.work_type,
            level=order.level,
            issuer_name=issuer.name,
            issuer_code=issuer.code,
            issued_on=order.issued_on,
            course_name=order.course_name,
            course_hours=order.course_hours,
            qr_text=qr_text,
        )
        records.append(
            repository.NewCertificate(
                kind=order.kind,
                number=number,
                verification_code=code,
                status_index=status_index,
                institution_id=issuer.id,
                course_id=order.course_id,
                completion_id=order.completion_id,
                person_id=order.person_id,
                occupation_code=order.occupation_code,
                level=order.level,
                issued_on=order.issued_on,
                snapshot=snapshot,
                supersedes_id=order.supersedes_id,
            )
        )
    ids = await repository.copy_certificates(session, records)
    return await cpu.gently(lambda made: _issued(*made), zip(ids, records, orders, strict=True))


def _issued(certificate_id: int, record: repository.NewCertificate, order: CertificateOrder) -> Issued:
    return Issued(
        certificate_id,
        record.kind,
        record.number,
        record.verification_code,
        order.completion_id,
        record.person_id,
        record.level,
        stored_row(certificate_id, record),
    )


def stored_row(certificate_id: int, record: repository.NewCertificate) -> Row:
    """The row `CERTIFICATE`'s loader reads back for a certificate just stored from `record` (the columns' defaults
    filled in as the table fills them): what the journal commits to, without reading it back. `ledger audit`
    recomputes the commitment from the table, so a difference here would show there."""
    return {
        "id": certificate_id,
        "kind": record.kind,
        "number": record.number,
        "verification_code": record.verification_code,
        "status_index": record.status_index,
        "institution_id": record.institution_id,
        "completion_id": record.completion_id,
        "person_id": record.person_id,
        "occupation_code": record.occupation_code,
        "level": record.level,
        "issued_on": record.issued_on,
        "status": "valid",
        "status_reason": "",
        "status_effective_on": None,
        "supersedes_id": record.supersedes_id,
        "superseded_by_id": None,
        "snapshot": record.snapshot,
    }


def frozen_snapshot(
    *,
    kind: str,
    number: str,
    verification_code: str,
    holder_name: str,
    id_masked: str,
    occupation_code: str,
    occupation_name: str,
    work_type: str,
    level: int | None,
    issuer_name: str,
    issuer_code: str,
    issued_on: dt.date,
    course_name: str,
    course_hours: int | None,
    qr_text: str,
) -> str:
    """A certificate's content as frozen at issue (CertificateSnapshot, current template version), as JSON text."""
    ladder = SkillLevel.from_code(level) if level is not None else None
    snapshot = CertificateSnapshot(
        template_version=TEMPLATE_VERSION,
        kind=kind,
        number=number,
        verification_code=verification_code,
        holder_name=holder_name,
        id_type=ID_TYPE,
        id_number_display=id_masked,
        occupation_code=occupation_code,
        occupation_name=occupation_name,
        work_type=work_type,
        level=level,
        level_text=ladder.printed if ladder else "",
        level_text_en=ladder.english if ladder else "",
        issuer_name=issuer_name,
        issuer_code=issuer_code,
        issued_on=issued_on,
        course_name=course_name,
        course_hours=course_hours,
        qr_text=qr_text,
    )
    return msgspec.json.encode(snapshot).decode()


async def create_awards(session: AsyncSession, awards: Sequence[tuple[int, str, int, int]], journal: Journal) -> None:
    """Insert dual awards (completion, rule, companion certificate, skill certificate) and record them."""
    if not awards:
        return
    rows = await cpu.gently(lambda award: repository.NewAward(uuid.uuid4(), *award), awards)
    await repository.insert_awards(session, rows)
    for i, row in enumerate(rows):
        await cpu.breathe(i)
        content = {name: getattr(row, name) for name in row.__slots__}  # flat: what dataclasses.asdict gives
        journal.record("award.created", AWARD, row.id, refs={"rule": row.rule}, row=content)
