"""docs/verification.md's offline check is code that works: its block, run as written, verifies a real token and
refuses a forged one."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from certificates.token import TokenClaims, key_id, public_jwk, sign_token
from tests.conftest import ROOT

DOC = ROOT / "docs" / "verification.md"


def offline_check() -> object:
    (block,) = re.findall(r"```python offline-check\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    scope: dict[str, object] = {}
    exec(compile(block, str(DOC), "exec"), scope)
    return scope["verify_offline"]


def test_the_documented_offline_check_verifies_a_token_and_refuses_a_forgery() -> None:
    verify_offline = offline_check()
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    kid = key_id(key.public_key())
    claims = TokenClaims(code="QGZGS3Q3ILGEKLD4", kind="skill_level", level=4, occupation_code="6-18-01-01",
                         issued_on=dt.date(2025, 5, 30), masked_name="买买提·艾*", issuer_code="S00006501")  # fmt: skip
    token = sign_token(claims, key, kid)
    jwks = {"keys": [public_jwk(kid, key.public_key())]}
    assert verify_offline(token, jwks)[1] == "QGZGS3Q3ILGEKLD4"  # type: ignore[operator]
    assert kid == "Vkdap1Rj" and len(token) == 247, "the example in the docs is this very token"
    other = Ed25519PrivateKey.generate()
    forged = sign_token(claims, other, kid)
    with pytest.raises(InvalidSignature):
        verify_offline(forged, jwks)  # type: ignore[operator]
