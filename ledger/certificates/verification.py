"""Public verification: the hot path reads one row by verification code through a plain asyncpg pool."""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

import asyncpg
import msgspec

from ledger.certificates.snapshot import CertificateSnapshot
from ledger.certificates.tables import STATUS_LIST_BITS
from ledger.people.identity import IdNumberError, normalize_id_number
from ledger.people.names import NameError_, mask_name, name_match_key, normalize_name
from ledger.people.pii import PiiVault

_BASE32 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")

_VERIFY_SQL = """
SELECT c.id, c.status, c.status_reason, c.status_effective_on, c.status_index, c.snapshot::text AS snapshot,
       s.verification_code AS successor_code
FROM certificates c LEFT JOIN certificates s ON s.id = c.superseded_by_id
WHERE c.verification_code = $1
"""


@dataclass(frozen=True, slots=True)
class Verification:
    certificate_id: int
    status: str  # valid | suspended | revoked | superseded
    reason: str
    effective_on: dt.date | None
    successor_code: str | None
    status_index: int
    snapshot: CertificateSnapshot

    @property
    def masked_holder(self) -> str:
        return mask_name(self.snapshot.holder_name)


def canonical_code(code: str) -> str | None:
    """Codes are case-insensitive on input; anything that cannot be a code is None (answered like unknown)."""
    code = code.strip().upper()
    return code if len(code) == 16 and set(code) <= _BASE32 else None


async def verify(pool: asyncpg.Pool, code: str) -> Verification | None:
    # a malformed code is looked up too (it matches nothing), so unknown codes all take the same time
    row = await pool.fetchrow(_VERIFY_SQL, canonical_code(code) or "")
    if row is None:
        return None
    return Verification(
        certificate_id=row["id"],
        status=row["status"],
        reason=row["status_reason"],
        effective_on=row["status_effective_on"],
        successor_code=row["successor_code"],
        status_index=row["status_index"],
        snapshot=msgspec.json.decode(row["snapshot"], type=CertificateSnapshot),
    )


async def holder_matches(pool: asyncpg.Pool, vault: PiiVault, code: str, name: str, id_number: str) -> bool:
    """Does this typed name and ID number belong to the certificate's holder? Unknown codes simply do not match."""
    canonical = canonical_code(code)
    try:
        typed_id = normalize_id_number(id_number)
        typed_name = name_match_key(normalize_name(name))
    except (IdNumberError, NameError_):
        return False
    if canonical is None:
        return False
    row = await pool.fetchrow(
        "SELECT p.id_lookup, c.snapshot->>'holder_name' AS holder FROM certificates c "
        "JOIN persons p ON p.id = c.person_id WHERE c.verification_code = $1",
        canonical,
    )
    if row is None:
        return False
    same_id = hmac.compare_digest(bytes(row["id_lookup"]), vault.lookup_hash("id_number", typed_id))
    return same_id and hmac.compare_digest(typed_name.encode(), name_match_key(row["holder"]).encode())


async def status_bits(pool: asyncpg.Pool) -> bytes:
    """One bit per certificate at its random `status_index` (LSB first within each byte): 1 = not valid now
    (revoked, suspended, or superseded by a reissue)."""
    bits = bytearray(STATUS_LIST_BITS // 8)
    for row in await pool.fetch("SELECT status_index FROM certificates WHERE status <> 'valid'"):
        index = row["status_index"]
        bits[index // 8] |= 1 << (index % 8)
    return bytes(bits)
