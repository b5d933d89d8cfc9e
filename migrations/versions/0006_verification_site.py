"""the verification site: reason codes, the holder check's failure budget, share links

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 14:00:00

A status change gives its reason as one of a fixed list of codes (so every page can say it in its language), with
free text beside it; rows from before keep their text under the code `other`. The holder check keeps, per
certificate, the times of its recent failed attempts (a budget that holds whatever the client address). A holder
who passes the check can share the certificate: a share is a hash of its token, a purpose and an expiry.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CODES = (
    "'exam_misconduct', 'false_material', 'issued_in_error', 'wrong_information', 'name_correction', "
    "'damaged_or_lost', 'holder_request', 'under_review', 'review_cleared', 'other'"
)


def upgrade() -> None:
    op.add_column(
        "certificates", sa.Column("status_reason_code", sa.String(length=24), server_default="", nullable=False)
    )
    op.execute("UPDATE certificates SET status_reason_code = 'other' WHERE status_reason <> ''")
    op.create_check_constraint(
        op.f("ck_certificates_status_reason_code"), "certificates", f"status_reason_code IN ('', {_CODES})"
    )
    op.add_column(
        "certificate_status_changes",
        sa.Column("reason_code", sa.String(length=24), server_default="other", nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_certificate_status_changes_reason_code"), "certificate_status_changes", f"reason_code IN ({_CODES})"
    )
    op.create_table(
        "holder_check_budgets",
        sa.Column("certificate_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "failures", postgresql.ARRAY(sa.DateTime(timezone=True)), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["certificate_id"], ["certificates.id"], name=op.f("fk_holder_check_budgets_certificate_id_certificates")
        ),
        sa.PrimaryKeyConstraint("certificate_id", name=op.f("pk_holder_check_budgets")),
    )
    op.create_table(
        "certificate_shares",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("certificate_id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("length(token_hash) = 32", name=op.f("ck_certificate_shares_token_hash")),
        sa.CheckConstraint("char_length(purpose) BETWEEN 1 AND 100", name=op.f("ck_certificate_shares_purpose")),
        sa.CheckConstraint(
            "expires_at > created_at AND expires_at <= created_at + interval '90 days'",
            name=op.f("ck_certificate_shares_expiry"),
        ),
        sa.ForeignKeyConstraint(
            ["certificate_id"], ["certificates.id"], name=op.f("fk_certificate_shares_certificate_id_certificates")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_shares")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_certificate_shares_token_hash")),
    )
    op.create_index("ix_certificate_shares_certificate", "certificate_shares", ["certificate_id"])


def downgrade() -> None:
    op.drop_index("ix_certificate_shares_certificate", table_name="certificate_shares")
    op.drop_table("certificate_shares")
    op.drop_table("holder_check_budgets")
    op.drop_constraint(op.f("ck_certificate_status_changes_reason_code"), "certificate_status_changes", type_="check")
    op.drop_column("certificate_status_changes", "reason_code")
    op.drop_constraint(op.f("ck_certificates_status_reason_code"), "certificates", type_="check")
    op.drop_column("certificates", "status_reason_code")
