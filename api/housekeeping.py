"""The server's housekeeping task: expired idempotency records removed, a bounded batch per transaction.

Every server process runs it every LEDGER_HOUSEKEEPING_SECONDS (and once soon after start-up); processes that run at
once skip each other's locked rows, so several processes share the work without waiting on each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.deps import Runtime
from ledger.tenancy.idempotency import delete_expired

log = logging.getLogger("api.housekeeping")
BATCH = 5_000  # rows deleted per transaction: short transactions, no long lock on the table
FIRST_ROUND_SECONDS = 5.0


async def purge_idempotency_records(sessionmaker: async_sessionmaker[AsyncSession], kept: dt.timedelta) -> int:
    """Delete every idempotency record older than `kept`, BATCH rows a transaction; how many went."""
    removed = 0
    while True:
        async with sessionmaker() as session:
            n = await delete_expired(session, kept, BATCH)
            await session.commit()
        removed += n
        if n < BATCH:
            return removed


async def housekeeper(runtime: Runtime, stop: asyncio.Event) -> None:
    settings = runtime.settings
    wait = min(FIRST_ROUND_SECONDS, settings.housekeeping_seconds)
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=wait)
        if stop.is_set():
            break
        wait = settings.housekeeping_seconds
        try:
            removed = await purge_idempotency_records(
                runtime.sessionmaker, dt.timedelta(hours=settings.idempotency_hours)
            )
            if removed:
                log.info("removed %d expired idempotency records", removed)
        except Exception as exc:  # the next round tries again; the server keeps serving
            log.warning("housekeeping not done: %s", type(exc).__name__)
