"""Tables of registration: courses, trainees and completions.

Every invariant that must never break has a constraint here."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from ledger.database.base import Base, _now

COURSE_OUTCOMES = ("skill_level", "special_ability", "training")
DUAL_RULES = ("none", "training_skill", "graduation_skill")
MODE_TAGS = ("order", "project", "industry_education_evaluation", "skills_light_future")


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
