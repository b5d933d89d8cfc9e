"""What a certificate's verifiable credential needs from the ledger: the certificate as frozen, its live status and
status position, a pseudonym of its holder, its issuer, and the live statuses of all of an issuer's certificates
for the issuer's status list. Reads only; the credential itself is built and signed in `certificates/credentials.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import asyncpg
import msgspec

from ledger.certificates.snapshot import CertificateSnapshot
from ledger.certificates.tables import STATUS_LIST_BITS, Certificate
from ledger.people.pii import PiiVault

_CODE = re.compile(r"[A-Za-z0-9_-]{2,32}")
STATUS_LIST_ENTRIES = STATUS_LIST_BITS  # one entry per possible `status_index`


@dataclass(frozen=True, slots=True)
class CredentialSource:
    snapshot: CertificateSnapshot
    status: str  # valid | suspended | revoked | superseded
    status_index: int
    holder_pseudonym: bytes  # a keyed hash of the person: the same for all their certificates, no ID digits


@dataclass(frozen=True, slots=True)
class Issuer:
    code: str
    name: str


def holder_pseudonym(vault: PiiVault, person_id: int) -> bytes:
    return vault.lookup_hash("credential_subject", str(person_id))


def source_of(certificate: Certificate, vault: PiiVault) -> CredentialSource:
    """The credential's source for a certificate row the caller already holds (an institution's own)."""
    return CredentialSource(
        msgspec.convert(certificate.snapshot, CertificateSnapshot),
        certificate.status,
        certificate.status_index,
        holder_pseudonym(vault, certificate.person_id),
    )


async def source_by_id(pool: asyncpg.Pool, vault: PiiVault, certificate_id: int) -> CredentialSource | None:
    row = await pool.fetchrow(
        "SELECT snapshot::text AS snapshot, status, status_index, person_id FROM certificates WHERE id = $1",
        certificate_id,
    )
    if row is None:
        return None
    return CredentialSource(
        msgspec.json.decode(row["snapshot"], type=CertificateSnapshot),
        row["status"],
        row["status_index"],
        holder_pseudonym(vault, row["person_id"]),
    )


async def issuer(pool: asyncpg.Pool, code: str) -> Issuer | None:
    """The institution of this code, or None (also for text that cannot be a code: institutions_code_format)."""
    if not _CODE.fullmatch(code):
        return None
    row = await pool.fetchrow("SELECT code, name FROM institutions WHERE code = $1", code)
    return None if row is None else Issuer(row["code"], row["name"])


async def issuer_statuses(pool: asyncpg.Pool, code: str) -> list[tuple[int, str]]:
    """(status_index, status) of each of the issuer's certificates that is not valid now."""
    rows = await pool.fetch(
        "SELECT c.status_index, c.status FROM certificates c JOIN institutions i ON i.id = c.institution_id "
        "WHERE i.code = $1 AND c.status <> 'valid'",
        code,
    )
    return [(row["status_index"], row["status"]) for row in rows]
