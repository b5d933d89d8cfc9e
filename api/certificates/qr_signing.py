"""The QR signer handed to the domain: COSE_Sign1 tokens under the current certificate key."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Sequence

from cryptography.hazmat.primitives import serialization
from sqlalchemy.ext.asyncio import AsyncSession

from certificates.token import TokenClaims, signed_url, signed_urls
from ledger import cpu
from ledger.certificates.issuance import QrClaims, QrSigner
from ledger.people.pii import PiiVault
from ledger.tenancy.signing_keys import ActiveKey, active_key

SIGN_IN_PLACE = 32
SIGNATURES_PER_TASK = 500  # one piece of a batch's signing handed to the CPU pool (≈ 20 ms of work)


class _Signer:
    def __init__(self, key: ActiveKey, public_base: str) -> None:
        self._key = key
        self._base = public_base

    def __call__(
        self,
        *,
        code: str,
        kind: str,
        level: int | None,
        occupation_code: str,
        issued_on: dt.date,
        masked_name: str,
        issuer_code: str,
    ) -> str:
        claims = TokenClaims(code, kind, level, occupation_code, issued_on, masked_name, issuer_code)
        return signed_url(self._base, claims, self._key.private_key, self._key.kid)

    async def many(self, claims: Sequence[QrClaims]) -> list[str]:
        """The URLs of many certificates, signed in the CPU pool (ledger.cpu) in pieces, in order."""
        if len(claims) <= SIGN_IN_PLACE:  # a reissue, a small course: not worth a trip to the pool
            return [self(**dataclasses.asdict(c)) for c in claims]
        raw = self._key.private_key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        tokens = [
            TokenClaims(c.code, c.kind, c.level, c.occupation_code, c.issued_on, c.masked_name, c.issuer_code)
            for c in claims
        ]
        pieces = [
            cpu.run(signed_urls, self._base, tokens[part.start : part.stop], raw, self._key.kid)
            for part in cpu.chunks(len(tokens), SIGNATURES_PER_TASK)
        ]
        return [url for piece in await asyncio.gather(*pieces) for url in piece]


async def qr_signer(session: AsyncSession, vault: PiiVault, public_base: str) -> QrSigner:
    return _Signer(await active_key(session, vault, "certificate"), public_base)
