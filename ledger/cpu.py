"""Pure CPU work off the event loop: a process pool the server starts once, so that a 10,000-row import's
signatures and hashes do not stall the public reads the same loop serves.

`start(workers)` (the server's lifespan, LEDGER_CPU_WORKERS) makes the pool; `await run(fn, *args)` runs a
module-level function of picklable arguments in it and returns its result. Without a pool (0 workers, the CLI,
tests building no app) `run` calls the function in place, so results never depend on whether a pool exists —
only where the CPU is spent. The workers are spawned (not forked from a process holding an event loop and
threads) at the first `run`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import multiprocessing
import os
from collections.abc import Awaitable, Callable, Iterable, Iterator
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from typing import Any, ParamSpec, TypeVar

from ledger.processes import serve_only

log = logging.getLogger("ledger.cpu")
T = TypeVar("T")
P = ParamSpec("P")

_pool: ProcessPoolExecutor | None = None
_workers = 0


def start(workers: int) -> ProcessPoolExecutor | None:
    """Make the pool of `workers` processes (none for 0) and have `run` use it; returns it for `stop`. The
    processes are spawned at the first `run`, so an app that never imports starts none; they run at a lower
    priority and die with the server (`ledger.processes.serve_only`)."""
    global _pool, _workers
    if workers <= 0:
        return None
    _pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=serve_only,  # killed with the server, at a lower priority (ledger/processes.py)
        initargs=(os.getpid(),),
    )
    _workers = workers
    return _pool


def stop(pool: ProcessPoolExecutor | None) -> None:
    global _pool
    if pool is None:
        return
    if _pool is pool:
        _pool = None
    pool.shutdown(wait=True, cancel_futures=True)


async def run(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in the pool when there is one, else here. A pool whose worker died is replaced and the call
    made here, so a crashed worker costs one slow call, never a failed request."""
    global _pool
    pool = _pool
    if pool is None:
        return fn(*args)
    try:
        return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)
    except BrokenExecutor:
        log.warning("the CPU pool broke; starting a new one")
        if _pool is pool:
            _pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            start(_workers)
        return fn(*args)


def chunks(count: int, size: int) -> list[range]:
    """Index ranges of at most `size` over `count` items: work handed out in pieces, so each result the loop
    takes back (unpickles) is small and several workers share a batch."""
    return [range(start, min(start + size, count)) for start in range(0, count, size)]


YIELD_EVERY = 100  # items of a long loop on the event loop between two chances for other requests (≈ 1–3 ms)


async def breathe(i: int) -> None:
    """Call with a long loop's counter: every YIELD_EVERY items the loop answers whatever else is waiting."""
    if i % YIELD_EVERY == YIELD_EVERY - 1:
        await asyncio.sleep(0)


async def gently(fn: Callable[[Any], T], items: Iterable[Any]) -> list[T]:
    """`[fn(x) for x in items]`, breathing (see `breathe`) as it goes."""
    done = []
    for i, item in enumerate(items):
        done.append(fn(item))
        await breathe(i)
    return done


_paused = 0


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Around one bulk write: Python's cyclic garbage collector does not run until the last such write in the
    process ends. A 10,000-row batch keeps hundreds of thousands of objects alive until it commits, and the
    collector's full passes over them took ~40 % of the batch's CPU, each pass stopping the loop for
    100–300 ms (bench/registration_cpu.py --gc). Reference counting still frees everything acyclic at once;
    cycles wait for the next collection after the batch."""
    global _paused
    _paused += 1
    if _paused == 1:
        gc.disable()
    try:
        yield
    finally:
        _paused -= 1
        if _paused == 0:
            gc.enable()


def collector_paused_during(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """An async function run under `collector_paused`."""

    @functools.wraps(fn)
    async def paused(*args: P.args, **kwargs: P.kwargs) -> T:
        with collector_paused():
            return await fn(*args, **kwargs)

    return paused
