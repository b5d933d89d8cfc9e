"""The persons table: one row per distinct ID number, sealed and keyed by HMAC.

Every invariant that must never break has a constraint here."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from ledger.database.base import Base, _now


class Person(Base):
    """One natural person across the province, keyed by the HMAC of the ID number. No plaintext ID here."""

    __tablename__ = "persons"
    __table_args__ = (CheckConstraint("sex IN ('M', 'F')", name="sex"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    id_lookup: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    id_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_masked: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(64))
    name_key: Mapped[str] = mapped_column(String(64), index=True)
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = _now()
    erased_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
