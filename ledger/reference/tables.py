"""Reference tables: regions (GB/T 2260) and occupations (国家职业分类大典).

Every invariant that must never break has a constraint here."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ledger.database.base import Base


class Region(Base):
    __tablename__ = "regions"
    __table_args__ = (
        CheckConstraint("level IN ('province', 'prefecture', 'county')", name="level"),
        CheckConstraint("jurisdiction IS NULL OR jurisdiction IN ('zizhiqu', 'bingtuan')", name="jurisdiction"),
        CheckConstraint("code ~ '^[1-9][0-9]{5}$'", name="code_format"),
    )

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    level: Mapped[str] = mapped_column(String(12))
    south4: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    jurisdiction: Mapped[str | None] = mapped_column(String(12))


class Occupation(Base):
    __tablename__ = "occupations"
    __table_args__ = (
        CheckConstraint(r"code ~ '^[1-8]-[0-9]{2}-[0-9]{2}-[0-9]{2}$'", name="code_format"),
        CheckConstraint("major_group BETWEEN 1 AND 8", name="major_group"),
    )

    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    major_group: Mapped[int] = mapped_column(SmallInteger)
    catalogue_version: Mapped[str] = mapped_column(String(16))
