"""Compact JWS (RFC 7515) signed with EdDSA over Ed25519 (RFC 8037): the one way this app signs JSON.

The header and payload are serialised as compact JSON (no spaces, keys in the order given) and Ed25519 is
deterministic, so the same header, payload and key always give the same token.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def b64url(raw: bytes) -> str:
    """base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _part(value: Mapping[str, Any]) -> str:
    return b64url(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def compact_jws(header: Mapping[str, Any], payload: Mapping[str, Any], key: Ed25519PrivateKey) -> str:
    """`header.payload.signature`; the header must say alg EdDSA."""
    if header.get("alg") != "EdDSA":
        raise ValueError("only EdDSA is signed here")
    signing_input = f"{_part(header)}.{_part(payload)}"
    return f"{signing_input}.{b64url(key.sign(signing_input.encode('ascii')))}"


def unverified_payload(token: str) -> dict[str, Any]:
    """The payload of a compact JWS this app signed, read without checking (for its own caches and metrics)."""
    return json.loads(b64url_decode(token.split(".")[1]))
