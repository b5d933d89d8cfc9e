"""jobs and stored files

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 13:23:33

Long work runs as jobs kept in PostgreSQL (docs/jobs.md): `jobs` holds each job's state, lease and progress;
`stored_files` with `stored_file_parts` keeps an uploaded (or produced) file in ~1 MiB parts, so that no file is
read into memory whole; `job_rows` says which completion each row of an import job registered. New tables only:
nothing existing changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stored_files",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("institution_id", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=128), nullable=False),
        sa.Column("size", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("parts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("sha256", sa.LargeBinary(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("parts >= 0", name=op.f("ck_stored_files_parts")),
        sa.CheckConstraint("sha256 IS NULL OR length(sha256) = 32", name=op.f("ck_stored_files_sha256")),
        sa.CheckConstraint("size >= 0", name=op.f("ck_stored_files_size")),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_stored_files_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_files")),
    )
    op.create_index(op.f("ix_stored_files_expires_at"), "stored_files", ["expires_at"], unique=False)
    op.create_index(op.f("ix_stored_files_institution_id"), "stored_files", ["institution_id"], unique=False)
    op.create_table(
        "jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("institution_id", sa.BigInteger(), nullable=False),
        sa.Column("api_key_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("state", sa.String(length=12), server_default="queued", nullable=False),
        sa.Column(
            "params", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False
        ),
        sa.Column("input_file_id", sa.Uuid(), nullable=True),
        sa.Column("output_file_id", sa.Uuid(), nullable=True),
        sa.Column("total", sa.BigInteger(), nullable=True),
        sa.Column("done", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column(
            "result", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False
        ),
        sa.Column(
            "errors", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False
        ),
        sa.Column("error_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("attempts", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(state IN ('succeeded', 'failed')) = (finished_at IS NOT NULL)", name=op.f("ck_jobs_finished")
        ),
        sa.CheckConstraint("kind IN ('import', 'course_pdf')", name=op.f("ck_jobs_kind")),
        sa.CheckConstraint(
            "state <> 'running' OR (lease_owner IS NOT NULL AND lease_until IS NOT NULL)", name=op.f("ck_jobs_lease")
        ),
        sa.CheckConstraint("state IN ('queued', 'running', 'succeeded', 'failed')", name=op.f("ck_jobs_state")),
        sa.CheckConstraint("done >= 0 AND (total IS NULL OR total >= 0)", name=op.f("ck_jobs_progress")),
        sa.CheckConstraint("error_count >= 0 AND attempts >= 0", name=op.f("ck_jobs_counts")),
        sa.ForeignKeyConstraint(["api_key_id"], ["api_keys.id"], name=op.f("fk_jobs_api_key_id_api_keys")),
        sa.ForeignKeyConstraint(
            ["input_file_id"], ["stored_files.id"], name=op.f("fk_jobs_input_file_id_stored_files"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_jobs_institution_id_institutions")
        ),
        sa.ForeignKeyConstraint(
            ["output_file_id"],
            ["stored_files.id"],
            name=op.f("fk_jobs_output_file_id_stored_files"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index(op.f("ix_jobs_input_file_id"), "jobs", ["input_file_id"], unique=False)
    op.create_index("ix_jobs_institution_id_created_at", "jobs", ["institution_id", "created_at"], unique=False)
    op.create_index(op.f("ix_jobs_output_file_id"), "jobs", ["output_file_id"], unique=False)
    op.create_index(
        "ix_jobs_waiting",
        "jobs",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("state IN ('queued', 'running')"),
    )
    op.create_table(
        "stored_file_parts",
        sa.Column("file_id", sa.Uuid(), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("part >= 0", name=op.f("ck_stored_file_parts_part")),
        sa.ForeignKeyConstraint(
            ["file_id"], ["stored_files.id"], name=op.f("fk_stored_file_parts_file_id_stored_files"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("file_id", "part", name=op.f("pk_stored_file_parts")),
    )
    op.create_table(
        "job_rows",
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("completion_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.CheckConstraint("status IN ('created', 'unchanged')", name=op.f("ck_job_rows_status")),
        sa.ForeignKeyConstraint(
            ["completion_id"], ["completions.id"], name=op.f("fk_job_rows_completion_id_completions")
        ),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_job_rows_job_id_jobs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("job_id", "row", name=op.f("pk_job_rows")),
    )


def downgrade() -> None:
    op.drop_table("job_rows")
    op.drop_table("stored_file_parts")
    op.drop_index("ix_jobs_waiting", table_name="jobs", postgresql_where=sa.text("state IN ('queued', 'running')"))
    op.drop_index(op.f("ix_jobs_output_file_id"), table_name="jobs")
    op.drop_index("ix_jobs_institution_id_created_at", table_name="jobs")
    op.drop_index(op.f("ix_jobs_input_file_id"), table_name="jobs")
    op.drop_table("jobs")
    op.drop_index(op.f("ix_stored_files_institution_id"), table_name="stored_files")
    op.drop_index(op.f("ix_stored_files_expires_at"), table_name="stored_files")
    op.drop_table("stored_files")
