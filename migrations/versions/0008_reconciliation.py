"""reconciliation: the survey's published figures, recorded beside the ledger's count

Revision ID: 0008_reconciliation
Revises: 0007
Create Date: 2027-01-05 10:00:00

A bureau records each figure the 人才资源统计调查 published (技能人才, 高技能人才) for a region and date, with its
source; GET /api/v1/stats/reconciliation sets the ledger's own count beside it. One row per region, jurisdiction,
figure and date (a correction replaces it, and is a new ledger entry).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_reconciliation"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "published_figures",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("jurisdiction", sa.String(length=12), server_default=sa.text("'all'"), nullable=False),
        sa.Column("figure", sa.String(length=16), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("figure IN ('talent', 'high_skill')", name=op.f("ck_published_figures_figure")),
        sa.CheckConstraint(
            "jurisdiction IN ('all', 'zizhiqu', 'bingtuan')", name=op.f("ck_published_figures_jurisdiction")
        ),
        sa.CheckConstraint("value BETWEEN 0 AND 10000000000", name=op.f("ck_published_figures_value")),
        sa.CheckConstraint("char_length(source) BETWEEN 1 AND 500", name=op.f("ck_published_figures_source")),
        sa.CheckConstraint("published_on IS NULL OR published_on >= as_of", name=op.f("ck_published_figures_dates")),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_published_figures_region_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_published_figures")),
        sa.UniqueConstraint(
            "region_code",
            "jurisdiction",
            "figure",
            "as_of",
            name=op.f("uq_published_figures_region_code_jurisdiction_figure_as_of"),
        ),
    )


def downgrade() -> None:
    op.drop_table("published_figures")
