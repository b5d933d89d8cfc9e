"""Appending to the log in the caller's transaction, serialised by the lock on the single head row."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from ledger import clock, cpu
from ledger.database.driver import driver
from ledger.log import merkle
from ledger.log.leaf import commitment, encode_leaf

EVENTS_PER_TASK = 5_000  # one piece of a batch's leaf hashing handed to the CPU pool (≈ 0.1 s of work)


class IsolationError(RuntimeError):
    """Appends need READ COMMITTED: the head lock must see the latest committed head, not a snapshot."""


@dataclass(frozen=True, slots=True)
class Event:
    """A state change to record. `content` is committed to (salted hash), never stored in the leaf."""

    kind: str
    subject_type: str
    subject_id: str
    content: Mapping[str, object]
    refs: Mapping[str, str] = field(default_factory=dict)
    person_id: int | None = None
    content_version: int = 1


async def append_events(session: AsyncSession, events: Sequence[Event]) -> list[int]:
    """Append `events` at the next dense positions; return their indices. Call after the business writes.

    Only the journal (ledger/journal.py) calls this: every state change goes through it with its record type."""
    if not events:
        return []
    conn = await driver(session)
    isolation = await conn.fetchval("SELECT current_setting('transaction_isolation')")
    if isolation != "read committed":
        raise IsolationError(f"ledger appends need READ COMMITTED, not {isolation}")
    size = await conn.fetchval("SELECT size FROM ledger_head WHERE id = 1 FOR UPDATE")
    at = clock.now()
    entries: list[tuple[object, ...]] = []
    salts: list[tuple[object, ...]] = []
    leaf_hashes: list[bytes] = []
    pieces = [cpu.run(_leaves, size + part.start, at, events[part.start : part.stop]) for part in _parts(events)]
    hashing = asyncio.gather(*pieces)  # under way in the pool while the frontier is read
    try:
        known = await fetch_nodes(conn, merkle.frontier(size))
    finally:
        done = await hashing
    for piece in done:
        entries += piece[0]
        salts += piece[1]
        leaf_hashes += piece[2]
    new_nodes, root = await cpu.run(_grow, size, leaf_hashes, known)
    new_size = size + len(events)
    await conn.copy_records_to_table(
        "ledger_entries",
        records=entries,
        columns=("idx", "kind", "subject_type", "subject_id", "leaf", "leaf_hash", "created_at"),
    )
    await conn.copy_records_to_table("ledger_salts", records=salts, columns=("entry_idx", "person_id", "salt"))
    await conn.copy_records_to_table(
        "ledger_nodes",
        records=[(level, index, digest) for (level, index), digest in new_nodes.items()],
        columns=("level", "idx", "hash"),
    )
    await conn.execute("UPDATE ledger_head SET size = $1, root = $2, updated_at = $3 WHERE id = 1", new_size, root, at)
    return list(range(size, new_size))


def _parts(events: Sequence[Event]) -> list[range]:
    return cpu.chunks(len(events), EVENTS_PER_TASK)


def _leaves(
    first: int, at: dt.datetime, events: Sequence[Event]
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[bytes]]:
    """The entries, salts and leaf hashes of `events` appended from index `first`: pure, run in the CPU pool."""
    entries: list[tuple[object, ...]] = []
    salts: list[tuple[object, ...]] = []
    leaf_hashes = []
    for offset, event in enumerate(events):
        idx = first + offset
        salt = os.urandom(16)
        leaf = encode_leaf(
            event.kind,
            f"{event.subject_type}:{event.subject_id}",
            event.refs,
            at,
            commitment(salt, event.content),
            event.content_version,
        )
        leaf_hash = merkle.leaf_hash(leaf)
        leaf_hashes.append(leaf_hash)
        entries.append((idx, event.kind, event.subject_type, event.subject_id, leaf, leaf_hash, at))
        salts.append((idx, event.person_id, salt))
    return entries, salts, leaf_hashes


def _grow(
    size: int, leaf_hashes: list[bytes], known: dict[merkle.NodeId, bytes]
) -> tuple[dict[merkle.NodeId, bytes], bytes]:
    """The nodes the new leaves complete and the new root: pure, run in the CPU pool."""
    new_nodes = merkle.extend(size, leaf_hashes, known)
    return new_nodes, merkle.root_hash(size + len(leaf_hashes), {**known, **new_nodes})


async def fetch_nodes(conn, wanted: Sequence[merkle.NodeId] | set[merkle.NodeId]) -> dict[merkle.NodeId, bytes]:
    wanted = list(wanted)
    if not wanted:
        return {}
    rows = await conn.fetch(
        "SELECT n.level, n.idx, n.hash FROM ledger_nodes n "
        "JOIN unnest($1::smallint[], $2::bigint[]) AS w(level, idx) USING (level, idx)",
        [level for level, _ in wanted],
        [index for _, index in wanted],
    )
    return {(r["level"], r["idx"]): bytes(r["hash"]) for r in rows}
