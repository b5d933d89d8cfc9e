"""The dashboard's SVG charts: readable axes, exact values on every mark, text escaped (drawn by the template the
dashboard uses)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from api.statistics.charts import Bar, Chart, Series, column_chart, hbar_chart, line_chart, nice_scale, short
from api.templating import environment


def draw(chart: Chart) -> str:
    return str(environment().get_template("charts.html").module.svg(chart))  # type: ignore[attr-defined]


@given(st.integers(min_value=0, max_value=10**10))
def test_the_axis_holds_every_value_in_at_most_four_whole_steps(value: int) -> None:
    end, step = nice_scale(value)
    assert end >= value and step >= 1 and end % step == 0
    assert end // step <= 4
    assert str(step).rstrip("0") in ("1", "2", "25", "5"), step


def test_axis_examples() -> None:
    assert nice_scale(44) == (60, 20)
    assert nice_scale(90_806) == (100_000, 25_000)
    assert nice_scale(0) == (4, 1)
    assert short(3_200_000) == "320万" and short(12_500) == "1.25万" and short(900) == "900"


def test_every_bar_carries_its_exact_value_and_the_svg_is_well_formed() -> None:
    bars = [
        Bar("喀什地区", 90_806, "#e8772e", "653100"),
        Bar("<乌鲁木齐>", 86_522, key="650100"),
        Bar("空", 0, key="1"),
    ]
    svg = draw(hbar_chart(bars, title="按地州", name="by-place", unit="人", keys=[("南疆四地州", "#e8772e")]))
    ET.fromstring(svg)  # parses: labels are escaped
    assert re.findall(r'data-key="(\d+)" data-value="(\d+)"', svg) == [("653100", "90806"), ("650100", "86522"),
                                                                       ("1", "0")]  # fmt: skip
    assert "&lt;乌鲁木齐&gt;" in svg and "<script" not in svg
    ET.fromstring(draw(column_chart([Bar("2025", 44, key="2025")], title="培训", name="t", unit="人次")))
    line = draw(line_chart(["2024", "2025"], [Series("技能人才", "#000", [0, 5])], title="趋势", name="l", unit="人"))
    ET.fromstring(line)
    assert 'data-key="2024" data-value="0"' in line and 'data-key="2025" data-value="5"' in line


def test_one_number_format() -> None:
    from api.statistics.numbers import axis_label, change, number, points

    assert [short(v) for v in (0, 9_999, 10_000, 10_407, 12_500, 3_200_000, 8_843_900, 72_000_000, 220_000_000)] == [
        "0", "9,999", "1万", "1.04万", "1.25万", "320万", "884.39万", "7,200万", "2.2亿"]  # fmt: skip
    assert short(99_999_999) == "1亿" and short(None) == "—" and number(19_904) == "19,904"
    assert [axis_label(v, 10_000) for v in (0, 2_500, 5_000, 10_000)] == ["0", "0.25万", "0.5万", "1万"], \
        "an axis in one unit: never 5,000 beside 1万"  # fmt: skip
    assert [axis_label(v, 60) for v in (0, 20, 60)] == ["0", "20", "60"]
    assert change(110, 100) == ("▲ 10.0%", "up") and change(97, 100) == ("▼ 3.0%", "down")
    assert change(100_001, 100_000) == ("▲ <0.1%", "up") and change(5, 0) == ("—", "none")
    assert change(5, 5) == ("持平", "flat")
    assert points(0.25, 0.2) == ("▲ 5.0 个百分点", "up") and points(None, 0.2) == ("—", "none")


@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=40))
def test_every_label_on_an_axis_and_on_the_bars_is_in_the_one_format(values: list[int]) -> None:
    bars = [Bar(f"地区{i}", v, key=str(i)) for i, v in enumerate(values)]
    svg = draw(hbar_chart(bars, title="t", name="n", unit="人"))
    texts = re.findall(r">([^<>]+)</text>", svg)
    assert not [t for t in texts if re.fullmatch(r"\d{1,3}(,\d{3})+", t) and int(t.replace(",", "")) >= 10_000]
    titles = re.findall(r"<title>地区(\d+)：([\d,]+) 人</title>", svg)
    assert [(int(i), int(v.replace(",", ""))) for i, v in titles] == list(enumerate(values)), "exact on hover"


def test_the_tile_map_has_every_prefecture_and_bingtuan_linked_and_exact_on_hover() -> None:
    from api.statistics.tilemap import EMPTY, SHADES, TILES, tile_map

    values = {code: float(i * 1_000) for i, code in enumerate(TILES)}
    drawn = tile_map(values, {}, frozenset({"653100"}), href=lambda c: f"/dashboard?region={c}", title="t", unit="人")
    assert len(drawn.tiles) == 15 and {t.code for t in drawn.tiles} == set(TILES)
    assert len({(t.x, t.y) for t in drawn.tiles}) == 15, "no two tiles on one place"
    svg = str(environment().get_template("charts.html").module.tilemap(drawn))  # type: ignore[attr-defined]
    ET.fromstring(svg.split("<ul")[0])
    assert svg.count('<a href="/dashboard?region=') == 15
    assert "<title>兵团（自治区直辖县级市）：14,000 人</title>" in svg and ">1.4万<" in svg
    fills = {t.code: t.fill for t in drawn.tiles}
    assert fills[next(iter(TILES))] == EMPTY and fills["659000"] == SHADES[-1], "0 is empty, the most the darkest"
    assert [s.color for s in drawn.legend][:2] == [EMPTY, SHADES[0]]
