"""SQL of the certificates feature: numbers and status positions, certificate and award rows, legacy archives,
stored PDFs. Set-based; every statement runs in the caller's transaction."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.certificates.snapshot import TEMPLATE_VERSION
from ledger.certificates.tables import STATUS_LIST_BITS, Certificate, CertificatePdf
from ledger.database.bulk import Sql, columns_of, copy_records, copy_rows, draw_ids, insert_rows
from ledger.database.driver import driver
from ledger.tenancy.tables import ARCHIVE


@dataclass(frozen=True, slots=True)
class NewCertificate:
    """A certificates row as issued (the table's columns; template_version is the current one)."""

    kind: str
    number: str
    verification_code: str
    status_index: Annotated[int, Sql("int")]
    institution_id: int
    course_id: int | None
    completion_id: int | None
    person_id: int
    occupation_code: str
    level: Annotated[int | None, Sql("smallint")]
    issued_on: dt.date
    snapshot: Annotated[str, Sql("jsonb")]
    supersedes_id: int | None = None


@dataclass(frozen=True, slots=True)
class _Counter:
    prefix: str
    last_serial: int


@dataclass(frozen=True, slots=True)
class NewAward:
    id: uuid.UUID
    completion_id: int
    rule: str
    companion_certificate_id: int
    skill_certificate_id: int


@dataclass(frozen=True, slots=True)
class ArchiveTrainee:
    """The holder as the archive recorded them: a trainee of the region's archive institution."""

    id: uuid.UUID
    institution_id: int
    person_id: int
    name: str
    domicile_region_code: str | None


async def allocate_serials(session: AsyncSession, wanted: Counter[str]) -> dict[str, int]:
    """Reserve `wanted[prefix]` consecutive serials per prefix; returns the first serial of each range.

    The counter rows stay locked until the transaction ends, so concurrent issuers queue and a rollback
    returns the serials: numbers are gapless and unique per prefix.
    """
    if not wanted:
        return {}
    prefixes = sorted(wanted)
    conn = await driver(session)
    rows = await insert_rows(
        conn,
        "number_counters",
        [_Counter(p, wanted[p]) for p in prefixes],
        on_conflict="ON CONFLICT (prefix) DO UPDATE"
        " SET last_serial = number_counters.last_serial + excluded.last_serial",
        returning="RETURNING prefix, last_serial",
    )
    return {r["prefix"]: r["last_serial"] - wanted[r["prefix"]] + 1 for r in rows}


async def allocate_status_indices(session: AsyncSession, count: int) -> list[int]:
    """Distinct random positions in the status list, none already taken (serialised by an advisory lock)."""
    conn = await driver(session)
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('ledger.status_index'))")
    chosen: set[int] = set()
    while len(chosen) < count:
        candidates = {secrets.randbelow(STATUS_LIST_BITS) for _ in range(count - len(chosen))} - chosen
        taken = await conn.fetch(
            "SELECT status_index FROM certificates WHERE status_index = ANY($1::int[])", list(candidates)
        )
        chosen |= candidates - {r["status_index"] for r in taken}
    return list(chosen)


async def insert_certificates(session: AsyncSession, rows: Sequence[NewCertificate]) -> list[Any]:
    """INSERT the certificates in one statement; returns (id, kind, number, verification_code, completion_id,
    person_id, level) of each, by name."""
    return await insert_rows(
        await driver(session),
        "certificates",
        rows,
        constants={"template_version": TEMPLATE_VERSION},
        returning="RETURNING id, kind, number, verification_code, completion_id, person_id, level",
    )


async def copy_certificates(session: AsyncSession, rows: Sequence[NewCertificate]) -> list[int]:
    """Store the certificates by COPY under ids drawn first (one round trip, no RETURNING to read back); returns
    each row's id, in order."""
    conn = await driver(session)
    ids = await draw_ids(conn, "certificates", len(rows))
    names = columns_of(NewCertificate).names
    records = [
        (certificate_id, *(getattr(row, name) for name in names), TEMPLATE_VERSION)
        for certificate_id, row in zip(ids, rows, strict=True)
    ]
    await copy_records(conn, "certificates", records, ("id", *names, "template_version"))
    return ids


async def insert_awards(session: AsyncSession, rows: Sequence[NewAward]) -> None:
    await copy_rows(await driver(session), "dual_awards", rows)


async def xinjiang_regions(session: AsyncSession) -> dict[str, tuple[str, str]]:
    """Xinjiang's regions: (name, jurisdiction) by code; a region without one takes its code's (6590xx: 兵团)."""
    rows = await (await driver(session)).fetch("SELECT code, name, jurisdiction FROM regions WHERE code LIKE '65%'")
    return {
        r["code"]: (r["name"], r["jurisdiction"] or ("bingtuan" if r["code"].startswith("659") else "zizhiqu"))
        for r in rows
    }


async def occupation_names(session: AsyncSession) -> dict[str, str]:
    return {r["code"]: r["name"] for r in await (await driver(session)).fetch("SELECT code, name FROM occupations")}


async def lock_legacy_imports(session: AsyncSession) -> None:
    """Legacy imports take turns (until the transaction ends)."""
    await (await driver(session)).execute("SELECT pg_advisory_xact_lock(hashtext('ledger.legacy_import'))")


async def certificates_by_number(session: AsyncSession, numbers: list[str]) -> dict[str, Any]:
    """Certificates (graduation certificates aside) already recorded under `numbers`, by number."""
    rows = await (await driver(session)).fetch(
        "SELECT id, number, kind, person_id, occupation_code, level, issued_on, institution_id, verification_code,"
        " snapshot->>'issuer_name' AS issuer_name FROM certificates"
        " WHERE number = ANY($1::text[]) AND kind <> 'graduation'",
        numbers,
    )
    return {r["number"]: r for r in rows}


@dataclass(frozen=True, slots=True)
class _Archive:
    code: str
    name: str
    kind: str
    region_code: str
    jurisdiction: str


async def create_archives(session: AsyncSession, regions: list[tuple[str, str, str]]) -> list[Any]:
    """The archive institution of each (region code, name, jurisdiction) not yet having one: (id, code) of those
    created now."""
    rows = [_Archive(f"ARCHIVE-{c}", f"{n}职业资格证书（历史档案）", ARCHIVE, c, j) for c, n, j in regions]
    return await insert_rows(
        await driver(session), "institutions", rows, on_conflict="ON CONFLICT (code) DO NOTHING",
        returning="RETURNING id, code",
    )  # fmt: skip


async def archives(session: AsyncSession, region_codes: list[str]) -> list[Any]:
    """(id, code, name, region_code) of the archive institutions of `region_codes`."""
    return list(
        await (await driver(session)).fetch(
            "SELECT id, code, name, region_code FROM institutions WHERE code = ANY($1::text[]) AND kind = $2",
            [f"ARCHIVE-{c}" for c in region_codes],
            ARCHIVE,
        )
    )


async def upsert_archive_trainees(session: AsyncSession, rows: Sequence[ArchiveTrainee]) -> None:
    """The holders as the archives recorded them; a later import keeps a known domicile unless it names one."""
    await insert_rows(
        await driver(session),
        "trainees",
        rows,
        on_conflict="""ON CONFLICT (institution_id, person_id) DO UPDATE
        SET domicile_region_code = coalesce(excluded.domicile_region_code, trainees.domicile_region_code)""",
    )


async def stored_pdf(session: AsyncSession, certificate_id: int) -> bytes | None:
    stored = await session.get(CertificatePdf, certificate_id)
    return None if stored is None else stored.pdf


async def keep_pdf(session: AsyncSession, certificate_id: int, pdf: bytes) -> None:
    """Keep the first rendering of a certificate (a concurrent one that lost is dropped)."""
    await session.execute(
        insert(CertificatePdf).values(certificate_id=certificate_id, pdf=pdf).on_conflict_do_nothing()
    )


async def own_certificate(
    session: AsyncSession, institution_id: int, number: str, *, lock: bool = False
) -> Certificate | None:
    """The institution's certificate numbered `number` (the latest, should a number repeat), locked if asked."""
    query = select(Certificate).where(Certificate.institution_id == institution_id, Certificate.number == number)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query.order_by(Certificate.id.desc()).limit(1))).scalar_one_or_none()
