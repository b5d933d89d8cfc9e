"""Idempotency records: the first response to a key's (Idempotency-Key, request) kept with the write it answered.

A record is kept for a limited time (LEDGER_IDEMPOTENCY_HOURS, measured on the database's clock): a retry within it
replays the answer; after it the key is free again and the same request is a fresh one. `delete_expired` removes
old records in bounded batches, so the table holds at most one period's writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.tenancy.tables import IdempotencyRecord


@dataclass(frozen=True, slots=True)
class StoredResponse:
    fingerprint: bytes
    status_code: int | None
    media_type: str | None
    body: bytes | None


async def claim(session: AsyncSession, key_id: int, key: str, fingerprint: bytes, kept: dt.timedelta) -> int | None:
    """Claim `key` for this API key in the current transaction: the new record's id, or None when it was claimed
    within the last `kept` (a concurrent claim waits on the unique index until the first one's transaction ends).
    A record older than that is dropped first: its key is free again."""
    await session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.api_key_id == key_id,
            IdempotencyRecord.key == key,
            IdempotencyRecord.created_at < func.now() - kept,
        )
    )
    claimed = await session.execute(
        insert(IdempotencyRecord)
        .values(api_key_id=key_id, key=key, fingerprint=fingerprint)
        .on_conflict_do_nothing(index_elements=["api_key_id", "key"])
        .returning(IdempotencyRecord.id)
    )
    return claimed.scalar_one_or_none()


async def stored_response(session: AsyncSession, key_id: int, key: str) -> StoredResponse:
    row = (
        await session.execute(
            select(
                IdempotencyRecord.fingerprint,
                IdempotencyRecord.status_code,
                IdempotencyRecord.media_type,
                IdempotencyRecord.body,
            ).where(IdempotencyRecord.api_key_id == key_id, IdempotencyRecord.key == key)
        )
    ).one()
    return StoredResponse(row.fingerprint, row.status_code, row.media_type, row.body)


async def keep_response(session: AsyncSession, record_id: int, status_code: int, media_type: str, body: bytes) -> None:
    record = await session.get(IdempotencyRecord, record_id)
    assert record is not None
    record.status_code, record.media_type, record.body = status_code, media_type, body


async def delete_expired(session: AsyncSession, kept: dt.timedelta, limit: int = 5_000) -> int:
    """Delete up to `limit` records older than `kept` (oldest first, by the created_at index); how many went. Call
    it again, a transaction each time, until it returns less than `limit`."""
    oldest = (
        select(IdempotencyRecord.id)
        .where(IdempotencyRecord.created_at < func.now() - kept)
        .order_by(IdempotencyRecord.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = await session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id.in_(oldest.scalar_subquery())))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
