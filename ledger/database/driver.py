"""The asyncpg connection under a session, for set-based statements in the session's transaction.

The features' repositories use it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ledger.database.constraints import GuardedConnection


async def driver(session: AsyncSession) -> Any:
    """The asyncpg connection under `session`, inside the session's open transaction.

    SQLAlchemy begins the transaction lazily; refuse to hand out a connection outside one, or the bulk
    statements would autocommit row by row. Its statements raise a violated constraint as the domain error
    the constraint names (ledger/database/constraints.py), never as a driver error.
    """
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    conn = raw.driver_connection
    assert conn is not None
    if not conn.is_in_transaction():
        await connection.exec_driver_sql("SELECT 1")
    if not conn.is_in_transaction():  # pragma: no cover - a driver change would land here
        raise RuntimeError("bulk statements need an open transaction")
    return GuardedConnection(conn)
