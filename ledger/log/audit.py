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

import json
import types
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger import merkle
from ledger.courses import course_content
from ledger.issuance import award_content, certificate_content
from ledger.log.leaf import commitment, decode_leaf
from ledger.signed_note import open_note, parse_checkpoint
from ledger.signing_keys import signing_key_content
from ledger.store.completions import completion_content
from ledger.tenancy import institution_content, key_content

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


async def audit(dsn: str, origin: str, external_checkpoints: Iterable[tuple[str, str]] = ()) -> AuditReport:
    """Audit the log at `dsn`. `external_checkpoints` are (label, note text) pairs kept outside the database."""
    report = AuditReport()
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            await _audit(conn, origin, list(external_checkpoints), report)
    finally:
        await conn.close()
    return report


async def _audit(conn: asyncpg.Connection, origin: str, external: list[tuple[str, str]], report: AuditReport) -> None:
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

    latest: dict[str, tuple[int, str]] = {}
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
    await _check_records(conn, report, latest)


async def _recompute(
    conn: asyncpg.Connection, report: AuditReport, latest: dict[str, tuple[int, str]], stops: list[int]
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
            latest[subject] = (idx, decoded["commitment"])
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


_Loader = Callable[[asyncpg.Connection], AsyncIterator[tuple[str, dict[str, object]]]]


async def _institutions(conn: asyncpg.Connection) -> AsyncIterator[tuple[str, dict[str, object]]]:
    filings: dict[int, list[tuple[str, int]]] = {}
    for r in await conn.fetch("SELECT institution_id, occupation_code, level FROM evaluator_filings"):
        filings.setdefault(r["institution_id"], []).append((r["occupation_code"], r["level"]))
    for r in await conn.fetch("SELECT * FROM institutions"):
        yield str(r["id"]), institution_content(types.SimpleNamespace(**dict(r)), filings.get(r["id"], []))  # type: ignore[arg-type]


async def _courses(conn: asyncpg.Connection) -> AsyncIterator[tuple[str, dict[str, object]]]:
    async for r in conn.cursor("SELECT * FROM courses"):
        yield str(r["id"]), course_content(types.SimpleNamespace(**dict(r)))  # type: ignore[arg-type]


async def _completions(conn: asyncpg.Connection) -> AsyncIterator[tuple[str, dict[str, object]]]:
    async for r in conn.cursor("SELECT * FROM completions"):
        yield str(r["id"]), completion_content(**dict(r))


async def _api_keys(conn: asyncpg.Connection) -> AsyncIterator[tuple[str, dict[str, object]]]:
    for r in await conn.fetch("SELECT * FROM api_keys"):
        yield str(r["id"]), key_content(types.SimpleNamespace(**dict(r)))  # type: ignore[arg-type]


async def _signing_keys(conn: asyncpg.Connection) -> AsyncIterator[tuple[str, dict[str, object]]]:
    for r in await conn.fetch("SELECT kid, purpose, public_key FROM signing_keys"):
        yield r["kid"], signing_key_content(r["kid"], r["purpose"], bytes(r["public_key"]))


async def _certificates(conn: asyncpg.Connection) -> AsyncIterator[tuple[str, dict[str, object]]]:
    async for r in conn.cursor("SELECT * FROM certificates"):
        row = dict(r)
        row["snapshot"] = json.loads(row["snapshot"])
        yield str(r["id"]), certificate_content(row)


async def _awards(conn: asyncpg.Connection) -> AsyncIterator[tuple[str, dict[str, object]]]:
    async for r in conn.cursor("SELECT * FROM dual_awards"):
        content = award_content(r["completion_id"], r["rule"], r["companion_certificate_id"], r["skill_certificate_id"])
        yield str(r["id"]), content


RECORDS: dict[str, _Loader] = {
    "institution": _institutions,
    "course": _courses,
    "completion": _completions,
    "api_key": _api_keys,
    "signing_key": _signing_keys,
    "certificate": _certificates,
    "award": _awards,
}


def register_records(subject_type: str, loader: _Loader) -> None:
    """Later capabilities (certificates, baselines) add their record types here."""
    RECORDS[subject_type] = loader


async def _check_records(conn: asyncpg.Connection, report: AuditReport, latest: dict[str, tuple[int, str]]) -> None:
    salts = {r["entry_idx"]: bytes(r["salt"]) async for r in conn.cursor("SELECT entry_idx, salt FROM ledger_salts")}
    seen: set[str] = set()
    for subject_type, loader in RECORDS.items():
        async for subject_id, content in loader(conn):
            subject = f"{subject_type}:{subject_id}"
            seen.add(subject)
            report.records += 1
            logged = latest.get(subject)
            if logged is None:
                report.problems.append(f"{subject} has no ledger entry")
                continue
            idx, committed = logged
            salt = salts.get(idx)
            if salt is None:
                report.erased += 1
            elif commitment(salt, content) != committed:
                report.problems.append(f"{subject} differs from what ledger entry {idx} committed to")
    for subject, (idx, _) in latest.items():
        if subject not in seen and subject.split(":", 1)[0] in RECORDS:
            report.problems.append(f"ledger entry {idx} records {subject}, which no longer exists")
