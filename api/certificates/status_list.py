"""The signed revocation list: a Token Status List (IETF OAuth draft) as a compact JWS signed with EdDSA.

Payload: {"sub", "iat", "exp", "ttl", "status_list": {"bits": 1, "lst": base64url(zlib(bits))}}; bit i is byte
i // 8, bit i % 8 (least significant first); 1 = not valid now. A certificate's position is its random
`status_index`, which the JSON verification answer gives. The list is rebuilt at most every `ttl` seconds and at
once after a status change made through this process.
"""

from __future__ import annotations

import base64
import json
import time
import zlib
from dataclasses import dataclass, field

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
    ttl: int
    token: str | None = None
    made_at: float = 0.0
    _dirty: bool = field(default=False)

    def fresh(self) -> str | None:
        if self.token is None or self._dirty or time.monotonic() - self.made_at >= self.ttl:
            return None
        return self.token

    def keep(self, token: str) -> None:
        self.token, self.made_at, self._dirty = token, time.monotonic(), False

    def invalidate(self) -> None:
        self._dirty = True
