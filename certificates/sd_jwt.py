"""A certificate as an SD-JWT VC (RFC 9901 SD-JWT; IETF SD-JWT-based Verifiable Credentials, `dc+sd-jwt`).

The holder chooses what to show: the holder's name, the level and the certificate number are selectively
disclosable (each a disclosure `[salt, name, value]` whose SHA-256 sits in `_sd`); the kind, the occupation and
its 大典 code, the issuer and the issue date are always visible. Wire form: `<issuer-signed JWT>~<disclosure>~…~`
(no key binding: a certificate is a bearer document, as the paper is). The status is the ledger's token status list
(`status.status_list`: `idx` is the certificate's index, `uri` the list), one bit, 1 = not valid now.

Salts are 128 random bits, so every download differs (as RFC 9901 asks); the signed part is what verifies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from certificates.credentials import CHINA, issuer_url, key_url
from certificates.jws import b64url, compact_jws
from ledger.certificates.snapshot import CertificateSnapshot

MEDIA_TYPE = "application/dc+sd-jwt"
SELECTIVE = ("holder_name", "level", "number")


def disclosure(name: str, value: Any) -> str:
    return b64url(json.dumps([b64url(secrets.token_bytes(16)), name, value], ensure_ascii=False).encode())


def digest(encoded_disclosure: str) -> str:
    return b64url(hashlib.sha256(encoded_disclosure.encode("ascii")).digest())


def sd_jwt_vc(s: CertificateSnapshot, *, public_base: str, status_index: int, key: Ed25519PrivateKey, kid: str) -> str:
    """The certificate as an SD-JWT VC with every selectively disclosable claim's disclosure appended."""
    hidden = {"holder_name": s.holder_name, "level": s.level, "number": s.number}
    disclosures = [disclosure(name, hidden[name]) for name in SELECTIVE]
    claims: dict[str, Any] = {
        "iss": issuer_url(public_base, s.issuer_code),
        "nbf": int(dt.datetime.combine(s.issued_on, dt.time(), CHINA).timestamp()),
        "vct": f"{public_base}/vct/{s.kind}",
        "kind": s.kind,
        "occupation_code": s.occupation_code,
        "occupation_name": s.occupation_name,
        "issuer_name": s.issuer_name,
        "issued_on": s.issued_on.isoformat(),
        "verification_code": s.verification_code,
        "status": {"status_list": {"idx": status_index, "uri": f"{public_base}/api/v1/status-list"}},
        "_sd": sorted(digest(d) for d in disclosures),
        "_sd_alg": "sha-256",
    }
    header = {"alg": "EdDSA", "kid": key_url(public_base, kid), "typ": "dc+sd-jwt"}
    return "~".join([compact_jws(header, claims, key), *disclosures, ""])
