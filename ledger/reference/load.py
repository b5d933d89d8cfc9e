"""Loading reference data (regions, occupations) into the database, from the shipped CSVs or a file given."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.errors import FieldError, InvalidInput
from ledger.reference import iter_occupations, iter_regions, validate_occupation_code
from ledger.reference.tables import Occupation, Region
from ledger.registration.csv_text import decode_csv


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(decode_csv(path.read_bytes()))))


async def load_regions(session: AsyncSession, rows: Iterable[dict[str, object]]) -> int:
    values = list(rows)
    if not values:
        return 0
    # parents first, so the foreign key to the parent holds row by row
    order = {"province": 0, "prefecture": 1, "county": 2}
    values.sort(key=lambda r: (order.get(str(r["level"]), 3), str(r["code"])))
    stmt = insert(Region).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Region.code],
        set_={c: stmt.excluded[c] for c in ("name", "parent_code", "level", "south4", "jurisdiction")},
    )
    await session.execute(stmt)
    return len(values)


async def load_occupations(session: AsyncSession, rows: Iterable[dict[str, object]]) -> int:
    values = list(rows)
    errors = [
        FieldError("code", "invalid_code", f"{v['code']!r} is not a D-DD-DD-DD occupation code", row=i)
        for i, v in enumerate(values)
        if not validate_occupation_code(str(v["code"]))
    ]
    if errors:
        raise InvalidInput("bad occupation codes", errors=errors)
    if not values:
        return 0
    stmt = insert(Occupation).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Occupation.code],
        set_={c: stmt.excluded[c] for c in ("name", "major_group", "catalogue_version")},
    )
    await session.execute(stmt)
    return len(values)


def shipped_regions() -> list[dict[str, object]]:
    return [
        {
            "code": r.code,
            "name": r.name,
            "parent_code": r.parent_code or None,
            "level": r.level,
            "south4": r.south4,
            "jurisdiction": r.jurisdiction or None,
        }
        for r in iter_regions()
    ]


def shipped_occupations() -> list[dict[str, object]]:
    return [
        {
            "code": o.code,
            "name": o.name,
            "major_group": o.major_group,
            "catalogue_version": o.catalogue_version,
        }
        for o in iter_occupations()
    ]


def regions_from_csv(path: Path) -> list[dict[str, object]]:
    return [
        {
            "code": r["code"].strip(),
            "name": r["name"].strip(),
            "parent_code": (r.get("parent_code") or "").strip() or None,
            "level": r["level"].strip(),
            "south4": (r.get("south4") or "").strip().lower() in ("1", "true", "yes", "t"),
            "jurisdiction": (r.get("jurisdiction") or "").strip() or None,
        }
        for r in read_csv(path)
    ]


def occupations_from_csv(path: Path) -> list[dict[str, object]]:
    return [
        {
            "code": r["code"].strip(),
            "name": r["name"].strip(),
            "major_group": int(r["code"].strip()[0]) if r["code"].strip()[:1].isdigit() else 0,
            "catalogue_version": (r.get("catalogue_version") or "2022").strip(),
        }
        for r in read_csv(path)
    ]


async def has_reference_data(session: AsyncSession) -> bool:
    from sqlalchemy import select

    return (await session.execute(select(Region.code).limit(1))).first() is not None
