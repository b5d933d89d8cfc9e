"""legacy certificates as a person-by-person baseline

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 03:30:00

Imported 职业资格证书 (kind legacy_qualification) have no course or completion, may carry a level, and are issued by
a per-region `archive` institution. The talent timeline and rollup gain a layer (B both views, A with the legacy
certificates, L without them) so that reports can include or leave out the baseline and stay exact.

The rollup (talent_months, talent_days) changes shape, so its old rows are emptied here; the operator rebuilds it
with `ledger stats rebuild` (README, "Upgrading"). The revision changes the schema only and runs no application
code, so it does the same on every database whatever the code around it becomes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CELL = ["region_code", "jurisdiction", "level", "occupation_code", "sex", "birth_year"]
_LAYERS = "layer IN ('B', 'A', 'L')"
_CUBES = (1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24)


def upgrade() -> None:
    op.drop_constraint(op.f("ck_institutions_kind"), "institutions", type_="check")
    op.create_check_constraint(
        op.f("ck_institutions_kind"),
        "institutions",
        "kind IN ('training', 'technical_school', 'evaluator', 'enterprise', 'archive')",
    )
    op.alter_column("certificates", "course_id", existing_type=sa.BigInteger(), nullable=True)
    op.alter_column("certificates", "completion_id", existing_type=sa.BigInteger(), nullable=True)
    op.drop_constraint(op.f("ck_certificates_level_for_kind"), "certificates", type_="check")
    op.create_check_constraint(
        op.f("ck_certificates_level_for_kind"),
        "certificates",
        "CASE kind WHEN 'skill_level' THEN level IS NOT NULL WHEN 'legacy_qualification' THEN true "
        "ELSE level IS NULL END",
    )
    op.create_check_constraint(
        op.f("ck_certificates_course_for_kind"),
        "certificates",
        "kind = 'legacy_qualification' OR (course_id IS NOT NULL AND completion_id IS NOT NULL)",
    )
    op.create_check_constraint(
        op.f("ck_certificates_legacy_number_format"),
        "certificates",
        r"kind <> 'legacy_qualification' OR number ~ '^[0-9]{16}$'",
    )
    # the rollup is derived from the spells and its rows have the old grains: empty it (`ledger stats rebuild`
    # recomputes it; until then `ledger db upgrade` and `ledger serve` say so)
    op.execute("TRUNCATE talent_months, talent_days")
    for table in ("talent_spells", "talent_months", "talent_days"):
        op.add_column(table, sa.Column("layer", sa.String(length=1), server_default=sa.text("'B'"), nullable=False))
        op.create_check_constraint(op.f(f"ck_{table}_layer"), table, _LAYERS)
    for table in ("talent_months", "talent_days"):  # three grains of region per cube (see tables.py)
        op.drop_constraint(op.f(f"ck_{table}_cube"), table, type_="check")
        op.create_check_constraint(op.f(f"ck_{table}_cube"), table, f"cube IN {_CUBES}")
    op.drop_constraint(op.f("pk_talent_months"), "talent_months", type_="primary")
    op.create_primary_key(op.f("pk_talent_months"), "talent_months", ["cube", "basis", *_CELL, "layer"])
    op.drop_constraint(op.f("pk_talent_days"), "talent_days", type_="primary")
    op.create_primary_key(op.f("pk_talent_days"), "talent_days", ["cube", "basis", "day", *_CELL, "layer"])


def downgrade() -> None:
    # the coarser grains and cube 4 are derived data: drop them (a downgraded ledger rebuilds nothing it needs)
    op.execute("DELETE FROM talent_months WHERE cube > 3")
    op.execute("DELETE FROM talent_days WHERE cube > 3")
    for table in ("talent_months", "talent_days"):
        op.drop_constraint(op.f(f"ck_{table}_cube"), table, type_="check")
        op.create_check_constraint(op.f(f"ck_{table}_cube"), table, "cube IN (1, 2, 3)")
    op.execute("DELETE FROM talent_spells WHERE layer <> 'B'")
    op.execute("DELETE FROM talent_months WHERE layer <> 'B'")
    op.execute("DELETE FROM talent_days WHERE layer <> 'B'")
    op.drop_constraint(op.f("pk_talent_days"), "talent_days", type_="primary")
    op.create_primary_key(op.f("pk_talent_days"), "talent_days", ["cube", "basis", "day", *_CELL])
    op.drop_constraint(op.f("pk_talent_months"), "talent_months", type_="primary")
    op.create_primary_key(op.f("pk_talent_months"), "talent_months", ["cube", "basis", *_CELL])
    for table in ("talent_spells", "talent_months", "talent_days"):
        op.drop_constraint(op.f(f"ck_{table}_layer"), table, type_="check")
        op.drop_column(table, "layer")
    op.drop_constraint(op.f("ck_certificates_legacy_number_format"), "certificates", type_="check")
    op.drop_constraint(op.f("ck_certificates_course_for_kind"), "certificates", type_="check")
    op.drop_constraint(op.f("ck_certificates_level_for_kind"), "certificates", type_="check")
    op.create_check_constraint(
        op.f("ck_certificates_level_for_kind"), "certificates", "(kind = 'skill_level') = (level IS NOT NULL)"
    )
    op.alter_column("certificates", "completion_id", existing_type=sa.BigInteger(), nullable=False)
    op.alter_column("certificates", "course_id", existing_type=sa.BigInteger(), nullable=False)
    op.drop_constraint(op.f("ck_institutions_kind"), "institutions", type_="check")
    op.create_check_constraint(
        op.f("ck_institutions_kind"),
        "institutions",
        "kind IN ('training', 'technical_school', 'evaluator', 'enterprise')",
    )
