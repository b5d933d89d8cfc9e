"""Revoke, suspend, reinstate and reissue: each takes effect at once and is logged in the same transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ledger import clock
from ledger.certificates import issuance, repository
from ledger.certificates.reasons import REASON_CODES
from ledger.certificates.snapshot import CertificateSnapshot
from ledger.certificates.tables import Certificate, CertificateStatusChange, DualAward
from ledger.commands import refuse_bidi_controls
from ledger.errors import Conflict, FieldError, InvalidInput, NotFound, RuleViolation
from ledger.journal import Journal
from ledger.people.names import NameError_, normalize_name
from ledger.registration.tables import Course
from ledger.tenancy.tables import Institution

# action -> (statuses it may start from, status it leaves)
TRANSITIONS = {
    "revoke": (("valid", "suspended"), "revoked"),
    "suspend": (("valid",), "suspended"),
    "reinstate": (("suspended",), "valid"),
}
PAST_TENSE = {"revoke": "revoked", "suspend": "suspended", "reinstate": "reinstated"}


async def certificate_of(session: AsyncSession, institution_id: int, number: str, *, lock: bool = False) -> Certificate:
    """One of the institution's own certificates by number; any other is 404."""
    found = await repository.own_certificate(session, institution_id, number, lock=lock)
    if found is None:
        raise NotFound(f"no certificate {number!r}")
    return found


_STATUS_ZH = {"revoked": "已撤销", "suspended": "已暂停", "superseded": "已被补发替代"}


def require_printable(certificate: Certificate, file: tuple[str, str] = (" PDF", "PDF")) -> None:
    """A certificate that is not valid is not printed: a PDF carries no date and would outlive the status (the
    verification page is where a status is read). Nor is a new verifiable credential handed out. Conflict names
    the status, its date and the successor's way; `file` is what is refused, in Chinese and in English."""
    if certificate.status == "valid":
        return
    since = certificate.status_effective_on.isoformat() if certificate.status_effective_on else ""
    advice = "请下载补发后的现行证书" if certificate.status == "superseded" else "状态以查验页为准"
    raise Conflict(
        f"证书{_STATUS_ZH[certificate.status]}（{since}起），不提供{file[0]}；{advice}。"
        f" The certificate is {certificate.status} since {since}; no {file[1]} is served."
    )


def _effective(certificate: Certificate, effective_on: dt.date | None) -> dt.date:
    day = effective_on or clock.today()
    if day > clock.today():
        raise InvalidInput("bad date", errors=[FieldError("effective_on", "in_future", "the date is in the future")])
    if day < certificate.issued_on:
        raise InvalidInput(
            "bad date",
            errors=[FieldError("effective_on", "before_issue", "the date is before the certificate's issue")],
        )
    return day


def _reason(reason_code: str, reason: str) -> tuple[str, str]:
    """The reason as (code, free text): a code from the fixed list; `other` needs the text that says what."""
    if reason_code not in REASON_CODES:
        raise InvalidInput("bad reason", errors=[FieldError("reason_code", "unknown", "不是规定的原因代码")])
    if reason_code == "other" and not reason.strip():
        raise InvalidInput(
            "a reason is required", errors=[FieldError("reason", "required", "原因为“其他”时请写明原因")]
        )
    if errors := refuse_bidi_controls({"reason": reason}):
        raise InvalidInput("bad reason", errors=errors)
    return reason_code, reason.strip()


async def change_status(
    session: AsyncSession,
    institution_id: int,
    number: str,
    action: str,
    reason_code: str,
    reason: str,
    effective_on: dt.date | None,
) -> Certificate:
    allowed, target = TRANSITIONS[action]
    certificate = await certificate_of(session, institution_id, number, lock=True)
    if certificate.status not in allowed:
        raise Conflict(f"a {certificate.status} certificate cannot be {PAST_TENSE[action]}")
    code, text = _reason(reason_code, reason)
    day = _effective(certificate, effective_on)
    certificate.status = target
    certificate.status_reason = text
    certificate.status_reason_code = code
    certificate.status_effective_on = day
    session.add(
        CertificateStatusChange(
            certificate_id=certificate.id, status=target, reason=text, reason_code=code, effective_on=day
        )
    )
    journal = Journal(session)
    journal.record(
        f"certificate.{PAST_TENSE[action]}", issuance.CERTIFICATE, certificate.id, refs={"kind": certificate.kind}
    )
    journal.touch({certificate.person_id})
    await journal.write()
    return certificate


async def reissue(
    session: AsyncSession,
    institution_id: int,
    number: str,
    reason_code: str,
    reason: str,
    corrected_name: str | None,
    sign: issuance.QrSigner,
    public_base: str,
) -> Certificate:
    """补发/更正: a successor with a new number and code, the original award date, and the corrected name; the
    original becomes 已被补发替代 and points at it. The pair counts once in every statistic. A name correction
    corrects the other certificate of the same dual award too (when it stands and still bears the old name), so
    that the holder's two certificates never disagree on the name."""
    original = await certificate_of(session, institution_id, number, lock=True)
    ask = _Reissue(reason_code, reason, corrected_name, sign, public_base)
    successor = await _reissue(session, original, ask)
    if corrected_name is not None:
        partner = await _award_partner(session, original)
        if (
            partner is not None
            and partner.status == "valid"
            and partner.snapshot["holder_name"] != successor.snapshot["holder_name"]
        ):
            await _reissue(session, partner, ask)
    return successor


async def _award_partner(session: AsyncSession, certificate: Certificate) -> Certificate | None:
    """The certificate that stands today for the other half of this certificate's dual award, locked."""
    first = certificate
    while first.supersedes_id is not None:
        previous = await session.get(Certificate, first.supersedes_id)
        assert previous is not None
        first = previous
    award = (
        await session.execute(
            select(DualAward).where(
                (DualAward.companion_certificate_id == first.id) | (DualAward.skill_certificate_id == first.id)
            )
        )
    ).scalar_one_or_none()
    if award is None:
        return None
    other_id = (
        award.skill_certificate_id if award.companion_certificate_id == first.id else award.companion_certificate_id
    )
    while True:
        other = await session.get(Certificate, other_id, with_for_update=True)
        assert other is not None
        if other.superseded_by_id is None:
            return other
        other_id = other.superseded_by_id


@dataclass(frozen=True, slots=True)
class _Reissue:
    reason_code: str
    reason: str
    corrected_name: str | None
    sign: issuance.QrSigner
    public_base: str


async def _reissue(session: AsyncSession, original: Certificate, ask: _Reissue) -> Certificate:
    reason_code, reason, corrected_name = ask.reason_code, ask.reason, ask.corrected_name
    sign, public_base = ask.sign, ask.public_base
    institution_id = original.institution_id
    if original.status != "valid":
        raise Conflict(f"a {original.status} certificate cannot be reissued")
    if original.kind == "graduation":
        raise RuleViolation("a graduation certificate is the school's own document; the school reissues it")
    if original.course_id is None or original.completion_id is None:
        raise RuleViolation("an imported legacy certificate is not reissued by the ledger")
    code, text = _reason(reason_code, reason)
    old = msgspec.convert(original.snapshot, CertificateSnapshot)
    name = old.holder_name
    if corrected_name is not None:
        try:
            name = normalize_name(corrected_name)
        except NameError_ as exc:
            raise InvalidInput("bad name", errors=[exc.field_error("corrected_name")]) from exc
    institution = await session.get(Institution, institution_id)
    assert institution is not None
    course = await session.get(Course, original.course_id)
    assert course is not None
    issuer = issuance.Issuer(
        institution.id,
        institution.code,
        institution.name,
        institution.region_code,
        institution.evaluator_category,
        institution.filing_code,
        institution.site_code,
    )
    order = issuance.CertificateOrder(
        kind=original.kind,
        completion_id=original.completion_id,
        course_id=original.course_id,
        person_id=original.person_id,
        holder_name=name,
        id_masked=old.id_number_display,
        occupation_code=old.occupation_code,
        occupation_name=old.occupation_name,
        work_type=old.work_type,
        course_name=old.course_name,
        course_hours=old.course_hours,
        level=original.level,
        issued_on=original.issued_on,
        supersedes_id=original.id,
    )
    (made,) = await issuance.issue(session, issuer, [order], sign, public_base)
    successor = await session.get(Certificate, made.id)
    assert successor is not None
    original.status = "superseded"
    original.superseded_by_id = successor.id
    original.status_reason = text
    original.status_reason_code = code
    original.status_effective_on = clock.today()
    session.add(
        CertificateStatusChange(
            certificate_id=original.id,
            status="superseded",
            reason=text,
            reason_code=code,
            effective_on=clock.today(),
        )
    )
    journal = Journal(session)
    journal.record(
        "certificate.issued",
        issuance.CERTIFICATE,
        successor.id,
        refs={"kind": successor.kind, "supersedes": str(original.id)},
    )
    journal.record(
        "certificate.reissued",
        issuance.CERTIFICATE,
        original.id,
        refs={"kind": original.kind, "successor": str(successor.id)},
    )
    journal.touch({original.person_id})
    await journal.write()
    return successor


__all__ = ["TRANSITIONS", "certificate_of", "change_status", "reissue", "require_printable"]
