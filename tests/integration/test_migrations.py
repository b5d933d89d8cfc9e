"""Upgrading a ledger that holds data: the revisions change the schema only, the operator rebuilds the statistics
with `ledger stats rebuild`, and `/ready` compares the database with the head read once at start-up."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from click.testing import CliRunner, Result
from litestar.testing import AsyncTestClient

from api.cli import main
from ledger.database import migrate
from ledger.database.engine import make_engine, make_sessionmaker, plain_url
from ledger.settings import Settings
from ledger.statistics.refresh import rebuild_talent
from tests.factories import completion
from tests.integration.conftest import World, folded

ROLLUP = "SELECT * FROM talent_cells ORDER BY 1, 2"
SPELLS = (
    "SELECT person_id, valid_from, valid_to, certificate_id, level, region_code, domicile_code, jurisdiction,"
    " occupation_code, sex, birth_year, layer FROM talent_spells ORDER BY person_id, layer, valid_from, certificate_id"
)


async def ledger(settings: Settings, tmp_path: Path, *args: str) -> Result:
    env = {"LEDGER_DATABASE_URL": settings.database_url, "LEDGER_DATA_DIR": str(tmp_path / "cli")}
    return await asyncio.to_thread(CliRunner().invoke, main, list(args), env=env, catch_exceptions=False)


async def fetch(settings: Settings, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(plain_url(settings.database_url or ""))
    try:
        return await conn.fetch(sql)
    finally:
        await conn.close()


async def talent(world: World) -> dict:
    response = await world.client.get("/api/v1/stats/talent?as_of=2025-12-31&group_by=level", headers=world.bureau)
    assert response.status_code == 200, response.text
    return {k: v for k, v in response.json().items() if k != "generated_at"}


async def test_an_upgrade_from_0003_leaves_the_rollup_to_stats_rebuild(world: World, tmp_path: Path) -> None:
    items = [completion(1), completion(2), completion(3, assessment={"level": 3, "assessed_on": "2025-05-28"})]
    response = await world.client.post("/api/v1/completions", json={"items": items}, headers=world.evaluator)
    assert response.status_code == 201, response.text
    await folded(world.settings)
    before, rollup = await talent(world), await fetch(world.settings, ROLLUP)
    assert before["total"]["talent"] == 3 and rollup

    url = world.settings.database_url or ""
    await asyncio.to_thread(command.downgrade, migrate.alembic_config(url), "0003")
    upgraded = await ledger(world.settings, tmp_path, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert "ledger stats rebuild" in upgraded.stderr  # the operator is told
    assert (await talent(world))["total"]["talent"] == 0  # the revision emptied the rollup, it ran no rebuild

    rebuilt = await ledger(world.settings, tmp_path, "stats", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert await fetch(world.settings, ROLLUP) == rollup
    assert await talent(world) == before
    again = await ledger(world.settings, tmp_path, "db", "upgrade")
    assert again.exit_code == 0 and "stats rebuild" not in again.stderr

    only = await ledger(world.settings, tmp_path, "stats", "rebuild", "--rollup-only")
    assert only.exit_code == 0, only.output
    assert await fetch(world.settings, ROLLUP) == rollup

    spells = await fetch(world.settings, SPELLS)
    engine = make_engine(url, pool_size=1)
    async with make_sessionmaker(engine)() as session:
        await rebuild_talent(session, chunk=1)  # a range of one person per chunk: each one read once, none missed
        await session.commit()
    await engine.dispose()
    assert await fetch(world.settings, SPELLS) == spells
    assert await fetch(world.settings, ROLLUP) == rollup


async def test_ready_compares_the_database_with_the_head_read_at_start_up(
    client: AsyncTestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = migrate.head_revision()

    def unread(*args: object, **kwargs: object) -> ScriptDirectory:
        raise AssertionError("/ready re-read the migration scripts")

    monkeypatch.setattr(ScriptDirectory, "from_config", unread)
    ready = await client.get("/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["expected_revision"] == head

    conn = await asyncpg.connect(plain_url(settings.database_url or ""))
    try:
        await conn.execute("UPDATE alembic_version SET version_num = '0003'")
    finally:
        await conn.close()
    behind = await client.get("/ready")
    assert behind.status_code == 503
    assert (behind.json()["schema_revision"], behind.json()["expected_revision"]) == ("0003", head)
