"""Personal data at rest: AES-256-GCM for ID numbers and phones, a keyed HMAC to find and de-duplicate them."""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE = 12


class PiiVault:
    """Encrypts and finds personal data. The ciphertext is bound to its purpose via associated data."""

    def __init__(self, encryption_key: bytes, lookup_key: bytes) -> None:
        self._aead = AESGCM(encryption_key)
        self._lookup_key = lookup_key

    def lookup_hash(self, purpose: str, canonical: str) -> bytes:
        return hmac.new(self._lookup_key, f"{purpose}\x00{canonical}".encode(), hashlib.sha256).digest()

    def seal(self, purpose: str, plaintext: str) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._aead.encrypt(nonce, plaintext.encode(), purpose.encode())

    def open(self, purpose: str, sealed: bytes) -> str:
        return self._aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], purpose.encode()).decode()
