"""The signed revocation list: a Token Status List (IETF OAuth draft) as a compact JWS signed with EdDSA.

Payload: {"sub", "iat", "exp", "ttl", "status_list": {"bits": 1, "lst": base64url(zlib(bits))}}; bit i is byte
i // 8, bit i % 8 (least significant first); 1 = not valid now. A certificate's position is its random
`status_index`, which the JSON verification answer gives. The list is rebuilt at most every `ttl` seconds and at
once after a status change (in any process that shares the store, docs/scaling.md).
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass

from litestar.stores.base import Store

from certificates.jws import b64url, compact_jws, unverified_payload
from ledger.tenancy.signing_keys import ActiveKey

_KEY = "token"


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
    return compact_jws(header, payload, key.private_key)


@dataclass
class StatusListCache:
    """The signed lists last served, kept in a Litestar store of their own: the token status list above and each
    issuer's Bitstring Status List credential (api/certificates/credentials.py). In Redis (LEDGER_REDIS_URL) every
    process serves the same lists and a status change in any of them drops them all for all; otherwise each
    process keeps its own."""

    store: Store
    ttl: int

    async def fresh(self, name: str = _KEY) -> str | None:
        token = await self.store.get(name)
        return token.decode() if token is not None else None

    async def keep(self, token: str, name: str = _KEY) -> None:
        await self.store.set(name, token, expires_in=self.ttl)

    async def invalidate(self) -> None:
        """Drop every list (the store holds nothing else), so the next request signs them anew."""
        await self.store.delete_all()

    async def age_seconds(self) -> float | None:
        """How long ago the token status list being served was signed (its `iat`), or None when none is kept."""
        token = await self.fresh()
        if token is None:
            return None
        issued = unverified_payload(token)["iat"]
        return max(0.0, time.time() - issued)
