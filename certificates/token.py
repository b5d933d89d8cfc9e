"""The signed token in a certificate's QR code: COSE_Sign1 (RFC 9052) with EdDSA over Ed25519, in base32.

Wire format, small enough that `<PUBLIC_BASE>/V/<CODE>/<TOKEN>` fits a version-12 QR code at error correction Q:

    TOKEN      = base32 (RFC 4648 §6, upper case, no padding) of COSE_Sign1
    COSE_Sign1 = #6.18([protected: bstr .cbor {1: -8, 4: kid}, unprotected: {}, payload: bstr .cbor Claims,
                        signature: bstr .size 64])           ; tagged, so generic COSE libraries recognise it
    kid        = the ASCII bytes of the key id string published as "kid" in /.well-known/jwks.json
    Claims     = {1: code tstr, 2: kind uint, 3: level uint / null, 4: occupation code tstr,
                  5: issue date #6.100(days since 1970-01-01)  ; RFC 8943 full-date as a day count
                  6: masked name tstr, 7: issuer code tstr}
    kind       : 1 skill_level, 2 special_ability, 3 training, 4 graduation, 5 legacy_qualification

The signature is Ed25519 over Sig_structure = ["Signature1", protected, h'', payload] (external_aad empty).
Integer keys, an enumerated kind and a day-count date keep the payload small. Size budget: the token has
ceil(8·B/5) characters, B = 104 + the UTF-8 bytes of code + occupation code + masked name + issuer code (each
under 24 bytes), and the whole URL must stay within 296 characters (version 12, level Q). With
`HTTPS://LEDGER.EXAMPLE`, a 16-character code, `6-18-01-01` and a 9-character issuer code that leaves 19 bytes
for the masked name: six Chinese characters (`买买提·艾*` is 15 bytes, 289 characters in all). `qr_url` refuses
a longer URL rather than print an oversized code. Encoding is deterministic (RFC 8949 core
deterministic CBOR, and Ed25519 signatures are deterministic), so the same claims and key give the same token.

`verify_token` accepts only the canonical upper-case base32 spelling (no padding, zero trailing bits): any
one-character change of a token therefore fails, either in decoding or in the signature.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

import cbor2
import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from certificates.qr import ALPHANUMERIC, MAX_TEXT

COSE_SIGN1_TAG = 18
ALG_EDDSA = -8
HEADER_ALG = 1
HEADER_CRIT = 2
HEADER_KID = 4
DAYS_TAG = 100  # RFC 8943
EPOCH = dt.date(1970, 1, 1)

KINDS: dict[str, int] = {
    "skill_level": 1,
    "special_ability": 2,
    "training": 3,
    "graduation": 4,
    "legacy_qualification": 5,
}
_KIND_NAMES = {number: kind for kind, number in KINDS.items()}

_CODE, _KIND, _LEVEL, _OCCUPATION, _ISSUED, _NAME, _ISSUER = range(1, 8)
_BASE32 = re.compile(r"[A-Z2-7]+")
_MAX_TOKEN_CHARS = 1024


class TokenError(ValueError):
    """A token that is malformed, signed by an unknown key, or whose signature does not verify."""


class TokenClaims(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What the QR token asserts about a certificate; never the full name or any ID digits."""

    code: str  # the verification code, the public handle of the certificate
    kind: str  # one of KINDS
    level: int | None  # 5..1 for skill_level, None otherwise
    occupation_code: str
    issued_on: dt.date
    masked_name: str  # e.g. 张*明
    issuer_code: str


# --- keys ------------------------------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey) -> str:
    """base64url (no padding) of the first 6 bytes of SHA-256 of the raw 32-byte public key: 8 characters.

    Short on purpose (it travels in every QR code); it only selects a key, the signature decides validity.
    """
    return _b64url(hashlib.sha256(_raw(public_key)).digest()[:6])


def public_jwk(kid: str, public_key: Ed25519PublicKey) -> dict[str, str]:
    """The RFC 8037 JWK for /.well-known/jwks.json."""
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": _b64url(_raw(public_key)),
        "kid": kid,
        "alg": "EdDSA",
        "use": "sig",
    }


def public_key_from_jwk(jwk: Mapping[str, Any]) -> Ed25519PublicKey:
    """The key of an RFC 8037 Ed25519 JWK, for offline verifiers and tests."""
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not isinstance(jwk.get("x"), str):
        raise TokenError("not an Ed25519 OKP JWK")
    x = jwk["x"]
    try:
        raw = base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError) as exc:
        raise TokenError("bad JWK x") from exc


# --- signing ---------------------------------------------------------------------------------------------


def _payload(claims: TokenClaims) -> bytes:
    if claims.kind not in KINDS:
        raise ValueError(f"unknown certificate kind {claims.kind!r}")
    body = {
        _CODE: claims.code,
        _KIND: KINDS[claims.kind],
        _LEVEL: claims.level,
        _OCCUPATION: claims.occupation_code,
        _ISSUED: cbor2.CBORTag(DAYS_TAG, (claims.issued_on - EPOCH).days),
        _NAME: claims.masked_name,
        _ISSUER: claims.issuer_code,
    }
    return cbor2.dumps(body, canonical=True)


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload])


def sign_token(claims: TokenClaims, key: Ed25519PrivateKey, kid: str) -> str:
    """Sign `claims` and return the token for the QR URL (upper-case base32 without padding)."""
    protected = cbor2.dumps({HEADER_ALG: ALG_EDDSA, HEADER_KID: kid.encode("ascii")}, canonical=True)
    payload = _payload(claims)
    signature = key.sign(_sig_structure(protected, payload))
    message = cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))
    return base64.b32encode(message).decode("ascii").rstrip("=")


def qr_url(public_base: str, code: str, token: str) -> str:
    """`<PUBLIC_BASE>/V/<CODE>/<TOKEN>` in upper case, checked to fit QR alphanumeric mode at version ≤ 12."""
    url = f"{public_base.rstrip('/')}/V/{code}/{token}".upper()
    if not set(url) <= ALPHANUMERIC:
        raise ValueError("the QR URL must use only QR alphanumeric characters (0-9 A-Z $%*+-./: and space)")
    if len(url) > MAX_TEXT:
        raise ValueError(f"the QR URL is {len(url)} characters; a version-12 Q code holds {MAX_TEXT}")
    return url


def signed_url(public_base: str, claims: TokenClaims, key: Ed25519PrivateKey, kid: str) -> str:
    """The QR URL carrying the signed `claims`. A version-12 Q code holds 296 characters: a long masked name gives
    way, one character at a time (阿布都热依* → 阿布都* → 阿*), so the QR always fits; the page shows the full
    masked name."""
    while True:
        try:
            return qr_url(public_base, claims.code, sign_token(claims, key, kid))
        except ValueError:
            name = claims.masked_name
            if len(name) <= 2:
                raise
            claims = msgspec.structs.replace(claims, masked_name=name[: len(name) - 2] + "*")


def signed_urls(public_base: str, claims: Sequence[TokenClaims], private_key: bytes, kid: str) -> list[str]:
    """`signed_url` for many claims under the raw 32-byte private key: what a process-pool worker runs."""
    key = Ed25519PrivateKey.from_private_bytes(private_key)
    return [signed_url(public_base, c, key, kid) for c in claims]


# --- verification ----------------------------------------------------------------------------------------


def _strict_cbor(data: bytes) -> Any:
    stream = io.BytesIO(data)
    decoder = cbor2.CBORDecoder(stream, max_depth=8, allow_indefinite=False, allow_duplicate_keys=False)
    try:
        value = decoder.decode()
    except (cbor2.CBORError, ValueError, TypeError, OverflowError) as exc:
        raise TokenError("malformed CBOR") from exc
    if stream.tell() != len(data):
        raise TokenError("trailing bytes after CBOR item")
    return value


def _from_base32(token: str) -> bytes:
    if not isinstance(token, str) or len(token) > _MAX_TOKEN_CHARS or not _BASE32.fullmatch(token):
        raise TokenError("token is not upper-case base32")
    try:
        raw = base64.b32decode(token + "=" * (-len(token) % 8))
    except binascii.Error as exc:
        raise TokenError("token is not valid base32") from exc
    if base64.b32encode(raw).decode("ascii").rstrip("=") != token:
        raise TokenError("token is not canonical base32")
    return raw


def _text(body: Mapping[Any, Any], key: int) -> str:
    value = body.get(key)
    if type(value) is not str:
        raise TokenError(f"claim {key} must be a text string")
    return value


def _claims(payload: bytes) -> TokenClaims:
    body = _strict_cbor(payload)
    if not isinstance(body, Mapping) or set(body) != {_CODE, _KIND, _LEVEL, _OCCUPATION, _ISSUED, _NAME, _ISSUER}:
        raise TokenError("payload must be a map with keys 1..7")
    kind = body[_KIND]
    if type(kind) is not int or kind not in _KIND_NAMES:
        raise TokenError("unknown certificate kind")
    level = body[_LEVEL]
    if level is not None and (type(level) is not int or not 1 <= level <= 5):
        raise TokenError("level must be 1..5 or null")
    issued = body[_ISSUED]
    if type(issued) is not dt.date:
        raise TokenError("issue date must be tag 100")
    return TokenClaims(
        code=_text(body, _CODE),
        kind=_KIND_NAMES[kind],
        level=level,
        occupation_code=_text(body, _OCCUPATION),
        issued_on=issued,
        masked_name=_text(body, _NAME),
        issuer_code=_text(body, _ISSUER),
    )


def verify_token(token: str, keys: Mapping[str, Ed25519PublicKey]) -> TokenClaims:
    """Check a token against the published keys (by kid) and return its claims; TokenError on any fault."""
    message = _strict_cbor(_from_base32(token))
    if not isinstance(message, cbor2.CBORTag) or message.tag != COSE_SIGN1_TAG:
        raise TokenError("not a tagged COSE_Sign1")
    parts = message.value
    if not isinstance(parts, list | tuple) or len(parts) != 4:
        raise TokenError("COSE_Sign1 must be an array of four")
    protected, unprotected, payload, signature = parts
    if not (type(protected) is bytes and type(payload) is bytes and type(signature) is bytes):
        raise TokenError("COSE_Sign1 members have the wrong types")
    if not isinstance(unprotected, Mapping) or len(unprotected) != 0:
        raise TokenError("unprotected header must be empty")
    header = _strict_cbor(protected)
    if not isinstance(header, Mapping) or HEADER_CRIT in header or header.get(HEADER_ALG) != ALG_EDDSA:
        raise TokenError("protected header must say alg EdDSA (-8) and carry no crit")
    kid_bytes = header.get(HEADER_KID)
    if type(kid_bytes) is not bytes:
        raise TokenError("protected header has no kid")
    try:
        public_key = keys[kid_bytes.decode("ascii")]
    except (UnicodeDecodeError, KeyError) as exc:
        raise TokenError("unknown kid") from exc
    try:
        public_key.verify(signature, _sig_structure(protected, payload))
    except InvalidSignature as exc:
        raise TokenError("bad signature") from exc
    return _claims(payload)
