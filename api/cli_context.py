"""What every `ledger` command shares: settings read from the environment, the database they name, and running
one unit of work in a committed transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.database.engine import database_url, make_engine, make_sessionmaker
from ledger.settings import SettingError, Settings

T = TypeVar("T")


def read_settings(settings_from_env: Callable[[], T]) -> T:
    """Settings from the environment; a bad LEDGER_* value is reported by name, without a traceback, exit 1."""
    try:
        return settings_from_env()
    except SettingError as exc:
        raise click.ClickException(str(exc)) from None


def domain_settings() -> Settings:
    return read_settings(Settings.from_env).with_secrets()


def database_of(settings: Settings) -> str:
    return database_url(settings.database_url, settings.data_dir)


def in_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one transaction and commit it."""

    async def main() -> T:
        engine = make_engine(database_of(settings), pool_size=1)
        try:
            async with make_sessionmaker(engine)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(main())
