"""Tables of the registration domain. Every invariant that must never break has a constraint here."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JURISDICTIONS = ("zizhiqu", "bingtuan")
INSTITUTION_KINDS = ("training", "technical_school", "evaluator", "enterprise", "archive")
ARCHIVE = "archive"  # the issuer of imported legacy certificates, one per region; never has keys
COURSE_OUTCOMES = ("skill_level", "special_ability", "training")
DUAL_RULES = ("none", "training_skill", "graduation_skill")
MODE_TAGS = ("order", "project", "industry_education_evaluation", "skills_light_future")
KEY_KINDS = ("admin", "institution", "bureau")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _now() -> Mapped[dt.datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


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


class Trainee(Base):
    """A person as one institution knows them. Institutions never see each other's trainees."""

    __tablename__ = "trainees"
    __table_args__ = (UniqueConstraint("institution_id", "person_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    phone_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    domicile_region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    created_at: Mapped[dt.datetime] = _now()


class Course(Base):
    __tablename__ = "courses"
    __table_args__ = (
        UniqueConstraint("institution_id", "code"),
        CheckConstraint(f"outcome IN {COURSE_OUTCOMES}", name="outcome"),
        CheckConstraint(f"dual_rule IN {DUAL_RULES}", name="dual_rule"),
        CheckConstraint("target_level IS NULL OR target_level BETWEEN 1 AND 5", name="target_level"),
        CheckConstraint("(outcome = 'training') = (target_level IS NULL)", name="level_for_outcome"),
        CheckConstraint("dual_rule = 'none' OR outcome <> 'training'", name="dual_needs_certificate"),
        CheckConstraint("hours > 0", name="hours"),
        CheckConstraint("ends_on >= starts_on", name="dates"),
        CheckConstraint(f"mode_tags <@ ARRAY{list(MODE_TAGS)}::varchar[]", name="mode_tags"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))
    occupation_code: Mapped[str] = mapped_column(ForeignKey("occupations.code"))
    catalogue_version: Mapped[str] = mapped_column(String(16))
    work_type: Mapped[str] = mapped_column(String(64), server_default="")
    target_level: Mapped[int | None] = mapped_column(SmallInteger)
    outcome: Mapped[str] = mapped_column(String(16))
    dual_rule: Mapped[str] = mapped_column(String(20))
    mode_tags: Mapped[list[str]] = mapped_column(ARRAY(String(32)), server_default="{}")
    hours: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = _now()


class Completion(Base):
    """One trainee finishing one course. At most one per trainee and course."""

    __tablename__ = "completions"
    __table_args__ = (
        UniqueConstraint("course_id", "trainee_id"),
        CheckConstraint("hours >= 0", name="hours"),
        CheckConstraint("assessment_level IS NULL OR assessment_level BETWEEN 1 AND 5", name="level"),
        CheckConstraint("theory_score IS NULL OR theory_score BETWEEN 0 AND 100", name="theory_score"),
        CheckConstraint("practical_score IS NULL OR practical_score BETWEEN 0 AND 100", name="practical_score"),
        CheckConstraint("assessed_on IS NULL OR assessed_on <= completed_on + 366", name="assessed_on"),
        Index("ix_completions_trainee_id", "trainee_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    trainee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("trainees.id"))
    completed_on: Mapped[dt.date] = mapped_column(Date)
    hours: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean)
    assessment_level: Mapped[int | None] = mapped_column(SmallInteger)
    theory_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    practical_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    assessed_on: Mapped[dt.date | None] = mapped_column(Date)
    graduation_number: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = _now()


class IdempotencyRecord(Base):
    """The first response to a write made with an Idempotency-Key, replayed for retries of the same body."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("api_key_id", "key"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[bytes] = mapped_column(LargeBinary(32))
    status_code: Mapped[int | None] = mapped_column(SmallInteger)
    media_type: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = _now()
