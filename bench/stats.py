"""Statistics at provincial scale: the load time of the synthetic province and p50/p95 of /stats/talent shapes.

    LEDGER_DATABASE_URL=postgresql://… python bench/stats.py [--load xinjiang|small] [--rounds 50]

Query shapes run through the same service the endpoint calls (`talent_report`), on random as-of dates, after a
warm-up; the figures printed are wall-clock per query including the Python roll-up. Compare with the exact
spells scan of the same date (the brute-force path) to see what the rollup buys on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

# bench/ledger.py would shadow the `ledger` package: import from the project root instead of this folder.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from ledger.db import as_asyncpg_url, make_engine, make_sessionmaker  # noqa: E402
from ledger.statistics.dimensions import region_book, resolve_scope  # noqa: E402
from ledger.statistics.synthetic import SCALES, generate  # noqa: E402
from ledger.statistics.talent import talent_report  # noqa: E402

SHAPES: list[tuple[str, dict, tuple[str, ...]]] = [
    ("province total", {}, ()),
    ("喀什 total", {"region": "653100"}, ()),
    ("by prefecture", {}, ("prefecture",)),
    ("by prefecture × level", {}, ("prefecture", "level")),
    ("by south4", {}, ("south4",)),
    ("by occupation", {}, ("occupation",)),
    ("by gender × age band", {}, ("gender", "age_band")),
    ("兵团 by level", {"jurisdiction": "bingtuan"}, ("level",)),
    ("domicile basis by prefecture", {"basis": "domicile"}, ("prefecture",)),
    ("yearly trend", {}, ("year",)),
]


async def main(url: str, load: str | None, rounds: int) -> None:
    engine = make_engine(as_asyncpg_url(url), pool_size=2)
    sessions = make_sessionmaker(engine)
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
    if load:
        started = time.perf_counter()
        async with sessions() as session:
            await generate(session, SCALES[load])
            await session.commit()
        print(f"load ({load}): {time.perf_counter() - started:.1f} s")
    async with sessions() as session:
        book = await region_book(session)
        counts = (await session.execute(__import__("sqlalchemy").text(
            "SELECT (SELECT count(*) FROM persons), (SELECT count(*) FROM certificates), "
            "(SELECT count(*) FROM completions), (SELECT count(*) FROM talent_cells)"))).one()  # fmt: skip
        print(
            f"persons {counts[0]:,}  certificates {counts[1]:,}  completions {counts[2]:,}  rollup rows {counts[3]:,}"
        )
        rng = random.Random(7)
        print(f"{'shape':34} {'p50 ms':>8} {'p95 ms':>8}")
        for name, params, dims in SHAPES:
            scope = resolve_scope(book, "650000", **params)
            times = []
            for i in range(rounds + 3):
                as_of = dt.date(2021, 1, 1) + dt.timedelta(days=rng.randrange(0, 5 * 365))
                started = time.perf_counter()
                report = await talent_report(session, book, scope, as_of, dims)
                if i >= 3:
                    times.append((time.perf_counter() - started) * 1000)
            times.sort()
            p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
            print(f"{name:34} {statistics.median(times):8.1f} {p95:8.1f}   (total {report.total['talent']:,})")
        await session.rollback()
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--load", choices=sorted(SCALES), help="generate this province first (empty database)")
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(os.environ["LEDGER_DATABASE_URL"], args.load, args.rounds))
