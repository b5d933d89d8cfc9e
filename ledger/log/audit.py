"""`ledger audit`: recompute the whole log from its leaf bytes and hold every stored thing against it.

Checks, in one read-only REPEATABLE READ snapshot:
1. entries sit at dense positions 0…N−1 and each stored leaf hash is SHA-256(0x00 ‖ leaf);
2. every stored subtree node equals the one recomputed from the leaves, and no node lies beyond the tree;
3. the head row holds N and the recomputed root;
4. every checkpoint (stored, or given from outside) carries a valid Ed25519 signature by a published checkpoint
   key and names the root the recomputed tree had at its size — a checkpoint beyond N means entries were removed;
5. every business row matches the commitment of its latest entry (salted SHA-256 of its canonical content), and
   every entry's record still exists. Entries whose salt was deleted (erased personal data) are counted, not failed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.log import merkle
from ledger.log.leaf import commitment, content_version, decode_leaf
from ledger.log.records import Registry
from ledger.log.signed_note import open_note, parse_checkpoint

CHUNK = 20_000


@dataclass
class AuditReport:
    entries: int = 0
    head_size: int = 0
    checkpoints: int = 0
    records: int = 0
    erased: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        verdict = "OK" if self.ok else f"FAILED: {len(self.problems)} problem(s)"
        return [
            f"entries checked:      {self.entries} (head says {self.head_size})",
            f"checkpoints checked:  {self.checkpoints}",
            f"records checked:      {self.records} ({self.erased} with erased personal data)",
            *[f"  ✗ {p}" for p in self.problems[:200]],
            *([f"  … and {len(self.problems) - 200} more"] if len(self.problems) > 200 else []),
            f"audit: {verdict}",
        ]


@dataclass(frozen=True)
class _Checkpoint:
    source: str
    size: int
    root: bytes


def _verify_note(note: str, origin: str, keys: Iterable[Ed25519PublicKey]) -> str | None:
    for key in keys:
        try:
            return open_note(note, origin, key)
        except ValueError:
            continue
    return None


async def audit(
    dsn: str, origin: str, record_types: Registry, external_checkpoints: Iterable[tuple[str, str]] = ()
) -> AuditReport:
    """Audit the log at `dsn` against every record type in `record_types` (ledger.record_types.all_record_types()).
    `external_checkpoints` are (label, note text) pairs kept outside the database."""
    report = AuditReport()
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            await _audit(conn, origin, list(external_checkpoints), report, record_types)
    finally:
        await conn.close()
    return report


async def _audit(
    conn: asyncpg.Connection,
    origin: str,
    external: list[tuple[str, str]],
    report: AuditReport,
    record_types: Registry,
) -> None:
    head = await conn.fetchrow("SELECT size, root FROM ledger_head WHERE id = 1")
    report.head_size = head["size"]
    keys = [
        Ed25519PublicKey.from_public_bytes(bytes(r["public_key"]))
        for r in await conn.fetch("SELECT public_key FROM signing_keys WHERE purpose = 'checkpoint'")
    ]
    checkpoints: list[_Checkpoint] = []
    notes = [
        (f"stored checkpoint {r['size']}", r["note"], r) for r in await conn.fetch("SELECT * FROM ledger_checkpoints")
    ]
    notes += [(label, text, None) for label, text in external]
    for label, note, row in notes:
        report.checkpoints += 1
        body = _verify_note(note, origin, keys)
        if body is None:
            report.problems.append(f"{label}: signature does not verify with any published checkpoint key")
            continue
        parsed = parse_checkpoint(body)
        if row is not None and (parsed.size != row["size"] or parsed.root != bytes(row["root"])):
            report.problems.append(f"{label}: the row's size/root differ from its signed note")
        checkpoints.append(_Checkpoint(label, parsed.size, parsed.root))

    latest: dict[str, tuple[int, str, int]] = {}
    roots_at = await _recompute(conn, report, latest, sorted({c.size for c in checkpoints}))
    if report.entries != head["size"]:
        report.problems.append(f"head says {head['size']} entries but the log holds {report.entries}")
    elif roots_at.get(report.entries) != bytes(head["root"]):
        report.problems.append("the head root differs from the root recomputed from the leaves")
    for checkpoint in checkpoints:
        if checkpoint.size > report.entries:
            report.problems.append(
                f"{checkpoint.source} covers {checkpoint.size} entries but the log holds {report.entries}: "
                "entries were removed (the log was rewound)"
            )
        elif roots_at.get(checkpoint.size) != checkpoint.root:
            report.problems.append(f"{checkpoint.source}: the log at size {checkpoint.size} has another root")
    await _check_records(conn, report, latest, record_types)


async def _recompute(
    conn: asyncpg.Connection, report: AuditReport, latest: dict[str, tuple[int, str, int]], stops: list[int]
) -> dict[int, bytes]:
    """Stream the leaves, rebuild every node, compare with the stored ones; roots at `stops` and at the end."""
    roots: dict[int, bytes] = {0: merkle.EMPTY_ROOT}
    frontier_nodes: dict[merkle.NodeId, bytes] = {}
    size = 0
    pending: list[bytes] = []
    expected_nodes = 0

    async def flush() -> None:
        nonlocal size, frontier_nodes, expected_nodes
        if not pending:
            return
        new = merkle.extend(size, pending, frontier_nodes)
        expected_nodes += len(new)
        stored = await conn.fetch(
            "SELECT n.level, n.idx, n.hash FROM ledger_nodes n "
            "JOIN unnest($1::smallint[], $2::bigint[]) AS w(level, idx) USING (level, idx)",
            [k[0] for k in new],
            [k[1] for k in new],
        )
        found = {(r["level"], r["idx"]): bytes(r["hash"]) for r in stored}
        for node_id, digest in new.items():
            if found.get(node_id) != digest:
                report.problems.append(f"stored node {node_id} is missing or differs from the recomputed one")
        size += len(pending)
        pending.clear()
        merged = {**frontier_nodes, **new}
        frontier_nodes = {n: merged[n] for n in merkle.frontier(size)}
        roots[size] = merkle.root_hash(size, frontier_nodes)

    stop_set = set(stops)
    async for record in conn.cursor(
        "SELECT idx, subject_type, subject_id, leaf, leaf_hash FROM ledger_entries ORDER BY idx"
    ):
        idx = record["idx"]
        if idx != size + len(pending):
            report.problems.append(f"entry positions jump from {size + len(pending) - 1} to {idx}")
            break
        leaf = bytes(record["leaf"])
        digest = merkle.leaf_hash(leaf)
        if digest != bytes(record["leaf_hash"]):
            report.problems.append(f"entry {idx}: stored leaf hash is not the hash of its leaf bytes")
        try:
            decoded = decode_leaf(leaf)
            subject = f"{record['subject_type']}:{record['subject_id']}"
            if decoded["subject"] != subject:
                report.problems.append(f"entry {idx}: its leaf names {decoded['subject']}, its row {subject}")
            latest[subject] = (idx, decoded["commitment"], content_version(decoded))
        except (ValueError, KeyError):
            report.problems.append(f"entry {idx}: the leaf is not a valid ledger leaf")
        pending.append(digest)
        report.entries += 1
        if len(pending) >= CHUNK or (size + len(pending)) in stop_set:
            await flush()
    await flush()
    stray = await conn.fetchval("SELECT count(*) FROM ledger_nodes") - expected_nodes
    if stray:
        report.problems.append(f"{stray} stored node(s) lie outside the tree of {size} entries")
    return roots


async def _check_records(
    conn: asyncpg.Connection, report: AuditReport, latest: dict[str, tuple[int, str, int]], record_types: Registry
) -> None:
    salts = {r["entry_idx"]: bytes(r["salt"]) async for r in conn.cursor("SELECT entry_idx, salt FROM ledger_salts")}
    seen: set[str] = set()
    for record_type in record_types:
        if record_type.load is None:
            continue
        async for subject_id, row in record_type.load(conn, None):
            subject = f"{record_type.subject_type}:{subject_id}"
            seen.add(subject)
            report.records += 1
            logged = latest.get(subject)
            if logged is None:
                report.problems.append(f"{subject} has no ledger entry")
                continue
            idx, committed, version = logged
            salt = salts.get(idx)
            if salt is None:
                report.erased += 1
            elif version not in record_type.contents:
                report.problems.append(f"ledger entry {idx} commits to {subject} in unknown content version {version}")
            elif commitment(salt, record_type.content(row, version)) != committed:
                report.problems.append(f"{subject} differs from what ledger entry {idx} committed to")
    for subject, (idx, _, _) in latest.items():
        subject_type = subject.split(":", 1)[0]
        if subject_type not in record_types:
            report.problems.append(f"ledger entry {idx} records {subject}, a record type nobody registered")
        elif subject not in seen and not record_types[subject_type].retired:
            report.problems.append(f"ledger entry {idx} records {subject}, which no longer exists")
