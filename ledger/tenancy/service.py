"""Institutions, their evaluator filings, and API keys (admin, institution, bureau)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ledger import clock
from ledger.commands import InstitutionIn
from ledger.database.constraints import named_violations
from ledger.database.loaders import table_loader
from ledger.errors import Conflict, ErrorCollector, FieldError, InvalidInput, NotFound
from ledger.journal import Journal
from ledger.log.records import RecordType, Row, register
from ledger.reference.tables import Occupation, Region
from ledger.tenancy.tables import ApiKey, EvaluatorFiling, Institution

KEY_PREFIX = {"admin": "ldg_admin_", "institution": "ldg_inst_", "bureau": "ldg_bur_"}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: resolved from the bearer key on every request."""

    key_id: int
    kind: str  # admin | institution | bureau
    institution_id: int | None = None
    region_code: str | None = None


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key_id: int
    secret: str  # shown once, never stored
    kind: str


def hash_secret(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


async def institutions_with_filings(conn: Any, ids: Sequence[str] | None) -> AsyncIterator[tuple[str, Row]]:
    """Institutions, each with `filings`: its filed (occupation_code, level) pairs."""
    wanted = None if ids is None else [int(i) for i in ids]
    filings: dict[int, list[tuple[str, int]]] = {}
    for r in await conn.fetch(
        "SELECT institution_id, occupation_code, level FROM evaluator_filings"
        " WHERE $1::bigint[] IS NULL OR institution_id = ANY($1::bigint[])",
        wanted,
    ):
        filings.setdefault(r["institution_id"], []).append((r["occupation_code"], r["level"]))
    for r in await conn.fetch(
        "SELECT * FROM institutions WHERE $1::bigint[] IS NULL OR id = ANY($1::bigint[])", wanted
    ):
        yield str(r["id"]), {**dict(r), "filings": filings.get(r["id"], [])}


def _institution_v1(row: Row) -> dict[str, object]:
    return {
        "code": row["code"],
        "name": row["name"],
        "kind": row["kind"],
        "region_code": row["region_code"],
        "jurisdiction": row["jurisdiction"],
        "evaluator_category": row["evaluator_category"],
        "filing_code": row["filing_code"],
        "site_code": row["site_code"],
        "filings": sorted([list(f) for f in row["filings"]]),
    }


def _api_key_v1(row: Row) -> dict[str, object]:
    return {
        "kind": row["kind"],
        "institution_id": row["institution_id"],
        "region_code": row["region_code"],
        "secret_hash": bytes(row["secret_hash"]).hex(),
        "revoked": row["revoked_at"] is not None,
    }


INSTITUTION = register(RecordType("institution", {1: _institution_v1}, institutions_with_filings))
API_KEY = register(RecordType("api_key", {1: _api_key_v1}, table_loader("api_keys")))


async def xinjiang_region(session: AsyncSession, code: str) -> Region | None:
    region = await session.get(Region, code)
    return region if region is not None and code.startswith("65") else None


async def register_institution(session: AsyncSession, data: InstitutionIn) -> Institution:
    errors = ErrorCollector()
    region = await xinjiang_region(session, data.region_code)
    if region is None:
        errors.add("region_code", "unknown_region", "not a Xinjiang region code (GB/T 2260)")
    elif region.jurisdiction and region.jurisdiction != data.jurisdiction:
        errors.add("jurisdiction", "mismatch", f"region {region.code} belongs to {region.jurisdiction}")
    filings: list[tuple[str, int]] = []
    if data.evaluator is not None:
        codes = {o.occupation_code for o in data.evaluator.occupations}
        known = set((await session.execute(select(Occupation.code).where(Occupation.code.in_(codes)))).scalars())
        for i, filed in enumerate(data.evaluator.occupations):
            if filed.occupation_code not in known:
                errors.add(
                    f"evaluator.occupations[{i}].occupation_code",
                    "unknown_occupation",
                    "not in the catalogue",
                )
            for level in filed.levels:
                if not 1 <= level <= 5:
                    errors.add(f"evaluator.occupations[{i}].levels", "invalid_level", "levels are 1 to 5")
                filings.append((filed.occupation_code, level))
        if len(set(filings)) != len(filings):
            errors.add("evaluator.occupations", "duplicate", "an occupation and level is filed twice")
    elif data.kind == "evaluator":
        errors.add("evaluator", "required", "an evaluator institution needs its filing (category, codes)")
    if errors:
        raise InvalidInput("the institution is invalid", errors=errors.errors)
    evaluator = data.evaluator
    institution = Institution(
        code=data.code,
        name=data.name.strip(),
        kind=data.kind,
        region_code=data.region_code,
        jurisdiction=data.jurisdiction,
        evaluator_category=evaluator.category if evaluator else None,
        filing_code=evaluator.filing_code if evaluator else None,
        site_code=evaluator.site_code if evaluator else None,
    )
    session.add(institution)
    with named_violations():
        await session.flush()
        session.add_all(
            EvaluatorFiling(institution_id=institution.id, occupation_code=o, level=lv) for o, lv in filings
        )
        await session.flush()
    journal = Journal(session)
    journal.record("institution.registered", INSTITUTION, institution.id, refs={"code": institution.code})
    await journal.write()
    return institution


async def institution_by_code(session: AsyncSession, code: str) -> Institution:
    institution = (await session.execute(select(Institution).where(Institution.code == code))).scalar_one_or_none()
    if institution is None:
        raise NotFound(f"no institution {code!r}")
    return institution


async def filings_of(session: AsyncSession, institution_id: int) -> list[tuple[str, int]]:
    result = await session.execute(
        select(EvaluatorFiling.occupation_code, EvaluatorFiling.level)
        .where(EvaluatorFiling.institution_id == institution_id)
        .order_by(EvaluatorFiling.occupation_code, EvaluatorFiling.level)
    )
    return [(r[0], r[1]) for r in result]


async def _add_key(
    session: AsyncSession, kind: str, institution_id: int | None, region_code: str | None, label: str
) -> tuple[ApiKey, str]:
    """A new key row and its secret (which only its hash is stored of)."""
    secret = KEY_PREFIX[kind] + base64.b32encode(secrets.token_bytes(20)).decode().lower()
    key = ApiKey(
        secret_hash=hash_secret(secret), display_prefix=secret[:16], kind=kind, institution_id=institution_id,
        region_code=region_code, label=label,
    )  # fmt: skip
    session.add(key)
    with named_violations():
        await session.flush()
    return key, secret


async def issue_key(
    session: AsyncSession,
    kind: str,
    *,
    institution_id: int | None = None,
    region_code: str | None = None,
    label: str = "",
) -> IssuedKey:
    if kind == "bureau" and (region_code is None or await xinjiang_region(session, region_code) is None):
        raise InvalidInput(
            "unknown region",
            errors=[FieldError("region_code", "unknown_region", "not a Xinjiang region code (GB/T 2260)")],
        )
    key, secret = await _add_key(session, kind, institution_id, region_code, label)
    journal = Journal(session)
    journal.record("key.issued", API_KEY, key.id, refs={"kind": kind})
    await journal.write()
    return IssuedKey(key_id=key.id, secret=secret, kind=kind)


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """An API key as an operator lists it: never its secret, only the prefix it starts with."""

    key_id: int
    kind: str
    display_prefix: str
    label: str
    institution_code: str | None
    region_code: str | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None


async def list_keys(session: AsyncSession, *, include_revoked: bool = True) -> list[KeyInfo]:
    query = (
        select(ApiKey, Institution.code)
        .outerjoin(Institution, Institution.id == ApiKey.institution_id)
        .order_by(ApiKey.id)
    )
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    return [_key_info(key, code) for key, code in await session.execute(query)]


def _key_info(key: ApiKey, institution_code: str | None) -> KeyInfo:
    return KeyInfo(
        key.id, key.kind, key.display_prefix, key.label, institution_code, key.region_code, key.created_at,
        key.revoked_at,
    )  # fmt: skip


async def _end_key(session: AsyncSession, key_id: int) -> ApiKey:
    """Mark an active key revoked (once: a concurrent revocation of the same key waits, then finds it revoked)."""
    result = await session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=clock.now())
        .returning(ApiKey)
    )
    key = result.scalar_one_or_none()
    if key is not None:
        return key
    if await session.get(ApiKey, key_id) is None:
        raise NotFound(f"没有编号为 {key_id} 的 API 密钥（no API key {key_id}）")
    raise Conflict(f"API 密钥 {key_id} 已停用（API key {key_id} is already revoked）")


async def revoke_key(session: AsyncSession, key_id: int) -> KeyInfo:
    """Revoke a key: from its next request on it is refused (401), and the portal sessions signed in with it end."""
    key = await _end_key(session, key_id)
    journal = Journal(session)
    journal.record("key.revoked", API_KEY, key.id)
    await journal.write()
    institution = await session.get(Institution, key.institution_id) if key.institution_id else None
    return _key_info(key, institution.code if institution else None)


async def rotate_key(session: AsyncSession, key_id: int) -> IssuedKey:
    """Replace a key by a new one of the same kind, scope and label: the old one is revoked in the same
    transaction, so exactly one of them works at any time. Both changes are logged, each naming the other."""
    old = await _end_key(session, key_id)
    new, secret = await _add_key(session, old.kind, old.institution_id, old.region_code, old.label)
    journal = Journal(session)
    journal.record("key.revoked", API_KEY, old.id, refs={"replaced_by": str(new.id)})
    journal.record("key.issued", API_KEY, new.id, refs={"kind": new.kind, "replaces": str(old.id)})
    await journal.write()
    return IssuedKey(key_id=new.id, secret=secret, kind=new.kind)


async def principal_for(session: AsyncSession, secret: str) -> Principal | None:
    result = await session.execute(
        select(ApiKey.id, ApiKey.kind, ApiKey.institution_id, ApiKey.region_code).where(
            ApiKey.secret_hash == hash_secret(secret), ApiKey.revoked_at.is_(None)
        )
    )
    row = result.first()
    return None if row is None else Principal(row[0], row[1], row[2], row[3])


async def principal_by_id(session: AsyncSession, key_id: int) -> Principal | None:
    """The caller behind an active key, by the key's id: what a signed-in dashboard session keeps (never the secret),
    so a key revoked after sign-in ends the session on its next request."""
    result = await session.execute(
        select(ApiKey.id, ApiKey.kind, ApiKey.institution_id, ApiKey.region_code).where(
            ApiKey.id == key_id, ApiKey.revoked_at.is_(None)
        )
    )
    row = result.first()
    return None if row is None else Principal(row[0], row[1], row[2], row[3])
