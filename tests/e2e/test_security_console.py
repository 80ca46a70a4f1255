"""The content security policy in a real browser: every main page of every role runs its scripts (dropdowns,
select boxes, step forms, charts) with no console error and no blocked script; signing out is the navbar's form."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PAGES = {
    "admin": ["/", "/users/list/", "/roles/list/", "/assessment/weights", "/catalog/list/", "/calendar/years/"],
    "supervisor": ["/", "/analysis/charts/cases", "/analysis/pivot/", "/assessment/", "/caselist/list/"],
    "dlt_agent": ["/", "/queue/cases", "/cases/new", "/caselist/list/?_flt_0_state=in_progress"],
    "dlt_liaison_water": ["/", "/queue/items"],
}


def _listen(page: object) -> list[str]:
    """Console errors, uncaught exceptions and CSP violations of every page the browser shows from now on."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation',"
        " e => console.error('CSP blocked ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return errors


def test_the_main_pages_of_every_role_run_their_scripts_under_the_policy(journey):
    j = journey
    errors = _listen(j.page)
    for user, paths in PAGES.items():
        j.login(user)
        for path in paths:
            j.page.goto(j.base + path, wait_until="networkidle")
            expect(j.page.locator("body")).not_to_contain_text("Traceback")
            assert errors == [], f"{user} {path}: {errors}"
    # Scripts really run: the user menu opens (Bootstrap), a case's step form opens (our inline script).
    j.login("dlt_agent").go("/caselist/list/?_flt_0_state=in_progress")
    j.page.locator("table.table-bordered tbody a[href^='/cases/']").first.click()
    expect(j.page).to_have_url(re.compile(r"/cases/\d+$"))
    j.page.locator("button.step-btn").first.click()
    expect(j.page.locator("#step-modal")).to_be_visible()
    assert errors == []


def test_a_chart_page_draws_with_the_locally_served_charts(journey):
    j = journey
    errors = _listen(j.page)
    j.login("supervisor").go("/")
    expect(j.page.locator("#chart-cases-by-region")).to_have_attribute("data-rendered", "1")
    assert errors == []


def test_signing_out_from_the_navbar_ends_the_session(journey):
    j = journey
    errors = _listen(j.page)
    j.login("dlt_agent").go("/queue/cases")
    j.page.click("a.dropdown-toggle:has(.fa-user)")
    j.page.click("#logout-button")
    expect(j.page.locator(".alert")).to_contain_text("您已退出登录")
    j.go("/queue/cases")
    expect(j.page).to_have_url(re.compile(r"/login/"))
    assert errors == []
