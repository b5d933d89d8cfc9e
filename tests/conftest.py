"""Test databases: the server at LEDGER_TEST_DATABASE_URL, or an embedded PostgreSQL when it is unset.

A template database is migrated and loaded with reference data once per run; each test that asks for
`database_url` gets its own copy (CREATE DATABASE … TEMPLATE), so tests never see each other's rows.
"""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import os
import re
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from api.request_log import log_handler
from api.settings import WebSettings
from ledger.database import migrate
from ledger.database.engine import as_asyncpg_url, embedded_url, make_engine, make_sessionmaker, plain_url
from ledger.people.identity import check_char
from ledger.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = f"ledger_tpl_{os.getpid()}"
T = TypeVar("T")
SERVER_LOGS: list[Path] = []  # every server process's stdout and stderr (tests/e2e/conftest.py `start_server`)
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dX](?![0-9A-Za-z])")
_CLIENT_LOGGERS = ("httpx", "httpcore")  # what the tests' own HTTP client logs is not the server's log


def id_numbers_in(text: str) -> list[str]:
    """The valid GB 11643 ID numbers (check character right) standing alone in `text`."""
    return [n for n in _ID_NUMBER.findall(text) if check_char(n[:17]) == n[17]]


class _ServerSide(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.name.startswith(_CLIENT_LOGGERS)


@pytest.fixture(scope="session", autouse=True)
def logs_hold_no_id_numbers() -> Iterator[None]:
    """Everything the server side logs during the whole run (in process, through the same handler `ledger serve`
    installs, and every server process's output) is scanned for ID numbers at the end: any found fails the run."""
    buffer = io.StringIO()
    handler = log_handler("json", buffer)
    handler.addFilter(_ServerSide())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(min(level or logging.INFO, logging.INFO))
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    texts = {"in-process log": buffer.getvalue()}
    texts.update({str(log): log.read_text(errors="replace") for log in SERVER_LOGS if log.exists()})
    leaked = {where: found[:3] for where, text in texts.items() if (found := id_numbers_in(text))}
    assert not leaked, f"ID numbers written to the logs: {leaked}"


def _server_url() -> str:
    configured = os.environ.get("LEDGER_TEST_DATABASE_URL")
    if configured:
        return as_asyncpg_url(configured)
    return embedded_url(ROOT / ".ledger-data" / "test")


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(plain_url(_with_database(url, "postgres")))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from synchronous code, even where an event loop is already running
    (Playwright's sync API keeps one in the main thread)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="session")
def server_url() -> str:
    return _server_url()


def migrate_and_load(url: str) -> None:
    """Migrate the empty database at `url` to head and load the shipped reference data into it."""
    from ledger.reference import load as ref

    with ThreadPoolExecutor(max_workers=1) as pool:  # Alembic's env runs its own event loop
        pool.submit(migrate.upgrade, url).result()

    async def load() -> None:
        engine = make_engine(url, pool_size=1)
        async with make_sessionmaker(engine)() as session:
            await ref.load_regions(session, ref.shipped_regions())
            await ref.load_occupations(session, ref.shipped_occupations())
            await session.commit()
        await engine.dispose()

    run_async(load())


@pytest.fixture(scope="session")
def template_url(server_url: str) -> Iterator[str]:
    """A migrated database holding the shipped reference data: the template every test copies."""
    url = _with_database(server_url, TEMPLATE)
    run_async(_admin(server_url, f'DROP DATABASE IF EXISTS "{TEMPLATE}"'))
    run_async(_admin(server_url, f'CREATE DATABASE "{TEMPLATE}"'))
    migrate_and_load(url)
    yield url
    run_async(_admin(server_url, f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)'))


@pytest.fixture
async def database_url(server_url: str, template_url: str) -> AsyncIterator[str]:
    name = f"ledger_t_{uuid.uuid4().hex[:12]}"
    await _admin(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    yield _with_database(server_url, name)
    await _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


@pytest.fixture
def environment(database_url: str, tmp_path: Path) -> dict[str, str]:
    """The LEDGER_* variables of a test's app: its own database, data folder and keys."""
    return {
        "LEDGER_DATABASE_URL": database_url,
        "LEDGER_DATA_DIR": str(tmp_path / "data"),
        "LEDGER_PII_KEY": _key(),
        "LEDGER_LOOKUP_KEY": _key(),
        "LEDGER_PUBLIC_BASE_URL": "https://verify.example.test",
        "LEDGER_PDF_SIGNING": "demo",
        "LEDGER_HOLDER_CHECK_RATE_PER_MINUTE": "20",
        # the job workers on the app's own loop: a process per app would cost each test a second of start-up
        # (test_job_process.py runs them in their own, as `ledger serve` does)
        "LEDGER_JOB_PROCESS": "false",
    }


@pytest.fixture
def settings(environment: dict[str, str]) -> Settings:
    return Settings.from_env(environment)


@pytest.fixture
def web_settings(environment: dict[str, str]) -> WebSettings:
    """The same variables read as the web process reads them (`web_settings.domain == settings`)."""
    return WebSettings.from_env(environment)
