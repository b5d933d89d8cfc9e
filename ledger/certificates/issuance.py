"""Issuing certificates for passing completions: numbers, verification codes, frozen snapshots, dual awards.

Runs inside the registration transaction (after the completions are written, before the ledger appends of the
caller are committed). The QR token is signed by a `QrSigner` the caller supplies, so the domain never depends
on the certificate-rendering package.
"""

from __future__ import annotations

import base64
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

from ledger.certificates.numbering import KIND_SPECIAL_ABILITY, KIND_TRAINING, ledger_number, skill_level_number
from ledger.certificates.snapshot import TEMPLATE_VERSION, CertificateSnapshot
from ledger.certificates.tables import STATUS_LIST_BITS
from ledger.database.driver import driver
from ledger.database.loaders import table_loader
from ledger.errors import RuleViolation
from ledger.journal import Journal
from ledger.log.records import RecordType, Row, register
from ledger.people.names import mask_name
from ledger.reference.levels import SkillLevel

ID_TYPE = "居民身份证"


class QrSigner(Protocol):
    """Signs the public claims of a certificate and returns the upper-case QR URL."""

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


@dataclass(frozen=True, slots=True)
class Issued:
    id: int
    kind: str
    number: str
    verification_code: str
    completion_id: int
    person_id: int
    level: int | None


TOKEN_NAME_CHARS = 6


def token_name(masked: str) -> str:
    """The masked name as the QR token carries it: at most six characters, so that long names (阿布都热依木·阿*)
    still fit a version-12 QR code. The page shows the full masked name from the ledger."""
    return masked if len(masked) <= TOKEN_NAME_CHARS else masked[: TOKEN_NAME_CHARS - 1] + "*"


def new_verification_code() -> str:
    """80 random bits as 16 upper-case base32 characters: the certificate's only public handle."""
    return base64.b32encode(secrets.token_bytes(10)).decode()


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
    RecordType("certificate", {1: _certificate_v1}, table_loader("certificates"), person=lambda row: row["person_id"])
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


async def allocate_serials(session: AsyncSession, wanted: Counter[str]) -> dict[str, int]:
    """Reserve `wanted[prefix]` consecutive serials per prefix; returns the first serial of each range.

    The counter rows stay locked until the transaction ends, so concurrent issuers queue and a rollback
    returns the serials: numbers are gapless and unique per prefix.
    """
    if not wanted:
        return {}
    prefixes = sorted(wanted)
    conn = await driver(session)
    rows = await conn.fetch(
        """
        INSERT INTO number_counters (prefix, last_serial)
        SELECT * FROM unnest($1::varchar[], $2::int[])
        ON CONFLICT (prefix) DO UPDATE SET last_serial = number_counters.last_serial + EXCLUDED.last_serial
        RETURNING prefix, last_serial
        """,
        prefixes,
        [wanted[p] for p in prefixes],
    )
    return {r["prefix"]: r["last_serial"] - wanted[r["prefix"]] + 1 for r in rows}


async def allocate_status_indices(session: AsyncSession, count: int) -> list[int]:
    """Distinct random positions in the status list, none already taken (serialised by an advisory lock)."""
    conn = await driver(session)
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('ledger.status_index'))")
    chosen: set[int] = set()
    while len(chosen) < count:
        candidates = {secrets.randbelow(STATUS_LIST_BITS) for _ in range(count - len(chosen))} - chosen
        taken = await conn.fetch(
            "SELECT status_index FROM certificates WHERE status_index = ANY($1::int[])", list(candidates)
        )
        chosen |= candidates - {r["status_index"] for r in taken}
    return list(chosen)


async def issue(
    session: AsyncSession, issuer: Issuer, orders: Sequence[CertificateOrder], sign: QrSigner, public_base: str
) -> list[Issued]:
    """Issue one certificate per order. Returns them in order; the caller appends their ledger events."""
    if not orders:
        return []
    numbered = [o for o in orders if o.given_number is None]
    firsts = await allocate_serials(session, Counter(_prefix(issuer, o) for o in numbered))
    next_serial = dict(firsts)
    status_indices = await allocate_status_indices(session, len(orders))
    records = []
    for order, status_index in zip(orders, status_indices, strict=True):
        if order.given_number is None:
            prefix = _prefix(issuer, order)
            serial = next_serial[prefix]
            next_serial[prefix] = serial + 1
            if order.kind == "skill_level" and serial > 999_999:
                raise RuleViolation(f"the serials of {prefix} are exhausted for this year")
            number = _number(issuer, order, serial)
        else:
            number = order.given_number
        code = new_verification_code()
        level = SkillLevel.from_code(order.level) if order.level is not None else None
        masked = mask_name(order.holder_name)
        qr_text = sign(
            code=code,
            kind=order.kind,
            level=order.level,
            occupation_code=order.occupation_code,
            issued_on=order.issued_on,
            masked_name=token_name(masked),
            issuer_code=issuer.code,
        )
        snapshot = CertificateSnapshot(
            template_version=TEMPLATE_VERSION,
            kind=order.kind,
            number=number,
            verification_code=code,
            holder_name=order.holder_name,
            id_type=ID_TYPE,
            id_number_display=order.id_masked,
            occupation_code=order.occupation_code,
            occupation_name=order.occupation_name,
            work_type=order.work_type,
            level=order.level,
            level_text=level.printed if level else "",
            level_text_en=level.english if level else "",
            issuer_name=issuer.name,
            issuer_code=issuer.code,
            issued_on=order.issued_on,
            course_name=order.course_name,
            course_hours=order.course_hours,
            qr_text=qr_text,
        )
        records.append((order, number, code, status_index, msgspec.json.encode(snapshot).decode()))
    conn = await driver(session)
    inserted = await conn.fetch(
        """
        INSERT INTO certificates (kind, number, verification_code, status_index, institution_id, course_id,
                                  completion_id, person_id, occupation_code, level, issued_on, template_version,
                                  snapshot, supersedes_id)
        SELECT t.kind, t.number, t.code, t.status_index, $1, t.course_id, t.completion_id, t.person_id,
               t.occupation_code, t.level, t.issued_on, $2, t.snapshot::jsonb, t.supersedes_id
        FROM unnest($3::varchar[], $4::varchar[], $5::varchar[], $6::int[], $7::bigint[], $8::bigint[],
                    $9::bigint[], $10::varchar[], $11::smallint[], $12::date[], $13::text[], $14::bigint[])
             WITH ORDINALITY AS t(kind, number, code, status_index, course_id, completion_id, person_id,
                                  occupation_code, level, issued_on, snapshot, supersedes_id, position)
        ORDER BY t.position
        RETURNING id, kind, number, verification_code, completion_id, person_id, level
        """,
        issuer.id,
        TEMPLATE_VERSION,
        [o.kind for o, *_ in records],
        [n for _, n, *_ in records],
        [c for _, _, c, *_ in records],
        [s for *_, s, _ in records],
        [o.course_id for o, *_ in records],
        [o.completion_id for o, *_ in records],
        [o.person_id for o, *_ in records],
        [o.occupation_code for o, *_ in records],
        [o.level for o, *_ in records],
        [o.issued_on for o, *_ in records],
        [snap for *_, snap in records],
        [o.supersedes_id for o, *_ in records],
    )
    by_code = {r["verification_code"]: r for r in inserted}
    return [
        Issued(r["id"], r["kind"], r["number"], r["verification_code"], r["completion_id"], r["person_id"], r["level"])
        for r in (by_code[c] for _, _, c, *_ in records)
    ]


async def create_awards(session: AsyncSession, awards: Sequence[tuple[int, str, int, int]], journal: Journal) -> None:
    """Insert dual awards (completion, rule, companion certificate, skill certificate) and record them."""
    if not awards:
        return
    ids = [uuid.uuid4() for _ in awards]
    conn = await driver(session)
    await conn.execute(
        """
        INSERT INTO dual_awards (id, completion_id, rule, companion_certificate_id, skill_certificate_id)
        SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::varchar[], $4::bigint[], $5::bigint[])
        """,
        ids,
        [a[0] for a in awards],
        [a[1] for a in awards],
        [a[2] for a in awards],
        [a[3] for a in awards],
    )
    for award_id, (completion_id, rule, companion, skill) in zip(ids, awards, strict=True):
        row = {"completion_id": completion_id, "rule": rule, "companion_certificate_id": companion,
               "skill_certificate_id": skill}  # fmt: skip
        journal.record("award.created", AWARD, award_id, refs={"rule": rule}, row=row)
