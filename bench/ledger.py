"""What the Merkle ledger costs: (a) bulk registration with vs without the ledger appends, (b) inclusion-proof
latency on large logs, in-process and over HTTP, (c) `ledger audit` time on a large synthetic log and on a
realistic one.

    python bench/ledger.py                          # a, b at 1 M entries, c
    python bench/ledger.py --parts b --entries 1000000 10000000
    python bench/ledger.py --parts a --pairs 7

(a) `ledger.registration.service.register_completions` is called in-process on batches of the same shape (distinct
    trainees), alternately as it is and with `ledger.journal.append_events` replaced, in this process only,
    by a no-op returning `list(range(len(events)))`. Same database, same batch size; each run includes the
    commit. Ratio = with / without (completions/s), medians over the pairs.
(b) A log of N synthetic entries is COPYed straight into ledger_entries / ledger_nodes (nodes computed with
    `ledger.log.merkle.extend`, in chunks) with the head at (N, root). Then `ledger.log.reader.inclusion` is timed
    for random indices, each call in its own session like a request, beside the same sessions doing one
    primary-key read (`reader.head`); and `GET /api/v1/ledger/proof/inclusion` on a real server process, beside
    `GET /health` on the same server.
(c) `ledger audit` (the CLI, a subprocess) on the synthetic log of (b) — its subject type is a retired one
    (history only), so the audit recomputes every hash and node but has no business rows to compare — beside a
    floor: the same cursor over the leaves hashing each one and nothing else. And on a realistic log: completions
    registered through the service (each a completion, two certificates and a dual award: four entries), with salts and
    business rows to hold against their commitments.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import asyncpg
import httpx
import msgspec
from common import (
    ROOT,
    Secrets,
    completion_item,
    create_database,
    drop_database,
    institution_in_process,
    median,
    percentile,
    print_machine,
    running_server,
    table,
)

import ledger.journal as journal  # the module whose append_events (a) replaces
import ledger.registration.service as registration
from api.certificates.qr_signing import qr_signer
from ledger.commands import CompletionIn
from ledger.database.engine import make_engine, make_sessionmaker, plain_url
from ledger.log import merkle, reader
from ledger.people.pii import PiiVault
from ledger.settings import _b64key

RATIO_TARGET = 0.7
PROOF_TARGET_MS = 5.0
AUDIT_TARGET_S = 60.0
SYNTH_CHUNK = 100_000
PUBLIC_BASE = "http://127.0.0.1:8000"

# --- (a) with vs without the ledger -------------------------------------------------------------------------


async def _register(session, vault: PiiVault, institution_id: int, items: list[CompletionIn]) -> list:
    """`register_completions` as the API calls it, with the API's QR signer."""
    sign = await qr_signer(session, vault, PUBLIC_BASE)
    return await registration.register_completions(session, vault, institution_id, items, sign, PUBLIC_BASE)


def _items(first: int, size: int) -> list[CompletionIn]:
    return [msgspec.convert(completion_item(first + i), CompletionIn) for i in range(size)]


class LedgerSwitch:
    """Replaces `ledger.journal.append_events` for one run, or wraps it to time the real appends."""

    def __init__(self) -> None:
        self.original = journal.append_events
        self.seconds = 0.0

    def off(self) -> None:
        async def no_ledger(session, events):
            return list(range(len(events)))

        journal.append_events = no_ledger

    def timed(self) -> None:
        original = self.original

        async def timed_append(session, events):
            started = time.perf_counter()
            try:
                return await original(session, events)
            finally:
                self.seconds += time.perf_counter() - started

        journal.append_events = timed_append

    def restore(self) -> None:
        journal.append_events = self.original


async def part_a(pairs: int, size: int, secrets: Secrets) -> dict[str, float]:
    print(f"(a) registration with vs without the ledger: {pairs} pairs of runs, one batch of {size:,} each")
    vault = PiiVault(_b64key(secrets.pii_key), _b64key(secrets.lookup_key))  # type: ignore[arg-type]
    url = await create_database("ledger_a")
    engine = make_engine(url, pool_size=2)
    switch = LedgerSwitch()
    try:
        institution_id = await institution_in_process(url)
        sessions = make_sessionmaker(engine)
        seq = 0

        async def one_run(with_ledger: bool) -> float:
            nonlocal seq
            items = _items(seq, size)
            seq += size
            switch.seconds = 0.0
            switch.timed() if with_ledger else switch.off()
            try:
                started = time.perf_counter()
                async with sessions() as session:
                    outcomes = await _register(session, vault, institution_id, items)
                    await session.commit()
                elapsed = time.perf_counter() - started
            finally:
                switch.restore()
            assert sum(o.status == "created" for o in outcomes) == size
            return elapsed

        await one_run(True)  # warm-up: signing keys, prepared statements, caches
        await one_run(False)
        with_s: list[float] = []
        without_s: list[float] = []
        append_s: list[float] = []
        for pair in range(pairs):
            order = (True, False) if pair % 2 == 0 else (False, True)  # ABBA: drift hits both sides alike
            for with_ledger in order:
                elapsed = await one_run(with_ledger)
                (with_s if with_ledger else without_s).append(elapsed)
                if with_ledger:
                    append_s.append(switch.seconds)
            print(
                f"  pair {pair + 1}/{pairs}: with {size / with_s[-1]:7,.0f}/s ({with_s[-1]:.2f} s, appends "
                f"{append_s[-1]:.2f} s)   without {size / without_s[-1]:7,.0f}/s ({without_s[-1]:.2f} s)",
                flush=True,
            )
    finally:
        switch.restore()
        await engine.dispose()
        await drop_database(url)
    with_rate, without_rate = size / median(with_s), size / median(without_s)
    ratio = with_rate / without_rate
    print(
        table(
            [
                ("run (median)", "completions/s", "seconds/batch"),
                ("with the ledger", f"{with_rate:,.0f}", f"{median(with_s):.2f}"),
                ("without (append_events no-op)", f"{without_rate:,.0f}", f"{median(without_s):.2f}"),
                ("append_events alone (with runs)", "", f"{median(append_s):.2f}"),
            ]
        )
    )
    print(
        f"  ratio with/without: {ratio:.3f}   (target ≥ {RATIO_TARGET}: {'met' if ratio >= RATIO_TARGET else 'MISSED'})"
    )
    # The same question asked inside each "with" run, immune to drift between runs: the run minus its appends.
    inside = median([1 - a / w for a, w in zip(append_s, with_s, strict=True)])
    print(f"  cross-check within the 'with' runs, 1 − appends/run: {inside:.3f}  (differs a lot from the ratio: noise)")
    print()
    return {"ratio": ratio, "inside": inside, "with": with_rate, "without": without_rate, "append_s": median(append_s)}


# --- (b) a synthetic log and inclusion proofs ----------------------------------------------------------------

LEAF_AT = "2026-11-26T12:00:00.000000Z"


def synthetic_leaf(index: int) -> bytes:
    """Canonical-ish leaf bytes (sorted keys, compact) of realistic size, for subject `baseline:<index>` (a retired
    record type: the audit checks its hashes and tree, and holds no business row against it)."""
    commitment = hashlib.sha256(index.to_bytes(8, "big")).hexdigest()
    return (
        f'{{"at":"{LEAF_AT}","commitment":"{commitment}","kind":"bench.synthetic",'
        f'"refs":{{"course":"12","institution":"3"}},"subject":"baseline:{index}","v":1}}'
    ).encode()


async def synthesise_log(url: str, entries: int) -> tuple[float, bytes]:
    """COPY `entries` synthetic entries and their Merkle nodes; set the head. Returns (seconds, root)."""
    started = time.perf_counter()
    at = dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC)
    entries_conn = await asyncpg.connect(plain_url(url))
    nodes_conn = await asyncpg.connect(plain_url(url))
    try:
        frontier: dict[merkle.NodeId, bytes] = {}
        size = 0
        while size < entries:
            count = min(SYNTH_CHUNK, entries - size)
            rows, hashes = [], []
            for index in range(size, size + count):
                leaf = synthetic_leaf(index)
                digest = merkle.leaf_hash(leaf)
                hashes.append(digest)
                rows.append((index, "bench.synthetic", "baseline", str(index), leaf, digest, at))
            new = merkle.extend(size, hashes, frontier)
            await asyncio.gather(
                entries_conn.copy_records_to_table(
                    "ledger_entries",
                    records=rows,
                    columns=("idx", "kind", "subject_type", "subject_id", "leaf", "leaf_hash", "created_at"),
                ),
                nodes_conn.copy_records_to_table(
                    "ledger_nodes", records=[(lv, i, h) for (lv, i), h in new.items()], columns=("level", "idx", "hash")
                ),
            )
            size += count
            merged = {**frontier, **new}
            frontier = {node: merged[node] for node in merkle.frontier(size)}
            if size % 1_000_000 == 0:
                print(f"  … {size:,} entries ({time.perf_counter() - started:.0f} s)", flush=True)
        root = merkle.root_hash(size, frontier)
        await entries_conn.execute(
            "UPDATE ledger_head SET size = $1, root = $2, updated_at = now() WHERE id = 1", size, root
        )
        await entries_conn.execute("VACUUM ANALYZE ledger_entries")
        await entries_conn.execute("VACUUM ANALYZE ledger_nodes")
    finally:
        await entries_conn.close()
        await nodes_conn.close()
    return time.perf_counter() - started, root


def _ms(seconds: list[float]) -> tuple[float, float, float]:
    return tuple(1000 * percentile(seconds, p) for p in (50, 95, 99))  # type: ignore[return-value]


async def proof_latency_in_process(url: str, size: int, root: bytes, samples: int) -> dict[str, tuple]:
    engine = make_engine(url, pool_size=1)
    sessions = make_sessionmaker(engine)
    rng = random.Random(9162)
    proof_s, lookup_s = [], []
    try:
        for _ in range(50):  # warm the pool and the statement caches
            async with sessions() as session:
                await reader.inclusion(session, rng.randrange(size), size)
        for _ in range(samples):
            index = rng.randrange(size)
            started = time.perf_counter()
            async with sessions() as session:
                proof = await reader.inclusion(session, index, size)
            proof_s.append(time.perf_counter() - started)
            started = time.perf_counter()
            async with sessions() as session:
                await reader.head(session)
            lookup_s.append(time.perf_counter() - started)
            assert proof.root == root
        assert merkle.verify_inclusion(proof.leaf_hash, proof.index, size, proof.path, root)
    finally:
        await engine.dispose()
    return {"proof": _ms(proof_s), "lookup": _ms(lookup_s), "nodes": (len(proof.path),)}


async def proof_latency_http(base: str, size: int, samples: int) -> dict[str, tuple]:
    rng = random.Random(6962)
    proof_s, health_s = [], []
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        for _ in range(50):
            (
                await client.get("/api/v1/ledger/proof/inclusion", params={"index": rng.randrange(size), "size": size})
            ).raise_for_status()
        for _ in range(samples):
            params = {"index": rng.randrange(size), "size": size}
            started = time.perf_counter()
            response = await client.get("/api/v1/ledger/proof/inclusion", params=params)
            proof_s.append(time.perf_counter() - started)
            response.raise_for_status()
            started = time.perf_counter()
            (await client.get("/health")).raise_for_status()
            health_s.append(time.perf_counter() - started)
    return {"proof": _ms(proof_s), "health": _ms(health_s)}


async def part_b(entries: int, samples: int, secrets: Secrets, folder: Path) -> tuple[str, dict]:
    print(f"(b) inclusion proofs on a synthetic log of {entries:,} entries")
    url = await create_database(f"ledger_b{entries // 1_000_000}m")
    try:
        seconds, root = await synthesise_log(url, entries)
        print(f"  synthesised in {seconds:.0f} s ({entries / seconds:,.0f} entries/s)")
        local = await proof_latency_in_process(url, entries, root, samples)
        env = secrets.env(url, folder / f"data-{entries}")
        with running_server(env, folder / f"server-{entries}.log") as server:
            remote = await proof_latency_http(server.base, entries, samples)
    except BaseException:
        await drop_database(url)
        raise
    rows = [
        ("latency, ms", "p50", "p95", "p99"),
        (f"reader.inclusion ({local['nodes'][0]} hashes)", *(f"{v:.2f}" for v in local["proof"])),
        ("  baseline: reader.head (one PK read)", *(f"{v:.2f}" for v in local["lookup"])),
        ("GET /api/v1/ledger/proof/inclusion", *(f"{v:.2f}" for v in remote["proof"])),
        ("  baseline: GET /health", *(f"{v:.2f}" for v in remote["health"])),
    ]
    print(table(rows))
    p99 = remote["proof"][2]
    print(
        f"  ratios (p50): in-process proof / PK read {local['proof'][0] / local['lookup'][0]:.1f}x, "
        f"HTTP proof / health {remote['proof'][0] / remote['health'][0]:.1f}x;  "
        f"target p99 ≤ {PROOF_TARGET_MS} ms server-side: {'met' if local['proof'][2] <= PROOF_TARGET_MS else 'MISSED'} "
        f"in-process, {'met' if p99 <= PROOF_TARGET_MS else 'MISSED'} over HTTP incl. client"
    )
    print()
    return url, {"entries": entries, "synth_s": seconds, **local, **{f"http_{k}": v for k, v in remote.items()}}


# --- (c) ledger audit ---------------------------------------------------------------------------------------


def run_audit(env: dict[str, str]) -> tuple[float, float, list[str]]:
    """`python -m api.cli audit` as a subprocess: (seconds, peak RSS MiB, output lines).

    The peak is the child's VmHWM read until it exits (a child's ru_maxrss would include this process's size
    at fork time).
    """
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "audit"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    peak_kib = 0
    status = Path(f"/proc/{process.pid}/status")

    def watch() -> None:
        nonlocal peak_kib
        while process.poll() is None:
            try:
                for line in status.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak_kib = max(peak_kib, int(line.split()[1]))
            except (OSError, ValueError):
                pass
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    output, _ = process.communicate()
    seconds = time.perf_counter() - started
    watcher.join()
    lines = output.decode().strip().splitlines()
    if process.returncode != 0:
        raise RuntimeError("audit failed:\n" + "\n".join(lines[-30:]))
    return seconds, peak_kib / 1024, lines


async def audit_floor(url: str) -> float:
    """The least an audit can do: stream every leaf through the same kind of cursor and hash it."""
    conn = await asyncpg.connect(plain_url(url))
    started = time.perf_counter()
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            async for record in conn.cursor(
                "SELECT idx, subject_type, subject_id, leaf, leaf_hash FROM ledger_entries ORDER BY idx"
            ):
                merkle.leaf_hash(bytes(record["leaf"]))
    finally:
        await conn.close()
    return time.perf_counter() - started


async def audit_figures(label: str, url: str, env: dict[str, str], reps: int) -> dict:
    runs = [run_audit(env) for _ in range(reps)]
    floors = [await audit_floor(url) for _ in range(reps)]
    seconds = median([r[0] for r in runs])
    lines = runs[-1][2]
    entries = next(line for line in lines if line.startswith("entries checked")).split(":", 1)[1].split("(")[0].strip()
    records = next(line for line in lines if line.startswith("records checked")).split(":", 1)[1].strip()
    return {
        "label": label,
        "seconds": seconds,
        "all": [r[0] for r in runs],
        "rss": max(r[1] for r in runs),
        "floor": median(floors),
        "entries": int(entries),
        "records": records,
    }


async def realistic_log(completions: int, size: int, secrets: Secrets) -> str:
    url = await create_database("ledger_c")
    vault = PiiVault(_b64key(secrets.pii_key), _b64key(secrets.lookup_key))  # type: ignore[arg-type]
    engine = make_engine(url, pool_size=1)
    try:
        institution_id = await institution_in_process(url)
        sessions = make_sessionmaker(engine)
        started = time.perf_counter()
        for first in range(0, completions, size):
            async with sessions() as session:
                await _register(session, vault, institution_id, _items(first, min(size, completions - first)))
                await session.commit()
        print(f"  registered {completions:,} completions in {time.perf_counter() - started:.0f} s")
        conn = await asyncpg.connect(plain_url(url))
        try:
            await conn.execute("VACUUM ANALYZE")
        finally:
            await conn.close()
    except BaseException:
        await engine.dispose()
        await drop_database(url)
        raise
    await engine.dispose()
    return url


def print_audits(audits: list[dict]) -> None:
    rows = [("audit", "entries", "seconds", "entries/s", "floor s", "audit/floor", "peak RSS MiB")]
    for a in audits:
        rows.append(
            (
                a["label"],
                f"{a['entries']:,}",
                f"{a['seconds']:.1f}",
                f"{a['entries'] / a['seconds']:,.0f}",
                f"{a['floor']:.1f}",
                f"{a['seconds'] / a['floor']:.1f}x",
                f"{a['rss']:.0f}",
            )
        )
    print(table(rows))
    for a in audits:
        print(f"  {a['label']}: runs {', '.join(f'{s:.1f}' for s in a['all'])} s; records checked {a['records']}")


# --- main ----------------------------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> None:
    await print_machine()
    secrets = Secrets()
    folder = Path(tempfile.mkdtemp(prefix="bench-ledger-"))
    parts = set(args.parts.split(","))
    if "a" in parts:
        await part_a(args.pairs, args.batch_size, secrets)
    audits: list[dict] = []
    for entries in sorted(args.entries):
        if "b" not in parts and not ("c" in parts and entries == args.audit_entries):
            continue
        if "b" in parts:
            url, _ = await part_b(entries, args.samples, secrets, folder)
        else:
            url = await create_database(f"ledger_b{entries // 1_000_000}m")
            seconds, _ = await synthesise_log(url, entries)
            print(f"(c) synthesised {entries:,} entries in {seconds:.0f} s")
        try:
            if "c" in parts and entries == args.audit_entries:
                print(f"(c) ledger audit on the synthetic log of {entries:,} entries …", flush=True)
                audits.append(
                    await audit_figures(
                        f"synthetic {entries:,}", url, secrets.env(url, folder / "audit"), args.audit_reps
                    )
                )
        finally:
            await drop_database(url)
    if "c" in parts:
        print(f"(c) ledger audit on a realistic log: {args.realistic:,} completions through the service …", flush=True)
        url = await realistic_log(args.realistic, args.batch_size, secrets)
        try:
            audits.append(
                await audit_figures(
                    f"realistic {args.realistic:,} completions",
                    url,
                    secrets.env(url, folder / "audit"),
                    args.audit_reps,
                )
            )
        finally:
            await drop_database(url)
        print_audits(audits)
        for a in audits:
            if a["entries"] < 100_000:  # process start-up (≈ 2 s of imports) would dominate the extrapolation
                continue
            per_million = a["seconds"] * 1_000_000 / a["entries"]
            print(
                f"  {a['label']}: {per_million:.0f} s per million entries "
                f"(target ≤ {AUDIT_TARGET_S:.0f} s for 1 M: {'met' if per_million <= AUDIT_TARGET_S else 'MISSED'})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default="a,b,c", help="which of a, b, c to run (comma-separated)")
    parser.add_argument("--pairs", type=int, default=5, help="(a) with/without pairs")
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--entries", type=int, nargs="+", default=[1_000_000], help="(b) synthetic log sizes")
    parser.add_argument("--samples", type=int, default=1000, help="(b) proofs timed per size and path")
    parser.add_argument("--audit-entries", type=int, default=1_000_000, help="(c) synthetic log size to audit")
    parser.add_argument("--audit-reps", type=int, default=2)
    parser.add_argument("--realistic", type=int, default=100_000, help="(c) completions in the realistic log")
    args = parser.parse_args()
    if "c" in args.parts and args.audit_entries not in args.entries:
        args.entries.append(args.audit_entries)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
