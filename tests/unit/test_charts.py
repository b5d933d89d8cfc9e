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
