"""Appending to the log in the caller's transaction, serialised by the lock on the single head row."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from ledger import clock, cpu
from ledger.database.bulk import copy_records
from ledger.database.driver import driver
from ledger.log import merkle
from ledger.log.leaf import commitment, encode_leaf

EVENTS_PER_TASK = 1_000  # one piece of a batch's leaf hashing handed to the CPU pool (≈ 20 ms of work)


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
    pieces = [cpu.run(_leaves, at, events[part.start : part.stop]) for part in _parts(events)]
    hashing = asyncio.gather(*pieces)  # under way in the pool while the frontier is read
    try:
        known = await fetch_nodes(conn, merkle.frontier(size))
    finally:
        done = await hashing
    leaves = [leaf for piece in done for leaf in piece[0]]
    leaf_hashes = [digest for piece in done for digest in piece[1]]
    salt_of = [salt for piece in done for salt in piece[2]]
    growing = asyncio.ensure_future(cpu.run(_grow, size, leaf_hashes, known))
    entries = await cpu.gently(
        lambda i: (
            size + i,
            events[i].kind,
            events[i].subject_type,
            events[i].subject_id,
            leaves[i],
            leaf_hashes[i],
            at,
        ),
        range(len(events)),
    )
    salts = await cpu.gently(lambda i: (size + i, events[i].person_id, salt_of[i]), range(len(events)))
    blob, root = await growing
    ids = merkle.nodes_completed_by_append(size, len(events))
    new_nodes = await cpu.gently(lambda i: (*ids[i], blob[32 * i : 32 * i + 32]), range(len(ids)))
    new_size = size + len(events)
    await copy_records(
        conn,
        "ledger_entries",
        entries,
        ("idx", "kind", "subject_type", "subject_id", "leaf", "leaf_hash", "created_at"),
    )
    await copy_records(conn, "ledger_salts", salts, ("entry_idx", "person_id", "salt"))
    await copy_records(conn, "ledger_nodes", new_nodes, ("level", "idx", "hash"))
    await conn.execute("UPDATE ledger_head SET size = $1, root = $2, updated_at = $3 WHERE id = 1", new_size, root, at)
    return list(range(size, new_size))


def _parts(events: Sequence[Event]) -> list[range]:
    return cpu.chunks(len(events), EVENTS_PER_TASK)


def _leaves(at: dt.datetime, events: Sequence[Event]) -> tuple[list[bytes], list[bytes], list[bytes]]:
    """The leaves, their hashes and the salts of `events`: pure, run in the CPU pool (plain lists of bytes, which
    cross between processes at almost no cost)."""
    leaves, hashes, salts = [], [], []
    for event in events:
        salt = os.urandom(16)
        leaf = encode_leaf(
            event.kind,
            f"{event.subject_type}:{event.subject_id}",
            event.refs,
            at,
            commitment(salt, event.content),
            event.content_version,
        )
        leaves.append(leaf)
        hashes.append(merkle.leaf_hash(leaf))
        salts.append(salt)
    return leaves, hashes, salts


def _grow(size: int, leaf_hashes: list[bytes], known: dict[merkle.NodeId, bytes]) -> tuple[bytes, bytes]:
    """The hashes of the nodes the new leaves complete, concatenated in `merkle.nodes_completed_by_append`
    order, and the new root: pure, run in the CPU pool."""
    new_nodes = merkle.extend(size, leaf_hashes, known)
    blob = b"".join(new_nodes[node] for node in merkle.nodes_completed_by_append(size, len(leaf_hashes)))
    return blob, merkle.root_hash(size + len(leaf_hashes), {**known, **new_nodes})


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
