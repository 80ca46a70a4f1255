"""统计分析 in the browser, at 1366×768 in Chinese and English: the pivot's table and chart, a bar that opens the
list behind it, and the chart views over models rendered by the locally served ECharts."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SHOTS

pytestmark = pytest.mark.browser


def _shot(j, lang: str, label: str) -> None:
    j.page.evaluate("window.scrollTo(0, 0)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    j.page.screenshot(path=str(SHOTS / f"analysis-{lang}-{label}.png"), full_page=True, animations="disabled")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_supervisor_pivots_cases_and_clicks_through_to_the_list(journey, lang):
    j = journey
    j.page.set_viewport_size({"width": 1366, "height": 768})
    external: list[str] = []
    j.page.on("request", lambda r: external.append(r.url) if not r.url.startswith(j.base) else None)
    j.login("supervisor").go(f"/lang/{lang}")

    j.go("/analysis/pivot/")
    j.page.select_option("#rows", "region")
    j.page.select_option("#columns", "state")
    j.page.select_option("#measure", "cases")
    j.page.click("#pivot-show")
    expect(j.page.locator("#pivot-table")).to_be_visible()
    expect(j.page.locator("#chart-pivot")).to_have_attribute("data-rendered", "1")
    _shot(j, lang, "pivot-cases")

    # A number of the table opens the case list filtered to its region and state.
    j.page.locator("#pivot-table tbody td.num a").first.click()
    expect(j.page).to_have_url(re.compile(r"/caselist/list/\?.*_flt_0_region=\d+"))
    expect(j.page.locator("table.table-bordered tbody tr").first).to_be_visible()

    j.go("/analysis/pivot/?rows=stage&columns=closed_month&measure=median_days")
    expect(j.page.locator("#chart-pivot")).to_have_attribute("data-rendered", "1")
    _shot(j, lang, "pivot-median")

    j.go("/analysis/pivot/?rows=stage&measure=satisfaction")
    expect(j.page.locator(".pivot-error")).to_be_visible()
    _shot(j, lang, "pivot-refused")

    for subject in ("cases", "catalog", "reviews", "training"):
        j.go(f"/analysis/charts/{subject}")
        expect(j.page.locator(".chart-box").first).to_be_visible()
        expect(j.page.locator("div.echart:not([data-rendered])")).to_have_count(0)  # every figure drawn
        _shot(j, lang, f"charts-{subject}")
    assert external == [], external


def test_clicking_a_bar_of_the_pivot_chart_lands_on_the_filtered_list(journey):
    j = journey
    j.login("supervisor")
    j.go("/analysis/pivot/?rows=region&measure=cases")
    chart = j.page.locator("#chart-pivot")
    expect(chart).to_have_attribute("data-rendered", "1")
    # The first region's bar: ECharts draws it as an SVG path; a click on it follows its url.
    first_count = j.page.locator("#pivot-table tbody tr").first.locator("td.num a")
    expected = first_count.inner_text()
    j.page.evaluate(
        """() => {
            const el = document.getElementById('chart-pivot');
            const chart = echarts.getInstanceByDom(el);
            const [x, y] = chart.convertToPixel({seriesIndex: 0}, [0, chart.getOption().series[0].data[0].value / 2]);
            const box = el.getBoundingClientRect();
            window.__bar = {x: box.left + x, y: box.top + y};
        }"""
    )
    point = j.page.evaluate("window.__bar")
    j.page.mouse.click(point["x"], point["y"])
    expect(j.page).to_have_url(re.compile(r"/caselist/list/\?_flt_0_region=\d+"))
    expect(j.page.locator("body")).to_contain_text(re.compile(rf":\s*{expected}\b"))
