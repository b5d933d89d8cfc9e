"""Public reads from a streaming replica (a PostgreSQL hot standby), with the primary behind it.

`ReplicaReads.fetch` runs a read-only statement on the replica while the replica is known to be fresh, else on
the primary. Fresh means: at some moment T no more than `max_lag` seconds ago, the replica had replayed the WAL
the primary had written by T, so it held every transaction committed before T. `follow()` establishes such
moments: every `max_lag / 5` seconds it reads the primary's WAL position (`pg_current_wal_lsn()`) and the
replica's replayed position (`pg_last_wal_replay_lsn()`); once the replica has replayed past a position the
primary had at T, T is a moment the replica is complete up to.

Hence the bound (docs/scaling.md): a status change committed on the primary is visible to every read answered
after `max_lag` seconds, whatever the replica does. A lagging, paused or stopped replica is not waited for: its
reads go to the primary until it has caught up again. A replica that cannot be reached, or fails a statement
with a connection error, is dropped at once (that statement is re-run on the primary) with one warning in the log;
one line more when it serves again. `serving` says where reads go now.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any, Literal, Protocol

import asyncpg

log = logging.getLogger(__name__)

# What a replica that is down, restarting, unreachable or in conflict with its recovery raises.
REPLICA_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.OperatorInterventionError,  # shutting down, starting up (cannot connect now)
    asyncpg.TransactionRollbackError,  # "canceling statement due to conflict with recovery"
    asyncpg.InvalidCatalogNameError,  # the database is not (yet) there
)
REPLICA_TIMEOUT_SECONDS = 2.0  # to connect to the replica, and for a statement on it; then the primary answers
SAMPLES_KEPT = 10_000  # primary positions not yet replayed (one per probe; 2.8 hours at the default lag)


class Reads(Protocol):
    """What the public read path needs of a pool: `asyncpg.Pool` and `ReplicaReads` both are."""

    async def fetch(self, query: str, *args: Any) -> list[Any]: ...


class ReplicaReads:
    def __init__(
        self,
        primary: asyncpg.Pool,
        replica: asyncpg.Pool,
        *,
        max_lag: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.primary = primary
        self.replica = replica
        self.max_lag = max_lag
        self.probe_every = max_lag / 5
        self._clock = clock
        self._pending: collections.deque[tuple[float, int]] = collections.deque(maxlen=SAMPLES_KEPT)
        self._complete_at: float | None = None  # the latest moment the replica is known to be complete up to
        self._lost: str | None = None  # why the replica is not used, while it is not
        self._announced: Literal["replica", "primary"] = "primary"

    @property
    def serving(self) -> Literal["replica", "primary"]:
        fresh = self._complete_at is not None and self._clock() - self._complete_at <= self.max_lag
        return "replica" if fresh and self._lost is None else "primary"

    @property
    def lag_seconds(self) -> float | None:
        """How far behind the replica may be at most, as far as the probes have shown; None before the first."""
        return None if self._complete_at is None else self._clock() - self._complete_at

    async def fetch(self, query: str, *args: Any) -> list[Any]:
        if self.serving == "replica":
            try:
                return await self.replica.fetch(query, *args)
            except REPLICA_ERRORS as exc:
                self._drop(exc)
        return await self.primary.fetch(query, *args)

    async def probe(self) -> None:
        """One round: where the primary's WAL is now, then how much of it the replica has replayed."""
        at = self._clock()
        position = await self.primary.fetchval("SELECT pg_current_wal_lsn()")
        self._pending.append((at, position))
        try:
            replayed = await self.replica.fetchval("SELECT pg_last_wal_replay_lsn()")
        except REPLICA_ERRORS as exc:
            self._drop(exc)
            return
        if replayed is None:  # not in recovery: a server that is its own primary holds all it has committed
            replayed = position
        complete = [t for t, p in self._pending if p <= replayed]
        if complete:
            newest = max(complete)
            while self._pending and self._pending[0][0] <= newest:
                self._pending.popleft()
            self._complete_at = max(newest, self._complete_at or newest)
            self._lost = None
        self._announce()

    def _announce(self) -> None:
        """One log line each time reads change route."""
        now = self.serving
        if now == self._announced:
            return
        self._announced = now
        if now == "replica":
            log.info("read replica up to date: public reads go to it")
        elif self._lost is not None:
            log.warning("read replica unreachable (%s): public reads go to the primary", self._lost)
        elif self._complete_at is not None:
            log.warning("read replica lags more than %g s: public reads go to the primary", self.max_lag)

    async def follow(self, stop: asyncio.Event) -> None:
        """Probe until `stop` is set; a failed round (the primary unreachable too) is simply tried again."""
        while not stop.is_set():
            try:
                await self.probe()
            except Exception as exc:  # the next round tries again; reads keep their route meanwhile
                log.warning("read replica probe failed: %s", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.probe_every)

    def _drop(self, exc: BaseException) -> None:
        self._lost = type(exc).__name__
        self._announce()
