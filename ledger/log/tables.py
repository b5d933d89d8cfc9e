"""Log tables. The database refuses UPDATE, DELETE and TRUNCATE on all of them but the head row and the salts
(see the migration that creates them)."""

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
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ledger.database.base import Base, _now


class LedgerHead(Base):
    """The single row whose lock serialises appends: tree size and root after the last append."""

    __tablename__ = "ledger_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"), CheckConstraint("size >= 0", name="size"))

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    updated_at: Mapped[dt.datetime] = _now()


class LedgerEntry(Base):
    """Leaf `idx` of the tree: the canonical leaf bytes (no personal data) and their RFC 9162 leaf hash."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("idx >= 0", name="idx"),
        Index("ix_ledger_entries_subject", "subject_type", "subject_id", "idx"),
    )

    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(48))
    subject_type: Mapped[str] = mapped_column(String(24))
    subject_id: Mapped[str] = mapped_column(String(64))
    leaf: Mapped[bytes] = mapped_column(LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[dt.datetime] = _now()


class LedgerNode(Base):
    """Hash of the complete subtree covering leaves [idx·2^level, (idx+1)·2^level): enough for O(log n) proofs."""

    __tablename__ = "ledger_nodes"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerCheckpoint(Base):
    """A signed note (C2SP tlog-checkpoint) over the tree at `size`."""

    __tablename__ = "ledger_checkpoints"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _now()


class LedgerSalt(Base):
    """The salt of an entry's commitment. Erasing a person deletes their salts; the leaves stay and still verify."""

    __tablename__ = "ledger_salts"

    entry_idx: Mapped[int] = mapped_column(ForeignKey("ledger_entries.idx"), primary_key=True)
    person_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    salt: Mapped[bytes] = mapped_column(LargeBinary(16))


class SigningKey(Base):
    """Ed25519 keys for checkpoints and certificate tokens. The private half is sealed with the PII key."""

    __tablename__ = "signing_keys"
    __table_args__ = (CheckConstraint("purpose IN ('checkpoint', 'certificate')", name="purpose"),)

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    private_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = _now()
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text, server_default="")
