"""The landing dashboards in the browser: a supervisor clicks a bar and lands on the list behind it; every
role's dashboard at 1366×768 in Chinese and English, its charts drawn by the locally served ECharts."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SHOTS

pytestmark = pytest.mark.browser

IN_PROGRESS = "#337ab7"  # the colour of 办理中 on the cases-by-region figure (app/views/dashboards.py)


def test_a_supervisor_opens_the_dashboard_clicks_a_bar_and_lands_on_the_filtered_list(journey):
    j = journey.login("supervisor")
    j.go("/")
    chart = j.page.locator("#chart-cases-by-region")
    expect(chart).to_have_attribute("data-rendered", "1")
    # The table beside the figure carries the same numbers and links: the first region's 办理中 cell.
    cell = j.page.locator("#table-cases-by-region tbody tr").first.locator("a[href*='_flt_0_state=in_progress']")
    expect(cell).to_have_text(re.compile(r"^\d+$"))
    href, count = cell.get_attribute("href"), int(cell.text_content())
    j.shot("supervisor-dashboard")

    chart.locator(f"svg path[fill='{IN_PROGRESS}']").first.click()

    expect(j.page).to_have_url(j.base + href)
    rows = j.page.locator("table.table-bordered tbody tr")
    expect(rows).to_have_count(count)
    expect(rows.first).to_contain_text("办理中")
    j.shot("filtered-list")


def test_the_navbar_count_leads_a_liaison_to_the_queue(journey):
    j = journey.login("dlt_liaison_water")
    badge = j.page.locator("#todo-count")
    expect(badge.locator(".badge")).to_have_text(re.compile(r"^[1-9]\d*$"))
    badge.click()  # the count opens its figures, each a link to exactly its rows; the last line opens the work list
    menu = j.page.locator(".todo-menu")
    expect(menu.locator("a.todo-line").first).to_be_visible()
    menu.get_by_role("link", name="打开我的待办").click()
    expect(j.page).to_have_url(re.compile(r"/queue/items$"))
    expect(j.page.locator("tr.queue-row").first).to_be_visible()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_roles_dashboard_reads_at_a_glance(journey, lang):
    j = journey
    j.page.set_viewport_size({"width": 1366, "height": 768})
    for user, board in (
        ("supervisor", "supervisor"),
        ("dlt_supervisor", "supervisor"),
        ("dlt_agent", "agent"),
        ("dlt_liaison_water", "liaison"),
        ("admin", "admin"),
    ):
        j.login(user).go(f"/lang/{lang}")
        j.go("/")
        expect(j.page.locator(f"[data-board='{board}']")).to_be_visible()
        if board == "supervisor":  # nine figures, each drawn (a figure without data shows its table only)
            expect(j.page.locator(".chart-box")).to_have_count(9)
            expect(j.page.locator("div.echart[data-rendered='1']").first).to_be_visible()
            expect(j.page.locator("div.echart:not([data-rendered='1'])")).to_have_count(0)
        elif board in ("agent", "liaison"):
            expect(j.page.locator(".tile")).to_have_count(4)
        j.page.evaluate("window.scrollTo(0, 0)")
        SHOTS.mkdir(parents=True, exist_ok=True)
        j.page.screenshot(path=str(SHOTS / f"dashboard-{lang}-{user}.png"), full_page=True, animations="disabled")
