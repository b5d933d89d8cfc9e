"""Tables of jobs: stored files (kept in ~1 MiB parts), jobs with their lease and progress, and each imported row.

Every invariant that must never break has a constraint here."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
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
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ledger.database.base import Base, _now

JOB_KINDS = ("import", "course_pdf")
JOB_STATES = ("queued", "running", "succeeded", "failed")
ROW_STATUSES = ("created", "unchanged")


class StoredFile(Base):
    """A file an institution uploaded (or a job produced), kept until `expires_at`; its bytes are its parts."""

    __tablename__ = "stored_files"
    __table_args__ = (
        CheckConstraint("size >= 0", name="size"),
        CheckConstraint("parts >= 0", name="parts"),
        CheckConstraint("sha256 IS NULL OR length(sha256) = 32", name="sha256"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(BigInteger, server_default="0")
    parts: Mapped[int] = mapped_column(Integer, server_default="0")
    sha256: Mapped[bytes | None] = mapped_column(LargeBinary(32))  # set once every part is written
    created_at: Mapped[dt.datetime] = _now()
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class StoredFilePart(Base):
    """One part of a stored file, read and written one at a time so that no file is ever held whole in memory."""

    __tablename__ = "stored_file_parts"
    __table_args__ = (CheckConstraint("part >= 0", name="part"),)

    file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stored_files.id", ondelete="CASCADE"), primary_key=True)
    part: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Job(Base):
    """Long work an institution asked for: queued, claimed by one worker under a lease, its progress committed
    with the work it measures."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(f"kind IN {JOB_KINDS}", name="kind"),
        CheckConstraint(f"state IN {JOB_STATES}", name="state"),
        CheckConstraint("done >= 0 AND (total IS NULL OR total >= 0)", name="progress"),
        CheckConstraint("error_count >= 0 AND attempts >= 0", name="counts"),
        CheckConstraint("(state IN ('succeeded', 'failed')) = (finished_at IS NOT NULL)", name="finished"),
        CheckConstraint("state <> 'running' OR (lease_owner IS NOT NULL AND lease_until IS NOT NULL)", name="lease"),
        Index("ix_jobs_institution_id_created_at", "institution_id", "created_at"),
        Index("ix_jobs_waiting", "created_at", postgresql_where=text("state IN ('queued', 'running')")),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    kind: Mapped[str] = mapped_column(String(24))
    state: Mapped[str] = mapped_column(String(12), server_default="queued")
    params: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    input_file_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("stored_files.id", ondelete="SET NULL"), index=True
    )
    output_file_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("stored_files.id", ondelete="SET NULL"), index=True
    )
    total: Mapped[int | None] = mapped_column(BigInteger)
    done: Mapped[int] = mapped_column(BigInteger, server_default="0")
    result: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    errors: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))  # capped; error_count is all
    error_count: Mapped[int] = mapped_column(Integer, server_default="0")
    message: Mapped[str | None] = mapped_column(Text)  # why it failed, Chinese first
    attempts: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _now()
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class JobRow(Base):
    """One registered row of an import job: its sheet row and the completion it created or found unchanged; the
    certificates it earned are those of the completion."""

    __tablename__ = "job_rows"
    __table_args__ = (CheckConstraint(f"status IN {ROW_STATUSES}", name="status"),)

    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    row: Mapped[int] = mapped_column(Integer, primary_key=True)  # the row number as the spreadsheet shows it
    completion_id: Mapped[int] = mapped_column(ForeignKey("completions.id"))
    status: Mapped[str] = mapped_column(String(12))
