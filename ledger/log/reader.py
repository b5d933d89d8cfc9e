"""Reading the log: the head, signed checkpoints, RFC 9162 proofs, entries and where a record is logged."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ledger import clock
from ledger.certificates.tables import Certificate
from ledger.database.driver import driver
from ledger.errors import InvalidInput, NotFound
from ledger.log import merkle
from ledger.log.append import fetch_nodes
from ledger.log.signed_note import checkpoint_body, sign_note
from ledger.log.tables import LedgerCheckpoint, LedgerEntry, LedgerHead
from ledger.people.pii import PiiVault
from ledger.tenancy.signing_keys import active_key


@dataclass(frozen=True, slots=True)
class Head:
    size: int
    root: bytes
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class InclusionProof:
    index: int
    size: int
    leaf_hash: bytes
    root: bytes
    path: list[bytes]


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    first: int
    second: int
    first_root: bytes
    second_root: bytes
    path: list[bytes]


async def head(session: AsyncSession) -> Head:
    row = (await session.execute(select(LedgerHead).where(LedgerHead.id == 1))).scalar_one()
    return Head(row.size, row.root, row.updated_at)


async def make_checkpoint(session: AsyncSession, vault: PiiVault, origin: str) -> LedgerCheckpoint:
    """Sign the current head as a C2SP checkpoint (once per size) and return it."""
    current = await head(session)
    existing = await session.get(LedgerCheckpoint, current.size)
    if existing is not None:
        return existing
    key = await active_key(session, vault, "checkpoint")
    note = sign_note(checkpoint_body(origin, current.size, current.root), origin, key.private_key)
    await session.execute(
        insert(LedgerCheckpoint)
        .values(size=current.size, root=current.root, note=note)
        .on_conflict_do_nothing(index_elements=["size"])
    )
    checkpoint = await session.get(LedgerCheckpoint, current.size)
    assert checkpoint is not None
    return checkpoint


async def latest_checkpoint(session: AsyncSession) -> LedgerCheckpoint | None:
    result = await session.execute(select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc()).limit(1))
    return result.scalar_one_or_none()


async def checkpoint_due(session: AsyncSession, every_entries: int, every_seconds: float) -> bool:
    """A checkpoint is due once the log has grown by `every_entries`, or has grown at all for `every_seconds`."""
    current = await head(session)
    last = await latest_checkpoint(session)
    if last is None:
        return True
    grown = current.size - last.size
    if grown <= 0:
        return False
    return grown >= every_entries or (clock.now() - last.created_at).total_seconds() >= every_seconds


async def _within_head(session: AsyncSession, size: int) -> Head:
    current = await head(session)
    if size > current.size:
        raise NotFound(f"the log has {current.size} entries")
    return current


async def inclusion(session: AsyncSession, index: int, size: int) -> InclusionProof:
    if not 0 <= index < size:
        raise InvalidInput("need 0 <= index < size")
    await _within_head(session, size)
    conn = await driver(session)
    wanted = merkle.inclusion_nodes(index, size) | set(merkle.frontier(size)) | {(0, index)}
    nodes = await fetch_nodes(conn, wanted)
    return InclusionProof(
        index=index,
        size=size,
        leaf_hash=nodes[(0, index)],
        root=merkle.root_hash(size, nodes),
        path=merkle.inclusion_proof(index, size, nodes),
    )


async def consistency(session: AsyncSession, first: int, second: int) -> ConsistencyProof:
    if not 0 <= first <= second:
        raise InvalidInput("need 0 <= first <= second")
    await _within_head(session, second)
    conn = await driver(session)
    wanted = merkle.consistency_nodes(first, second) | set(merkle.frontier(first)) | set(merkle.frontier(second))
    nodes = await fetch_nodes(conn, wanted)
    return ConsistencyProof(
        first=first,
        second=second,
        first_root=merkle.root_hash(first, nodes),
        second_root=merkle.root_hash(second, nodes),
        path=merkle.consistency_proof(first, second, nodes),
    )


async def entry(session: AsyncSession, index: int) -> LedgerEntry:
    found = await session.get(LedgerEntry, index)
    if found is None:
        raise NotFound(f"no ledger entry {index}")
    return found


async def entries_for(session: AsyncSession, subject_type: str, subject_id: str) -> list[LedgerEntry]:
    result = await session.execute(
        select(LedgerEntry)
        .where(LedgerEntry.subject_type == subject_type, LedgerEntry.subject_id == subject_id)
        .order_by(LedgerEntry.idx)
    )
    return list(result.scalars())


async def entries_for_certificate(session: AsyncSession, verification_code: str) -> list[LedgerEntry]:
    found = (
        await session.execute(select(Certificate.id).where(Certificate.verification_code == verification_code))
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("no certificate with this verification code")
    return await entries_for(session, "certificate", str(found))
