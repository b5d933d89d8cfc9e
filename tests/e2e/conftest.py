"""A real server process (`ledger serve --demo`) on a fresh, empty database."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, SERVER_LOGS, _key, _with_database


@dataclass
class Server:
    base: str
    keys: dict[str, str]
    database_url: str
    log: Path
    process: subprocess.Popen
    env: dict[str, str]


def _answers(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(database_url: str, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "LEDGER_DATABASE_URL": database_url,
        "LEDGER_DATA_DIR": str(data_dir),
        "LEDGER_PII_KEY": _key(),
        "LEDGER_LOOKUP_KEY": _key(),
        "PYTHONUNBUFFERED": "1",
    }


def start_server(
    env: dict[str, str], log: Path, *, demo: bool = True, args: tuple[str, ...] = ()
) -> tuple[subprocess.Popen, str]:
    port = free_port()
    SERVER_LOGS.append(log)
    command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port), *(["--demo"] if demo else []), *args]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"server did not start:\n{log.read_text()}")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def printed_keys(log: Path) -> dict[str, str]:
    """The demo keys `ledger serve --demo` printed: "admin", "institution <code>", "bureau <region>"."""
    keys = {}
    for line in log.read_text().splitlines():
        match = re.match(r"\s+(admin|institution \S+|bureau \S+).*?\s(ldg_\w+)$", line)
        if match:
            keys[match.group(1).split()[0] if match.group(1) == "admin" else match.group(1)] = match.group(2)
    return keys


@pytest.fixture(scope="module")
def empty_database(server_url: str) -> Iterator[str]:
    from tests.conftest import _admin, run_async

    name = f"ledger_e2e_{uuid.uuid4().hex[:10]}"
    run_async(_admin(server_url, f'CREATE DATABASE "{name}"'))
    yield _with_database(server_url, name)
    run_async(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def server_settings() -> dict[str, str]:
    """LEDGER_* variables a test module's server runs with, beyond the defaults (a module overrides this)."""
    return {}


@pytest.fixture(scope="module")
def server(
    empty_database: str, tmp_path_factory: pytest.TempPathFactory, server_settings: dict[str, str]
) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("server")
    log = folder / "server.log"
    env = {**server_env(empty_database, folder / "data"), **server_settings}
    process, base = start_server(env, log)
    try:
        yield Server(base, printed_keys(log), empty_database, log, process, env)
    finally:
        stop_server(process)


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium from the system (Debian's package), driven by Playwright. Skips where there is none,
    except in CI, which installs it and must run these tests."""
    import shutil

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser tests: install Chromium (apt-get install chromium)")
        pytest.skip("no Chromium installed")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private Redis (the system's redis-server, on a free port, nothing saved). Skips where there is none,
    except in CI, which installs it and must run these tests."""
    import shutil

    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the Redis tests: install Redis (apt-get install redis-server)")
        pytest.skip("no redis-server installed")
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
               "--dir", str(folder)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while not _answers(port):
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError("redis-server did not start")
        time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
