"""The talent refreshes' pending moves: the server's job workers fold them into the rollup and vacuum the table, one
fold at a time, and a refresh waits on no rollup row a fold holds."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import asyncpg
import pytest
from click.testing import CliRunner

from api.cli import main
from ledger.database.driver import driver
from ledger.database.engine import make_engine, make_sessionmaker, plain_url
from ledger.statistics import refresh_talent
from ledger.statistics.refresh import fold_pending
from ledger.statistics.tables import cell_key, cell_key_sql, cell_values_sql
from tests.factories import completion
from tests.integration.conftest import World
from tests.integration.statistics_world import Writer

D = dt.date


async def scalar(url: str, sql: str) -> int:
    conn = await asyncpg.connect(plain_url(url))
    try:
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


async def talent(world: World) -> dict:
    response = await world.client.get("/api/v1/stats/talent?as_of=2025-12-31&group_by=level", headers=world.bureau)
    assert response.status_code == 200, response.text
    return response.json()["rows"]


async def test_the_job_workers_fold_what_registrations_left_pending(world: World) -> None:
    url = world.settings.database_url or ""
    items = [completion(1), completion(2), completion(3, assessment={"level": 3, "assessed_on": "2025-05-28"})]
    response = await world.client.post("/api/v1/completions", json={"items": items}, headers=world.evaluator)
    assert response.status_code == 201, response.text
    before = await talent(world)
    assert sum(row["talent"] for row in before) == 3
    for _ in range(100):  # the app's folder looks every LEDGER_JOB_POLL_SECONDS (1 s)
        if not await scalar(url, "SELECT count(*) FROM talent_pending"):
            break
        await asyncio.sleep(0.1)
    else:
        pytest.fail("the pending moves were not folded within 10 s")
    for _ in range(100):  # and vacuumed: a talent query reads the table whole, dead rows too
        if not await scalar(url, "SELECT pg_relation_size('talent_pending')"):
            break
        await asyncio.sleep(0.1)
    else:
        pytest.fail("talent_pending was not vacuumed after its fold")
    assert await scalar(url, "SELECT count(*) FROM talent_cells") > 0
    assert await scalar(url, "SELECT count(*) FROM talent_days") > 0
    assert await talent(world) == before  # the same figures, now from the rollup alone


async def _holders(url: str, n: int, institution_code: str) -> list[int]:
    """`n` persons with a level-4 certificate each in 乌鲁木齐, refreshed and committed (their moves pending)."""
    engine = make_engine(url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session:
            w = Writer(await driver(session))
            institution = await w.institution(institution_code, "650100", "zizhiqu")
            people = [await w.person("M", D(1990, 1, 1)) for _ in range(n)]
            for person in people:
                await w.certificate(person, institution, "skill_level", 4, "6-18-01-01", D(2023, 3, 1))
            await refresh_talent(session, people)
            await session.commit()
            return people
    finally:
        await engine.dispose()


class TestWithoutTheAppsFolder:
    """LEDGER_JOB_WORKERS=0: the app runs no folder, so these tests fold themselves."""

    @pytest.fixture
    def environment(self, environment: dict[str, str]) -> dict[str, str]:
        return {**environment, "LEDGER_JOB_WORKERS": "0"}

    async def test_folds_take_turns_and_a_refresh_waits_for_none(self, world: World) -> None:
        url = world.settings.database_url or ""
        await _holders(url, 3, "U1")
        assert await scalar(url, "SELECT count(*) FROM talent_pending") > 0
        engine = make_engine(url, pool_size=3)
        sessions = make_sessionmaker(engine)
        try:
            async with sessions() as first, sessions() as second:
                taken = await fold_pending(first)  # holds the fold's lock and the cells' rows until it commits
                assert taken > 0
                assert await fold_pending(second) == 0  # another fold meanwhile takes nothing
                await second.rollback()
                # a registration meanwhile: its refresh appends and commits without waiting on the fold's rows
                holder = await asyncio.wait_for(_holders(url, 1, "U2"), timeout=10)
                assert holder
                await first.commit()
            async with sessions() as session:
                assert await fold_pending(session) > 0  # the late registration's moves
                await session.commit()
            assert await scalar(url, "SELECT count(*) FROM talent_pending") == 0
        finally:
            await engine.dispose()
        rows = await talent(world)
        assert rows == [{**rows[0], "talent": 4}] and rows[0]["level"] == 4

    async def test_ledger_stats_fold_folds_for_a_ledger_without_workers(self, world: World, tmp_path: Path) -> None:
        url = world.settings.database_url or ""
        await _holders(url, 2, "U3")
        env = {"LEDGER_DATABASE_URL": url, "LEDGER_DATA_DIR": str(tmp_path / "cli")}
        result = await asyncio.to_thread(CliRunner().invoke, main, ["stats", "fold"], env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert "folded 8 pending talent moves" in result.output  # 2 persons netted: 4 cubes × 2 bases, one day
        assert await scalar(url, "SELECT count(*) FROM talent_pending") == 0
        rows = await talent(world)
        assert [row["talent"] for row in rows] == [2]


@pytest.mark.parametrize(
    "values",
    [
        {"layer": "B", "region_code": "653121", "jurisdiction": "zizhiqu", "level": 3,
         "occupation_code": "6-18-01-01", "sex": "F", "birth_year": 1990},
        {"layer": "L", "region_code": "", "jurisdiction": "bingtuan", "level": 0, "occupation_code": "", "sex": "",
         "birth_year": 0},
        {"layer": "A", "region_code": "659001", "jurisdiction": "bingtuan", "level": 5,
         "occupation_code": "4-03-02-01", "sex": "M", "birth_year": 2006},
    ],
)  # fmt: skip
async def test_python_packs_a_cell_key_as_the_rebuilds_sql_does(world: World, values: dict) -> None:
    """The fold's keys (packed in Python) and the rebuild's (packed in SQL) name the same cells, and the key
    decodes to the values."""
    literals = {f: (f"'{v}'" if isinstance(v, str) else str(v)) for f, v in values.items()}
    decoded = ", ".join(f"{sql} AS {f}" for f, sql in cell_values_sql(str(cell_key(values))).items())
    conn = await asyncpg.connect(plain_url(world.settings.database_url or ""))
    try:
        assert await conn.fetchval(f"SELECT {cell_key_sql(literals)}") == cell_key(values)
        assert dict(await conn.fetchrow(f"SELECT {decoded}")) == values
    finally:
        await conn.close()
