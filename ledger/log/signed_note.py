"""C2SP signed notes (c2sp.org/signed-note) with Ed25519, and tlog checkpoints (c2sp.org/tlog-checkpoint).

A signed note is its text (ending in a newline), a blank line, then signature lines
``— <key name> <base64(4-byte key ID || signature)>``. A checkpoint is a note whose text is
``<origin>\\n<tree size>\\n<base64 root hash>\\n`` optionally followed by non-empty extension lines.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "Checkpoint",
    "checkpoint_body",
    "key_id",
    "open_note",
    "parse_checkpoint",
    "parse_verifier_key",
    "sign_note",
    "verifier_key",
]

ED25519 = 0x01
"""The signed-note signature type byte of Ed25519."""

MAX_SIGNATURES = 64
"""Notes with more signature lines are refused (the spec requires accepting at least 16)."""

_SIG_PREFIX = "\u2014 "  # em dash, space
_ROOT_SIZE = 32
_TREE_SIZE = re.compile(r"0|[1-9][0-9]*")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The parsed text of a tlog checkpoint."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()


def _b64decode(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise ValueError(f"{what} is not valid base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise ValueError(f"{what} is not canonical base64")
    return raw


def _check_text(text: str, what: str) -> None:
    """Valid UTF-8 (no lone surrogates) and no control characters other than newline."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"{what} is not valid UTF-8") from exc
    for ch in text:
        if ch < " " and ch != "\n":
            raise ValueError(f"{what} contains control character U+{ord(ch):04X}")


def _check_key_name(name: str) -> None:
    if not name:
        raise ValueError("key name is empty")
    if any(ch.isspace() or ch == "+" for ch in name):
        raise ValueError(f"key name {name!r} contains a space or '+'")
    _check_text(name, "key name")


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


# --- checkpoints --------------------------------------------------------------------------------------------


def checkpoint_body(origin: str, size: int, root: bytes) -> str:
    """The note text of a checkpoint: ``<origin>\\n<size>\\n<base64 root>\\n``."""
    if not origin or "\n" in origin:
        raise ValueError("checkpoint origin must be a non-empty single line")
    _check_text(origin, "checkpoint origin")
    if size < 0:
        raise ValueError(f"tree size must be >= 0, got {size}")
    if len(root) != _ROOT_SIZE:
        raise ValueError(f"root hash must be {_ROOT_SIZE} bytes, got {len(root)}")
    return f"{origin}\n{size}\n{base64.b64encode(root).decode('ascii')}\n"


def parse_checkpoint(body: str) -> Checkpoint:
    """Parse checkpoint note text strictly; ``ValueError`` says what is wrong."""
    _check_text(body, "checkpoint")
    if not body.endswith("\n"):
        raise ValueError("checkpoint must end with a newline")
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise ValueError("checkpoint needs origin, tree size and root hash lines")
    origin, size_text, root_text, *extensions = lines
    if not origin:
        raise ValueError("checkpoint origin is empty")
    if not _TREE_SIZE.fullmatch(size_text):
        raise ValueError(f"checkpoint tree size {size_text!r} is not a decimal without leading zeros")
    root = _b64decode(root_text, "checkpoint root hash")
    if len(root) != _ROOT_SIZE:
        raise ValueError(f"checkpoint root hash must be {_ROOT_SIZE} bytes, got {len(root)}")
    if any(not line for line in extensions):
        raise ValueError("checkpoint extension lines must be non-empty")
    return Checkpoint(origin, int(size_text), root, tuple(extensions))


# --- keys and notes -----------------------------------------------------------------------------------------


def key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    """The 4-byte key ID: SHA-256(name || 0x0A || 0x01 || 32-byte public key)[:4]."""
    _check_key_name(name)
    material = name.encode("utf-8") + b"\n" + bytes([ED25519]) + _raw_public(public_key)
    return hashlib.sha256(material).digest()[:4]


def verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """The verifier key string ``<name>+<hex key ID>+<base64(0x01 || public key)>`` clients configure."""
    encoded = base64.b64encode(bytes([ED25519]) + _raw_public(public_key)).decode("ascii")
    return f"{name}+{key_id(name, public_key).hex()}+{encoded}"


def parse_verifier_key(vkey: str) -> tuple[str, Ed25519PublicKey]:
    """Inverse of ``verifier_key``: the key name and public key, after checking the embedded key ID."""
    parts = vkey.split("+", 2)  # names hold no '+', key IDs are hex; the base64 key may contain '+'
    if len(parts) != 3:
        raise ValueError("verifier key must be <name>+<key id>+<key>")
    name, id_hex, key_text = parts
    _check_key_name(name)
    material = _b64decode(key_text, "verifier key")
    if len(material) != 33 or material[0] != ED25519:
        raise ValueError("verifier key is not an Ed25519 key")
    public_key = Ed25519PublicKey.from_public_bytes(material[1:])
    if id_hex != key_id(name, public_key).hex():
        raise ValueError("verifier key ID does not match its name and key")
    return name, public_key


def sign_note(body: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """Sign ``body`` (note text ending in a newline) as key ``name``: body, blank line, signature."""
    _check_key_name(name)
    _check_text(body, "note text")
    if not body.endswith("\n"):
        raise ValueError("note text must end with a newline")
    signature = private_key.sign(body.encode("utf-8"))
    blob = key_id(name, private_key.public_key()) + signature
    return f"{body}\n{_SIG_PREFIX}{name} {base64.b64encode(blob).decode('ascii')}\n"


def open_note(text: str | bytes, name: str, public_key: Ed25519PublicKey) -> str:
    """Verify a signed note against one known key and return its text.

    Signatures by other keys (different name or key ID) are ignored, as the spec requires. Raises
    ``ValueError`` if the note is malformed, carries no signature by the known key, or that key's signature
    does not verify.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError("signed note is not valid UTF-8") from exc
    _check_text(text, "signed note")
    if not text.endswith("\n"):
        raise ValueError("signed note must end with a newline")
    split = text.rfind("\n\n")
    if split < 0:
        raise ValueError("signed note has no blank line before its signatures")
    body, signature_block = text[: split + 1], text[split + 2 :]
    lines = signature_block[:-1].split("\n") if signature_block else []
    if not lines:
        raise ValueError("signed note has no signature lines")
    if len(lines) > MAX_SIGNATURES:
        raise ValueError(f"signed note has more than {MAX_SIGNATURES} signatures")

    wanted_id = key_id(name, public_key)
    verified = False
    for line in lines:
        if not line.startswith(_SIG_PREFIX):
            raise ValueError(f"malformed signature line {line!r}")
        fields = line[len(_SIG_PREFIX) :].split(" ")
        if len(fields) != 2:
            raise ValueError(f"malformed signature line {line!r}")
        signer, blob_text = fields
        _check_key_name(signer)
        blob = _b64decode(blob_text, "signature")
        if len(blob) < 5:
            raise ValueError("signature is too short to hold a key ID")
        if signer != name or blob[:4] != wanted_id:
            continue  # someone else's signature (a witness, a rotated key): not ours to judge
        try:
            public_key.verify(blob[4:], body.encode("utf-8"))
        except InvalidSignature:
            raise ValueError(f"signature by {name} does not verify") from None
        verified = True
    if not verified:
        raise ValueError(f"signed note carries no signature by known key {name}")
    return body
