"""Ed25519 signing keys kept in the database, the private half sealed with the PII key (AES-GCM).

Two purposes: `checkpoint` (signed notes over the Merkle log) and `certificate` (COSE tokens in QR codes).
The newest unretired key of a purpose signs; every key ever used stays published so old signatures verify.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.database.loaders import table_loader
from ledger.journal import Journal
from ledger.log.records import RecordType, Row, register
from ledger.log.tables import SigningKey
from ledger.people.pii import PiiVault

_RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


@dataclass(frozen=True, slots=True)
class ActiveKey:
    kid: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()


def raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(*_RAW)


def key_id_for(public_key_raw: bytes) -> str:
    """kid = unpadded base64url of the first 6 bytes of SHA-256(raw public key): 8 characters, short enough to
    travel in every QR code (it only selects a key; the signature decides validity)."""
    return base64.urlsafe_b64encode(hashlib.sha256(public_key_raw).digest()[:6]).decode().rstrip("=")


def _signing_key_v1(row: Row) -> dict[str, object]:
    return {"kid": row["kid"], "purpose": row["purpose"], "public_key": bytes(row["public_key"]).hex()}


SIGNING_KEY = register(RecordType("signing_key", {1: _signing_key_v1}, table_loader("signing_keys", "kid", "text")))


async def active_key(session: AsyncSession, vault: PiiVault, purpose: str) -> ActiveKey:
    """The current key for `purpose`, created (and logged) the first time it is needed."""
    row = (
        await session.execute(
            select(SigningKey)
            .where(SigningKey.purpose == purpose, SigningKey.retired_at.is_(None))
            .order_by(SigningKey.created_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if row is not None:
        private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(vault.open("signing_key", row.private_sealed)))
        return ActiveKey(row.kid, private)
    return await rotate_key(session, vault, purpose)


async def rotate_key(session: AsyncSession, vault: PiiVault, purpose: str) -> ActiveKey:
    """Create a new key for `purpose`; older ones stay published but no longer sign."""
    private = Ed25519PrivateKey.generate()
    public_raw = raw_public(private.public_key())
    kid = key_id_for(public_raw)
    secret_hex = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    ).hex()
    await session.execute(
        insert(SigningKey)
        .values(
            kid=kid,
            purpose=purpose,
            public_key=public_raw,
            private_sealed=vault.seal("signing_key", secret_hex),
        )
        .on_conflict_do_nothing()
    )
    journal = Journal(session)
    journal.record("signing_key.rotated", SIGNING_KEY, kid, refs={"purpose": purpose})
    await journal.write()
    return ActiveKey(kid, private)


async def published_keys(session: AsyncSession, purpose: str) -> dict[str, Ed25519PublicKey]:
    rows = await session.execute(
        select(SigningKey.kid, SigningKey.public_key)
        .where(SigningKey.purpose == purpose)
        .order_by(SigningKey.created_at)
    )
    return {kid: Ed25519PublicKey.from_public_bytes(raw) for kid, raw in rows}
