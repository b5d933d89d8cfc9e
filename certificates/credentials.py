"""A certificate as an Open Badges 3.0 OpenBadgeCredential (a W3C VC 2.0), secured as VC-JWT (VC-JOSE-COSE).

Pure and synchronous: the snapshot frozen at issue in, a dict or a compact JWS out. docs/credentials.md describes
every field for wallets and integrators. In short:

- `issuer` is the issuing institution's Profile, whose `id` is the address that serves it
  (`<PUBLIC_BASE>/api/v1/issuers/<code>`);
- `credentialSubject` names the holder (an `IdentityObject` of type `name`, in plain text, as printed) and carries a
  pseudonymous `id` (an HMAC of the ledger's person, never the ID number); `licenseNumber` is the certificate number;
- `credentialSubject.achievement` is the occupation of the 职业分类大典 and the level: its 大典 code is `humanCode`
  and an `otherIdentifier`;
- `credentialStatus` is one `BitstringStatusListEntry` with `statusPurpose` `message` and `statusSize` 2: the two bits
  at the certificate's index of its issuer's list say valid (0), revoked (1), suspended (2) or superseded (3). Open
  Badges 3.0 allows one `credentialStatus` (0..1) and each entry has one purpose, so one two-bit entry is how a
  single entry can tell a revocation from a suspension that may be lifted.

The JWS header is `{"alg": "EdDSA", "kid": "<PUBLIC_BASE>/.well-known/jwks.json#<kid>", "typ": "vc+jwt"}`: the
kid's fragment is the `kid` of a key in the published JWK Set. The payload is the credential itself (VC-JOSE-COSE,
no `vc` claim) with the JWT claims Open Badges 3.0 asks for (`iss`, `jti`, `sub`, `nbf`), and nothing that changes
between downloads: the same snapshot and key give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import gzip
import uuid
from collections.abc import Iterable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from certificates.jws import b64url, compact_jws
from ledger.certificates.snapshot import CertificateSnapshot

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
MEDIA_TYPE = "application/vc+jwt"
CHINA = dt.timezone(dt.timedelta(hours=8))

STATUS_SIZE = 2  # bits per certificate in a status list
STATUS_VALUES = {"valid": 0, "revoked": 1, "suspended": 2, "superseded": 3}
_STATUS_MESSAGES = {
    "valid": "有效 valid",
    "revoked": "已撤销 revoked",
    "suspended": "已暂停 suspended",
    "superseded": "已被补发替代 superseded by a reissued certificate",
}

_TITLES = {
    "skill_level": "职业技能等级证书",
    "special_ability": "专项职业能力证书",
    "training": "培训合格证书",
    "graduation": "毕业证书",
    "legacy_qualification": "职业资格证书",
}
_ACHIEVEMENT_TYPES = {
    "skill_level": "Certification",
    "special_ability": "Certificate",
    "training": "CertificateOfCompletion",
    "graduation": "Diploma",
    "legacy_qualification": "Certification",
}
OCCUPATION_FRAMEWORK = "中华人民共和国职业分类大典（2022年版）"


def issuer_url(public_base: str, issuer_code: str) -> str:
    return f"{public_base}/api/v1/issuers/{issuer_code}"


def status_list_url(public_base: str, issuer_code: str) -> str:
    return f"{issuer_url(public_base, issuer_code)}/status-list"


def key_url(public_base: str, kid: str) -> str:
    """The JWS `kid`: an address that dereferences to the JWK Set, whose key of that `kid` the fragment names."""
    return f"{public_base}/.well-known/jwks.json#{kid}"


def holder_id(pseudonym: bytes) -> str:
    """A `urn:uuid:` (version 8, RFC 9562) of the first 16 bytes of a keyed hash of the holder: the same for every
    certificate of one person, meaningless without the ledger's key."""
    value = int.from_bytes(pseudonym[:16], "big")
    value = (value & ~(0xF << 76)) | (8 << 76)  # version 8
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # the RFC 9562 variant
    return uuid.UUID(int=value).urn


def issuer_profile(public_base: str, code: str, name: str) -> dict[str, Any]:
    """The institution as an Open Badges 3.0 Profile; its `id` is the address that serves this very document."""
    return {
        "id": issuer_url(public_base, code),
        "type": ["Profile"],
        "name": name,
        "otherIdentifier": [{"type": "IdentifierEntry", "identifier": code, "identifierType": "identifier"}],
    }


def _achievement(s: CertificateSnapshot, issuer: dict[str, Any]) -> dict[str, Any]:
    title = _TITLES[s.kind]
    what = s.occupation_name + (f"（{s.work_type}）" if s.work_type else "")
    level = f" {s.level_text}" if s.level_text else ""
    level_en = f", level {s.level} ({s.level_text_en})" if s.level is not None else ""
    # one achievement per issuer, kind, occupation and level: a name-based UUID of those
    named = uuid.uuid5(uuid.NAMESPACE_URL, f"{issuer['id']}#{s.kind}/{s.occupation_code}/{s.level or ''}")
    achievement: dict[str, Any] = {
        "id": named.urn,
        "type": ["Achievement"],
        "achievementType": _ACHIEVEMENT_TYPES[s.kind],
        "name": f"{title} {what}{level}",
        "description": (
            f"{title}：{what}，职业编码 {s.occupation_code}{'，' + s.level_text if s.level_text else ''}。"
            f" Occupation {s.occupation_code} of the {OCCUPATION_FRAMEWORK}{level_en}."
        ),
        "criteria": {
            "narrative": (
                f"按国家职业标准（{s.occupation_code}）考核合格。"
                f" Passed the assessment of the national occupational standard {s.occupation_code}."
            )
        },
        "humanCode": s.occupation_code,
        "fieldOfStudy": s.occupation_name,
        "otherIdentifier": [
            {"type": "IdentifierEntry", "identifier": s.occupation_code, "identifierType": "ext:OccupationCode2022"}
        ],
        "inLanguage": "zh-CN",
        "creator": {"id": issuer["id"], "type": ["Profile"], "name": issuer["name"]},
    }
    if s.work_type:
        achievement["specialization"] = s.work_type
    return achievement


def open_badge(s: CertificateSnapshot, *, public_base: str, subject_id: str, status_index: int) -> dict[str, Any]:
    """The OpenBadgeCredential of a certificate snapshot (unsigned)."""
    issued = dt.datetime.combine(s.issued_on, dt.time(), CHINA)
    profile = issuer_profile(public_base, s.issuer_code, s.issuer_name)
    achievement = _achievement(s, profile)
    statuses = status_list_url(public_base, s.issuer_code)
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": f"{public_base}/v/{s.verification_code}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": achievement["name"],
        "issuer": profile,
        "validFrom": issued.isoformat(),
        "awardedDate": issued.isoformat(),
        "credentialSubject": {
            "id": subject_id,
            "type": ["AchievementSubject"],
            "identifier": [
                {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": s.holder_name}
            ],
            "licenseNumber": s.number,
            "achievement": achievement,
        },
        "credentialStatus": {
            "id": f"{statuses}#{status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "message",
            "statusListIndex": str(status_index),
            "statusListCredential": statuses,
            "statusSize": STATUS_SIZE,
            "statusMessage": [
                {"status": hex(value), "message": _STATUS_MESSAGES[status]} for status, value in STATUS_VALUES.items()
            ],
            "statusReference": f"{public_base}/v/{s.verification_code}",
        },
        "credentialSchema": [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
    }


def _epoch(moment: str) -> int:
    return int(dt.datetime.fromisoformat(moment).timestamp())


def sign_credential(credential: dict[str, Any], key: Ed25519PrivateKey, kid: str, public_base: str) -> str:
    """The credential as a VC-JWT: the credential is the JWT payload, with `iss`, `jti`, `sub` and `nbf` (and
    `exp` when it has `validUntil`) mirroring its own fields, as Open Badges 3.0 asks."""
    claims: dict[str, Any] = {
        **credential,
        "iss": credential["issuer"]["id"] if isinstance(credential["issuer"], dict) else credential["issuer"],
        "jti": credential["id"],
        "nbf": _epoch(credential["validFrom"]),
    }
    subject = credential["credentialSubject"]
    if isinstance(subject, dict) and "id" in subject:
        claims["sub"] = subject["id"]
    if "validUntil" in credential:
        claims["exp"] = _epoch(credential["validUntil"])
    header = {"alg": "EdDSA", "kid": key_url(public_base, kid), "typ": "vc+jwt"}
    return compact_jws(header, claims, key)


def encoded_list(values: Iterable[tuple[int, int]], entries: int) -> str:
    """A Bitstring Status List's `encodedList`: `STATUS_SIZE` bits per entry, entry i at bits
    [i·size, (i+1)·size), the first bit the most significant of the first byte; gzip, then multibase base64url
    (`u`, no padding). `values` are (index, value) pairs; every other entry is 0."""
    bits = bytearray(entries * STATUS_SIZE // 8)
    for index, value in values:
        for offset in range(STATUS_SIZE):
            if value >> (STATUS_SIZE - 1 - offset) & 1:
                position = index * STATUS_SIZE + offset
                bits[position // 8] |= 0x80 >> (position % 8)
    # level 6: a sparse 4 MiB list compresses 8 times faster than at 9, for about a quarter more bytes
    return "u" + b64url(gzip.compress(bytes(bits), compresslevel=6, mtime=0))


def status_list_credential(
    public_base: str, issuer_code: str, encoded: str, *, now: dt.datetime, ttl_seconds: int
) -> dict[str, Any]:
    """The issuer's BitstringStatusListCredential (unsigned), valid from now for `ttl_seconds`."""
    url = status_list_url(public_base, issuer_code)
    return {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_url(public_base, issuer_code),
        "validFrom": now.isoformat(timespec="seconds"),
        "validUntil": (now + dt.timedelta(seconds=ttl_seconds)).isoformat(timespec="seconds"),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "message",
            "encodedList": encoded,
            "ttl": ttl_seconds * 1000,
        },
    }
