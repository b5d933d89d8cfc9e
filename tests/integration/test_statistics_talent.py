"""技能人才 / 高技能人才 stock: the maintained rollup equals a brute-force recount from the raw rows (hypothesis),
incremental refreshes stay exact with their moves pending, partly folded or folded, and the rules of SPEC §2.6
hold in plain cases."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from ledger.database.driver import driver
from ledger.database.engine import make_engine, make_sessionmaker
from ledger.statistics import refresh_talent
from ledger.statistics.dimensions import region_book, resolve_scope
from ledger.statistics.refresh import fold_pending
from ledger.statistics.talent import talent_report
from tests.integration.statistics_world import (
    DOMICILES,
    INSTITUTIONS,
    OCCUPATIONS,
    Raw,
    Writer,
    age_band,
    descendants,
    prefecture,
    top_certificate,
)

KINDS = ("skill_level",) * 6 + ("legacy_qualification", "special_ability", "training")
COUNTED = ("skill_level", "legacy_qualification")  # legacy certificates are the baseline: counted only with it
DIMS = ("region", "prefecture", "south4", "level", "occupation_group", "occupation", "gender", "age_band", "year")
START = dt.date(2020, 1, 1)


def day(offset: int) -> dt.date:
    return START + dt.timedelta(days=offset)


certificate_st = st.fixed_dictionaries(
    {
        "person": st.integers(0, 5),
        "institution": st.integers(0, len(INSTITUTIONS) - 1),
        "kind": st.sampled_from(KINDS),
        "level": st.integers(1, 5),
        "occupation": st.sampled_from(OCCUPATIONS),
        "issued": st.integers(0, 1800),
        "domicile": st.sampled_from(DOMICILES),
        "ops": st.lists(
            st.tuples(st.sampled_from(("revoked", "suspended", "valid", "reissue")), st.integers(0, 900)),
            max_size=3,
        ),
    }
)
history_st = st.fixed_dictionaries(
    {
        "persons": st.lists(st.tuples(st.sampled_from("MF"), st.integers(1960, 2006)), min_size=6, max_size=6),
        "certificates": st.lists(certificate_st, max_size=14),
        "baseline": st.lists(
            st.tuples(
                st.sampled_from(("650100", "653100", "653121", "659001")),
                st.integers(0, 5),
                st.integers(0, 1800),
                st.integers(0, 40),
            ),
            max_size=3,
        ),
        "fold_every": st.sampled_from((0, 1, 3)),  # certificates between partial folds (0: none while writing)
        "fold_limit": st.integers(1, 40),  # pending rows each partial fold takes
        "queries": st.lists(
            st.fixed_dictionaries(
                {
                    "as_of": st.integers(-30, 2800),
                    "dims": st.lists(st.sampled_from(DIMS), max_size=2, unique=True),
                    "region": st.sampled_from(("650000", "653100", "650100", "659000", "653121", "659001")),
                    "jurisdiction": st.sampled_from(("all", "zizhiqu", "bingtuan")),
                    "basis": st.sampled_from(("institution", "domicile")),
                    "baseline": st.booleans(),
                }
            ),
            min_size=1,
            max_size=4,
        ),
    }
)


async def build(writer: Writer, history: dict, session) -> None:
    """Write a history the way the write path does: each change, then refresh_talent for its person."""
    await writer.load_regions()
    institutions = [await writer.institution(*spec) for spec in INSTITUTIONS]
    persons = [await writer.person(sex, dt.date(year, 6, 15)) for sex, year in history["persons"]]
    for i, spec in enumerate(history["certificates"]):
        if history["fold_every"] and i % history["fold_every"] == 0:  # a fold may take some of the pending rows
            await fold_pending(session, history["fold_limit"])
        person = persons[spec["person"]]
        issued = day(spec["issued"])
        cid = await writer.certificate(
            person, institutions[spec["institution"]], spec["kind"], spec["level"], spec["occupation"], issued,
            domicile=spec["domicile"],
        )  # fmt: skip
        await refresh_talent(session, [person])
        at = issued
        for op, gap in spec["ops"]:
            at = at + dt.timedelta(days=gap)
            if op == "reissue":
                cid = await writer.reissue(cid, at)
            else:
                await writer.change(cid, op, at)
            await refresh_talent(session, [person])
    for region, level, as_of, n in history["baseline"]:
        jurisdiction = "bingtuan" if region.startswith("659") else "zizhiqu"
        await writer.baseline(region, jurisdiction, level, day(as_of), n)
    await refresh_talent(session, persons)  # a second refresh of everyone changes nothing


def expected(raw: Raw, query: dict, as_of: dt.date, dims: tuple[str, ...]) -> Counter:
    """Brute force: every person's top certificate on each date, from the raw rows, grouped by label."""
    scope = descendants(raw, query["region"])
    root = query["region"] == "650000"
    counts: Counter = Counter()
    dates = [dt.date(y, 12, 31) for y in range(as_of.year - 4, as_of.year)] + [as_of] if "year" in dims else [as_of]
    for on in dates:
        for person, (sex, birth) in raw.persons.items():
            head = top_certificate(raw, person, on, COUNTED if query["baseline"] else COUNTED[:1])
            if head is None:
                continue
            region_of, jurisdiction = raw.institutions[head["institution"]]
            if query["basis"] == "domicile":
                region_of = raw.trainees.get((person, head["institution"])) or ""
            if not ((region_of in scope) or (root and region_of == "")):
                continue
            if query["jurisdiction"] != "all" and jurisdiction != query["jurisdiction"]:
                continue
            level = head["level"] or 0
            labels = {
                "region": region_of,
                "prefecture": prefecture(raw, region_of) if region_of else "",
                "south4": ("南疆四地州" if raw.regions[region_of][2] else "其他地区") if region_of else "未知",
                "level": level,
                "occupation_group": head["occupation"][0],
                "occupation": head["occupation"],
                "gender": {"M": "男", "F": "女"}[sex],
                "age_band": age_band(on.year - birth.year, (16, 25, 35, 45, 55)),
                "year": on.year,
            }
            key = tuple(labels[d] for d in dims)
            counts[(key, "talent")] += 1
            if level in (1, 2, 3):
                counts[(key, "high_skill")] += 1
        if query["baseline"]:
            for region, jurisdiction, level, since, n in raw.baseline:
                if since > on or region not in scope or n == 0:
                    continue
                if query["jurisdiction"] != "all" and jurisdiction != query["jurisdiction"]:
                    continue
                labels = {
                    "region": region,
                    "prefecture": prefecture(raw, region),
                    "south4": "南疆四地州" if raw.regions[region][2] else "其他地区",
                    "level": level,
                    "occupation_group": "未知",
                    "occupation": "",
                    "gender": "未知",
                    "age_band": "未知",
                    "year": on.year,
                }
                key = tuple(labels[d] for d in dims)
                counts[(key, "talent")] += n
                if level in (1, 2, 3):
                    counts[(key, "high_skill")] += n
    return +counts


_KEY_COLUMN = {"region": "region_code", "prefecture": "prefecture_code", "south4": "south4", "level": "level",
               "occupation_group": "occupation_group", "occupation": "occupation_code", "gender": "gender",
               "age_band": "age_band", "year": "year"}  # fmt: skip


def observed(rows: list[dict], dims: tuple[str, ...]) -> Counter:
    counts: Counter = Counter()
    for row in rows:
        key = tuple(row[_KEY_COLUMN[d]] for d in dims)
        for figure in ("talent", "high_skill"):
            counts[(key, figure)] += int(row[figure])
    return +counts


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=history_st)
def test_talent_equals_a_brute_force_recount(runner: asyncio.Runner, database_url: str, history: dict) -> None:
    async def check() -> None:
        engine = make_engine(database_url, pool_size=1)
        try:
            async with make_sessionmaker(engine)() as session:
                writer = Writer(await driver(session))
                await build(writer, history, session)
                book = await region_book(session)
                for folded in (False, True):  # with moves still pending (some folded, or none), then all folded
                    if folded:
                        while await fold_pending(session, history["fold_limit"]):
                            pass
                        assert not await session.scalar(text("SELECT count(*) FROM talent_pending"))
                    for query in history["queries"]:
                        as_of = day(query["as_of"])
                        dims = tuple(query["dims"])
                        scope = resolve_scope(book, "650000", region=query["region"],
                                              jurisdiction=query["jurisdiction"], basis=query["basis"],
                                              include_baseline=query["baseline"])  # fmt: skip
                        report = await talent_report(session, book, scope, as_of, dims)
                        want = expected(writer.raw, query, as_of, dims)
                        assert observed(report.rows, dims) == want, (folded, query, report.rows)
                        total = expected(writer.raw, query, as_of, ())
                        assert report.total["talent"] == total[((), "talent")]
                        assert report.total["high_skill"] == total[((), "high_skill")]
                await session.rollback()
        finally:
            await engine.dispose()

    runner.run(check())
