"""A database role for the application that does not own the log tables, so it cannot disable their triggers."""

from __future__ import annotations

import re

import asyncpg

LOG_TABLES = ("ledger_entries", "ledger_nodes", "ledger_checkpoints")
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


async def grant_app_role(dsn: str, role: str) -> None:
    """Create `role` (NOLOGIN; grant it to a login role) with what the server needs and nothing more:
    SELECT/INSERT/UPDATE/DELETE on business tables, SELECT/INSERT on the log tables, UPDATE on the head row."""
    if not _NAME.match(role):
        raise ValueError("a role name is lower-case letters, digits and underscores")
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
            if not exists:
                await conn.execute(f'CREATE ROLE "{role}" NOLOGIN')
            await conn.execute(f'GRANT USAGE ON SCHEMA public TO "{role}"')
            await conn.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"')
            await conn.execute(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"')
            for table in LOG_TABLES:
                await conn.execute(f'REVOKE UPDATE, DELETE, TRUNCATE ON "{table}" FROM "{role}"')
            await conn.execute(f'REVOKE DELETE, TRUNCATE ON ledger_head FROM "{role}"')
            await conn.execute(f'REVOKE UPDATE, DELETE, TRUNCATE ON alembic_version FROM "{role}"')
    finally:
        await conn.close()
