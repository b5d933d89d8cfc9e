"""Reading business records back by subject id, for the journal and the audit (ledger/log/records.py)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from ledger.log.records import Loader, Row

_KEY_TYPES: dict[str, Callable[[str], object]] = {"bigint": int, "uuid": uuid.UUID, "text": str}


def table_loader(table: str, key: str = "id", key_type: str = "bigint", columns: str = "*") -> Loader:
    """A loader over one table keyed by `key`: every row in a cursor, or the rows of the given ids by index;
    `columns` (a select list) when the record's content needs fewer than all of them, or some as text."""
    cast = _KEY_TYPES[key_type]
    every = f"SELECT {columns} FROM {table}"  # noqa: S608 (names come from the registering module, never from input)
    some = f"{every} WHERE {key} = ANY($1::{key_type}[])"

    async def load(conn: Any, ids: Sequence[str] | None) -> AsyncIterator[tuple[str, Row]]:
        if ids is None:
            async for row in conn.cursor(every):
                yield str(row[key]), row
        else:
            for row in await conn.fetch(some, [cast(i) for i in ids]):
                yield str(row[key]), row

    return load
