"""Checks of the app's verifiable credentials written from the standards, not from the app: 1EdTech's Open Badges
3.0 JSON Schemas (tests/data/openbadges, with their licence) and a reader of W3C Bitstring Status Lists."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path

import jsonschema_rs

SCHEMAS = Path(__file__).parent / "data" / "openbadges"


def _schema(name: str) -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(json.loads((SCHEMAS / name).read_text()), validate_formats=True)


CREDENTIAL_SCHEMA = _schema("ob_v3p0_achievementcredential_schema.json")
PROFILE_SCHEMA = _schema("ob_v3p0_profile_schema.json")


def errors(validator: jsonschema_rs.Validator, document: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator.iter_errors(document)]


def status_at(encoded_list: str, index: int, size: int) -> int:
    """The status of entry `index` in a Bitstring Status List, as W3C Bitstring Status List v1.0 says: the
    encodedList is multibase base64url (`u`) of a GZIP-compressed bitstring of at least 16 KB (131,072 entries);
    entry i is the `size` bits from position i·size, position 0 being the most significant bit of the first byte."""
    assert encoded_list.startswith("u"), "multibase base64url"
    text = encoded_list[1:]
    bitstring = gzip.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    assert len(bitstring) >= 16 * 1024 and len(bitstring) * 8 >= 131_072 * size
    value = 0
    for position in range(index * size, (index + 1) * size):
        value = (value << 1) | ((bitstring[position // 8] >> (7 - position % 8)) & 1)
    return value
