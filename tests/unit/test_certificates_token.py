"""The QR token: COSE_Sign1 / EdDSA checked by an independent RFC 9052 verifier written here, and tamper tests."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

import cbor2
import msgspec
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from certificates.qr import MAX_TEXT, qr_matrix
from certificates.token import (
    TokenClaims,
    TokenError,
    key_id,
    public_jwk,
    public_key_from_jwk,
    qr_url,
    sign_token,
    verify_token,
)

KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"skills-ledger test key").digest())
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"another key").digest())
KID = key_id(KEY.public_key())
CLAIMS = TokenClaims(
    code="7KQ4M2XPRD9WTB3H",
    kind="skill_level",
    level=3,
    occupation_code="6-18-01-01",
    issued_on=dt.date(2026, 1, 5),
    masked_name="买买提·艾*",
    issuer_code="S65010001",
)
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def independent_verify(token: str, jwks: list[dict[str, str]]) -> dict[int, object]:
    """RFC 9052 §4.4 verification from first principles, sharing no code with certificates.token."""
    raw = base64.b32decode(token + "=" * (-len(token) % 8))
    message = cbor2.loads(raw)
    assert isinstance(message, cbor2.CBORTag) and message.tag == 18  # COSE_Sign1
    protected, unprotected, payload, signature = message.value
    header = cbor2.loads(protected)
    assert header[1] == -8  # alg: EdDSA
    assert dict(unprotected) == {}
    kid = header[4].decode()
    (jwk,) = [key for key in jwks if key["kid"] == kid]
    assert (jwk["kty"], jwk["crv"], jwk["alg"]) == ("OKP", "Ed25519", "EdDSA")
    x = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
    to_be_signed = cbor2.dumps(["Signature1", protected, b"", payload])
    Ed25519PublicKey.from_public_bytes(x).verify(signature, to_be_signed)  # raises InvalidSignature
    return dict(cbor2.loads(payload))


def test_token_verifies_with_an_independent_cose_implementation_and_the_published_jwk() -> None:
    token = sign_token(CLAIMS, KEY, KID)
    body = independent_verify(token, [public_jwk(KID, KEY.public_key())])
    assert body == {
        1: "7KQ4M2XPRD9WTB3H",
        2: 1,
        3: 3,
        4: "6-18-01-01",
        5: dt.date(2026, 1, 5),
        6: "买买提·艾*",
        7: "S65010001",
    }


def _raw(token: str) -> bytes:
    return base64.b32decode(token + "=" * (-len(token) % 8))


def test_token_is_a_tagged_cose_sign1_with_a_day_count_date() -> None:
    raw = _raw(sign_token(CLAIMS, KEY, KID))
    assert raw[:2] == b"\xd2\x84"  # tag 18, array of four
    payload = cbor2.loads(raw).value[2]
    days = (dt.date(2026, 1, 5) - dt.date(1970, 1, 1)).days
    assert b"\x05" + cbor2.dumps(cbor2.CBORTag(100, days)) in payload  # RFC 8943 tag 100


def test_round_trip_returns_the_signed_claims() -> None:
    token = sign_token(CLAIMS, KEY, KID)
    assert verify_token(token, {KID: KEY.public_key()}) == CLAIMS
    training = msgspec.structs.replace(CLAIMS, kind="training", level=None, masked_name="张*明")
    assert verify_token(sign_token(training, KEY, KID), {KID: KEY.public_key()}) == training


def test_signing_is_deterministic() -> None:
    assert sign_token(CLAIMS, KEY, KID) == sign_token(CLAIMS, KEY, KID)


def test_token_is_unpadded_upper_case_base32() -> None:
    token = sign_token(CLAIMS, KEY, KID)
    assert set(token) <= set(BASE32) and "=" not in token


@pytest.mark.slow
def test_any_one_character_change_fails_verification() -> None:
    token = sign_token(CLAIMS, KEY, KID)
    keys = {KID: KEY.public_key()}
    for position, original in enumerate(token):
        for replacement in BASE32 + "a=8":
            if replacement == original:
                continue
            changed = token[:position] + replacement + token[position + 1 :]
            with pytest.raises(TokenError):
                verify_token(changed, keys)
        with pytest.raises(TokenError):
            verify_token(token[:position] + token[position + 1 :], keys)
    with pytest.raises(TokenError):
        verify_token(token.lower(), keys)
    with pytest.raises(TokenError):
        verify_token(token + "A", keys)


def test_spare_trailing_bits_are_not_a_second_spelling() -> None:
    # find claims whose COSE bytes do not fill the last base32 character, so it has unused low bits
    for extra in range(1, 10):
        claims = msgspec.structs.replace(CLAIMS, issuer_code="S" + "1" * extra)
        token = sign_token(claims, KEY, KID)
        if (len(token) * 5) % 8:
            break
    else:  # pragma: no cover - five consecutive lengths always include one
        pytest.fail("no token with spare bits")
    last = BASE32.index(token[-1])
    twin = token[:-1] + BASE32[last ^ 1]  # same significant bits, different spare bit
    assert _raw(twin) == _raw(token)
    with pytest.raises(TokenError):
        verify_token(twin, {KID: KEY.public_key()})


def test_unknown_kid_or_wrong_key_fails() -> None:
    token = sign_token(CLAIMS, KEY, KID)
    with pytest.raises(TokenError):
        verify_token(token, {})
    with pytest.raises(TokenError):
        verify_token(token, {KID: OTHER_KEY.public_key()})


def _cose(protected: dict[int, object], payload: bytes, key: Ed25519PrivateKey, *, tag: int | None = 18) -> str:
    protected_bytes = cbor2.dumps(protected)
    signature = key.sign(cbor2.dumps(["Signature1", protected_bytes, b"", payload]))
    body: object = [protected_bytes, {}, payload, signature]
    if tag is not None:
        body = cbor2.CBORTag(tag, body)
    return base64.b32encode(cbor2.dumps(body)).decode().rstrip("=")


def _payload(changes: dict[int, object] | None = None, *, trailing: bytes = b"") -> bytes:
    body: dict[int, object] = {
        1: CLAIMS.code,
        2: 1,
        3: 3,
        4: CLAIMS.occupation_code,
        5: cbor2.CBORTag(100, 20458),
        6: CLAIMS.masked_name,
        7: CLAIMS.issuer_code,
    }
    body.update(changes or {})
    return cbor2.dumps(body) + trailing


def test_correctly_signed_but_malformed_tokens_are_rejected() -> None:
    keys = {KID: KEY.public_key()}
    header = {1: -8, 4: KID.encode()}
    good = _cose(header, _payload(), KEY)
    assert verify_token(good, keys).issued_on == dt.date(2026, 1, 5)
    bad = [
        _cose(header, _payload(), KEY, tag=None),  # untagged
        _cose(header, _payload(), KEY, tag=98),  # COSE_Sign, not Sign1
        _cose({1: -7, 4: KID.encode()}, _payload(), KEY),  # ES256 claimed
        _cose({1: -8, 2: [99], 4: KID.encode()}, _payload(), KEY),  # unknown critical header
        _cose({1: -8}, _payload(), KEY),  # no kid
        _cose(header, _payload({2: 9}), KEY),  # unknown kind
        _cose(header, _payload({3: 0}), KEY),  # level out of range
        _cose(header, _payload({3: True}), KEY),  # level of the wrong type
        _cose(header, _payload({5: "2026-01-05"}), KEY),  # untagged date
        _cose(header, _payload({6: b"bytes"}), KEY),  # name not text
        _cose(header, _payload({8: "extra"}), KEY),  # unknown claim
        _cose(header, _payload(trailing=b"\x00"), KEY),  # trailing bytes in the payload
        base64.b32encode(_raw(good) + b"\x00").decode().rstrip("="),  # trailing bytes after the message
    ]
    for token in bad:
        with pytest.raises(TokenError):
            verify_token(token, keys)


def test_key_id_and_jwk() -> None:
    public = KEY.public_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    expected = base64.urlsafe_b64encode(hashlib.sha256(raw).digest()[:6]).decode().rstrip("=")
    assert expected == KID and len(KID) == 8
    jwk = public_jwk(KID, public)
    assert jwk == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": base64.urlsafe_b64encode(raw).decode().rstrip("="),
        "kid": KID,
        "alg": "EdDSA",
        "use": "sig",
    }
    recovered = public_key_from_jwk(jwk)
    assert recovered.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw) == raw
    with pytest.raises(TokenError):
        public_key_from_jwk({"kty": "EC", "crv": "P-256", "x": jwk["x"]})


def test_qr_url_is_upper_case_and_fits_a_version_12_q_code() -> None:
    token = sign_token(CLAIMS, KEY, KID)
    url = qr_url("https://ledger.example/", CLAIMS.code, token)
    assert url == f"HTTPS://LEDGER.EXAMPLE/V/{CLAIMS.code}/{token}"
    assert qr_matrix(url).version <= 12


def test_qr_url_refuses_what_a_version_12_q_code_cannot_hold() -> None:
    with pytest.raises(ValueError, match="alphanumeric"):
        qr_url("https://ledger.example?x=1", CLAIMS.code, "ABC")
    with pytest.raises(ValueError, match="holds"):
        qr_url("HTTPS://LEDGER.EXAMPLE", CLAIMS.code, "A" * MAX_TEXT)


@settings(max_examples=300)
@given(st.binary(max_size=200) | st.text(max_size=300))
def test_arbitrary_input_is_a_token_error_never_a_crash(data: bytes | str) -> None:
    token = base64.b32encode(data).decode().rstrip("=") if isinstance(data, bytes) else data
    with pytest.raises(TokenError):
        verify_token(token, {KID: KEY.public_key()})


@settings(max_examples=200)
@given(st.integers(min_value=0), st.binary(min_size=1, max_size=3))
def test_corrupted_bytes_are_a_token_error(position: int, garbage: bytes) -> None:
    raw = bytearray(_raw(sign_token(CLAIMS, KEY, KID)))
    at = position % len(raw)
    raw[at : at + len(garbage)] = garbage
    if bytes(raw) == _raw(sign_token(CLAIMS, KEY, KID)):
        return
    with pytest.raises(TokenError):
        verify_token(base64.b32encode(bytes(raw)).decode().rstrip("="), {KID: KEY.public_key()})
