"""A real PostgreSQL primary and a streaming hot standby on this machine, for the read-replica tests and
bench/verify.py --read-replica.

Built with PostgreSQL's own tools: `initdb` makes the primary, `pg_basebackup -R` copies it into a standby that
streams from it, `pg_ctl` starts and stops either. The binaries are the ones bundled with pgserver (a dependency,
so always there) or, failing that, the system's (/usr/lib/postgresql/*/bin). PostgreSQL refuses to run as root:
as root, the servers run as an unprivileged system user (`pgserver`, which pgserver itself creates and uses for
the embedded test server), and their folder is theirs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg

RUN_AS = "pgserver"
TOOLS = ("initdb", "pg_ctl", "pg_basebackup")


class ClusterUnavailable(RuntimeError):
    """No PostgreSQL binaries to build a cluster with, or no way to run them on this machine."""


def binaries() -> Path:
    """A folder holding initdb, pg_ctl and pg_basebackup: pgserver's first, then the system's (newest first)."""
    candidates: list[Path] = []
    with contextlib.suppress(ImportError):
        from pgserver._commands import POSTGRES_BIN_PATH

        candidates.append(Path(POSTGRES_BIN_PATH))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for folder in candidates:
        if all((folder / tool).is_file() for tool in TOOLS):
            return folder
    raise ClusterUnavailable(f"no folder with {', '.join(TOOLS)} among {[str(c) for c in candidates]}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Node:
    name: str
    data: Path
    port: int

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"


class Cluster:
    """A primary and one standby in `folder`; `up(node)` / `down(node)` start and stop either."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.bin = binaries()
        self.user = _unprivileged_user(self.bin, folder)
        self.primary = Node("primary", folder / "primary", free_port())
        self.standby = Node("standby", folder / "standby", free_port())

    def _run(self, tool: str, *args: str, timeout: float = 120) -> None:
        done = subprocess.run(
            [str(self.bin / tool), *args],
            user=self.user,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.folder,
        )
        if done.returncode:
            raise RuntimeError(f"{tool} {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")

    def build(self) -> None:
        """initdb the primary, start it, and copy it into a standby that streams from it; both running."""
        self._run("initdb", "-D", str(self.primary.data), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                  "--no-sync")  # fmt: skip
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "wal_level": "replica",
            "max_wal_senders": "5",
            "hot_standby": "on",
            "fsync": "off",  # a throw-away cluster: durability is not what is tested
            "full_page_writes": "off",
            "max_connections": "100",
            "shared_buffers": "'64MB'",
            "wal_receiver_status_interval": "'1s'",
        }
        _append_conf(self.primary, settings)
        self.up(self.primary)
        self._run("pg_basebackup", "-D", str(self.standby.data), "-h", "127.0.0.1", "-p", str(self.primary.port),
                  "-U", "postgres", "-R", "-X", "stream", "--checkpoint=fast", "--no-sync")  # fmt: skip
        _append_conf(self.standby, {})  # the standby's own port and socket folder
        self.up(self.standby)

    def up(self, node: Node) -> None:
        self._run("pg_ctl", "-D", str(node.data), "-l", str(self.folder / f"{node.name}.log"), "-w", "-t", "60",
                  "start")  # fmt: skip

    def down(self, node: Node) -> None:
        self._run("pg_ctl", "-D", str(node.data), "-m", "fast", "-w", "-t", "60", "stop")

    def stop_all(self) -> None:
        for node in (self.standby, self.primary):
            if (node.data / "postmaster.pid").exists():
                with contextlib.suppress(Exception):
                    self.down(node)

    def log(self, node: Node) -> str:
        path = self.folder / f"{node.name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _append_conf(node: Node, settings: dict[str, str]) -> None:
    lines = {**settings, "port": str(node.port), "unix_socket_directories": f"'{node.data}'"}
    with (node.data / "postgresql.auto.conf").open("a") as conf:
        conf.write("".join(f"{k} = {v}\n" for k, v in lines.items()))


def _unprivileged_user(bin_dir: Path, folder: Path) -> str | None:
    """None when not root; as root, a system user that can run the binaries and owns `folder`."""
    if os.geteuid() != 0:
        return None
    try:
        from pgserver.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists
    except ImportError as exc:
        raise ClusterUnavailable("running as root needs pgserver's helpers to make an unprivileged user") from exc
    ensure_user_exists(RUN_AS)
    # the same permissions pgserver gives its own binaries when it runs as root
    ensure_prefix_permissions(bin_dir)
    ensure_folder_permissions(bin_dir, 0o055)
    ensure_folder_permissions(bin_dir.parent / "lib", 0o044)
    entry = pwd.getpwnam(RUN_AS)
    os.chown(folder, entry.pw_uid, entry.pw_gid)
    return RUN_AS


@contextlib.contextmanager
def replicated_cluster() -> Iterator[Cluster]:
    """A running primary and standby in a fresh temporary folder, stopped and removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="ledger-replica-"))
    try:
        cluster = Cluster(folder)
        try:
            cluster.build()
            yield cluster
        finally:
            cluster.stop_all()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def caught_up(cluster: Cluster, seconds: float = 30) -> None:
    """Until the standby has replayed what the primary has written so far."""
    primary = await asyncpg.connect(cluster.primary.url())
    try:
        position = await primary.fetchval("SELECT pg_current_wal_lsn()")
    finally:
        await primary.close()
    deadline = time.monotonic() + seconds
    while True:
        try:
            standby = await asyncpg.connect(cluster.standby.url())
            try:
                if await standby.fetchval("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", position):
                    return
            finally:
                await standby.close()
        except (OSError, asyncpg.PostgresError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"the standby did not replay up to {position}:\n{cluster.log(cluster.standby)}")
        await asyncio.sleep(0.05)
