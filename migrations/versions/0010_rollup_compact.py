"""a compact talent rollup: packed cell keys, two grains of region, a faster month-array add

Revision ID: 0010_rollup_compact
Revises: 0009_dashboard
Create Date: 2026-12-02 16:30:00

`talent_months` becomes `talent_cells` (one row per cell, with its packed 63-bit key) and `talent_days` keeps only
(cube, day, cell key, persons): a day row is 16 bytes of data instead of ~60. The province grain is gone (a query
over the province adds up the prefecture cells) and cube 2 keeps sex as well as occupation. `talent_stock_add`
becomes a PL/pgSQL loop (2.4× faster than the set-returning SQL it replaces).

The rollup is derived from the spells and its rows have the old shape: both tables are emptied here; the operator
rebuilds them with `ledger stats rebuild` (README, "Upgrading"). The revision changes the schema only and runs no
application code.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010_rollup_compact"
down_revision: str | None = "0009_dashboard"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CUBES = (1, 2, 3, 4, 11, 12, 13, 14, 101, 102, 103, 104, 111, 112, 113, 114)
_OLD_CUBES = (1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24)
_LAYERS = "layer IN ('B', 'A', 'L')"
_CELL = ["region_code", "jurisdiction", "level", "occupation_code", "sex", "birth_year"]

_STOCK_ADD_PLPGSQL = """
CREATE OR REPLACE FUNCTION talent_stock_add(a_first integer, a integer[], b_first integer, b integer[])
RETURNS integer[] LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    f integer := least(a_first, b_first);
    na integer := cardinality(a);
    nb integer := cardinality(b);
    n integer := greatest(a_first + na, b_first + nb) - f;
    r integer[] := array_fill(0, ARRAY[n]);
    m integer;
BEGIN
    FOR i IN 1 .. n LOOP
        m := f + i - 1;
        r[i] := (CASE WHEN m < a_first THEN 0 ELSE a[least(m - a_first + 1, na)] END)
              + (CASE WHEN m < b_first THEN 0 ELSE b[least(m - b_first + 1, nb)] END);
    END LOOP;
    RETURN r;
END $$
"""

_STOCK_ADD_SQL = """
CREATE OR REPLACE FUNCTION talent_stock_add(a_first integer, a integer[], b_first integer, b integer[])
RETURNS integer[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_agg(
        (CASE WHEN m < a_first THEN 0 ELSE a[least(m - a_first + 1, cardinality(a))] END)
        + (CASE WHEN m < b_first THEN 0 ELSE b[least(m - b_first + 1, cardinality(b))] END) ORDER BY m)
    FROM generate_series(least(a_first, b_first),
                         greatest(a_first + cardinality(a), b_first + cardinality(b)) - 1) AS m
$$
"""


def upgrade() -> None:
    op.drop_table("talent_days")
    op.drop_table("talent_months")
    op.create_table(
        "talent_cells",
        sa.Column("cube", sa.SmallInteger(), nullable=False),
        sa.Column("cell", sa.BigInteger(), nullable=False),
        sa.Column("layer", sa.String(length=1), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("jurisdiction", sa.String(length=12), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("occupation_code", sa.String(length=10), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("birth_year", sa.SmallInteger(), nullable=False),
        sa.Column("first_month", sa.Integer(), nullable=False),
        sa.Column("stock", postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.CheckConstraint(f"cube IN {_CUBES}", name=op.f("ck_talent_cells_cube")),
        sa.CheckConstraint(_LAYERS, name=op.f("ck_talent_cells_layer")),
        sa.CheckConstraint("cardinality(stock) >= 1", name=op.f("ck_talent_cells_stock")),
        sa.PrimaryKeyConstraint("cube", "cell", name=op.f("pk_talent_cells")),
    )
    op.create_table(
        "talent_days",
        sa.Column("cube", sa.SmallInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("cell", sa.BigInteger(), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("cube", "day", "cell", name=op.f("pk_talent_days")),
    )
    op.execute(_STOCK_ADD_PLPGSQL)


def downgrade() -> None:
    # the rollup is derived data: the old tables come back empty (`ledger stats rebuild` on the old code fills them)
    op.execute(_STOCK_ADD_SQL)
    op.drop_table("talent_days")
    op.drop_table("talent_cells")

    def cell() -> list[sa.Column]:
        return [
            sa.Column("cube", sa.SmallInteger(), nullable=False),
            sa.Column("basis", sa.String(length=1), nullable=False),
            sa.Column("region_code", sa.String(length=6), nullable=False),
            sa.Column("jurisdiction", sa.String(length=12), nullable=False),
            sa.Column("level", sa.SmallInteger(), nullable=False),
            sa.Column("occupation_code", sa.String(length=10), nullable=False),
            sa.Column("sex", sa.String(length=1), nullable=False),
            sa.Column("birth_year", sa.SmallInteger(), nullable=False),
            sa.Column("layer", sa.String(length=1), server_default=sa.text("'B'"), nullable=False),
        ]

    for table, extra, key in (
        ("talent_months", [sa.Column("first_month", sa.Integer(), nullable=False),
                           sa.Column("stock", postgresql.ARRAY(sa.Integer()), nullable=False)],
         ["cube", "basis", *_CELL, "layer"]),
        ("talent_days", [sa.Column("day", sa.Date(), nullable=False),
                         sa.Column("persons", sa.BigInteger(), nullable=False)],
         ["cube", "basis", "day", *_CELL, "layer"]),
    ):  # fmt: skip
        checks = [
            sa.CheckConstraint("basis IN ('I', 'D')", name=op.f(f"ck_{table}_basis")),
            sa.CheckConstraint(f"cube IN {_OLD_CUBES}", name=op.f(f"ck_{table}_cube")),
            sa.CheckConstraint(_LAYERS, name=op.f(f"ck_{table}_layer")),
        ]
        if table == "talent_months":
            checks.append(sa.CheckConstraint("cardinality(stock) >= 1", name=op.f("ck_talent_months_stock")))
        op.create_table(table, *cell(), *extra, *checks, sa.PrimaryKeyConstraint(*key, name=op.f(f"pk_{table}")))
