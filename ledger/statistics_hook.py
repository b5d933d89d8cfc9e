"""The one call every certificate write makes so that maintained statistics stay exact in the same transaction."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession


async def refresh_talent(session: AsyncSession, person_ids: Collection[int]) -> None:
    """Recompute the maintained talent figures of `person_ids` (after an issue, revoke, suspend, reinstate or
    reissue). Delegates to `ledger.statistics` when that capability is installed."""
    try:
        from ledger.statistics import refresh_talent as refresh
    except ImportError:
        return
    await refresh(session, person_ids)
