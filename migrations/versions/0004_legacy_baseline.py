"""legacy certificates as a person-by-person baseline

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 03:30:00

Imported 职业资格证书 (kind legacy_qualification) have no course or completion, may carry a level, and are issued by
a per-region `archive` institution. The talent timeline and rollup gain a layer (B both views, A with the legacy
certificates, L without them) so that reports can include or leave out the baseline and stay exact.
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


# ledger.statistics.refresh.REBUILD_ROLLUP as it stood at this revision (cubes 1-4 at grains 0, 10, 20)
_REBUILD_DAYS = """
INSERT INTO talent_days (cube, basis, region_code, jurisdiction, level, occupation_code, sex, birth_year, layer, day, persons)
SELECT c.cube, b.basis, CASE b.basis WHEN 'I' THEN m.region_code ELSE m.domicile_code END, m.jurisdiction, m.level,
       CASE WHEN c.cube IN (2, 4) THEN m.occupation_code ELSE '' END,
       CASE WHEN c.cube IN (3, 4) THEN m.sex ELSE '' END,
       CASE WHEN c.cube IN (3, 4) THEN m.birth_year ELSE 0 END,
       m.layer, m.day, sum(m.delta)
FROM (
SELECT valid_from AS day, 1 AS delta, level, region_code, domicile_code, jurisdiction, occupation_code, sex,
       birth_year, layer FROM talent_spells
UNION ALL
SELECT valid_to, -1, level, region_code, domicile_code, jurisdiction, occupation_code, sex, birth_year, layer
FROM talent_spells WHERE valid_to IS NOT NULL
) m
CROSS JOIN unnest('{1,2,3,4}'::smallint[]) AS c(cube)
CROSS JOIN (VALUES ('I'), ('D')) AS b(basis)
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
HAVING sum(m.delta) <> 0
ORDER BY 1, 2, 10  -- a date's changes together on disk, as the write path appends them
"""


_REBUILD_COARSER_DAYS = """
INSERT INTO talent_days (cube, basis, region_code, jurisdiction, level, occupation_code, sex, birth_year, layer, day, persons)
SELECT g.grain + d.cube, d.basis,
       CASE WHEN g.grain = 20 THEN '650000'
            WHEN r.level = 'county' THEN r.parent_code ELSE d.region_code END,
       d.jurisdiction, d.level, d.occupation_code, d.sex, d.birth_year, d.layer, d.day, sum(d.persons)
FROM talent_days d LEFT JOIN regions r ON r.code = d.region_code
CROSS JOIN (VALUES (10), (20)) AS g(grain)
WHERE d.cube < 10
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
HAVING sum(d.persons) <> 0
ORDER BY 1, 2, 10
"""


_REBUILD_MONTHS = """
WITH by_month AS (
    SELECT cube, basis, region_code, jurisdiction, level, occupation_code, sex, birth_year, layer, (extract(year FROM day) * 12 + extract(month FROM day) - 1)::int AS m,
           sum(persons) AS delta
    FROM talent_days GROUP BY cube, basis, region_code, jurisdiction, level, occupation_code, sex, birth_year, layer, 10
),
running AS (
    SELECT cube, basis, region_code, jurisdiction, level, occupation_code, sex, birth_year, layer, m, sum(delta) OVER w AS stock, lead(m) OVER w AS next_m,
           min(m) OVER (PARTITION BY cube, basis, region_code, jurisdiction, level, occupation_code, sex, birth_year, layer) AS first_month
    FROM by_month
    WINDOW w AS (PARTITION BY cube, basis, region_code, jurisdiction, level, occupation_code, sex, birth_year, layer ORDER BY m)
)
INSERT INTO talent_months (cube, basis, region_code, jurisdiction, level, occupation_code, sex, birth_year, layer, first_month, stock)
SELECT cube, basis, region_code, jurisdiction, level, occupation_code, sex, birth_year, layer, first_month, array_agg(stock::int ORDER BY month)
FROM running CROSS JOIN LATERAL generate_series(m, coalesce(next_m - 1, m)) AS month
GROUP BY cube, basis, region_code, jurisdiction, level, occupation_code, sex, birth_year, layer, first_month
ORDER BY cube, basis, region_code, jurisdiction, level, occupation_code, sex, birth_year, layer  -- a cube's cells together on disk
"""

_REBUILD_ROLLUP = (
    _REBUILD_DAYS,
    _REBUILD_COARSER_DAYS,
    "ANALYZE talent_days",
    _REBUILD_MONTHS,
    "ANALYZE talent_months",
)


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
    # the rollup is derived from the spells: rebuild it with the new grains (the write path's SQL as of this
    # revision, frozen here: a later change of the cubes must not change what this revision does)
    op.execute("TRUNCATE talent_months, talent_days")
    op.execute("SET LOCAL work_mem = '256MB'")
    for statement in _REBUILD_ROLLUP:
        op.execute(statement)


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
