"""Tables of certificates, their status history, dual awards and number allocation."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ledger.certificates.reasons import REASON_CODES
from ledger.database.base import Base, _now

CERTIFICATE_KINDS = ("skill_level", "special_ability", "training", "graduation", "legacy_qualification")
STATUSES = ("valid", "suspended", "revoked", "superseded")
_REASON_SQL = ", ".join(f"'{code}'" for code in REASON_CODES)
STATUS_LIST_BITS = 1 << 24  # 16,777,216 positions: random indices stay sparse at provincial scale


class Certificate(Base):
    """A certificate as issued. `snapshot` is its frozen printed content; only status columns ever change."""

    __tablename__ = "certificates"
    __table_args__ = (
        CheckConstraint(f"kind IN {CERTIFICATE_KINDS}", name="kind"),
        CheckConstraint(f"status IN {STATUSES}", name="status"),
        CheckConstraint("level IS NULL OR level BETWEEN 1 AND 5", name="level"),
        # a skill certificate always has a level, a legacy 职业资格证书 may (五级 … 一级), other kinds never
        CheckConstraint(
            "CASE kind WHEN 'skill_level' THEN level IS NOT NULL WHEN 'legacy_qualification' THEN true "
            "ELSE level IS NULL END",
            name="level_for_kind",
        ),
        # imported legacy certificates come from no course of the ledger
        CheckConstraint(
            "kind = 'legacy_qualification' OR (course_id IS NOT NULL AND completion_id IS NOT NULL)",
            name="course_for_kind",
        ),
        CheckConstraint(r"kind <> 'legacy_qualification' OR number ~ '^[0-9]{16}$'", name="legacy_number_format"),
        CheckConstraint(
            r"kind <> 'skill_level' OR number ~ '^[YS][0-9]{4}[0-9]{2}[0-9]{6}[0-9]{2}[1-5][0-9]{6}$'",
            name="skill_number_format",
        ),
        CheckConstraint(
            "kind <> 'skill_level' OR (substr(number, 16, 1)::int = level "
            "AND substr(number, 14, 2) = to_char(issued_on, 'YY'))",
            name="skill_number_digits",
        ),
        CheckConstraint("verification_code ~ '^[A-Z2-7]{16}$'", name="verification_code"),
        CheckConstraint(f"status_index >= 0 AND status_index < {STATUS_LIST_BITS}", name="status_index"),
        CheckConstraint("(status = 'superseded') = (superseded_by_id IS NOT NULL)", name="superseded"),
        Index("uq_certificates_number", "number", unique=True, postgresql_where=text("kind <> 'graduation'")),
        Index(
            "uq_certificates_graduation_number",
            "institution_id",
            "number",
            unique=True,
            postgresql_where=text("kind = 'graduation'"),
        ),
        Index(
            "uq_certificates_original_per_completion",
            "completion_id",
            "kind",
            unique=True,
            postgresql_where=text("supersedes_id IS NULL"),
        ),
        Index("ix_certificates_person_id", "person_id"),
        Index("ix_certificates_course_id", "course_id"),
        CheckConstraint(f"status_reason_code IN ('', {_REASON_SQL})", name="status_reason_code"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(24))
    number: Mapped[str] = mapped_column(String(64))
    verification_code: Mapped[str] = mapped_column(String(16), unique=True)
    status_index: Mapped[int] = mapped_column(Integer, unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"))  # None: imported legacy certificate
    completion_id: Mapped[int | None] = mapped_column(ForeignKey("completions.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    occupation_code: Mapped[str] = mapped_column(ForeignKey("occupations.code"))
    level: Mapped[int | None] = mapped_column(SmallInteger)
    issued_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), server_default="valid")
    status_reason: Mapped[str] = mapped_column(Text, server_default="")  # free text beside the code
    status_reason_code: Mapped[str] = mapped_column(String(24), server_default="")  # one of REASON_CODES
    status_effective_on: Mapped[dt.date | None] = mapped_column(Date)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"), unique=True)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"), unique=True)
    template_version: Mapped[str] = mapped_column(String(16))
    snapshot: Mapped[dict] = mapped_column(JSONB)
    created_at: Mapped[dt.datetime] = _now()


class CertificateStatusChange(Base):
    """Every status change with its reason and effective date, so counts can be taken as of any date."""

    __tablename__ = "certificate_status_changes"
    __table_args__ = (
        CheckConstraint("status IN ('suspended', 'revoked', 'superseded', 'valid')", name="status"),
        CheckConstraint(f"reason_code IN ({_REASON_SQL})", name="reason_code"),
        Index("ix_certificate_status_changes_certificate", "certificate_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"))
    status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(Text)
    reason_code: Mapped[str] = mapped_column(String(24), server_default="other")
    effective_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = _now()


class DualAward(Base):
    """Two certificates of one person from one completion (一培双证 / 一考双证)."""

    __tablename__ = "dual_awards"
    __table_args__ = (CheckConstraint("rule IN ('training_skill', 'graduation_skill')", name="rule"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    completion_id: Mapped[int] = mapped_column(ForeignKey("completions.id"), unique=True)
    rule: Mapped[str] = mapped_column(String(20))
    companion_certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"))
    skill_certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"))
    created_at: Mapped[dt.datetime] = _now()


class NumberCounter(Base):
    """The next serial per number prefix (evaluator site + year + level, or kind + year). The row lock held until
    commit makes serials gapless and unique: a rolled-back issue rolls its increment back too."""

    __tablename__ = "number_counters"
    __table_args__ = (CheckConstraint("last_serial >= 0", name="last_serial"),)

    prefix: Mapped[str] = mapped_column(String(24), primary_key=True)
    last_serial: Mapped[int] = mapped_column(Integer)


class CertificatePdf(Base):
    """A signed PDF, kept once made, so that every later download returns the same bytes."""

    __tablename__ = "certificate_pdfs"

    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), primary_key=True)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = _now()


class HolderCheckBudget(Base):
    """The times of a certificate's recent failed holder checks (those inside the window), whatever the client
    address: once the budget is spent, that certificate's check is refused until the oldest failure ages out."""

    __tablename__ = "holder_check_budgets"

    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), primary_key=True)
    failures: Mapped[list[dt.datetime]] = mapped_column(ARRAY(DateTime(timezone=True)), server_default=text("'{}'"))


class CertificateShare(Base):
    """A link the holder made to show the certificate, with the full name, to someone for a stated purpose.
    Only the token's SHA-256 is kept; the link itself is shown to the holder once."""

    __tablename__ = "certificate_shares"
    __table_args__ = (
        CheckConstraint("length(token_hash) = 32", name="token_hash"),
        CheckConstraint("char_length(purpose) BETWEEN 1 AND 100", name="purpose"),
        CheckConstraint("expires_at > created_at AND expires_at <= created_at + interval '90 days'", name="expiry"),
        Index("ix_certificate_shares_certificate", "certificate_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"))
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    purpose: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _now()
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


__all__ = [
    "Certificate",
    "CertificatePdf",
    "CertificateShare",
    "CertificateStatusChange",
    "DualAward",
    "HolderCheckBudget",
    "NumberCounter",
]
