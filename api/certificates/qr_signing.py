"""The QR signer handed to the domain: COSE_Sign1 tokens under the current certificate key."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from certificates.token import TokenClaims, qr_url, sign_token
from ledger.certificates.issuance import QrSigner
from ledger.people.pii import PiiVault
from ledger.tenancy.signing_keys import active_key


async def qr_signer(session: AsyncSession, vault: PiiVault, public_base: str) -> QrSigner:
    key = await active_key(session, vault, "certificate")

    def sign(
        *,
        code: str,
        kind: str,
        level: int | None,
        occupation_code: str,
        issued_on: dt.date,
        masked_name: str,
        issuer_code: str,
    ) -> str:
        # A version-12 Q code holds 296 characters: a long masked name gives way, one character at a time
        # (阿布都热依* → 阿布都* → 阿*), so the QR always fits; the page shows the full masked name.
        name = masked_name
        while True:
            claims = TokenClaims(
                code=code,
                kind=kind,
                level=level,
                occupation_code=occupation_code,
                issued_on=issued_on,
                masked_name=name,
                issuer_code=issuer_code,
            )
            try:
                return qr_url(public_base, code, sign_token(claims, key.private_key, key.kid))
            except ValueError:
                if len(name) <= 2:
                    raise
                name = name[: len(name) - 2] + "*"

    return sign
