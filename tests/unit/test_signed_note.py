"""C2SP signed notes and tlog checkpoints: exact bytes, independent known answers, and refusals."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.log.signed_note import (
    Checkpoint,
    checkpoint_body,
    key_id,
    open_note,
    parse_checkpoint,
    parse_verifier_key,
    sign_note,
    verifier_key,
)

NAME = "skills-ledger.example/log"
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PUB = KEY.public_key()
PUB_RAW = PUB.public_bytes(Encoding.Raw, PublicFormat.Raw)
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
ROOT = hashlib.sha256(b"some root").digest()
EM_DASH = "\u2014"


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def signed_checkpoint(size: int = 12) -> tuple[str, str]:
    body = checkpoint_body(NAME, size, ROOT)
    return body, sign_note(body, NAME, KEY)


# --- known answers, computed by hand from the specs --------------------------------------------------------------


def test_key_id_and_verifier_key_by_hand() -> None:
    expected_id = hashlib.sha256(NAME.encode() + b"\x0a" + b"\x01" + PUB_RAW).digest()[:4]
    assert key_id(NAME, PUB) == expected_id
    encoded_key = b64(bytes([1]) + PUB_RAW)  # signature type 0x01 (Ed25519), then the raw key
    assert verifier_key(NAME, PUB) == f"{NAME}+{expected_id.hex()}+{encoded_key}"
    assert "+" in encoded_key  # this key's base64 contains '+', the vkey field separator
    name, public = parse_verifier_key(verifier_key(NAME, PUB))
    assert name == NAME and public.public_bytes(Encoding.Raw, PublicFormat.Raw) == PUB_RAW


def test_signed_checkpoint_bytes_by_hand() -> None:
    body, note = signed_checkpoint(12)
    assert body == f"{NAME}\n12\n{b64(ROOT)}\n"
    # Ed25519 is deterministic, so the whole note is fixed: body, blank line, em dash line over key ID || sig.
    expected_id = hashlib.sha256(NAME.encode() + b"\n\x01" + PUB_RAW).digest()[:4]
    signature = KEY.sign(body.encode("utf-8"))
    assert note == f"{body}\n{EM_DASH} {NAME} {b64(expected_id + signature)}\n"
    PUB.verify(base64.b64decode(note.rsplit(" ", 1)[1])[4:], body.encode())  # raises if not a valid signature
    assert note.encode("utf-8").count("\u2014".encode()) == 1 and "\u2014".encode() == b"\xe2\x80\x94"


def test_go_sumdb_note_vector_opens() -> None:
    # The example key and note from the documentation of golang.org/x/mod/sumdb/note, a second implementation.
    name, public = parse_verifier_key("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
    text = (
        "If you think cryptography is the answer to your problem,\n"
        "then you don't know what your problem is.\n"
        "\n"
        "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6Ryy"
        "BwJnAM=\n"
    )
    assert open_note(text, name, public) == text.split("\n\n")[0] + "\n"
    with pytest.raises(ValueError, match="does not verify"):
        open_note(text.replace("cryptography", "Cryptography"), name, public)


# --- round trips ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 12, 2**63 - 1, 10**30])
def test_checkpoint_round_trip(size: int) -> None:
    body, note = signed_checkpoint(size)
    assert open_note(note, NAME, PUB) == body
    assert open_note(note.encode("utf-8"), NAME, PUB) == body
    assert parse_checkpoint(body) == Checkpoint(NAME, size, ROOT)


def test_checkpoint_extension_lines_are_kept() -> None:
    body = checkpoint_body(NAME, 3, ROOT) + "ext one\next two\n"
    assert parse_checkpoint(body) == Checkpoint(NAME, 3, ROOT, ("ext one", "ext two"))


safe_names = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Z")), min_size=1).filter(
    lambda s: "+" not in s and not any(c.isspace() for c in s)
)
note_lines = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=30)


@settings(max_examples=60, deadline=None, database=None)
@given(safe_names, st.lists(note_lines, min_size=1, max_size=6))
def test_any_valid_note_round_trips(name: str, lines: list[str]) -> None:
    body = "".join(line + "\n" for line in lines)  # may contain empty lines: the spec allows them in the text
    note = sign_note(body, name, KEY)
    assert open_note(note, name, PUB) == body


def test_unknown_signatures_are_ignored_and_any_known_one_suffices() -> None:
    body, note = signed_checkpoint()
    witness = sign_note(body, "witness.example/w1", OTHER_KEY).removeprefix(body + "\n")
    cosigned = note + witness
    assert open_note(cosigned, NAME, PUB) == body
    assert open_note(cosigned, "witness.example/w1", OTHER_KEY.public_key()) == body
    # Same name, different key (so a different key ID): still someone else's signature.
    impostor = sign_note(body, NAME, OTHER_KEY).removeprefix(body + "\n")
    assert open_note(note + impostor, NAME, PUB) == body
    with pytest.raises(ValueError, match="no signature by known key"):
        open_note(body + "\n" + witness, NAME, PUB)


# --- refusals -------------------------------------------------------------------------------------------------


def test_tampered_body_is_rejected() -> None:
    _, note = signed_checkpoint(12)
    with pytest.raises(ValueError, match="does not verify"):
        open_note(note.replace("\n12\n", "\n13\n", 1), NAME, PUB)


def test_tampered_signature_is_rejected() -> None:
    body, note = signed_checkpoint()
    blob = bytearray(base64.b64decode(note.rsplit(" ", 1)[1]))
    for position in (4, 20, len(blob) - 1):  # inside the signature, past the key ID
        bad = bytearray(blob)
        bad[position] ^= 0x01
        with pytest.raises(ValueError, match="does not verify"):
            open_note(f"{body}\n{EM_DASH} {NAME} {b64(bytes(bad))}\n", NAME, PUB)
    with pytest.raises(ValueError, match="does not verify"):  # truncated signature, key ID intact
        open_note(f"{body}\n{EM_DASH} {NAME} {b64(bytes(blob[:-1]))}\n", NAME, PUB)


def test_wrong_key_or_name_is_rejected() -> None:
    _, note = signed_checkpoint()
    with pytest.raises(ValueError, match="no signature by known key"):
        open_note(note, NAME, OTHER_KEY.public_key())
    with pytest.raises(ValueError, match="no signature by known key"):
        open_note(note, "other.example/log", PUB)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda n: n.replace(EM_DASH, "-"),  # hyphen instead of em dash
        lambda n: n.replace(EM_DASH + " ", EM_DASH),  # no space after the dash
        lambda n: n[:-1],  # no final newline
        lambda n: n.replace("\n\n", "\n"),  # no blank line before the signatures
        lambda n: n.split("\n\n")[0] + "\n\n",  # no signature lines
        lambda n: n + "\n",  # trailing blank line
        lambda n: n.replace("\n", "\r\n"),  # CRLF
        lambda n: n.replace("/log\n", "/log\t\n", 1),  # control character in the text
        lambda n: n.rstrip("\n") + " extra\n",  # three fields in the signature line
        lambda n: n.rstrip("=\n") + "!\n",  # signature not base64
        lambda n: n.rsplit(" ", 1)[0] + " AAAA\n",  # too short to hold a key ID and signature
        lambda n: n + f"{EM_DASH} {NAME} {b64(b'x' * 68)}\n" * 64,  # too many signatures
        lambda n: n.replace("/log\n", "/lo\ud800g\n", 1),  # a lone surrogate: not encodable as UTF-8
    ],
)
def test_malformed_notes_are_rejected(mangle: Callable[[str], str]) -> None:
    _, note = signed_checkpoint()
    with pytest.raises(ValueError):
        open_note(mangle(note), NAME, PUB)


def test_invalid_utf8_bytes_are_rejected() -> None:
    _, note = signed_checkpoint()
    with pytest.raises(ValueError, match="UTF-8"):
        open_note(note.encode("utf-8").replace(b"/log", b"/l\xffg", 1), NAME, PUB)


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\u00a0b", "a\nb", "a\u2003b"])
def test_bad_key_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="key name"):
        sign_note("text\n", name, KEY)


@pytest.mark.parametrize("body", ["", "no final newline", "tab\there\n", "cr\r\n"])
def test_bad_note_text_is_refused_for_signing(body: str) -> None:
    with pytest.raises(ValueError):
        sign_note(body, NAME, KEY)


@pytest.mark.parametrize(
    "body",
    [
        "",
        f"{NAME}\n12\n{b64(ROOT)}",  # no final newline
        f"{NAME}\n12\n",  # no root line
        f"\n12\n{b64(ROOT)}\n",  # empty origin
        f"{NAME}\n012\n{b64(ROOT)}\n",  # leading zero
        f"{NAME}\n-1\n{b64(ROOT)}\n",
        f"{NAME}\n+1\n{b64(ROOT)}\n",
        f"{NAME}\n 1\n{b64(ROOT)}\n",
        f"{NAME}\n1.0\n{b64(ROOT)}\n",
        f"{NAME}\n\u0661\u0662\n{b64(ROOT)}\n",  # Arabic-Indic digits: int() would accept them
        f"{NAME}\n\n{b64(ROOT)}\n",
        f"{NAME}\n12\n{b64(ROOT[:31])}\n",  # 31-byte root
        f"{NAME}\n12\n{b64(ROOT).rstrip('=')}\n",  # unpadded
        f"{NAME}\n12\n{b64(ROOT)[:-2]}B=\n",  # non-canonical: padding bits set
        f"{NAME}\n12\n{b64(ROOT)[:-1]}\n",
        f"{NAME}\n12\n{b64(ROOT)}\n\n",  # empty extension line
        f"{NAME}\r\n12\r\n{b64(ROOT)}\r\n",
    ],
)
def test_malformed_checkpoints_are_rejected(body: str) -> None:
    with pytest.raises(ValueError):
        parse_checkpoint(body)


def test_checkpoint_body_refuses_bad_fields() -> None:
    for origin, size, root in [("", 1, ROOT), ("a\nb", 1, ROOT), (NAME, -1, ROOT), (NAME, 1, ROOT[:31])]:
        with pytest.raises(ValueError):
            checkpoint_body(origin, size, root)


def test_verifier_key_with_wrong_id_or_type_is_refused() -> None:
    vkey = verifier_key(NAME, PUB)
    name, kid, key = vkey.split("+", 2)
    with pytest.raises(ValueError, match="key ID"):
        parse_verifier_key(f"{name}+{'00000000' if kid != '00000000' else '00000001'}+{key}")
    with pytest.raises(ValueError, match="Ed25519"):
        parse_verifier_key(f"{name}+{kid}+{b64(bytes([2]) + PUB_RAW)}")
    with pytest.raises(ValueError):
        parse_verifier_key(f"{name}+{kid}")
