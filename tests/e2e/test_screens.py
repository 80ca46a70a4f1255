"""The screens people read all day, at 1366×768 in Chinese and English: screenshots to look at, and the checks
that keep them readable (dates on one line, one small step form, filters in the user's language)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SHOTS

pytestmark = pytest.mark.browser

# Also copied here when set, for reviewers who look at screenshots outside the repository.
EXTRA = os.environ.get("SCREENSHOT_DIR", "")


def _shot(j, lang: str, label: str) -> None:
    j.page.evaluate("window.scrollTo(0, 0)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"screen-{lang}-{label}.png"
    j.page.screenshot(path=str(path), full_page=True, animations="disabled")
    if EXTRA:
        Path(EXTRA).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(EXTRA) / path.name)


def _open_first(j, state: str) -> None:
    j.go(f"/caselist/list/?_flt_0_state={state}")
    j.page.locator("table.table-bordered tbody a[href^='/cases/']").first.click()
    expect(j.page).to_have_url(re.compile(r"/cases/\d+$"))


def _one_line(j, selector: str) -> None:
    cell = j.page.locator(selector).first
    expect(cell).to_be_visible()
    assert cell.evaluate("e => getComputedStyle(e).whiteSpace") == "nowrap"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_case_screens_read_at_a_glance(journey, lang):
    j = journey
    j.page.set_viewport_size({"width": 1366, "height": 768})
    labels = {"zh": ("办理中", "预警", "已超期"), "en": ("In progress", "Warning", "Overdue")}[lang]

    j.login("dlt_agent").go(f"/lang/{lang}")
    j.go("/queue/cases")
    expect(j.page.locator("tr.queue-row").first).to_be_visible()
    _shot(j, lang, "agent-queue")

    # An in-progress case with its items: compact buttons, one form, dates on one line.
    j.go("/caselist/list/?_flt_0_state=in_progress&_oc_CaseView=applied_on&_od_CaseView=asc")
    j.page.locator("table.table-bordered tbody a[href^='/cases/']").first.click()
    expect(j.page.locator(".case-state")).to_have_text(labels[0])
    expect(j.page.locator("tr.item-row").nth(1)).to_be_visible()
    _one_line(j, ".case-items td.date")
    _shot(j, lang, "case-in-progress")
    _open_first(j, "evaluated")
    expect(j.page.locator(".case-actions button")).to_have_count(0)  # closed: read-only
    _shot(j, lang, "case-closed")
    _open_first(j, "terminated")
    expect(j.page.locator(".closed-on")).to_contain_text("终止日期" if lang == "zh" else "Terminated on")
    _shot(j, lang, "case-terminated")

    j.login("dlt_liaison_water").go(f"/lang/{lang}")
    j.go("/queue/items")
    expect(j.page.locator("tr.queue-row").first).to_be_visible()
    _one_line(j, ".work-queue td.date")
    _shot(j, lang, "liaison-queue")
    # One small form for a step: 容缺 and 告知承诺 only where the catalog item allows them, each labelled.
    j.page.locator("tr.queue-row button.step-btn[data-action=accept]").first.click()
    modal = j.page.locator("#step-modal")
    expect(modal).to_be_visible()
    expect(modal.locator("label[for=step-on]")).to_be_visible()
    _shot(j, lang, "step-form")
    modal.locator("button[data-dismiss=modal]").last.click()
    expect(modal).to_be_hidden()

    j.login("supervisor").go(f"/lang/{lang}")
    j.go("/caselist/list/?_flt_0_state=in_progress")
    expect(j.page.locator("#filter_form")).to_be_visible()
    j.page.click("#filter_form button.dropdown-toggle")
    j.page.click("a.filter[name=warning]")
    expect(j.page.locator("select[name=_flt_0_warning] option").first).to_have_text(labels[2])
    j.page.click("#filter_form button.dropdown-toggle")
    j.page.click("a.filter[name=region]")
    _shot(j, lang, "case-list-filters")
    expect(j.page.locator("#filter_form")).to_contain_text(labels[1])

    j.go("/caseitems/list/")
    expect(j.page.locator("table.table-bordered tbody tr").first).to_be_visible()
    _shot(j, lang, "item-list")
