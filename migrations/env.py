"""Alembic environment: async engine, one transaction per migration run.

The URL comes from `config.attributes["url"]` (set by `ledger.database.migrate`) or from LEDGER_DATABASE_URL.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

from ledger.database.engine import as_asyncpg_url, make_engine
from ledger.database.schema import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, transaction_per_migration=False)
    with context.begin_transaction():
        context.run_migrations()


async def _main() -> None:
    url = config.attributes.get("url") or os.environ.get("LEDGER_DATABASE_URL")
    if not url:
        raise RuntimeError("no database URL: use `ledger db upgrade` or set LEDGER_DATABASE_URL")
    engine = make_engine(as_asyncpg_url(url), pool_size=1)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_main())
