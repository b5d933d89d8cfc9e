"""Bulk registration end to end: completions/s through `POST /api/v1/completions` on a real server process,
beside the ceiling of the same rows COPYed straight into the same tables of the same database.

    python bench/ingest.py [--batches 5] [--batch-size 10000]

End to end = client → HTTP → JSON decode and msgspec validation → domain checks → HMAC lookup hash and AES-GCM
sealing → set-based upserts of persons, trainees and completions → ledger append (leaf, salted commitment,
Merkle nodes, head) → commit → the JSON response naming every row. The ceiling is asyncpg
`copy_records_to_table` of the persons, trainees and completions rows only, with every value (ids, sealed
bytes, hashes) computed before the clock starts: what PostgreSQL alone takes to store the rows. The two are
measured alternately, batch by batch, on distinct trainees.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

import asyncpg
import httpx
import msgspec
from common import (
    COURSE_CODE,
    Secrets,
    ServerProcess,
    admin_key,
    bearer,
    completion_item,
    fresh_database,
    institution_with_course,
    median,
    print_machine,
    running_server,
    table,
    trainee_id_number,
)

from ledger.database.engine import plain_url
from ledger.people.identity import id_facts, mask_id
from ledger.people.names import name_match_key, normalize_name
from ledger.people.pii import PiiVault
from ledger.settings import _b64key

TARGET_PER_SECOND = 5_000
API_SEQ, COPY_SEQ, WARMUP_SEQ = 0, 1_000_000, 2_000_000


def batch_body(first_seq: int, size: int) -> bytes:
    return msgspec.json.encode({"items": [completion_item(first_seq + i) for i in range(size)]})


async def post_batch(client: httpx.AsyncClient, key: str, body: bytes, expected: int) -> float:
    started = time.perf_counter()
    response = await client.post(
        "/api/v1/completions", content=body, headers={**bearer(key), "Content-Type": "application/json"}
    )
    elapsed = time.perf_counter() - started
    if response.status_code != 201:
        raise RuntimeError(f"batch refused: {response.status_code} {response.text[:500]}")
    created = response.json()["created"]
    if created != expected:
        raise RuntimeError(f"expected {expected} created, got {created}")
    return elapsed


class CopyBatch:
    """The rows one batch writes, precomputed, ready for COPY: persons, trainees, completions."""

    def __init__(self, vault: PiiVault, person_ids: list[int], institution_id: int, course_id: int, first: int):
        self.persons, self.trainees, self.completions = [], [], []
        for offset, person_id in enumerate(person_ids):
            item = completion_item(first + offset)
            number = trainee_id_number(first + offset)
            facts = id_facts(number)
            name = normalize_name(item["trainee"]["name"])
            self.persons.append(
                (
                    person_id,
                    vault.lookup_hash("id_number", number),
                    vault.seal("id_number", number),
                    mask_id(number),
                    name,
                    name_match_key(name),
                    facts.sex,
                    facts.birth_date,
                )
            )
            trainee_id = uuid.uuid4()
            self.trainees.append(
                (trainee_id, institution_id, person_id, name, vault.seal("phone", item["trainee"]["phone"]), "653101")
            )
            self.completions.append(
                (
                    course_id,
                    trainee_id,
                    dt.date(2025, 5, 30),
                    160,
                    True,
                    4,
                    Decimal("81.50"),
                    Decimal("90.00"),
                    dt.date(2025, 5, 28),
                    None,
                )
            )

    async def copy(self, conn: asyncpg.Connection) -> float:
        started = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table(
                "persons",
                records=self.persons,
                columns=("id", "id_lookup", "id_sealed", "id_masked", "name", "name_key", "sex", "birth_date"),
            )
            await conn.copy_records_to_table(
                "trainees",
                records=self.trainees,
                columns=("id", "institution_id", "person_id", "name", "phone_sealed", "domicile_region_code"),
            )
            await conn.copy_records_to_table(
                "completions",
                records=self.completions,
                columns=(
                    "course_id", "trainee_id", "completed_on", "hours", "passed", "assessment_level",
                    "theory_score", "practical_score", "assessed_on", "graduation_number",
                ),
            )  # fmt: skip
        return time.perf_counter() - started


# What one API batch writes, table by table: the rows of the API's own batches (not the COPY ceiling's).
BATCH_ROWS = {
    "persons": "SELECT * FROM persons WHERE id IN (SELECT person_id FROM certificates)",
    "trainees": "SELECT * FROM trainees WHERE id IN "
    "(SELECT c.trainee_id FROM completions c JOIN certificates k ON k.completion_id = c.id)",
    "completions": "SELECT * FROM completions WHERE id IN (SELECT completion_id FROM certificates)",
    "certificates": "SELECT * FROM certificates",
    "dual_awards": "SELECT * FROM dual_awards",
    "ledger_entries": "SELECT * FROM ledger_entries",
    "ledger_salts": "SELECT * FROM ledger_salts",
    "ledger_nodes": "SELECT * FROM ledger_nodes",
    "talent_spells": "SELECT * FROM talent_spells",
}


async def storage_floor(conn: asyncpg.Connection, batches: float, rounds: int = 3) -> list[tuple[str, float, float]]:
    """PostgreSQL alone storing every row the API batches wrote (all nine tables, with the values as stored), by
    COPY from this client: into copies of the tables with every index, check and foreign key ('indexed'), and into
    bare copies without any ('bare'), each in one transaction with its commit. Seconds per API batch, per table,
    medians of `rounds` alternating rounds."""
    data: dict[str, tuple[list[str], list[asyncpg.Record]]] = {}
    for name, query in BATCH_ROWS.items():
        rows = await conn.fetch(query)
        data[name] = (list(rows[0].keys()) if rows else [], rows)
        await conn.execute(f"CREATE TABLE bare_{name} (LIKE {name} INCLUDING DEFAULTS)")
        await conn.execute(f"CREATE TABLE indexed_{name} (LIKE {name} INCLUDING ALL)")
        for constraint, definition in await conn.fetch(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = $1::regclass AND contype = 'f'",
            name,
        ):
            await conn.execute(f"ALTER TABLE indexed_{name} ADD CONSTRAINT x_{constraint} {definition}")
    spent: dict[tuple[str, str], list[float]] = {}
    for r in range(rounds):
        for kind in ("indexed", "bare") if r % 2 == 0 else ("bare", "indexed"):
            for name in data:
                await conn.execute(f"TRUNCATE {kind}_{name}")
            await conn.execute("CHECKPOINT")
            async with conn.transaction():
                for name, (columns, rows) in data.items():
                    started = time.perf_counter()
                    await conn.copy_records_to_table(f"{kind}_{name}", records=rows, columns=columns)
                    spent.setdefault((kind, name), []).append(time.perf_counter() - started)
                started = time.perf_counter()
            spent.setdefault((kind, "commit"), []).append(time.perf_counter() - started)
    for name in data:
        await conn.execute(f"DROP TABLE bare_{name}, indexed_{name}")
    return [
        (name, median(spent[("indexed", name)]) / batches, median(spent[("bare", name)]) / batches)
        for name in [*data, "commit"]
    ]


@contextlib.contextmanager
def sampling(pid: int, output: Path | None):
    """py-spy (PY_SPY or on PATH) samples the server while the batches run: collapsed stacks to `output`."""
    if output is None:
        yield
        return
    binary = os.environ.get("PY_SPY") or shutil.which("py-spy")
    if binary is None:
        raise SystemExit("--profile needs py-spy: pip install py-spy, or set PY_SPY to its path")
    spy = subprocess.Popen(
        [binary, "record", "--pid", str(pid), "--format", "raw", "--rate", "200", "--output", str(output)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        spy.send_signal(2)  # SIGINT: py-spy writes its output and exits
        spy.wait(timeout=60)


async def measure(
    conn: asyncpg.Connection,
    client: httpx.AsyncClient,
    server: ServerProcess,
    key: str,
    vault: PiiVault,
    batches: int,
    size: int,
) -> tuple[list[float], list[float], list[float]]:
    """Alternately: one batch through the API, one batch of other trainees by COPY. Seconds per batch of each,
    and the server process's CPU seconds per API batch."""
    institution_id, course_id = await conn.fetchrow(
        "SELECT i.id, c.id FROM institutions i JOIN courses c ON c.institution_id = i.id WHERE c.code = $1",
        COURSE_CODE,
    )
    api_s: list[float] = []
    copy_s: list[float] = []
    cpu_s: list[float] = []
    for b in range(batches):
        body = batch_body(API_SEQ + b * size, size)
        ids = await conn.fetch(
            "SELECT nextval(pg_get_serial_sequence('persons', 'id')) FROM generate_series(1, $1)", size
        )
        ceiling = CopyBatch(vault, [r[0] for r in ids], institution_id, course_id, COPY_SEQ + b * size)
        cpu_before = server.cpu_seconds()
        api_s.append(await post_batch(client, key, body, size))
        cpu_s.append(server.cpu_seconds() - cpu_before)
        copy_s.append(await ceiling.copy(conn))
        print(
            f"batch {b + 1}/{batches}: API {size / api_s[-1]:8,.0f}/s ({api_s[-1]:.2f} s, "
            f"server CPU {cpu_s[-1]:.2f} s)   "
            f"COPY {size / copy_s[-1]:9,.0f}/s ({copy_s[-1]:.3f} s)",
            flush=True,
        )
    return api_s, copy_s, cpu_s


async def run(batches: int, size: int, keep: bool, profile: Path | None, with_floor: bool) -> None:
    await print_machine()
    secrets = Secrets()
    vault = PiiVault(_b64key(secrets.pii_key), _b64key(secrets.lookup_key))  # type: ignore[arg-type]
    async with fresh_database("ingest", keep=keep) as url:
        admin = await admin_key(url)
        folder = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
        with running_server(secrets.env(url, folder / "data"), folder / "server.log") as server:
            key = institution_with_course(server.base, admin)
            conn = await asyncpg.connect(plain_url(url))
            try:
                async with httpx.AsyncClient(base_url=server.base, timeout=600) as client:
                    await post_batch(client, key, batch_body(WARMUP_SEQ, 200), 200)  # start-up costs, not counted
                    rss_ready = server.rss_mib()
                    with sampling(server.process.pid, profile):
                        api_s, copy_s, cpu_s = await measure(conn, client, server, key, vault, batches, size)
                counts = await conn.fetchrow(
                    "SELECT (SELECT count(*) FROM completions) c, (SELECT size FROM ledger_head) s, "
                    "(SELECT count(*) FROM certificates) k"
                )
                written = await conn.fetchval("SELECT count(DISTINCT completion_id) FROM certificates")
                floor = await storage_floor(conn, written / size) if with_floor else []
            finally:
                await conn.close()
            peak = server.peak_rss_mib()
    api_rate = size / median(api_s)
    copy_rate = size / median(copy_s)
    total_rate = batches * size / sum(api_s)
    print()
    print(f"{batches} batches of {size:,} completions (dual course: 2 certificates + 1 award each), distinct trainees")
    print(
        table(
            [
                ("figure", "completions/s", "seconds/batch"),
                ("POST /api/v1/completions, median batch", f"{api_rate:,.0f}", f"{median(api_s):.2f}"),
                ("POST /api/v1/completions, all batches", f"{total_rate:,.0f}", f"{sum(api_s) / batches:.2f}"),
                ("ceiling: COPY persons+trainees+completions", f"{copy_rate:,.0f}", f"{median(copy_s):.3f}"),
            ]
        )
    )
    print(f"API / COPY ceiling (medians): {api_rate / copy_rate:.3f}")
    print(f"target ≥ {TARGET_PER_SECOND:,}/s end to end: {'met' if api_rate >= TARGET_PER_SECOND else 'MISSED'}")
    print(
        f"server process CPU per batch (median): {median(cpu_s):.2f} s of {median(api_s):.2f} s wall "
        f"({median(cpu_s) / median(api_s):.0%}; the rest is mostly waiting for PostgreSQL)"
    )
    print(f"server RSS: {rss_ready:.0f} MiB after warm-up, peak {peak:.0f} MiB (VmHWM)")
    print(f"rows at the end: {counts['c']:,} completions, {counts['k']:,} certificates, ledger size {counts['s']:,}")
    if floor:
        indexed, bare = sum(f[1] for f in floor), sum(f[2] for f in floor)
        print(f"\nthe storage floor: PostgreSQL storing what one API batch writes, COPY of the stored rows ({size:,})")
        rows = [("table", "indexed s/batch", "bare s/batch")]
        rows += [(name, f"{i:.3f}", f"{b:.3f}") for name, i, b in floor]
        rows.append(("all", f"{indexed:.3f}", f"{bare:.3f}"))
        print(table(rows))
        print(
            f"API median batch / indexed floor: {median(api_s) / indexed:.2f}; the floor alone allows "
            f"{size / indexed:,.0f}/s ({size / indexed / copy_rate:.2f} of the COPY ceiling); bare {size / bare:,.0f}/s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--profile", type=Path, help="py-spy the server during the batches; collapsed stacks here")
    parser.add_argument(
        "--floor", action="store_true", help="afterwards, COPY every row the batches wrote, with and without indexes"
    )
    args = parser.parse_args()
    asyncio.run(run(args.batches, args.batch_size, args.keep, args.profile, args.floor))


if __name__ == "__main__":
    main()
