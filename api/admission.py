"""Admission of imports: a process runs at most LEDGER_IMPORT_SLOTS imports at once, and one institution at most
LEDGER_IMPORT_SLOTS_PER_INSTITUTION of them, so that one school's uploads cannot take every slot from the others.
An import that finds no slot is refused at once with 503 and Retry-After, before it reads its file or takes a
database connection: the client retries later instead of waiting on the connection pool until a timeout."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from litestar.exceptions import ServiceUnavailableException

RETRY_AFTER_SECONDS = 5  # what a refused import is told; an import of 10,000 rows takes a few seconds


@dataclass
class Admission:
    """The import slots of this process. Requests run on one event loop, so counting needs no lock."""

    slots: int
    per_institution: int
    retry_after: int = RETRY_AFTER_SECONDS
    _held: Counter[int] = field(default_factory=Counter)

    @property
    def running(self) -> int:
        return sum(self._held.values())

    def admits(self, institution_id: int) -> bool:
        return self.running < self.slots and self._held[institution_id] < self.per_institution

    @asynccontextmanager
    async def slot(self, institution_id: int) -> AsyncIterator[None]:
        """Hold a slot for the block, or refuse with 503 now."""
        if not self.admits(institution_id):
            raise ServiceUnavailableException(
                "导入繁忙，请稍后重试（too many imports are running; retry after the time in Retry-After）",
                headers={"Retry-After": str(self.retry_after)},
            )
        self._held[institution_id] += 1
        try:
            yield
        finally:
            self._held[institution_id] -= 1
            if not self._held[institution_id]:
                del self._held[institution_id]
