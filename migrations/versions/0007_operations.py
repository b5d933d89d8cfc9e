"""operations: idempotency records expire

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 15:00:00

Idempotency records are kept for a limited time (LEDGER_IDEMPOTENCY_HOURS); the server deletes the oldest first,
which this index on their creation time makes a range scan instead of a pass over the whole table.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_idempotency_records_created_at", "idempotency_records", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_records_created_at", table_name="idempotency_records")
