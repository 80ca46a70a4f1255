"""考核 in the browser at 1366×768, in Chinese and English: the scores page with its chart, a figure opening the
rows it counts, and the administrator's weights page refusing weights that do not add up to 100."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SHOTS

pytestmark = pytest.mark.browser
PERIOD = "from=2026-01-01&to=2026-11-27"


def _shot(j, lang: str, label: str) -> None:
    j.page.evaluate("window.scrollTo(0, 0)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    j.page.screenshot(path=str(SHOTS / f"assessment-{lang}-{label}.png"), full_page=True, animations="disabled")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_supervisor_reads_the_scores_and_opens_the_rows_behind_a_figure(journey, lang):
    j = journey
    j.page.set_viewport_size({"width": 1366, "height": 768})
    j.login("supervisor").go(f"/lang/{lang}")
    j.go(f"/assessment/?level=banner&{PERIOD}")
    dlt = j.page.locator("table.assessment-scores tr", has_text="达拉特旗")
    expect(dlt.locator("td.score")).not_to_have_text("—")
    expect(j.page.locator("#chart-assessment-scores svg").first).to_be_visible()
    _shot(j, lang, "banners")

    dlt.locator("td.figure[data-key=on_time_rate] a").click()
    expect(j.page).to_have_url(re.compile(r"/assessment/rows\?.*indicator=on_time_rate"))
    expect(j.page.locator("table.assessment-rows tbody tr").first).to_be_visible()
    expect(j.page.locator("table.assessment-rows tbody a.case-no").first).to_be_visible()
    _shot(j, lang, "rows-on-time")

    j.go(f"/assessment/?level=department&{PERIOD}")
    expect(j.page.locator("table.assessment-scores tbody tr").first).to_be_visible()
    _shot(j, lang, "departments")

    j.login("admin").go(f"/lang/{lang}")
    j.go("/assessment/weights")
    j.page.fill("#w-on_time_rate", "35")
    expect(j.page.locator("#weights-total")).to_have_text("110")
    j.page.fill("#w-note", "提高按时办结的权重" if lang == "zh" else "More weight on time")
    j.page.click("#save-weights")
    expect(j.page.locator(".total-problem")).to_be_visible()
    expect(j.page.locator("#w-on_time_rate")).to_have_value("35")
    _shot(j, lang, "weights-refused")
    j.page.fill("#w-cases_handled", "5")
    j.page.click("#save-weights")
    expect(j.page.locator("table.weights-history tbody tr[data-weights]")).to_have_count(1)
    _shot(j, lang, "weights-saved")
