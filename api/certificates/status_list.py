"""The signed revocation list: a Token Status List (IETF OAuth draft) as a compact JWS signed with EdDSA.

Payload: {"sub", "iat", "exp", "ttl", "status_list": {"bits": 1, "lst": base64url(zlib(bits))}}; bit i is byte
i // 8, bit i % 8 (least significant first); 1 = not valid now. A certificate's position is its random
`status_index`, which the JSON verification answer gives. The list is rebuilt at most every `ttl` seconds and at
once after a status change (in any process that shares the store, docs/scaling.md).
"""

from __future__ import annotations

import base64
import json
import time
import zlib
from dataclasses import dataclass

from litestar.stores.base import Store

from ledger.tenancy.signing_keys import ActiveKey


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def status_list_token(bits: bytes, key: ActiveKey, subject: str, ttl: int, now: int | None = None) -> str:
    issued = int(time.time()) if now is None else now
    header = {"alg": "EdDSA", "kid": key.kid, "typ": "statuslist+jwt"}
    payload = {
        "sub": subject,
        "iat": issued,
        "exp": issued + ttl,
        "ttl": ttl,
        "status_list": {"bits": 1, "lst": b64url(zlib.compress(bits, 9))},
    }
    signing_input = ".".join(b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, payload))
    return f"{signing_input}.{b64url(key.private_key.sign(signing_input.encode()))}"


@dataclass
class StatusListCache:
    """The last signed list, kept in a Litestar store: in Redis (LEDGER_REDIS_URL) every process serves the one
    list and a status change in any of them drops it for all; otherwise each process keeps its own."""

    store: Store
    ttl: int

    async def fresh(self) -> str | None:
        token = await self.store.get(_KEY)
        return token.decode() if token is not None else None

    async def keep(self, token: str) -> None:
        await self.store.set(_KEY, token, expires_in=self.ttl)

    async def invalidate(self) -> None:
        await self.store.delete(_KEY)

    async def age_seconds(self) -> float | None:
        """How long ago the list being served was signed (its `iat`), or None when none is kept."""
        token = await self.fresh()
        if token is None:
            return None
        payload = token.split(".")[1]
        issued = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["iat"]
        return max(0.0, time.time() - issued)


_KEY = "token"
