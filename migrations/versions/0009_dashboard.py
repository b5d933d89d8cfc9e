"""dashboard: new high-skill talent as a plan metric

Revision ID: 0009_dashboard
Revises: 0008_reconciliation
Create Date: 2026-12-01 18:00:00

A plan may follow 新增高技能人才 under either definition of SPEC §2.6: `new_high_skill` (a, first reached 三级 or
above in the plan's period) and `new_high_skill_obtained` (b, obtained a 三级-or-above certificate in it).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_dashboard"
down_revision: str | None = "0008_reconciliation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = "'training_person_times', 'training_persons', 'talent', 'high_skill', 'certificates'"
_AFTER = f"{_BEFORE}, 'new_high_skill', 'new_high_skill_obtained'"


def _metrics(allowed: str) -> None:
    op.execute(
        "ALTER TABLE plan_targets DROP CONSTRAINT ck_plan_targets_metric, "
        f"ADD CONSTRAINT ck_plan_targets_metric CHECK (metric IN ({allowed}))"
    )


def upgrade() -> None:
    _metrics(_AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM plan_targets WHERE metric IN ('new_high_skill', 'new_high_skill_obtained')")
    _metrics(_BEFORE)
