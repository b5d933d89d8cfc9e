"""Institutions, their evaluator filings, and API keys (admin, institution, bureau)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ledger import clock
from ledger.commands import InstitutionIn
from ledger.errors import ErrorCollector, FieldError, InvalidInput, NotFound
from ledger.log.append import Event, append_events
from ledger.models import ApiKey, EvaluatorFiling, Institution, Occupation, Region
from ledger.store.constraints import named_violations

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


def institution_content(institution: Institution, filings: list[tuple[str, int]]) -> dict[str, object]:
    return {
        "code": institution.code,
        "name": institution.name,
        "kind": institution.kind,
        "region_code": institution.region_code,
        "jurisdiction": institution.jurisdiction,
        "evaluator_category": institution.evaluator_category,
        "filing_code": institution.filing_code,
        "site_code": institution.site_code,
        "filings": sorted([list(f) for f in filings]),
    }


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
    await append_events(
        session,
        [
            Event(
                kind="institution.registered",
                subject_type="institution",
                subject_id=str(institution.id),
                content=institution_content(institution, filings),
                refs={"code": institution.code},
            )
        ],
    )
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
    secret = KEY_PREFIX[kind] + base64.b32encode(secrets.token_bytes(20)).decode().lower()
    key = ApiKey(
        secret_hash=hash_secret(secret),
        display_prefix=secret[:16],
        kind=kind,
        institution_id=institution_id,
        region_code=region_code,
        label=label,
    )
    session.add(key)
    with named_violations():
        await session.flush()
    await append_events(
        session,
        [
            Event(
                kind="key.issued",
                subject_type="api_key",
                subject_id=str(key.id),
                content=key_content(key),
                refs={"kind": kind},
            )
        ],
    )
    return IssuedKey(key_id=key.id, secret=secret, kind=kind)


def key_content(key: ApiKey) -> dict[str, object]:
    return {
        "kind": key.kind,
        "institution_id": key.institution_id,
        "region_code": key.region_code,
        "secret_hash": key.secret_hash.hex(),
        "revoked": key.revoked_at is not None,
    }


async def revoke_key(session: AsyncSession, key_id: int) -> None:
    result = await session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=clock.now())
        .returning(ApiKey)
    )
    key = result.scalar_one_or_none()
    if key is None:
        raise NotFound(f"no active key {key_id}")
    await append_events(
        session,
        [Event(kind="key.revoked", subject_type="api_key", subject_id=str(key.id), content=key_content(key))],
    )


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
