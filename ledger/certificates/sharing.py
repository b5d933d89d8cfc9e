"""Share links the holder controls (as MOHRSS's 加注 of e-certificates): a holder who passed the holder check shows
the certificate, with the full name, to someone for a stated purpose, for at most 90 days, and can revoke it.

A link is `/s/{token}`: 160 random bits, of which only the SHA-256 is kept, so the link is shown to the holder once.
At most `MAX_ACTIVE` shares are active per certificate (neither revoked nor expired); the certificate's row lock
serialises concurrent creations, so the limit holds under races. Each creation and revocation is logged in the ledger
as a `certificate_share` record whose content commits to the purpose by its hash, never its text (the purpose is
typed by the holder and may be personal). Expired, revoked and unknown tokens are answered alike (None).

Times come from `ledger.clock`, so an expiry is decided by the same clock everywhere (and tests can move it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import unicodedata
from dataclasses import dataclass

import asyncpg
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ledger import clock
from ledger.certificates import verification
from ledger.certificates.tables import Certificate, CertificateShare
from ledger.database.loaders import table_loader
from ledger.errors import Conflict, FieldError, InvalidInput, NotFound
from ledger.journal import Journal
from ledger.log.records import RecordType, Row, register

MAX_ACTIVE = 3
MAX_DAYS = 90
PURPOSE_CHARS = 100
TOKEN_BYTES = 20  # 160 bits, 27 URL-safe characters


class ShareLimitReached(Conflict):
    """The certificate has MAX_ACTIVE active shares already."""


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(dt.UTC).isoformat()


def purpose_digest(purpose: str) -> str:
    return hashlib.sha256(purpose.encode()).hexdigest()


def _share_v1(row: Row) -> dict[str, object]:
    return {
        "certificate_id": row["certificate_id"],
        "purpose_sha256": purpose_digest(row["purpose"]),
        "created_at": _iso(row["created_at"]),
        "expires_at": _iso(row["expires_at"]),
        "revoked_at": _iso(row["revoked_at"]),
    }


SHARE = register(RecordType("certificate_share", {1: _share_v1}, table_loader("certificate_shares")))


@dataclass(frozen=True, slots=True)
class Share:
    id: int
    purpose: str
    created_at: dt.datetime
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class NewShare:
    share: Share
    token: str  # shown to the holder once; only its hash is kept


@dataclass(frozen=True, slots=True)
class SharedCertificate:
    """What `/s/{token}` shows: the certificate's live record (its snapshot has the full name) and the share."""

    view: verification.Verification
    purpose: str
    expires_at: dt.datetime


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def clean_purpose(purpose: str) -> str:
    """The purpose as stored: NFC, spaces collapsed; 1 to 100 characters, no control characters."""
    text = " ".join(unicodedata.normalize("NFC", purpose).split())
    bad = not text or len(text) > PURPOSE_CHARS or any(unicodedata.category(c).startswith("C") for c in text)
    if bad:
        raise InvalidInput(
            "bad purpose",
            errors=[FieldError("purpose", "invalid", "用途为 1 至 100 个字（a purpose is 1 to 100 characters）")],
        )
    return text


def _days(days: int) -> dt.timedelta:
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(
            "bad validity",
            errors=[FieldError("days", "out_of_range", "分享链接有效 1 至 90 天（a share link lasts 1 to 90 days）")],
        )
    return dt.timedelta(days=days)


def _active(certificate_id: int, now: dt.datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        CertificateShare.certificate_id == certificate_id,
        CertificateShare.revoked_at.is_(None),
        CertificateShare.expires_at > now,
    )


async def active_shares(session: AsyncSession, certificate_id: int) -> list[Share]:
    """The certificate's shares that are neither revoked nor expired, newest first."""
    rows = await session.scalars(
        select(CertificateShare)
        .where(*_active(certificate_id, clock.now()))
        .order_by(CertificateShare.created_at.desc(), CertificateShare.id.desc())
    )
    return [Share(s.id, s.purpose, s.created_at, s.expires_at) for s in rows]


async def create_share(session: AsyncSession, certificate_id: int, purpose: str, days: int) -> NewShare:
    """A new share link for `purpose`, valid `days` (1–90) from now. Conflict when the certificate already has
    MAX_ACTIVE active shares, or is not valid (a revoked, suspended or superseded certificate is not shared)."""
    text = clean_purpose(purpose)
    validity = _days(days)
    certificate = await session.scalar(select(Certificate).where(Certificate.id == certificate_id).with_for_update())
    if certificate is None:
        raise NotFound("no such certificate")
    if certificate.status != "valid":
        raise Conflict("证书不是有效状态，不能分享。 Only a valid certificate can be shared.")
    now = clock.now()
    active = await session.scalar(select(func.count()).where(*_active(certificate_id, now)))
    if (active or 0) >= MAX_ACTIVE:
        raise ShareLimitReached(
            f"每张证书最多 {MAX_ACTIVE} 个有效的分享链接，请先撤销一个。"
            f" A certificate has at most {MAX_ACTIVE} active share links; revoke one first."
        )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    share = CertificateShare(
        certificate_id=certificate_id,
        token_hash=token_hash(token),
        purpose=text,
        created_at=now,
        expires_at=now + validity,
    )
    session.add(share)
    await session.flush()
    journal = Journal(session)
    journal.record(
        "share.created",
        SHARE,
        share.id,
        refs={"certificate": str(certificate_id), "expires": _iso(share.expires_at) or ""},
        person_id=certificate.person_id,
    )
    await journal.write()
    return NewShare(Share(share.id, text, now, share.expires_at), token)


async def revoke_share(session: AsyncSession, certificate_id: int, share_id: int) -> None:
    """Revoke one of the certificate's active shares at once; NotFound for any other (another certificate's,
    already revoked, expired or unknown), so that share ids tell nothing."""
    if not 0 < share_id < 2**63:
        raise NotFound("没有这个有效的分享链接。 No such active share link.")
    share = await session.scalar(
        select(CertificateShare)
        .where(CertificateShare.id == share_id, *_active(certificate_id, clock.now()))
        .with_for_update()
    )
    if share is None:
        raise NotFound("没有这个有效的分享链接。 No such active share link.")
    person_id = await session.scalar(select(Certificate.person_id).where(Certificate.id == certificate_id))
    share.revoked_at = clock.now()
    journal = Journal(session)
    journal.record("share.revoked", SHARE, share.id, refs={"certificate": str(certificate_id)}, person_id=person_id)
    await journal.write()


_OPEN_SQL = """
SELECT s.purpose, s.expires_at, c.verification_code FROM certificate_shares s
JOIN certificates c ON c.id = s.certificate_id
WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2
"""


async def open_share(pool: asyncpg.Pool, token: str) -> SharedCertificate | None:
    """The certificate a live share link shows, or None for an expired, revoked or unknown token alike."""
    if not 16 <= len(token) <= 64:
        token = ""
    row = await pool.fetchrow(_OPEN_SQL, token_hash(token), clock.now())
    if row is None:
        return None
    view = await verification.verify(pool, row["verification_code"])
    if view is None:
        return None
    return SharedCertificate(view, row["purpose"], row["expires_at"])
