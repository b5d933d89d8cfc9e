"""Public verification: the hot path reads one row by verification code through a plain asyncpg pool."""

from __future__ import annotations

import datetime as dt
import hmac
import itertools
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

import asyncpg
import msgspec

from ledger.certificates.issuance import token_name
from ledger.certificates.snapshot import CertificateSnapshot
from ledger.certificates.tables import STATUS_LIST_BITS
from ledger.database.replica import Reads
from ledger.people.identity import IdNumberError, normalize_id_number
from ledger.people.names import NameError_, mask_name, name_match_key, normalize_name
from ledger.people.pii import PiiVault

_BASE32 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
CODE_LENGTH = 16
# Characters people type for a base32 letter: 0 and 8 are not base32, so they can only mean O and B; 1 is not
# base32 either but could mean I or L, both of which are, so each 1 gives two candidates and the registry decides.
_UNAMBIGUOUS = str.maketrans({"0": "O", "8": "B"})
_ONE_MEANS = ("I", "L")
MAX_ONES = 4  # at most 2**4 = 16 candidates per typed code
_SEPARATORS = re.compile(r"[\s\-_.·・—–‐]+")

_VERIFY_SQL = """
SELECT c.id, c.status, c.status_reason, c.status_reason_code, c.status_effective_on, c.status_index,
       c.snapshot::text AS snapshot,
       s.verification_code AS successor_code
FROM certificates c LEFT JOIN certificates s ON s.id = c.superseded_by_id
WHERE c.verification_code = ANY($1::text[])
LIMIT 2
"""


@dataclass(frozen=True, slots=True)
class Verification:
    certificate_id: int
    status: str  # valid | suspended | revoked | superseded
    reason_code: str  # one of REASON_CODES, "" while valid and never changed
    reason: str  # free text beside the code, as the institution wrote it
    effective_on: dt.date | None
    successor_code: str | None
    status_index: int
    snapshot: CertificateSnapshot

    @property
    def masked_holder(self) -> str:
        """The masked name exactly as the certificate's QR token carries it, so that the page and a scan agree."""
        return token_name(mask_name(self.snapshot.holder_name))


def code_candidates(typed: str) -> list[str]:
    """The verification codes a typed code can stand for, as printed (QGZG S3Q3 ILGE KLD4) or typed: full-width
    characters, spaces, dashes and dots are ignored, case too; 0 is O and 8 is B; 1 is I or L. An empty list
    where the text cannot be a code (answered like an unknown code)."""
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", typed)).upper().translate(_UNAMBIGUOUS)
    if len(text) != CODE_LENGTH or not set(text) <= _BASE32 | {"1"} or text.count("1") > MAX_ONES:
        return []
    parts = text.split("1")
    return [
        "".join(part + letter for part, letter in zip(parts, (*choice, ""), strict=True))
        for choice in itertools.product(_ONE_MEANS, repeat=len(parts) - 1)
    ]


async def verify(pool: Reads, code: str) -> Verification | None:
    """The certificate a typed or scanned code names, or None. Where a typed 1 leaves two codes that both exist,
    neither is guessed: None. A malformed code is looked up too (it matches nothing), so unknown codes all take
    the same time."""
    rows = await pool.fetch(_VERIFY_SQL, code_candidates(code) or [""])
    if len(rows) != 1:
        return None
    (row,) = rows
    return Verification(
        certificate_id=row["id"],
        status=row["status"],
        reason_code=row["status_reason_code"],
        reason=row["status_reason"],
        effective_on=row["status_effective_on"],
        successor_code=row["successor_code"],
        status_index=row["status_index"],
        snapshot=msgspec.json.decode(row["snapshot"], type=CertificateSnapshot),
    )


HolderAnswer = Literal["match", "no_match", "refused"]

# One failed attempt more, unless the certificate's budget for the window is spent: the times of the failures
# inside the window are kept (older ones drop out), and this attempt's time is appended only while fewer than
# `budget` remain. The row lock of ON CONFLICT serialises concurrent attempts on one certificate. The attempt is
# counted before the answer is known and taken back if it matches, so that no race can test more than the budget.
_RESERVE_SQL = """
INSERT INTO holder_check_budgets AS b (certificate_id, failures) VALUES ($1, ARRAY[now()])
ON CONFLICT (certificate_id) DO UPDATE SET failures = (
    SELECT CASE WHEN count(*) < $2 THEN coalesce(array_agg(f ORDER BY f), '{}') || now()
                ELSE array_agg(f ORDER BY f) END
    FROM unnest(b.failures) AS f WHERE f > now() - $3::interval)
RETURNING failures[cardinality(failures)] = now() AS reserved, now() AS at
"""
_RELEASE_SQL = "UPDATE holder_check_budgets SET failures = array_remove(failures, $2) WHERE certificate_id = $1"


async def check_holder(
    pool: asyncpg.Pool,
    vault: PiiVault,
    code: str,
    name: str,
    id_number: str,
    *,
    budget: int,
    window: dt.timedelta,
) -> HolderAnswer:
    """Do this typed name and ID number belong to the certificate's holder? Only yes (`match`) or no
    (`no_match`), never which of the two was wrong; unknown codes and malformed input simply do not match.
    `refused` once the certificate has had `budget` failed attempts within `window`, whoever made them, so that
    the check cannot be used to guess the masked digits of an ID number (docs/verification.md has the figures)."""
    try:
        typed_id = normalize_id_number(id_number)
        typed_name = name_match_key(normalize_name(name))
    except (IdNumberError, NameError_):
        return "no_match"
    rows = await pool.fetch(
        "SELECT c.id, p.id_lookup, c.snapshot->>'holder_name' AS holder FROM certificates c "
        "JOIN persons p ON p.id = c.person_id WHERE c.verification_code = ANY($1::text[]) LIMIT 2",
        code_candidates(code) or [""],
    )
    if len(rows) != 1:
        return "no_match"
    (row,) = rows
    reservation = await pool.fetchrow(_RESERVE_SQL, row["id"], budget, window)
    assert reservation is not None
    if not reservation["reserved"]:
        return "refused"
    same_id = hmac.compare_digest(bytes(row["id_lookup"]), vault.lookup_hash("id_number", typed_id))
    same_name = hmac.compare_digest(typed_name.encode(), name_match_key(row["holder"]).encode())
    if not (same_id and same_name):
        return "no_match"
    await pool.execute(_RELEASE_SQL, row["id"], reservation["at"])
    return "match"


async def status_bits(pool: asyncpg.Pool) -> bytes:
    """One bit per certificate at its random `status_index` (LSB first within each byte): 1 = not valid now
    (revoked, suspended, or superseded by a reissue)."""
    bits = bytearray(STATUS_LIST_BITS // 8)
    for row in await pool.fetch("SELECT status_index FROM certificates WHERE status <> 'valid'"):
        index = row["status_index"]
        bits[index // 8] |= 1 << (index % 8)
    return bytes(bits)
