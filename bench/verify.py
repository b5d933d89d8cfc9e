"""Verification throughput (SPEC §7: `GET /api/v1/verify/{code}` at ≥ 60 % of the requests/s of a minimal
Litestar + asyncpg primary-key lookup on the same machine and server settings; p99 ≤ 25 ms at 64 connections).

    .venv/bin/python bench/verify.py [--certificates 20000] [--seconds 15] [--rounds 3] [--profile stacks.txt]

Set-up: a fresh `bench_verify_*` database; a real server (`python -m api.cli serve`) registers completions of a
dual course through `POST /api/v1/completions` (each passing completion issues two certificates), then stops.
Measured, in the same run and against the same database: a fresh real server (one uvicorn worker, as
`ledger serve` runs it) answering `GET /api/v1/verify/{code}`, and bench/baseline_app.py (same uvicorn settings,
same pool size, default asyncpg pool) answering `GET /lookup/{code}`. The load comes from `wrk` (Debian's
package: apt-get install wrk) in its own process, 64 keep-alive connections, each request a random existing code
(bench/verify_wrk.lua). Each target gets a warm-up, then they alternate for --rounds rounds of --seconds each;
the figures are the medians of the rounds.

The server keeps its own verify rate limit (per client address, LEDGER_VERIFY_RATE_PER_MINUTE). The requests come
from --clients distinct addresses in X-Forwarded-For, which both targets believe from wrk on 127.0.0.1 (ours with
LEDGER_TRUSTED_PROXIES=127.0.0.1, the baseline through uvicorn's proxy headers): the public is many verifiers,
each well under the limit, so nothing is refused. (Without the trusted proxy every request counts against one
address and most answers are 429s; one address with the limit raised is not the same test either: Litestar's rate
limiter keeps and re-serialises the time stamp of every request in the window per address, so its cost per
request grows with that address's rate and the run measures the limiter, not the endpoint.)

On a 2-core machine the server, PostgreSQL and wrk share the cores: the figures are a ratio on the same machine,
not a capacity.

--profile: afterwards, one more run against the real server under py-spy (PY_SPY, on PATH or beside this Python:
pip install py-spy); the collapsed stacks go to the file named and the functions taking the most time are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import msgspec
from common import (
    ROOT,
    Secrets,
    ServerProcess,
    admin_key,
    bearer,
    completion_item,
    free_port,
    fresh_database,
    institution_with_course,
    median,
    print_machine,
    running_server,
    table,
)

from api.settings import WebSettings
from ledger.database.engine import plain_url

TARGET_RATIO = 0.60
TARGET_P99_MS = 25.0
BATCH = 10_000
WRK_SCRIPT = Path(__file__).resolve().parent / "verify_wrk.lua"


# --- set-up --------------------------------------------------------------------------------------------------


def register(base: str, admin: str, certificates: int) -> str:
    """Completions of the bench institution's dual course through the API: two certificates each. Returns the
    institution's key."""
    key = institution_with_course(base, admin)
    completions = (certificates + 1) // 2
    with httpx.Client(base_url=base, timeout=600) as client:
        for first in range(0, completions, BATCH):
            size = min(BATCH, completions - first)
            body = msgspec.json.encode({"items": [completion_item(first + i) for i in range(size)]})
            started = time.perf_counter()
            response = client.post(
                "/api/v1/completions", content=body, headers={**bearer(key), "Content-Type": "application/json"}
            )
            if response.status_code != 201 or response.json()["created"] != size:
                raise RuntimeError(f"batch refused: {response.status_code} {response.text[:500]}")
            print(f"  registered {first + size:,} completions ({time.perf_counter() - started:.1f} s)", flush=True)
    return key


class Imports(threading.Thread):
    """Back-to-back 10,000-row `POST /api/v1/completions` to one server, each batch new trainees, until stopped."""

    def __init__(self, base: str, key: str, first_seq: int) -> None:
        super().__init__(daemon=True)
        self.base, self.key, self.seq = base, key, first_seq
        self.halt = threading.Event()
        self.seconds: list[float] = []
        self.failures = 0

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=600) as client:
            while not self.halt.is_set():
                body = msgspec.json.encode({"items": [completion_item(self.seq + i) for i in range(BATCH)]})
                self.seq += BATCH
                started = time.perf_counter()
                response = client.post(
                    "/api/v1/completions",
                    content=body,
                    headers={**bearer(self.key), "Content-Type": "application/json"},
                )
                if response.status_code == 201:
                    self.seconds.append(time.perf_counter() - started)
                else:
                    self.failures += 1

    def stop(self) -> None:
        self.halt.set()
        self.join()


async def codes_and_vacuum(url: str) -> list[str]:
    conn = await asyncpg.connect(plain_url(url))
    try:
        await conn.execute("VACUUM (ANALYZE) certificates")  # both targets then read the same settled table
        return [r[0] for r in await conn.fetch("SELECT verification_code FROM certificates ORDER BY id")]
    finally:
        await conn.close()


def start(command: list[str], env: dict[str, str], log: Path, port: int) -> ServerProcess:
    """A server process on `port`; returns once /health answers."""
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{command} exited:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return ServerProcess(process, base, log)
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{command} did not start:\n{log.read_text()}")


# --- measuring ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    server: ServerProcess
    prefix: str  # the path before the code


@dataclass(frozen=True)
class Run:
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    errors: int  # socket errors, timeouts and non-2xx answers
    server_cpu: float  # the server process, in cores (1.0 = one core busy all the time)
    machine_cpu: float  # all processes, in cores

    @property
    def cpu_us(self) -> float:
        """Server CPU time per request: what the target itself costs, whatever else runs on the machine."""
        return self.server_cpu / self.rps * 1e6


def _process_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_busy_s() -> float:
    ticks = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def wrk_version() -> str:
    return subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.splitlines()[0]


def wrk(target: Target, codes_file: Path, seconds: int, args: argparse.Namespace) -> Run:
    command = [
        "wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", "--timeout", "5s",
        "-s", str(WRK_SCRIPT), target.server.base, "--", str(codes_file), target.prefix, str(args.clients),
    ]  # fmt: skip
    pid = target.server.process.pid
    cpu0, busy0, t0 = _process_cpu_s(pid), _machine_busy_s(), time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True)
    out = done.stdout
    wall = time.monotonic() - t0
    cpu, busy = _process_cpu_s(pid) - cpu0, _machine_busy_s() - busy0
    match = re.search(r"^RESULT (.*)$", out, re.MULTILINE)
    if match is None or done.returncode:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{out}\n{done.stderr}")
    f = {k: float(v) for k, v in (kv.split("=") for kv in match.group(1).split())}
    return Run(
        rps=f["requests"] / (f["duration_us"] / 1e6),
        p50_ms=f["p50_us"] / 1000,
        p90_ms=f["p90_us"] / 1000,
        p99_ms=f["p99_us"] / 1000,
        errors=int(f["connect"] + f["read"] + f["write"] + f["timeout"] + f["status"]),
        server_cpu=cpu / wall,
        machine_cpu=busy / wall,
    )


def check_answers(ours: Target, baseline: Target, code: str) -> None:
    """Both targets answer a known code with 200 and JSON naming it; ours answers an unknown one with 404."""
    for target in (ours, baseline):
        response = httpx.get(f"{target.server.base}{target.prefix}{code}", timeout=10)
        if response.status_code != 200 or response.json().get("code") != code:
            raise RuntimeError(f"{target.name}: {response.status_code} {response.text[:300]}")
    if httpx.get(f"{ours.server.base}{ours.prefix}AAAAAAAAAAAAAAAA", timeout=10).status_code != 404:
        raise RuntimeError("an unknown code must answer 404")


# --- profiling ---------------------------------------------------------------------------------------------------


def py_spy() -> str:
    beside_python = shutil.which("py-spy", path=Path(sys.executable).parent)
    binary = os.environ.get("PY_SPY") or shutil.which("py-spy") or beside_python
    if binary is None:
        raise SystemExit("--profile needs py-spy: pip install py-spy, or set PY_SPY to its path")
    return binary


def profile(target: Target, codes_file: Path, args: argparse.Namespace, output: Path) -> None:
    binary = py_spy()
    spy = subprocess.Popen(
        [binary, "record", "--pid", str(target.server.process.pid), "--format", "raw", "--rate", "250",
         "--nonblocking", "--output", str(output)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1)
    try:
        run = wrk(target, codes_file, args.seconds, args)
    finally:
        spy.send_signal(2)  # SIGINT: py-spy writes its output and exits
        spy.wait(timeout=60)
    print(f"\nprofiled run (py-spy attached, slower): {run.rps:,.0f} req/s; stacks in {output}")
    summarize(output)


def summarize(stacks: Path, top: int = 22) -> None:
    """Functions by inclusive and by own share of the sampled (non-idle) time."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in stacks.read_text().splitlines():
        frames, _, count = line.rpartition(" ")
        if not frames:
            continue
        n = int(count)
        names = [re.sub(r":\d+\)$", ")", frame) for frame in frames.split(";")]
        total += n
        own[names[-1]] += n
        for name in set(names):
            inclusive[name] += n
    if not total:
        print("no samples")
        return
    for title, counter in (("inclusive", inclusive), ("own", own)):
        print(f"\ntop {top} by {title} time ({total:,} samples):")
        for name, n in counter.most_common(top):
            print(f"  {100 * n / total:5.1f} %  {name}")


# --- the run -----------------------------------------------------------------------------------------------------


async def main_async(args: argparse.Namespace) -> None:
    await print_machine()
    print(
        f"load gen:   {wrk_version()}, {args.threads} thread(s), {args.connections} connections, "
        f"{args.clients:,} client addresses, own process"
    )
    print("note:       server, PostgreSQL and wrk share these cores; the ratio matters, not the absolute figures\n")
    secrets = Secrets()
    pool_size = WebSettings.from_env().db_pool_size
    async with fresh_database("verify", keep=args.keep) as url:
        folder = Path(tempfile.mkdtemp(prefix="bench-verify-"))
        env = {**secrets.env(url, folder / "data"), "LEDGER_TRUSTED_PROXIES": "127.0.0.1"}  # wrk's X-Forwarded-For
        if args.verify_rate:
            env["LEDGER_VERIFY_RATE_PER_MINUTE"] = str(args.verify_rate)
        print(f"registering {args.certificates:,} certificates through the API ...", flush=True)
        admin = await admin_key(url)
        with running_server(env, folder / "setup.log") as setup:
            key = register(setup.base, admin, args.certificates)
        codes = await codes_and_vacuum(url)
        codes_file = folder / "codes.txt"
        codes_file.write_text("\n".join(codes) + "\n")
        print(f"{len(codes):,} certificates in the database\n")

        if args.during_imports:
            during_imports(args, env, folder, codes_file, key)
            return
        ours_port, base_port = free_port(), free_port()
        ours_server = start(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(ours_port)], env, folder / "ours.log", ours_port
        )
        base_server = start(
            [sys.executable, str(Path(__file__).with_name("baseline_app.py")), "--port", str(base_port),
             "--pool-size", str(pool_size)],
            {**os.environ, "BENCH_BASELINE_DSN": plain_url(url), "PYTHONUNBUFFERED": "1"},
            folder / "baseline.log",
            base_port,
        )  # fmt: skip
        ours = Target("ours: GET /api/v1/verify/{code}", ours_server, "/api/v1/verify/")
        baseline = Target("baseline: GET /lookup/{code}", base_server, "/lookup/")
        try:
            check_answers(ours, baseline, codes[len(codes) // 2])
            for target in (ours, baseline):
                warm = wrk(target, codes_file, args.warmup, args)
                print(f"warm-up  {target.name:34} {warm.rps:8,.0f} req/s", flush=True)
            runs: dict[str, list[Run]] = {ours.name: [], baseline.name: []}
            for r in range(args.rounds):
                for target in (ours, baseline) if r % 2 == 0 else (baseline, ours):
                    run = wrk(target, codes_file, args.seconds, args)
                    runs[target.name].append(run)
                    print(
                        f"round {r + 1}  {target.name:34} {run.rps:8,.0f} req/s  p50 {run.p50_ms:6.2f} ms  "
                        f"p99 {run.p99_ms:6.2f} ms  errors {run.errors}  server {run.server_cpu:.2f} cores "
                        f"({run.cpu_us:.0f} µs/request), machine {run.machine_cpu:.2f} cores",
                        flush=True,
                    )
            if args.profile:
                profile(ours, codes_file, args, args.profile)
        finally:
            ours_server.stop()
            base_server.stop()

    def figures(name: str) -> dict[str, float]:
        rs = runs[name]
        fields = ("rps", "p50_ms", "p90_ms", "p99_ms", "server_cpu", "cpu_us")
        return {f: median([getattr(r, f) for r in rs]) for f in fields} | {"errors": sum(r.errors for r in rs)}

    rows = [("target (medians of rounds)", "req/s", "p50 ms", "p90 ms", "p99 ms", "errors", "cores", "CPU µs/req")]
    for name in (ours.name, baseline.name):
        f = figures(name)
        rows.append(
            (
                name, f"{f['rps']:,.0f}", f"{f['p50_ms']:.2f}", f"{f['p90_ms']:.2f}", f"{f['p99_ms']:.2f}",
                str(f["errors"]), f"{f['server_cpu']:.2f}", f"{f['cpu_us']:.0f}",
            )
        )  # fmt: skip
    mine, base = figures(ours.name), figures(baseline.name)
    ratio = mine["rps"] / base["rps"]
    print()
    print(
        f"{len(codes):,} certificates, {args.connections} connections, {args.rounds} rounds × {args.seconds} s "
        f"per target (alternating), pool size {pool_size}, one uvicorn worker each"
    )
    print(table(rows))
    verdict = {True: "met", False: "MISSED"}
    print(f"ours / baseline: {ratio:.2f}  (target ≥ {TARGET_RATIO:.2f}: {verdict[ratio >= TARGET_RATIO]})")
    p99 = mine["p99_ms"]
    print(f"ours p99: {p99:.1f} ms  (target ≤ {TARGET_P99_MS:g} ms: {verdict[p99 <= TARGET_P99_MS]})")
    print(
        f"server CPU per request: baseline / ours = {base['cpu_us'] / mine['cpu_us']:.2f} "
        "(less sensitive than req/s to other work on the machine)"
    )
    if mine["errors"] or base["errors"]:
        print("WARNING: some requests failed (socket errors, timeouts or non-2xx); see the rounds above")


def during_imports(args: argparse.Namespace, env: dict[str, str], folder: Path, codes_file: Path, key: str) -> None:
    """Verification p99 quiet, during back-to-back 10,000-row imports to the same server, and during the same
    imports sent to another server process (same database, same cores, its own event loop), for each
    LEDGER_WRITER_PROCESSES in --writers (0: every batch registered on the serving loop; 1: in the writer process,
    api/writer.py), LEDGER_CPU_WORKERS --cpu-workers on all; the three kinds of round alternate on each server.

    The third kind is the control: what the imports cost verification through the machine alone (PostgreSQL's
    backend, the pool worker and the other process taking CPU from the verifying one), without sharing its loop.
    Importing / elsewhere is what the shared event loop still adds."""
    servers: dict[int, ServerProcess] = {}
    others: dict[int, ServerProcess] = {}
    seq = 5_000_000
    kinds = ("quiet", "importing", "elsewhere")
    runs: dict[tuple[int, str], list[Run]] = {}
    imported: dict[tuple[int, str], list[float]] = {}
    try:
        for workers in args.writers:
            for name, place in (("ours", servers), ("other", others)):
                port = free_port()
                place[workers] = start(
                    [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
                    {**env, "LEDGER_WRITER_PROCESSES": str(workers), "LEDGER_CPU_WORKERS": str(args.cpu_workers)},
                    folder / f"{name}-{workers}.log",
                    port,
                )
            for kind in kinds:
                runs[(workers, kind)], imported[(workers, kind)] = [], []
        for workers, server in servers.items():  # a warm-up of each, with one import (spawns the pools)
            target = Target(f"writers {workers}", server, "/api/v1/verify/")
            for importer in (server, others[workers]):
                load = Imports(importer.base, key, seq)
                load.start()
                wrk(target, codes_file, args.warmup, args)
                load.stop()
                seq = load.seq
        for r in range(args.rounds):
            for workers, server in servers.items():
                target = Target(f"writers {workers}", server, "/api/v1/verify/")
                for kind in kinds if r % 2 == 0 else kinds[::-1]:
                    importer = {"quiet": None, "importing": server, "elsewhere": others[workers]}[kind]
                    load = Imports(importer.base, key, seq) if importer else None
                    if load:
                        load.start()
                        time.sleep(1)  # the first batch is decoded and under way
                    run = wrk(target, codes_file, args.seconds, args)
                    if load:
                        load.stop()
                        seq = load.seq
                        imported[(workers, kind)].extend(load.seconds)
                        if load.failures:
                            print(f"WARNING: {load.failures} import batch(es) refused")
                    runs[(workers, kind)].append(run)
                    print(
                        f"round {r + 1}  {target.name:14} {kind:9} "
                        f"{run.rps:8,.0f} req/s  p50 {run.p50_ms:7.2f} ms  p99 {run.p99_ms:7.2f} ms  "
                        f"errors {run.errors}  server {run.server_cpu:.2f} cores, machine {run.machine_cpu:.2f} "
                        f"cores, load {os.getloadavg()[0]:.1f}",
                        flush=True,
                    )
    finally:
        for server in [*servers.values(), *others.values()]:
            server.stop()
    rows = [("LEDGER_WRITER_PROCESSES", "", "req/s", "p99 ms", "p99 / quiet", "import batch s")]
    for workers in servers:
        q99 = median([r.p99_ms for r in runs[(workers, "quiet")]])
        for kind, label in zip(kinds, ("quiet", "imports here", "imports elsewhere"), strict=True):
            p99 = median([r.p99_ms for r in runs[(workers, kind)]])
            batch = imported[(workers, kind)]
            rows.append(
                (
                    str(workers), label, f"{median([r.rps for r in runs[(workers, kind)]]):,.0f}", f"{p99:.1f}",
                    f"{p99 / q99:.2f}", f"{median(batch):.1f}" if batch else "-",
                )
            )  # fmt: skip
    print(
        f"\nverification during back-to-back {BATCH:,}-row imports (medians of {args.rounds} rounds × {args.seconds} s)"
        "\n'imports elsewhere': the same imports to another server process on the same database and cores"
    )
    print(table(rows))
    print("target: p99 ratio (imports here / quiet) ≤ 2; 'imports elsewhere / quiet' is what the machine alone costs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--certificates", type=int, default=20_000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument(
        "--clients", type=int, default=10_000, help="distinct client addresses the requests come from (rate limits)"
    )
    parser.add_argument("--verify-rate", type=int, help="LEDGER_VERIFY_RATE_PER_MINUTE (default: the server's own)")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument(
        "--during-imports", action="store_true", help="verification p99 quiet vs during back-to-back imports"
    )
    parser.add_argument(
        "--writers", type=lambda v: [int(x) for x in v.split(",")], default=[0, 1],
        help="with --during-imports: LEDGER_WRITER_PROCESSES of each server compared (default 0,1)",
    )  # fmt: skip
    parser.add_argument("--cpu-workers", type=int, default=1, help="with --during-imports: LEDGER_CPU_WORKERS")
    parser.add_argument("--profile", type=Path, help="py-spy one more run of the real server; collapsed stacks here")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("needs wrk: apt-get install wrk")
    if args.profile:
        py_spy()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
