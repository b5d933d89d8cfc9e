"""talent_spells without foreign keys: a spell is derived from rows it was computed from in the same transaction

Revision ID: 0012_spells_without_foreign_keys
Revises: 0011_talent_pending
Create Date: 2026-12-02 12:00:00

The spells are a function of a person's certificates, written by `refresh_talent` right after it read them with
the person locked, and by a rebuild from everything committed; persons and certificates are never deleted. The two
keys guarded nothing more, and cost every spell written a key-share lock on its person and on its certificate,
which writes those rows' headers (24 µs a spell: the COPY of one rebuild chunk's 117,000 spells took 3.2 s
with them, 0.4 s without). The rollup tables beside them never had any.

Downgrade puts the keys back (checked against the rows: a spell of an unknown person or certificate would be a bug).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_spells_without_foreign_keys"
down_revision: str | None = "0011_talent_pending"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint("fk_talent_spells_person_id_persons", "talent_spells", type_="foreignkey")
    op.drop_constraint("fk_talent_spells_certificate_id_certificates", "talent_spells", type_="foreignkey")


def downgrade() -> None:
    op.create_foreign_key(op.f("fk_talent_spells_person_id_persons"), "talent_spells", "persons", ["person_id"], ["id"])
    op.create_foreign_key(
        op.f("fk_talent_spells_certificate_id_certificates"),
        "talent_spells",
        "certificates",
        ["certificate_id"],
        ["id"],
    )
