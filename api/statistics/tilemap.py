"""A tile cartogram of Xinjiang: one tile for each of the 14 prefectures (地州市) and one for 兵团, placed roughly
where they lie (north of the Tianshan on top, 南疆 below, 哈密 in the east), coloured by a figure in five classes.
No boundary data is needed; each tile links to the prefecture's drill-down and says its exact figure on hover.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from api.statistics.numbers import percent, short

# (column, row) of each tile, and the short name written on it
TILES: dict[str, tuple[int, int, str]] = {
    "654200": (1, 0, "塔城"),
    "650200": (2, 0, "克拉玛依"),
    "654300": (3, 0, "阿勒泰"),
    "652700": (0, 1, "博州"),
    "654000": (1, 1, "伊犁"),
    "650100": (2, 1, "乌鲁木齐"),
    "652300": (3, 1, "昌吉"),
    "653000": (0, 2, "克州"),
    "652900": (1, 2, "阿克苏"),
    "652800": (2, 2, "巴州"),
    "650400": (3, 2, "吐鲁番"),
    "650500": (4, 2, "哈密"),
    "653100": (0, 3, "喀什"),
    "653200": (1, 3, "和田"),
    "659000": (4, 3, "兵团"),
}
BINGTUAN = "659000"  # 自治区直辖县级行政区划: the 兵团 cities
SHADES = ("#dce8f8", "#a8c7ef", "#6d9fe2", "#2f6fdf", "#173f8a")  # light to dark
EMPTY = "#eef1f5"
TILE_W, TILE_H, GAP, LEFT, TOP = 70, 58, 4, 8, 8


@dataclass(frozen=True, slots=True)
class Tile:
    code: str
    name: str  # on the tile
    full_name: str  # on hover
    value: float
    text: str  # the value as written on the tile
    hover: str
    x: float
    y: float
    fill: str
    ink: str  # text colour that reads on the fill
    href: str
    south4: bool
    bingtuan: bool


@dataclass(frozen=True, slots=True)
class Shade:
    """A legend entry: a class's colour and its lower bound."""

    color: str
    label: str


@dataclass(frozen=True, slots=True)
class TileMap:
    name: str
    title: str
    unit: str
    width: int
    height: int
    tiles: Sequence[Tile]
    legend: Sequence[Shade]  # drawn in HTML under the map, so that it wraps on a phone


def breaks(values: Sequence[float], classes: int = len(SHADES)) -> list[float]:
    """Lower bounds of the classes above the first: quantiles of the non-zero values, without repeats."""
    found = sorted(v for v in values if v > 0)
    if not found:
        return []
    bounds = [found[len(found) * i // classes] for i in range(1, classes)]
    return sorted({b for b in bounds if b > found[0]})


def shade(value: float, bounds: Sequence[float]) -> str:
    if value <= 0:
        return EMPTY
    level = sum(1 for b in bounds if value >= b)
    # spread the classes in use over the light-to-dark range, so two classes are far apart
    index = round(level * (len(SHADES) - 1) / max(len(bounds), 1))
    return SHADES[index]


def tile_map(
    values: Mapping[str, float],
    names: Mapping[str, str],
    south4: frozenset[str],
    *,
    href: Callable[[str], str],
    title: str,
    unit: str,
    shares: bool = False,
) -> TileMap:
    """The map of `values` (prefecture code → figure; a share 0-1 with `shares`); tiles without a value show 0."""
    bounds = breaks([values.get(code, 0) for code in TILES])

    def written(value: float) -> str:
        return percent(value, 1) if shares else short(value)

    tiles = []
    for code, (col, row, name) in TILES.items():
        value = values.get(code, 0)
        fill = shade(value, bounds)
        exact = percent(value) if shares else f"{int(value):,} {unit}"
        full = "兵团（自治区直辖县级市）" if code == BINGTUAN else names.get(code, name)
        tiles.append(
            Tile(
                code,
                name,
                full,
                value,
                written(value),
                f"{full}：{exact}",
                LEFT + col * (TILE_W + GAP),
                TOP + row * (TILE_H + GAP),
                fill,
                "#ffffff" if fill in SHADES[3:] else "#1b1f24",
                href(code),
                code in south4,
                code == BINGTUAN,
            )
        )
    found = sorted(v for v in (values.get(code, 0) for code in TILES) if v > 0)
    legend = [Shade(EMPTY, "0")]
    if found:
        first = f"<{written(bounds[0])}" if bounds else f"{written(found[0])}–{written(found[-1])}"
        legend.append(Shade(shade(found[0], bounds), first))
        legend += [Shade(shade(b, bounds), f"≥{written(b)}") for b in bounds]
    return TileMap("map", title, unit, 2 * LEFT + 5 * TILE_W + 4 * GAP, 2 * TOP + 4 * TILE_H + 3 * GAP, tiles, legend)
