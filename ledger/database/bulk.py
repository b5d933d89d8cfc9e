"""Set-based statements over many rows: one helper derives the column list and the array casts from the row type.

A row type is a dataclass whose field names are the table's column names. Each field's PostgreSQL type comes from
its Python annotation (`int` → bigint, `str` → text, `bytes` → bytea, `dt.date` → date, `Decimal` → numeric,
`uuid.UUID` → uuid, `bool` → boolean, `X | None` → X), or from `Annotated[int, Sql("smallint")]` where the column
needs another one. Rows travel as one array per column through `unnest(…) WITH ORDINALITY`, so a 10,000-row insert
is a few statements (`insert_rows`, pieces of 2,000 rows), keeps the rows' order, and no caller aligns `$n`
placeholders or casts by hand. Rows that need no ON CONFLICT and no RETURNING — their keys drawn beforehand
(`draw_ids`) or made here — go by COPY (`copy_rows`, `copy_records`), PostgreSQL's fastest way in, also in pieces.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import types
import typing
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class Sql:
    """The PostgreSQL type of a row-type field, where the annotation alone does not say it."""

    type: str


_BY_PYTHON: dict[object, str] = {
    bool: "boolean",
    int: "bigint",
    str: "text",
    bytes: "bytea",
    float: "float8",
    Decimal: "numeric",
    dt.date: "date",
    dt.datetime: "timestamptz",
    uuid.UUID: "uuid",
}


@dataclass(frozen=True, slots=True)
class Columns:
    names: tuple[str, ...]
    types: tuple[str, ...]

    def source(self, first: int = 1, alias: str = "t") -> str:
        """`unnest($first::t1[], …) WITH ORDINALITY AS alias(c1, …, position)`: the rows as a relation."""
        arrays = ", ".join(f"${first + i}::{sql_type}[]" for i, sql_type in enumerate(self.types))
        return f"unnest({arrays}) WITH ORDINALITY AS {alias}({', '.join(self.names)}, position)"

    def arrays(self, rows: Sequence[object]) -> list[list[Any]]:
        """One list per column, in column order: the parameters of `source`."""
        return [[getattr(row, name) for row in rows] for name in self.names]


def _sql_type(hint: object) -> str:
    if typing.get_origin(hint) is typing.Annotated:
        base, *extras = typing.get_args(hint)
        for extra in extras:
            if isinstance(extra, Sql):
                return extra.type
        return _sql_type(base)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        (inner,) = [a for a in typing.get_args(hint) if a is not type(None)]
        return _sql_type(inner)
    try:
        return _BY_PYTHON[hint]
    except KeyError:
        raise TypeError(f"no PostgreSQL type for {hint!r}: annotate the field with Sql(...)") from None


_COLUMNS: dict[type, Columns] = {}


def columns_of(row_type: type[Any]) -> Columns:
    """The columns of a dataclass row type, with their PostgreSQL array types (worked out once per type)."""
    known = _COLUMNS.get(row_type)
    if known is None:
        hints = typing.get_type_hints(row_type, include_extras=True)
        fields = dataclasses.fields(row_type)
        known = Columns(tuple(f.name for f in fields), tuple(_sql_type(hints[f.name]) for f in fields))
        _COLUMNS[row_type] = known
    return known


INSERT_ROWS_PER_STATEMENT = 2_000


async def insert_rows(
    conn: Any,
    table: str,
    rows: Sequence[object],
    *,
    constants: Mapping[str, object] | None = None,
    on_conflict: str = "",
    returning: str = "",
) -> list[Any]:
    """INSERT every row of `rows` (instances of one dataclass row type) into `table`, in order: one statement per
    INSERT_ROWS_PER_STATEMENT rows, with a yield between, so that the driver's encoding of a 10,000-row batch's
    arrays (on the event loop) comes in pieces of a few milliseconds. The pieces run in the caller's transaction,
    so the write is as atomic as one statement; rows with one key in two pieces would meet the first piece's row
    (the callers pass distinct keys, as one statement's ON CONFLICT DO UPDATE needs anyway).

    `constants` are columns with one value for every row (passed as parameters, cast by the column's type);
    `on_conflict` and `returning` are appended as written (`ON CONFLICT (…) DO …`, `RETURNING …`). Returns the
    returned records (empty without `returning`).
    """
    if not rows:
        return []
    cols = columns_of(type(rows[0]))
    fixed = dict(constants or {})
    names = [*cols.names, *fixed]
    values = [f"t.{name}" for name in cols.names] + [f"${len(cols.names) + 1 + i}" for i in range(len(fixed))]
    statement = (
        f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(values)} FROM {cols.source()} "  # noqa: S608
        f"ORDER BY t.position {on_conflict} {returning}"
    )
    found: list[Any] = []
    for start in range(0, len(rows), INSERT_ROWS_PER_STATEMENT):
        if start:
            await asyncio.sleep(0)
        arguments = [*cols.arrays(rows[start : start + INSERT_ROWS_PER_STATEMENT]), *fixed.values()]
        if returning:
            found += await conn.fetch(statement, *arguments)
        else:
            await conn.execute(statement, *arguments)
    return found


COPY_ROWS_PER_STATEMENT = 2_000  # rows of one COPY piece: ≈ 5–10 ms of encoding on the loop before it yields


async def copy_records(conn: Any, table: str, records: Sequence[tuple[Any, ...]], columns: Sequence[str]) -> None:
    """COPY `records` (tuples in `columns` order) into `table`, in pieces of COPY_ROWS_PER_STATEMENT with a
    yield between, so a 40,000-row write never holds the event loop for the whole encoding (asyncpg encodes a
    COPY's rows on the loop). Atomic as one statement would be: every piece is in the caller's transaction."""
    for start in range(0, len(records), COPY_ROWS_PER_STATEMENT):
        await conn.copy_records_to_table(
            table, records=records[start : start + COPY_ROWS_PER_STATEMENT], columns=list(columns)
        )
        await asyncio.sleep(0)


async def copy_rows(conn: Any, table: str, rows: Sequence[object]) -> None:
    """`copy_records` of dataclass rows (one row type, its field names the columns). No ON CONFLICT and no
    RETURNING: for rows whose keys the caller made or drew (`draw_ids`)."""
    if not rows:
        return
    names = columns_of(type(rows[0])).names
    await copy_records(conn, table, [tuple(getattr(row, name) for name in names) for row in rows], names)


async def draw_ids(conn: Any, table: str, count: int) -> list[int]:
    """`count` new values of `table`'s id sequence in one round trip, ascending: ids for rows COPYed with their key.
    A rollback leaves a gap in the ids, as it would with the column's default (ids are not serials)."""
    if count == 0:
        return []
    drawn = await conn.fetchval(
        "SELECT array_agg(nextval(pg_get_serial_sequence($1, 'id'))) FROM generate_series(1, $2)", table, count
    )
    return sorted(drawn)


# The tables' keys (primary, unique, foreign, and the foreign keys that point at them) and their other indexes, each
# as the statement that drops it, the one that puts it back, and the order to drop in.
_KEYS = r"""
SELECT 'ALTER TABLE ' || conrelid::regclass || ' DROP CONSTRAINT ' || quote_ident(conname),
       'ALTER TABLE ' || conrelid::regclass || ' ADD CONSTRAINT ' || quote_ident(conname) || ' '
         || pg_get_constraintdef(oid),
       CASE contype WHEN 'f' THEN 0 WHEN 'u' THEN 1 ELSE 2 END
FROM pg_constraint
WHERE (conrelid = ANY($1::regclass[]) AND (contype IN ('p', 'u') OR (contype = 'f' AND $2)))
   OR (confrelid = ANY($1::regclass[]) AND contype = 'f' AND $2)
UNION ALL
SELECT 'DROP INDEX ' || quote_ident(i.indexname), i.indexdef, 1
FROM pg_indexes i
WHERE i.tablename = ANY($1::text[]) AND i.schemaname = current_schema()
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
"""


async def defer_keys(conn: Any, tables: Sequence[str], *, foreign_keys: bool = True) -> list[str]:
    """Drop the keys and indexes of `tables` before a bulk fill; returns the statements that put them back, in order
    (primary keys, then unique keys and indexes, then the foreign keys, which need the keys they point at). Each
    index is then built by one sort and each foreign key checked by one join, instead of row by row: a random key
    costs a random index page per row once an index outgrows the shared buffers. Check constraints stay.

    Dropping a foreign key locks the table it points at against reads too (ACCESS EXCLUSIVE) until commit: on a
    ledger in use, pass `foreign_keys=False` (they stay, and are checked row by row)."""
    rows = sorted(await conn.fetch(_KEYS, list(tables), foreign_keys), key=lambda r: r[2])
    for row in rows:  # foreign keys first: they depend on the keys they point at
        await conn.execute(row[0])
    return [row[1] for row in reversed(rows)]
