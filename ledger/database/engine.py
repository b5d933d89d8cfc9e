"""Where the database is: the configured server, or a private embedded PostgreSQL (pgserver)."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

log = logging.getLogger(__name__)

_embedded: dict[Path, Any] = {}


def embedded_url(data_dir: Path) -> str:
    """Start (or reuse) a PostgreSQL server kept in `data_dir/pg` and return its SQLAlchemy URL."""
    folder = (data_dir / "pg").resolve()
    if folder not in _embedded:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pgserver

            folder.parent.mkdir(parents=True, exist_ok=True)
            # cleanup_mode=None: the server outlives this process and is reused by the next one.
            _embedded[folder] = pgserver.get_server(folder, cleanup_mode=None)
        log.info("embedded PostgreSQL running in %s", folder)
    return f"postgresql+asyncpg://postgres@/postgres?host={folder}"


def database_url(configured: str | None, data_dir: Path) -> str:
    url = configured or embedded_url(data_dir)
    return as_asyncpg_url(url)


def as_asyncpg_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def plain_url(url: str) -> str:
    """The URL as libpq and asyncpg.connect() understand it (no SQLAlchemy driver suffix)."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def make_engine(url: str, pool_size: int = 10, application_name: str | None = None) -> AsyncEngine:
    """`application_name` names the connections in pg_stat_activity (the writer's are `ledger writer`)."""
    named = {"connect_args": {"server_settings": {"application_name": application_name}}} if application_name else {}
    return create_async_engine(
        url,
        **named,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=False,
        isolation_level="READ COMMITTED",
        hide_parameters=True,  # errors and logs never carry the values bound to a statement
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
