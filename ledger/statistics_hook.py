"""The one call every certificate write makes so that maintained statistics stay exact in the same transaction."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession

from ledger.statistics import refresh_talent as _refresh


async def refresh_talent(session: AsyncSession, person_ids: Collection[int]) -> None:
    """Recompute the maintained talent figures of `person_ids` after an issue, revoke, suspend, reinstate or
    reissue (before commit)."""
    await _refresh(session, person_ids)
