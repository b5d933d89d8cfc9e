"""What every benchmark needs: the machine it ran on, a fresh migrated database, a real server process, the
institution and course to register against, and small statistics helpers.

The PostgreSQL server is BENCH_DATABASE_URL (default: postgres on 127.0.0.1:5432). Each benchmark creates its
own `bench_*` databases and drops them at the end.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
# `python bench/ledger.py` puts bench/ first on the path, where `ledger` would be that script rather than the
# package: the project root goes first, bench/ last (so `common` still imports). Import `common` before `ledger`.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() not in (ROOT, BENCH)] + [str(BENCH)]

from ledger.database import migrate  # noqa: E402
from ledger.database.engine import as_asyncpg_url, make_engine, make_sessionmaker, plain_url  # noqa: E402
from ledger.settings import Settings  # noqa: E402
from tests.factories import id_number  # noqa: E402

SERVER_URL = as_asyncpg_url(os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))

INSTITUTION = {
    "code": "BENCH-EVAL",
    "name": "乌鲁木齐市职业技能鉴定中心",
    "kind": "evaluator",
    "region_code": "650100",
    "jurisdiction": "zizhiqu",
    "evaluator": {
        "category": "S",
        "filing_code": "0000",
        "site_code": "650101",
        "occupations": [{"occupation_code": "6-18-01-01", "levels": [5, 4, 3]}],
    },
}
COURSE_CODE = "CG-2025-01"
COURSE = {
    "code": COURSE_CODE,
    "name": "车工（四级）",
    "occupation_code": "6-18-01-01",
    "starts_on": "2025-03-01",
    "ends_on": "2025-05-30",
    "hours": 160,
    "outcome": "skill_level",
    "target_level": 4,
    "dual_rule": "training_skill",
    "mode_tags": ["order"],
}

# --- the machine -----------------------------------------------------------------------------------------------


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _ram_gib() -> float:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    return float("nan")


async def machine_info() -> list[str]:
    conn = await asyncpg.connect(plain_url(SERVER_URL))
    try:
        pg = await conn.fetchval("SHOW server_version")
        settings = {
            name: await conn.fetchval("SELECT current_setting($1)", name)
            for name in ("shared_buffers", "synchronous_commit", "max_wal_size", "work_mem")
        }
    finally:
        await conn.close()
    load = os.getloadavg()
    return [
        f"machine:    {os.cpu_count()} cores, {_cpu_model()}, {_ram_gib():.1f} GiB RAM",
        f"software:   Python {platform.python_version()}, PostgreSQL {pg} on the same host "
        f"({', '.join(f'{k}={v}' for k, v in sorted(settings.items()))})",
        f"load:       {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1/5/15 min) at start",
    ]


async def print_machine() -> None:
    for line in await machine_info():
        print(line)
    print()


# --- databases --------------------------------------------------------------------------------------------------


def with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def _admin(sql: str, server: str = SERVER_URL) -> None:
    conn = await asyncpg.connect(plain_url(server))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def create_database(tag: str, server: str = SERVER_URL) -> str:
    """A new database `bench_<tag>_<random>` on `server`, migrated and holding the shipped reference data; its
    URL."""
    from ledger.reference import load as ref

    name = f"bench_{tag}_{uuid.uuid4().hex[:8]}"
    await _admin(f'CREATE DATABASE "{name}"', server)
    url = with_database(as_asyncpg_url(server), name)
    await asyncio.to_thread(migrate.upgrade, url)
    engine = make_engine(url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session:
            await ref.load_regions(session, ref.shipped_regions())
            await ref.load_occupations(session, ref.shipped_occupations())
            await session.commit()
    finally:
        await engine.dispose()
    return url


async def drop_database(url: str) -> None:
    name = make_url(url).database
    assert name and name.startswith("bench_"), name
    await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.asynccontextmanager
async def fresh_database(tag: str, keep: bool = False) -> AsyncIterator[str]:
    url = await create_database(tag)
    try:
        yield url
    finally:
        if keep:
            print(f"(kept database {make_url(url).database})")
        else:
            await drop_database(url)


# --- secrets and settings ---------------------------------------------------------------------------------------


def new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


@dataclass(frozen=True)
class Secrets:
    pii_key: str = field(default_factory=new_key)
    lookup_key: str = field(default_factory=new_key)

    def env(self, database_url: str, data_dir: Path) -> dict[str, str]:
        return {
            **os.environ,
            "LEDGER_DATABASE_URL": database_url,
            "LEDGER_DATA_DIR": str(data_dir),
            "LEDGER_PII_KEY": self.pii_key,
            "LEDGER_LOOKUP_KEY": self.lookup_key,
            "PYTHONUNBUFFERED": "1",
        }

    def settings(self, database_url: str, data_dir: Path) -> Settings:
        return Settings.from_env(self.env(database_url, data_dir))


# --- a real server process -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ServerProcess:
    process: subprocess.Popen
    base: str
    log: Path

    def _status(self, field_name: str) -> int:
        """A /proc/<pid>/status figure in KiB (VmRSS now, VmHWM = peak resident set)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
        raise KeyError(field_name)

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mib(self) -> float:
        return self._status("VmRSS") / 1024

    def peak_rss_mib(self) -> float:
        return self._status("VmHWM") / 1024

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(env: dict[str, str], log: Path) -> ServerProcess:
    """`python -m api.cli serve` on a free port; returns once /health answers."""
    port = free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return ServerProcess(process, base, log)
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"server did not start:\n{log.read_text()}")


@contextlib.contextmanager
def running_server(env: dict[str, str], log: Path):
    server = start_server(env, log)
    try:
        yield server
    finally:
        server.stop()


# --- tenants ----------------------------------------------------------------------------------------------------


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def admin_key(database_url: str) -> str:
    """An admin key, issued in-process (as `ledger keys create --kind admin` does)."""
    from ledger.tenancy.service import issue_key

    engine = make_engine(database_url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session:
            issued = await issue_key(session, "admin", label="bench")
            await session.commit()
    finally:
        await engine.dispose()
    return issued.secret


def institution_with_course(base: str, admin: str, course_code: str = COURSE_CODE) -> str:
    """Through the API: the institution, its key and one course. Returns the institution key."""
    with httpx.Client(base_url=base, timeout=30) as client:
        response = client.post("/api/v1/institutions", json=INSTITUTION, headers=bearer(admin))
        response.raise_for_status()
        response = client.post(f"/api/v1/institutions/{INSTITUTION['code']}/keys", headers=bearer(admin))
        response.raise_for_status()
        key = response.json()["key"]
        response = client.post("/api/v1/courses", json={**COURSE, "code": course_code}, headers=bearer(key))
        response.raise_for_status()
    return key


async def institution_in_process(database_url: str) -> int:
    """The same institution and course written by the domain services directly (no server); its id."""
    import msgspec

    from ledger.commands import CourseIn, InstitutionIn
    from ledger.registration.courses import create_course
    from ledger.tenancy.service import register_institution

    engine = make_engine(database_url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session:
            institution = await register_institution(session, msgspec.convert(INSTITUTION, InstitutionIn))
            await create_course(session, institution.id, msgspec.convert(COURSE, CourseIn))
            await session.commit()
            return institution.id
    finally:
        await engine.dispose()


# --- input rows -------------------------------------------------------------------------------------------------

# tests.factories.id_number(seq) is distinct for seq < 999 * 3650; the region code multiplies that range.
REGIONS = ("650102", "650103", "650104", "650105", "650106", "650107", "650109", "650121")


def trainee_id_number(seq: int) -> str:
    span = 999 * 3650
    return id_number(seq % span, region=REGIONS[seq // span])


def completion_item(seq: int, course_code: str = COURSE_CODE) -> dict:
    """One row of a batch, a realistic shape: name, ID, gender, domicile, phone, assessment with scores."""
    number = trainee_id_number(seq)
    return {
        "course_code": course_code,
        "trainee": {
            "name": "买买提·艾力",
            "id_number": number,
            "gender": "男" if int(number[16]) % 2 else "女",
            "domicile_region": "653101",
            "phone": f"139{seq:08d}",
        },
        "completed_on": "2025-05-30",
        "hours": 160,
        "passed": True,
        "assessment": {"level": 4, "assessed_on": "2025-05-28", "theory_score": 81.5, "practical_score": 90},
    }


# --- figures ----------------------------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(r, widths, strict=True)))
        for r in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
