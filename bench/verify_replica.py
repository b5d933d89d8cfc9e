"""Verification throughput with a read replica: `GET /api/v1/verify/{code}` answered from the primary alone or
from a streaming hot standby (LEDGER_READ_DATABASE_URL), by one API process or by two behind a load balancer.

    .venv/bin/python bench/verify_replica.py [--certificates 20000] [--seconds 10] [--rounds 3]

Set-up: a primary and a standby built for the run with PostgreSQL's own tools (tests/replication.py: initdb,
pg_basebackup -R, pg_ctl; the binaries bundled with pgserver or the system's), a `bench_verify_replica` database on
the primary, certificates registered through a real server, the standby caught up. Then four targets, alternating
for --rounds rounds of --seconds each, each a fresh `ledger serve` (one uvicorn worker per process):

- 1 process, primary: LEDGER_DATABASE_URL only;
- 1 process, replica: the same with LEDGER_READ_DATABASE_URL = the standby;
- 2 processes, primary / replica: two such servers on two ports, the load split evenly between them (what a load
  balancer in front of stateless API processes does; `ledger serve --workers N` would fork the same processes
  behind one port).

The load comes from wrk (bench/verify_wrk.lua, random existing codes, --clients client addresses; with two servers,
two wrk processes with half the connections each, at the same time; their requests/s add up). Besides requests/s
and p99, the CPU the API processes, the primary's PostgreSQL and the standby's PostgreSQL used, in cores: where the
read load lands. On a 2-core machine, everything (API, both PostgreSQL servers, wrk) shares the same two cores: a
replica on the same host cannot add capacity, it only shows that the reads move off the primary and what that
costs; on separate hosts the replica's share is capacity taken off the primary.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
from common import Secrets, admin_key, create_database, free_port, median, running_server, table
from verify import Run, Target, codes_and_vacuum, register, start, wrk, wrk_version

from tests.replication import Cluster, Node, caught_up, replicated_cluster


@dataclass(frozen=True)
class Setup:
    name: str
    processes: int
    replica: bool


SETUPS = [
    Setup("1 process, primary", 1, False),
    Setup("1 process, replica", 1, True),
    Setup("2 processes, primary", 2, False),
    Setup("2 processes, replica", 2, True),
]


@dataclass(frozen=True)
class Measured:
    rps: float
    p99_ms: float
    errors: int
    api_cores: float
    primary_cores: float
    standby_cores: float


def postgres_tree(node: Node) -> list[psutil.Process]:
    postmaster = psutil.Process(int((node.data / "postmaster.pid").read_text().split()[0]))
    return [postmaster, *postmaster.children(recursive=True)]


def cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for p in processes:
        try:
            times = p.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def measure(
    cluster: Cluster, targets: list[Target], codes_file: Path, seconds: int, args: argparse.Namespace
) -> Measured:
    """All `targets` loaded at once, the connections split between them."""
    split = replace_connections(args, args.connections // len(targets))
    api = [psutil.Process(t.server.process.pid) for t in targets]
    primary, standby = postgres_tree(cluster.primary), postgres_tree(cluster.standby)
    before = cpu_seconds(api), cpu_seconds(primary), cpu_seconds(standby)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(targets)) as pool:
        runs: list[Run] = list(pool.map(lambda t: wrk(t, codes_file, seconds, split), targets))
    wall = time.monotonic() - started
    # backends started during the run are counted from their start
    primary, standby = postgres_tree(cluster.primary), postgres_tree(cluster.standby)
    after = cpu_seconds(api), cpu_seconds(primary), cpu_seconds(standby)
    cores = [(a - b) / wall for a, b in zip(after, before, strict=True)]
    return Measured(
        rps=sum(r.rps for r in runs),
        p99_ms=max(r.p99_ms for r in runs),
        errors=sum(r.errors for r in runs),
        api_cores=cores[0],
        primary_cores=cores[1],
        standby_cores=cores[2],
    )


def replace_connections(args: argparse.Namespace, connections: int) -> argparse.Namespace:
    copy = argparse.Namespace(**vars(args))
    copy.connections = connections
    return copy


def servers(setup: Setup, env: dict[str, str], standby_url: str, folder: Path) -> list[Target]:
    if setup.replica:
        env = {**env, "LEDGER_READ_DATABASE_URL": standby_url}
    targets = []
    for i in range(setup.processes):
        port = free_port()
        log = folder / f"{setup.name.replace(' ', '_').replace(',', '')}_{i}.log"
        server = start([sys.executable, "-m", "api.cli", "serve", "--port", str(port)], env, log, port)
        targets.append(Target(setup.name, server, "/api/v1/verify/"))
    if setup.replica:
        for target in targets:  # each process reads the standby before it is measured
            deadline = time.monotonic() + 30
            while httpx.get(f"{target.server.base}/ready", timeout=5).json().get("reads") != "replica":
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{setup.name}: the server does not read the standby")
                time.sleep(0.1)
    return targets


def run(args: argparse.Namespace) -> None:
    secrets = Secrets()
    folder = Path(tempfile.mkdtemp(prefix="bench-verify-replica-"))
    with replicated_cluster() as cluster:
        print(f"machine:    {os.cpu_count()} cores, load {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min)")
        print(f"load gen:   {wrk_version()}, {args.connections} connections in all, {args.clients:,} client addresses")
        print(f"cluster:    primary :{cluster.primary.port} and hot standby :{cluster.standby.port} ({cluster.bin}), "
              "same host, fsync off (a read benchmark)\n")  # fmt: skip
        url = asyncio.run(create_database("verify_replica", server=cluster.primary.url()))
        env = secrets.env(url, folder / "data")
        standby_url = cluster.standby.url(url.rsplit("/", 1)[1])
        print(f"registering {args.certificates:,} certificates through the API on the primary ...", flush=True)
        admin = asyncio.run(admin_key(url))
        with running_server(env, folder / "setup.log") as setup:
            register(setup.base, admin, args.certificates)
        codes = asyncio.run(codes_and_vacuum(url))
        asyncio.run(caught_up(cluster))
        codes_file = folder / "codes.txt"
        codes_file.write_text("\n".join(codes) + "\n")
        print(f"{len(codes):,} certificates, replayed on the standby\n")

        results: dict[str, list[Measured]] = {s.name: [] for s in SETUPS}
        for r in range(args.rounds):
            for setup in SETUPS if r % 2 == 0 else SETUPS[::-1]:
                targets = servers(setup, env, standby_url, folder)
                try:
                    check = httpx.get(f"{targets[0].server.base}/api/v1/verify/{codes[0]}", timeout=10)
                    if check.status_code != 200:
                        raise RuntimeError(f"{setup.name}: {check.status_code} {check.text[:300]}")
                    measure(cluster, targets, codes_file, args.warmup, args)
                    m = measure(cluster, targets, codes_file, args.seconds, args)
                finally:
                    for target in targets:
                        target.server.stop()
                results[setup.name].append(m)
                print(
                    f"round {r + 1}  {setup.name:22} {m.rps:8,.0f} req/s  p99 {m.p99_ms:6.1f} ms  errors {m.errors}  "
                    f"cores: API {m.api_cores:.2f}, primary {m.primary_cores:.2f}, standby {m.standby_cores:.2f}",
                    flush=True,
                )
    rows = [("setup (medians of rounds)", "req/s", "p99 ms", "errors", "API cores", "primary cores", "standby cores")]
    for setup in SETUPS:
        ms = results[setup.name]
        rows.append(
            (
                setup.name,
                f"{median([m.rps for m in ms]):,.0f}",
                f"{median([m.p99_ms for m in ms]):.1f}",
                str(sum(m.errors for m in ms)),
                f"{median([m.api_cores for m in ms]):.2f}",
                f"{median([m.primary_cores for m in ms]):.2f}",
                f"{median([m.standby_cores for m in ms]):.2f}",
            )
        )
    print()
    print(f"{len(codes):,} certificates, {args.connections} connections, {args.rounds} rounds × {args.seconds} s; "
          f"load at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
    print(table(rows))
    base = median([m.rps for m in results[SETUPS[0].name]])
    for setup in SETUPS[1:]:
        print(f"{setup.name} / 1 process, primary: {median([m.rps for m in results[setup.name]]) / base:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--certificates", type=int, default=20_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads per wrk process")
    parser.add_argument("--clients", type=int, default=10_000, help="distinct client addresses (rate limits)")
    if shutil.which("wrk") is None:
        raise SystemExit("needs wrk: apt-get install wrk")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
