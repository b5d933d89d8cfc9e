"""Where a registration batch spends its time, in process: Python CPU per completion, and how long the event loop
is blocked at a stretch (a loop-lag probe), with a cProfile of the batch on request.

    python bench/registration_cpu.py [--batches 3] [--batch-size 10000] [--cpu-workers 1] [--profile out.pstats]

Each batch is `register_completions` + commit as the API calls it (the API's QR signer), on distinct trainees of a
dual course. The probe is a task that sleeps 1 ms and records how late it wakes: its maximum is the longest time
the loop could not serve anything else (a verification request, /health), its total the share of the batch the
loop was busy. `--cpu-workers N` runs the batch with the process pool of `ledger serve` (LEDGER_CPU_WORKERS);
0 does everything on the loop.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import os
import resource
import sys
import threading
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

import msgspec
from common import (
    Secrets,
    completion_item,
    create_database,
    drop_database,
    institution_in_process,
    median,
    print_machine,
    table,
)

import ledger.registration.service as registration
from api.certificates.qr_signing import qr_signer
from ledger import cpu
from ledger.commands import CompletionIn
from ledger.database.engine import make_engine, make_sessionmaker
from ledger.people.pii import PiiVault
from ledger.settings import _b64key

PUBLIC_BASE = "http://127.0.0.1:8000"


def _items(first: int, size: int) -> list[CompletionIn]:
    return [msgspec.convert(completion_item(first + i), CompletionIn) for i in range(size)]


class LoopLag:
    """A task sleeping `tick` seconds at a time and recording how much later than asked it woke up; with
    `stalls`, a watchdog thread notes where the loop's thread is whenever the probe is `stall` seconds late."""

    def __init__(self, tick: float = 0.001, stall: float = 0.05, stalls: Counter[str] | None = None) -> None:
        self.tick, self.stall, self.stalls = tick, stall, stalls
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None
        self._beat = time.perf_counter()
        self._stop = threading.Event()

    async def _run(self) -> None:
        while True:
            started = self._beat = time.perf_counter()
            await asyncio.sleep(self.tick)
            self.lags.append(max(0.0, time.perf_counter() - started - self.tick))

    def _watch(self, thread_id: int) -> None:
        while not self._stop.wait(self.stall / 5):
            if time.perf_counter() - self._beat > self.stall and self.stalls is not None:
                frame = sys._current_frames().get(thread_id)
                where = [
                    f"{Path(f.filename).name}:{f.name}"
                    for f in traceback.extract_stack(frame)
                    if "/wt/" in f.filename and "/.venv/" not in f.filename
                ]
                self.stalls[" < ".join(reversed(where[-4:]))] += 1

    def __enter__(self) -> LoopLag:
        self.lags = []
        self._task = asyncio.get_running_loop().create_task(self._run())
        if self.stalls is not None:
            threading.Thread(target=self._watch, args=(threading.get_ident(),), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        self._stop.set()

    def worst(self) -> float:
        return max(self.lags, default=0.0)

    def p99(self) -> float:
        ordered = sorted(self.lags)
        return ordered[int(0.99 * (len(ordered) - 1))] if ordered else 0.0


def _where(task: object) -> str:
    """Where a task is suspended: its chain of awaiting coroutines, innermost project frames."""
    if not isinstance(task, asyncio.Task):
        return "?"
    frames, coro = [], task.get_coro()
    while coro is not None and getattr(coro, "cr_frame", None) is not None:
        frame = coro.cr_frame  # type: ignore[union-attr]
        frames.append(f"{Path(frame.f_code.co_filename).name}:{frame.f_lineno} {frame.f_code.co_name}")
        coro = coro.cr_await  # type: ignore[union-attr]
    return " > ".join(frames[-3:])


def time_steps(slow: float, steps: list[tuple[float, float, str, str]]) -> None:
    """Record every event-loop callback that took more than `slow` s of this thread's CPU, with its CPU and wall
    time and where its task resumed and stopped. CPU, not wall: on a busy machine a 2 ms step that the kernel
    preempts lasts 100 ms of wall time, which says nothing about the code."""
    original = asyncio.events.Handle._run

    def timed(handle: asyncio.events.Handle) -> None:
        task = getattr(handle._callback, "__self__", None)
        before = _where(task)
        started, cpu_started = time.perf_counter(), time.thread_time()
        original(handle)
        took = time.thread_time() - cpu_started
        if took > slow:
            steps.append((took, time.perf_counter() - started, before, _where(task)))

    asyncio.events.Handle._run = timed  # type: ignore[method-assign]


def time_statements(spent: Counter[str]) -> None:
    """Wall time of every statement sent through the raw asyncpg connection (the bulk paths), by its start."""
    import asyncpg

    for name in ("fetch", "fetchval", "fetchrow", "execute", "copy_records_to_table"):
        original = getattr(asyncpg.Connection, name)

        def timed(original: Any = original, name: str = name) -> Any:
            async def run(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return await original(self, query, *args, **kwargs)
                finally:
                    text = query if name != "copy_records_to_table" else f"COPY {query}"
                    spent[" ".join(text.split())[:90]] += time.perf_counter() - started

            return run

        setattr(asyncpg.Connection, name, timed())


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def main(
    batches: int, size: int, workers: int, profile: str | None, stalls: bool, slow: float, statements: bool
) -> None:
    steps: list[tuple[float, float, str, str]] = []
    spent: Counter[str] = Counter()
    if args.statements:
        time_statements(spent)
    if args.slow:
        time_steps(args.slow, steps)
    await print_machine()
    print(f"load average {os.getloadavg()}")
    secrets = Secrets()
    vault = PiiVault(_b64key(secrets.pii_key), _b64key(secrets.lookup_key))  # type: ignore[arg-type]
    url = await create_database("regcpu")
    engine = make_engine(url, pool_size=2)
    pool = cpu.start(workers)
    profiler = cProfile.Profile() if profile else None
    where: Counter[str] = Counter()
    rows = []
    try:
        institution_id = await institution_in_process(url)
        sessions = make_sessionmaker(engine)
        for batch in range(batches + 1):  # the first is a warm-up
            items = _items(batch * size, size)
            cpu_before, started = _cpu_seconds(), time.perf_counter()
            with LoopLag(stalls=where if args.stalls else None) as lag:
                if profiler and batch:
                    profiler.enable()
                async with sessions() as session, contextlib.AsyncExitStack() as stack:
                    stack.enter_context(cpu.collector_paused())  # to the commit, as the API does
                    sign = await qr_signer(session, vault, PUBLIC_BASE)
                    outcomes = await registration.register_completions(
                        session, vault, institution_id, items, sign, PUBLIC_BASE
                    )
                    await session.commit()
                if profiler:
                    profiler.disable()
            wall, used = time.perf_counter() - started, _cpu_seconds() - cpu_before
            assert sum(o.status == "created" for o in outcomes) == size
            if batch:
                rows.append((wall, used, lag.worst(), lag.p99(), sum(lag.lags)))
    finally:
        cpu.stop(pool)
        await engine.dispose()
        await drop_database(url)
    wall, used, worst, p99, busy = (median([r[i] for r in rows]) for i in range(5))
    print(f"cpu workers {workers}, {batches} batches of {size:,}; medians; load after {os.getloadavg()}")
    print(
        table(
            [
                ["figure", "value"],
                ["wall per batch", f"{wall:.2f} s ({size / wall:,.0f} completions/s)"],
                ["this process's CPU per completion", f"{used / size * 1e6:,.0f} µs"],
                ["loop blocked, longest stretch", f"{worst * 1000:,.0f} ms"],
                ["loop lag p99 (1 ms probe)", f"{p99 * 1000:,.1f} ms"],
                ["loop lag summed", f"{busy:.2f} s of {wall:.2f} s"],
                *([["longest loop step, CPU (--slow)", f"{max(t[0] for t in steps) * 1000:,.0f} ms"]] if steps else []),
            ],
        )
    )
    for text, seconds in spent.most_common(20):
        print(f"{seconds / (batches + 1) * 1000:7.0f} ms per batch  {text}")
    print(f"loop steps over {args.slow * 1000:g} ms of CPU: {len(steps)} in {batches + 1} batches; the longest:")
    for took, wall, before, after in sorted(steps, reverse=True)[:12]:
        print(f"{took * 1000:6.0f} ms CPU ({wall * 1000:.0f} ms wall)  from {before}\n           to {after}")
    for place, count in where.most_common(25):
        print(f"{count * 10:6d} ms  {place}")
    if profiler and profile:
        profiler.dump_stats(profile)
        print(f"profile written to {profile}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--cpu-workers", type=int, default=0)
    parser.add_argument("--profile")
    parser.add_argument("--gc", choices=["on", "off", "frozen"], default="on", help="the collector during batches")
    parser.add_argument("--slow", type=float, default=0, help="log every task step longer than this (seconds)")
    parser.add_argument("--statements", action="store_true", help="time the raw driver's statements")
    parser.add_argument("--stalls", action="store_true", help="where the loop is while it is blocked ≥ 50 ms")
    args = parser.parse_args()
    if args.gc == "off":
        gc.disable()
    elif args.gc == "frozen":
        gc.freeze()
    asyncio.run(
        main(args.batches, args.batch_size, args.cpu_workers, args.profile, args.stalls, args.slow, args.statements)
    )
