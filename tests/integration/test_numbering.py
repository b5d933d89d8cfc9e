"""Serial allocation: gapless and unique per prefix under concurrency and rollbacks (random schedules)."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import pytest

from ledger.certificates.repository import allocate_serials
from ledger.database.engine import make_engine, make_sessionmaker
from ledger.settings import Settings


@pytest.mark.parametrize("seed", range(5))
async def test_committed_serials_are_exactly_one_to_n_per_prefix(settings: Settings, seed: int) -> None:
    rng = random.Random(seed)
    prefixes = ["S00006565010125" + str(level) for level in (3, 4, 5)]
    engine = make_engine(settings.database_url or "", pool_size=16)
    sessions = make_sessionmaker(engine)
    committed: dict[str, list[int]] = {p: [] for p in prefixes}

    async def worker(n: int) -> None:
        wanted = Counter({p: rng.randint(1, 20) for p in rng.sample(prefixes, rng.randint(1, 3))})
        fail = rng.random() < 0.3
        async with sessions() as session:
            firsts = await allocate_serials(session, wanted)
            await asyncio.sleep(rng.random() / 100)
            if fail:
                await session.rollback()
                return
            await session.commit()
        for prefix, first in firsts.items():
            committed[prefix].extend(range(first, first + wanted[prefix]))

    try:
        await asyncio.gather(*[worker(n) for n in range(24)])
    finally:
        await engine.dispose()
    for prefix in prefixes:
        assert sorted(committed[prefix]) == list(range(1, len(committed[prefix]) + 1))
