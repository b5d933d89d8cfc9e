"""Tables of tenancy: institutions, their evaluator filings, API keys and idempotency records.

Every invariant that must never break has a constraint here."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ledger.database.base import Base, _now

JURISDICTIONS = ("zizhiqu", "bingtuan")
INSTITUTION_KINDS = ("training", "technical_school", "evaluator", "enterprise", "archive")
ARCHIVE = "archive"  # the issuer of imported legacy certificates, one per region; never has keys
KEY_KINDS = ("admin", "institution", "bureau")


class Institution(Base):
    __tablename__ = "institutions"
    __table_args__ = (
        CheckConstraint(f"kind IN {INSTITUTION_KINDS}", name="kind"),
        CheckConstraint(f"jurisdiction IN {JURISDICTIONS}", name="jurisdiction"),
        CheckConstraint("code ~ '^[A-Za-z0-9_-]{2,32}$'", name="code_format"),
        CheckConstraint(
            "(evaluator_category IS NULL AND filing_code IS NULL AND site_code IS NULL) OR "
            "(evaluator_category IN ('Y', 'S') AND filing_code ~ '^[0-9]{4}$' AND site_code ~ '^[0-9]{6}$')",
            name="filing",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(24))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    jurisdiction: Mapped[str] = mapped_column(String(12))
    evaluator_category: Mapped[str | None] = mapped_column(String(1))
    filing_code: Mapped[str | None] = mapped_column(String(4))
    site_code: Mapped[str | None] = mapped_column(String(6))
    created_at: Mapped[dt.datetime] = _now()


class EvaluatorFiling(Base):
    """One occupation and level an evaluator institution is filed (备案) to assess."""

    __tablename__ = "evaluator_filings"
    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="level"),)

    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), primary_key=True)
    occupation_code: Mapped[str] = mapped_column(ForeignKey("occupations.code"), primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)


class ApiKey(Base):
    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint(f"kind IN {KEY_KINDS}", name="kind"),
        CheckConstraint(
            "(kind = 'admin' AND institution_id IS NULL AND region_code IS NULL) OR "
            "(kind = 'institution' AND institution_id IS NOT NULL AND region_code IS NULL) OR "
            "(kind = 'bureau' AND institution_id IS NULL AND region_code IS NOT NULL)",
            name="scope",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    display_prefix: Mapped[str] = mapped_column(String(24))
    kind: Mapped[str] = mapped_column(String(12))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(String(6))
    label: Mapped[str] = mapped_column(String(128), server_default="")
    created_at: Mapped[dt.datetime] = _now()
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class IdempotencyRecord(Base):
    """The first response to a write made with an Idempotency-Key, replayed for retries of the same body."""

    __tablename__ = "idempotency_records"
    __table_args__ = (
        UniqueConstraint("api_key_id", "key"),
        Index("ix_idempotency_records_created_at", "created_at"),  # expiry deletes the oldest first
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[bytes] = mapped_column(LargeBinary(32))
    status_code: Mapped[int | None] = mapped_column(SmallInteger)
    media_type: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = _now()
