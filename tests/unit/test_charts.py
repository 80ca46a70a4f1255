"""The chart vocabulary: one object gives the ECharts spec and the table of the same numbers."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from app.views.charts import LIGHT_COLOURS, PALETTE, Chart, Series


def test_a_chart_spec_carries_each_value_with_the_link_to_its_rows():
    chart = Chart(
        "overdue",
        "Overdue by department",
        ["Water", "Land"],
        [Series("Overdue", [3, 0], LIGHT_COLOURS["red"], urls=["/caseitems/list/?d=1", None])],
    )
    spec = chart.spec()
    assert spec["categories"] == ["Water", "Land"]
    assert spec["series"][0]["color"] == "#d9534f"
    assert spec["series"][0]["data"] == [{"value": 3, "url": "/caseitems/list/?d=1"}, {"value": 0, "url": None}]


def test_decimals_become_numbers_and_missing_values_stay_missing():
    chart = Chart("hours", "Hours", ["a", "b"], [Series("h", [Decimal("2.5"), None])])
    assert [d["value"] for d in chart.spec()["series"][0]["data"]] == [2.5, None]


def test_series_without_a_colour_take_the_palette_in_order():
    chart = Chart("x", "X", ["a"], [Series("one", [1]), Series("two", [2])])
    assert [s["color"] for s in chart.spec()["series"]] == [PALETTE[0], PALETTE[1]]


def test_a_chart_with_only_zeros_is_empty_and_says_so():
    assert Chart("x", "X", ["a", "b"], [Series("s", [0, None])]).empty
    assert not Chart("x", "X", ["a"], [Series("s", [1])]).empty


def test_the_json_is_safe_inside_an_html_attribute():
    chart = Chart("x", '"<b>"', ['"quoted" & <tag>'], [Series("s", [1])])
    text = str(chart.json())
    assert '"' not in text and "<" not in text
    assert json.loads(text.replace("&#34;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        Chart("x", "X", [], kind="radar")
