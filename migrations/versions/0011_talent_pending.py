"""talent_pending: the refreshes' rollup moves, folded into the rollup off the write path

Revision ID: 0011_talent_pending
Revises: 0010_rollup_compact
Create Date: 2026-12-02 00:30:00

A refresh appends its netted moves (cube at the recorded region, day, packed cell key, persons) here instead of
upserting the rollup's cells and day rows; `fold_pending` moves them into `talent_cells` / `talent_days` and a
talent query adds the rows not yet folded. Vacuumed after every thousand dead rows whatever its size.

Downgrade: the rows not yet folded are moves the rollup lacks, so the rollup is emptied with the table; the old
code's `ledger stats rebuild` fills it again from the spells (README, "Upgrading").
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_talent_pending"
down_revision: str | None = "0010_rollup_compact"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "talent_pending",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("cube", sa.SmallInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("cell", sa.BigInteger(), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talent_pending")),
        postgresql_with={"autovacuum_vacuum_threshold": "1000", "autovacuum_vacuum_scale_factor": "0"},
    )


def downgrade() -> None:
    op.drop_table("talent_pending")
    op.execute("TRUNCATE talent_cells, talent_days")
