"""Publication that cannot be differenced (#13 point 4), tested by an attacker.

The attacker reads published tables only (`publish=true`): the province, prefectures and a county; totals and
breakdowns by prefecture, county, sex and level and their crossings; two dates; with and without the baseline; and
it tries every k it likes. It turns each table into what a published cell says about the true count (0 is 0; a
hidden cell is 1 or more, and 1 to k-1 if k alone hides cells; a rounded one lies within its rounding window),
adds the equations the tables imply (a group's count is the sum of its breakdown's cells, whichever table shows
the group), and tightens every bound by subtraction until nothing moves. It has won if any cell of fewer than k
persons is pinned to its exact value.

With k chosen per request (the behaviour before #13) it wins: a cell of v persons shows at k = v and hides at
k = v + 1, and subtraction then yields the small cells. With k fixed by the bureau and complementary suppression it
does not.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable

from ledger.database.driver import driver
from ledger.database.engine import make_engine, make_sessionmaker
from ledger.statistics import refresh_talent
from tests.integration.conftest import World
from tests.integration.statistics_world import Writer

D = dt.date
K = 5  # the bureau's setting (LEDGER_PUBLISH_K's default)
DATES = ("2024-04-30", "2024-12-31")
COUNTY = {"653121"}  # the attacker knows the region tree: 疏附县 is a county (of 喀什地区)
PREFECTURES = {"650100", "653100"}
GROUPINGS = ("", "prefecture", "region", "gender", "level", "prefecture,gender", "prefecture,level", "gender,level",
             "region,gender")  # fmt: skip
FIGURES = ("talent", "high_skill")
Key = tuple[str, bool, str, frozenset[tuple[str, str]]]  # date, baseline, figure, the group's constraints


async def seed_province(database_url: str) -> None:
    """乌鲁木齐 11 persons, 喀什 (疏附县) 4, 石河子 (兵团) 6, most certified in 2023 and a few in May 2024; one 喀什
    holder of a legacy 高级工 certificate (the baseline), one revocation in 2024."""
    engine = make_engine(database_url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session:
            w = Writer(await driver(session))
            urumqi = await w.institution("U1", "650100", "zizhiqu")
            shufu = await w.institution("K1", "653121", "zizhiqu")
            shihezi = await w.institution("S1", "659001", "bingtuan")
            plan = [  # institution, sex, level, issued
                *[(urumqi, "M", 4, D(2023, 3, 1))] * 6, *[(urumqi, "F", 4, D(2023, 3, 1))] * 3,
                (urumqi, "M", 3, D(2023, 6, 1)), (urumqi, "F", 2, D(2024, 5, 15)),
                *[(shufu, "M", 3, D(2023, 4, 1))] * 2, (shufu, "F", 3, D(2024, 5, 20)), (shufu, "F", 4, D(2023, 4, 1)),
                *[(shihezi, "M", 5, D(2023, 9, 1))] * 4, *[(shihezi, "F", 5, D(2023, 9, 1))] * 2,
            ]  # fmt: skip
            people = []
            for i, (institution, sex, level, issued) in enumerate(plan):
                person = await w.person(sex, D(1980 + i, 1, 1))
                people.append(person)
                last = await w.certificate(person, institution, "skill_level", level, "6-18-01-01", issued)
            await w.change(last, "revoked", D(2024, 8, 1))
            holder = await w.person("M", D(1970, 1, 1))
            await w.legacy(holder, "653100", 3, "6-18-01-01", D(2015, 6, 30), None)
            await refresh_talent(session, [*people, holder])
            await session.commit()
    finally:
        await engine.dispose()


def _scope(region: str, jurisdiction: str) -> set[tuple[str, str]]:
    found = set()
    if region in PREFECTURES:
        found.add(("prefecture", region))
    elif region in COUNTY:
        found.add(("region", region))
    if jurisdiction != "all":
        found.add(("jurisdiction", jurisdiction))
    return found


def _canonical(constraints: Iterable[tuple[str, str]]) -> frozenset[tuple[str, str]]:
    """A region's persons are in its prefecture: {prefecture, region} says no more than {region}."""
    found = set(constraints)
    if any(dim == "region" for dim, _ in found):
        found = {(dim, code) for dim, code in found if dim != "prefecture"}
    return frozenset(found)


def _row_constraints(row: dict, dims: list[str]) -> set[tuple[str, str]]:
    column = {"prefecture": "prefecture_code", "region": "region_code"}
    return {(d, str(row[column.get(d, d)])) for d in dims}


class Attacker:
    """What the published tables say about each group's true count, and the sums that tie groups together."""

    def __init__(self) -> None:
        self.low: dict[Key, float] = {}
        self.high: dict[Key, float] = {}
        self.sums: set[tuple[Key, tuple[Key, ...]]] = set()
        self.tables = 0
        self.refused = 0

    def _bound(self, key: Key, low: float, high: float) -> None:
        self.low[key] = max(self.low.get(key, 0), low)
        self.high[key] = min(self.high.get(key, math.inf), high)

    def learn(self, key: Key, value: object, k: int, small_only: bool) -> None:
        if value is None:  # hidden: below k, or (complementary suppression) any count at all
            self._bound(key, 1, k - 1 if small_only else math.inf)
        elif value == 0:
            self._bound(key, 0, 0)
        else:  # v rounds to `value`: value - k//2 <= v <= value + k - 1 - k//2, and v >= k
            assert isinstance(value, int)
            self._bound(key, max(k, value - k // 2), value + k - 1 - k // 2)

    def read(self, body: dict, date: str, baseline: bool, scope: set[tuple[str, str]], dims: list[str]) -> None:
        """One published table: each cell's bounds and, for the table's total and each coarser grouping, the sum."""
        self.tables += 1
        k = body["k"]
        small_only = "再隐去" not in body["rules"][-1]  # before #13 a hidden cell was always below k
        for figure in FIGURES:
            cells: list[tuple[frozenset, Key]] = []
            for row in body["rows"]:
                mine = _row_constraints(row, dims)
                key = (date, baseline, figure, _canonical(scope | mine))
                self.learn(key, row[figure], k, small_only)
                cells.append((frozenset(mine), key))
            self.learn((date, baseline, figure, _canonical(scope)), body["total"][figure], k, small_only)
            for size in range(len(dims)):
                for margin in _subsets(dims, size):
                    groups: dict[frozenset, list[Key]] = {}
                    for mine, key in cells:
                        kept = frozenset((d, v) for d, v in mine if d in margin)
                        groups.setdefault(kept, []).append(key)
                    for kept, keys in groups.items():
                        parent = (date, baseline, figure, _canonical(scope | kept))
                        self.sums.add((parent, tuple(sorted(keys, key=repr))))

    def split_jurisdictions(self) -> None:
        """全疆 = 自治区 + 兵团, for every group the tables show under all three."""
        for key in list(self.low):
            date, baseline, figure, constraints = key
            if any(dim == "jurisdiction" for dim, _ in constraints):
                continue
            parts = tuple(
                (date, baseline, figure, constraints | {("jurisdiction", j)}) for j in ("zizhiqu", "bingtuan")
            )
            if all(part in self.low for part in parts):
                self.sums.add((key, parts))

    def subtract(self) -> None:
        """Tighten every bound through every sum until nothing moves."""
        self.split_jurisdictions()
        moved = True
        while moved:
            moved = False
            for parent, parts in self.sums:
                lows = [self.low.get(p, 0) for p in parts]
                highs = [self.high.get(p, math.inf) for p in parts]
                before = (self.low.get(parent, 0), self.high.get(parent, math.inf))
                self._bound(parent, sum(lows), sum(highs))
                low, high = self.low[parent], self.high[parent]
                moved |= before != (low, high)
                for part, part_low, part_high in zip(parts, lows, highs, strict=True):
                    self._bound(part, low - (sum(highs) - part_high), high - (sum(lows) - part_low))
                    moved |= (self.low[part], self.high[part]) != (part_low, part_high)

    def exact(self) -> dict[Key, int]:
        return {key: int(low) for key, low in self.low.items() if self.high.get(key) == low}


def _subsets(dims: list[str], size: int) -> list[set[str]]:
    if size == 0:
        return [set()]
    return [{d, *rest} for i, d in enumerate(dims) for rest in _subsets(dims[i + 1 :], size - 1)]


async def _fetch(world: World, query: dict[str, str]) -> dict | None:
    response = await world.client.get("/api/v1/stats/talent", params=query, headers=world.bureau)
    if response.status_code == 400:
        return None
    assert response.status_code == 200, response.text
    return response.json()


async def _attack(world: World, attacker: Attacker, *, publish: bool, truth: dict[Key, int] | None = None) -> None:
    tables = [("650000", "all"), ("650000", "zizhiqu"), ("650000", "bingtuan"), ("650100", "all"),
              ("653100", "all"), ("653121", "all")]  # fmt: skip
    for date in DATES:
        for baseline in (True, False):
            for region, jurisdiction in tables:
                for grouping in GROUPINGS:
                    dims = [d for d in grouping.split(",") if d]
                    query = {"as_of": date, "region": region, "jurisdiction": jurisdiction, "group_by": grouping,
                             "include_baseline": str(baseline).lower(), "publish": str(publish).lower()}  # fmt: skip
                    body = await _fetch(world, query)
                    assert body is not None
                    scope = _scope(region, jurisdiction)
                    if truth is not None:
                        for figure in FIGURES:
                            for row in body["rows"]:
                                mine = _row_constraints(row, dims)
                                truth[(date, baseline, figure, _canonical(scope | mine))] = row[figure]
                            truth[(date, baseline, figure, _canonical(scope))] = body["total"][figure]
                        continue
                    attacker.read(body, date, baseline, scope, dims)
                    if grouping in ("", "prefecture", "region") and jurisdiction == "all":
                        for k in range(K + 1, 16):  # a threshold of the attacker's own choosing
                            varied = await _fetch(world, {**query, "k": str(k)})
                            if varied is None:
                                attacker.refused += 1
                            else:
                                attacker.read(varied, date, baseline, scope, dims)


async def test_no_subtraction_of_published_tables_reveals_a_cell_below_k(world: World) -> None:
    await seed_province(world.settings.database_url or "")
    truth: dict[Key, int] = {}
    await _attack(world, Attacker(), publish=False, truth=truth)  # what the bureau sees, to judge the attack by
    secrets = {key for key, value in truth.items() if 1 <= value < K}
    assert len(secrets) > 20, "the province has many cells below k to protect"

    attacker = Attacker()
    await _attack(world, attacker, publish=True)
    attacker.subtract()
    assert attacker.tables > 200 and len(attacker.sums) > 500
    for key, value in truth.items():  # the attack reasons soundly: every true count lies within its bounds
        assert attacker.low.get(key, 0) <= value <= attacker.high.get(key, math.inf), key
    recovered = {key: value for key, value in attacker.exact().items() if key in secrets}
    assert recovered == {}, f"{len(recovered)} cells below k recovered, e.g. {next(iter(recovered.items()))}"
    published = [key for key in truth if key in attacker.low and attacker.high.get(key, math.inf) < math.inf]
    assert len(published) > 100, "the tables still publish most groups"
    assert attacker.refused == 2 * 2 * 4 * 3 * 10, "a k in the request is refused, every time"
