"""Reading business records back by subject id, for the journal and the audit (ledger/log/records.py)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from ledger.log.records import Loader, Row

_KEY_TYPES: dict[str, Callable[[str], object]] = {"bigint": int, "uuid": uuid.UUID, "text": str}


def table_loader(table: str, key: str = "id", key_type: str = "bigint") -> Loader:
    """A loader over one table keyed by `key`: every row in a cursor, or the rows of the given ids by index."""
    cast = _KEY_TYPES[key_type]
    every = f"SELECT * FROM {table}"  # noqa: S608 (names come from the registering module, never from input)
    some = f"{every} WHERE {key} = ANY($1::{key_type}[])"

    async def load(conn: Any, ids: Sequence[str] | None) -> AsyncIterator[tuple[str, Row]]:
        if ids is None:
            async for row in conn.cursor(every):
                yield str(row[key]), row
        else:
            for row in await conn.fetch(some, [cast(i) for i in ids]):
                yield str(row[key]), row

    return load


async def institutions_with_filings(conn: Any, ids: Sequence[str] | None) -> AsyncIterator[tuple[str, Row]]:
    """Institutions, each with `filings`: its filed (occupation_code, level) pairs."""
    wanted = None if ids is None else [int(i) for i in ids]
    filings: dict[int, list[tuple[str, int]]] = {}
    for r in await conn.fetch(
        "SELECT institution_id, occupation_code, level FROM evaluator_filings"
        " WHERE $1::bigint[] IS NULL OR institution_id = ANY($1::bigint[])",
        wanted,
    ):
        filings.setdefault(r["institution_id"], []).append((r["occupation_code"], r["level"]))
    for r in await conn.fetch(
        "SELECT * FROM institutions WHERE $1::bigint[] IS NULL OR id = ANY($1::bigint[])", wanted
    ):
        yield str(r["id"]), {**dict(r), "filings": filings.get(r["id"], [])}


async def baseline_groups(conn: Any, ids: Sequence[str] | None) -> AsyncIterator[tuple[str, Row]]:
    """The aggregate baseline stock, one record per (region, jurisdiction): subject id `region/jurisdiction`."""
    groups: dict[str, dict[str, Any]] = {}
    for r in await conn.fetch(
        "SELECT region_code, jurisdiction, level, as_of, persons, source FROM baseline_stock"
        " ORDER BY region_code, jurisdiction, level"
    ):
        sid = f"{r['region_code']}/{r['jurisdiction']}"
        if ids is not None and sid not in ids:
            continue
        group = groups.setdefault(
            sid,
            {"region_code": r["region_code"], "jurisdiction": r["jurisdiction"], "levels": []},
        )
        group["levels"].append((r["level"], r["as_of"], r["persons"], r["source"]))
    for sid, group in groups.items():
        yield sid, group
