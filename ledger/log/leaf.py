"""The canonical leaf encoding (docs/ledger.md): compact JSON, keys sorted, UTF-8, no personal data.

    {"at":"2026-11-26T12:00:00.000000Z","commitment":"<hex SHA-256(salt ‖ content)>","kind":"completion.registered",
     "refs":{"course":"12","institution":"3"},"subject":"completion:4711","v":1}

`content` is the canonical JSON of the business record's fields (each record type's content function, by version —
ledger/log/records.py); its salt is
kept in `ledger_salts` and deleted when a person is erased, so the commitment can no longer be opened while the
leaf — and every proof through it — stays valid.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping

LEAF_VERSION = 1


def canonical_json(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def commitment(salt: bytes, content: Mapping[str, object]) -> str:
    return hashlib.sha256(salt + canonical_json(content)).hexdigest()


def encode_leaf(
    kind: str,
    subject: str,
    refs: Mapping[str, str],
    at: dt.datetime,
    commitment_hex: str,
    content_version: int = 1,
) -> bytes:
    """The leaf bytes. `cv`, the version of the content format committed to, is written only when it is not 1,
    so every leaf written before content versions existed reads as version 1, byte for byte."""
    leaf: dict[str, object] = {
        "v": LEAF_VERSION,
        "kind": kind,
        "subject": subject,
        "refs": dict(refs),
        "at": at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "commitment": commitment_hex,
    }
    if content_version != 1:
        leaf["cv"] = content_version
    return canonical_json(leaf)


def content_version(leaf: Mapping[str, object]) -> int:
    version = leaf.get("cv", 1)
    return version if isinstance(version, int) else -1


def decode_leaf(leaf: bytes) -> dict:
    value = json.loads(leaf)
    if not isinstance(value, dict) or value.get("v") != LEAF_VERSION:
        raise ValueError("not a version 1 ledger leaf")
    return value
