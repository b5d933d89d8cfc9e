"""The CPU pool (ledger/cpu.py): work run in a spawned worker gives exactly what it gives on the loop."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from certificates.token import TokenClaims, key_id, signed_url, signed_urls, verify_token
from ledger import cpu
from ledger.certificates.issuance import base32_code
from ledger.log import append, merkle
from ledger.processes import HELPER_NICENESS

KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"cpu pool test key").digest())
KID = key_id(KEY.public_key())
RAW = KEY.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
BASE = "HTTPS://LEDGER.EXAMPLE"


def claims(i: int, name: str = "买*") -> TokenClaims:
    return TokenClaims(f"{i:016d}", "training", None, "6-18-01-01", dt.date(2026, 1, 5), name, "S65010001")


@given(st.binary(min_size=10, max_size=10))
def test_verification_codes_are_rfc4648_base32(raw: bytes) -> None:
    assert base32_code(raw) == base64.b32encode(raw).decode()


def test_signed_in_a_worker_process_as_in_place() -> None:
    """Ed25519 is deterministic: the pool's URLs are byte for byte the loop's, and verify under the public key."""
    batch = [claims(i) for i in range(40)] + [claims(99, "阿布都热依木·阿布都热*")]  # the last one is shortened
    in_place = [signed_url(BASE, c, KEY, KID) for c in batch]

    async def pooled() -> list[str]:
        pool = cpu.start(1)
        try:
            return await cpu.run(signed_urls, BASE, batch, RAW, KID)
        finally:
            cpu.stop(pool)

    assert asyncio.run(pooled()) == in_place
    token = in_place[-1].rsplit("/", 1)[1]
    assert verify_token(token, {KID: KEY.public_key()}).masked_name.endswith("*")


def test_leaves_and_nodes_in_a_worker_as_in_place() -> None:
    """The append's pure parts: the same nodes and root whichever process hashes (salts are random, so the
    leaves are compared through the hashes they yield)."""
    at = dt.datetime(2026, 1, 5, 12, tzinfo=dt.UTC)
    events = [append.Event("x.made", "x", str(i), {"n": i, "t": "维吾尔"}, {"r": "1"}, i) for i in range(12)]
    known = {(0, i): merkle.leaf_hash(bytes([i])) for i in range(5)} | {(1, 0): b"\x07" * 32, (1, 1): b"\x08" * 32}
    known[(2, 0)] = merkle.node_hash(known[(1, 0)], known[(1, 1)])

    async def pooled() -> tuple[object, ...]:
        pool = cpu.start(1)
        try:
            leaves, hashes, salts = await cpu.run(append._leaves, at, events)
            return leaves, hashes, salts, await cpu.run(append._grow, 5, hashes, known)
        finally:
            cpu.stop(pool)

    leaves, hashes, salts, (blob, root) = asyncio.run(pooled())
    assert len(salts) == 12 and len(set(salts)) == 12  # type: ignore[arg-type]
    assert hashes == [merkle.leaf_hash(leaf) for leaf in leaves]  # type: ignore[union-attr]
    assert (blob, root) == append._grow(5, hashes, known)  # type: ignore[arg-type]
    nodes = merkle.extend(5, hashes, known)  # type: ignore[arg-type]
    order = merkle.nodes_completed_by_append(5, 12)
    assert blob == b"".join(nodes[node] for node in order)
    assert root == merkle.root_hash(17, {**known, **nodes})


def test_without_a_pool_run_calls_in_place() -> None:
    assert asyncio.run(cpu.run(os.getpid)) == os.getpid()


def test_the_workers_step_back_behind_the_server() -> None:
    """Pool workers run at a lower scheduling priority than the process serving requests."""

    async def pooled() -> int:
        pool = cpu.start(1)
        try:
            return await cpu.run(os.getpriority, os.PRIO_PROCESS, 0)
        finally:
            cpu.stop(pool)

    assert asyncio.run(pooled()) >= min(19, os.getpriority(os.PRIO_PROCESS, 0) + HELPER_NICENESS)
