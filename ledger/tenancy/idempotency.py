"""Idempotency records: the first response to a key's (Idempotency-Key, request) kept with the write it answered."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.tenancy.tables import IdempotencyRecord


@dataclass(frozen=True, slots=True)
class StoredResponse:
    fingerprint: bytes
    status_code: int | None
    media_type: str | None
    body: bytes | None


async def claim(session: AsyncSession, key_id: int, key: str, fingerprint: bytes) -> int | None:
    """Claim `key` for this API key in the current transaction: the new record's id, or None when it was claimed
    before (a concurrent claim waits on the unique index until the first one's transaction ends)."""
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
