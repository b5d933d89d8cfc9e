"""The OpenBadgeCredential of every kind of certificate conforms to 1EdTech's schema; the status list's bits sit
where the Bitstring Status List specification reads them."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st
from jwcrypto import jwk, jws

from certificates import credentials as vc
from tests.open_badges import CREDENTIAL_SCHEMA, errors, status_at
from tests.unit.test_certificates_pdf import snapshot

BASE = "https://ledger.example"
SNAPSHOT = snapshot("QGZGS3Q3ILGEKLD4", work_type="数控车工", issued_on=dt.date(2026, 1, 5))
KINDS = {
    "skill_level": {},
    "special_ability": {"level": None, "level_text": "", "level_text_en": ""},
    "training": {"level": None, "level_text": "", "level_text_en": "", "work_type": ""},
    "graduation": {"level": None, "level_text": "", "level_text_en": ""},
    "legacy_qualification": {"level": 4, "level_text": "四级/中级工", "level_text_en": "Level 4", "course_hours": None},
}


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_certificate_is_a_valid_open_badge(kind: str) -> None:
    snapshot = msgspec.structs.replace(SNAPSHOT, kind=kind, **KINDS[kind])
    credential = vc.open_badge(snapshot, public_base=BASE, subject_id=vc.holder_id(b"\x01" * 32), status_index=7)
    assert errors(CREDENTIAL_SCHEMA, credential) == []
    assert "1239" not in json.dumps(credential), "not even the visible digits of the ID number"
    broken = {**credential, "credentialStatus": [credential["credentialStatus"]] * 2}
    assert errors(CREDENTIAL_SCHEMA, broken), "the schema holds credentialStatus to one entry (0..1)"


def test_the_signed_credential_verifies_with_another_jose_library() -> None:
    key = Ed25519PrivateKey.generate()
    credential = vc.open_badge(SNAPSHOT, public_base=BASE, subject_id=vc.holder_id(b"\x02" * 32), status_index=1)
    token = vc.sign_credential(credential, key, "Vkdap1Rj", BASE)
    assert token == vc.sign_credential(credential, key, "Vkdap1Rj", BASE), "deterministic"
    public = jwk.JWK.from_pyca(key.public_key())
    signed = jws.JWS()
    signed.deserialize(token)
    signed.verify(public, alg="EdDSA")
    assert signed.jose_header == {"alg": "EdDSA", "kid": f"{BASE}/.well-known/jwks.json#Vkdap1Rj", "typ": "vc+jwt"}
    claims = json.loads(signed.payload)
    assert claims["nbf"] == int(dt.datetime(2026, 1, 5, tzinfo=vc.CHINA).timestamp())
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    signed = jws.JWS()
    signed.deserialize(tampered)
    with pytest.raises(jws.InvalidJWSSignature):
        signed.verify(public, alg="EdDSA")


def test_the_holder_id_is_an_rfc_9562_version_8_uuid() -> None:
    found = uuid.UUID(vc.holder_id(bytes(range(32))))
    assert found.version == 8 and found.variant == uuid.RFC_4122
    assert vc.holder_id(bytes(range(32))) != vc.holder_id(bytes(range(1, 33)))


@given(st.dictionaries(st.integers(0, 131_071), st.integers(0, 3), max_size=40))
def test_each_status_is_read_back_where_the_specification_reads_it(statuses: dict[int, int]) -> None:
    encoded = vc.encoded_list(statuses.items(), 131_072)
    for index in [*statuses, 0, 131_071]:
        assert status_at(encoded, index, vc.STATUS_SIZE) == statuses.get(index, 0)


def test_the_first_entry_is_the_most_significant_bits_of_the_first_byte() -> None:
    import base64
    import gzip

    raw = gzip.decompress(base64.urlsafe_b64decode(vc.encoded_list([(0, 1), (3, 2)], 131_072)[1:] + "=="))
    assert raw[0] == 0b01_00_00_10 and len(raw) == 32 * 1024  # 131,072 two-bit entries
