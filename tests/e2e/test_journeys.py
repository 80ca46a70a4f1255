"""What people do in the back-office, in a real browser. A new capability adds a journey in a few lines."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

pytestmark = pytest.mark.browser


def _case_form(j, action):
    return j.page.locator(f"form:has(button[data-action={action}])").first


def test_an_agent_takes_a_case_from_application_to_evaluation_with_the_liaison(journey):
    j = journey.login("dlt_agent")
    assert "我的案件" in j.text()
    j.go("/cases/new")
    j.page.fill("#enterprise_name", "达拉特旗浏览器测试新能源有限公司")
    j.page.fill("#enterprise_credit_code", "91350100M000100Y43")
    j.page.fill("#project_name", "浏览器测试光伏项目")
    j.page.fill("#project_code", "2026-150621-44-01-654321")
    j.page.fill("#project_total_investment", "12000")
    j.page.check("label:has-text('取水许可审批') input")
    j.shot("application")
    j.page.click("button:has-text('登记申请')")
    assert "已登记" in j.text()
    case_url = j.page.url
    for action in ("accept", "entrust"):
        _case_form(j, action).locator("button").click()
        assert "已完成" in j.text(), action
    for field in j.page.locator("input[name^='filing_']").all():
        field.fill("2026-11-27")
    j.page.click("button:has-text('保存服务方案')")
    _case_form(j, "plan").locator("button").click()
    assert "方案已定" in j.text()
    j.shot("plan-fixed")

    j.login("dlt_liaison_water")
    row = j.page.locator("tr.queue-row", has_text="浏览器测试光伏项目")
    row.locator("button[data-action=accept]").click()
    row = j.page.locator("tr.queue-row", has_text="浏览器测试光伏项目")
    row.locator("button[data-action=review]").click()
    row = j.page.locator("tr.queue-row", has_text="浏览器测试光伏项目")
    form = row.locator("form:has(button[data-action=request_supplement])")
    form.locator("input[name=note]").fill("缺水资源论证报告")
    form.locator("button").click()
    assert "计时暂停" in j.page.locator("tr.queue-row", has_text="浏览器测试光伏项目").inner_text()
    j.shot("liaison-queue")
    j.page.locator("tr.queue-row", has_text="浏览器测试光伏项目").locator("button[data-action=resubmit]").click()
    j.page.locator("tr.queue-row", has_text="浏览器测试光伏项目").locator("button[data-action=approve]").click()
    assert "浏览器测试光伏项目" not in j.text()  # approved: off the queue

    j.login("dlt_agent")
    j.page.goto(case_url)
    form = _case_form(j, "complete")
    form.locator("input[name=materials_returned]").check()
    form.locator("input[name=archived]").check()
    form.locator("button").click()
    assert "已办结" in j.text()
    form = _case_form(j, "evaluate")
    form.locator("input[value=very_satisfied]").check()
    form.locator("button").click()
    assert "已回访" in j.text() and "非常满意" in j.text()
    j.shot("evaluated")


def test_a_liaison_works_the_queue_most_urgent_first(journey):
    j = journey.login("dlt_liaison_water")
    rows = j.page.locator("tr.queue-row")
    assert rows.count() >= 2
    assert "已超期" in rows.first.inner_text()  # red first
    j.shot("queue")


def test_a_supervisor_filters_the_case_list_and_exports_its_ledger(journey):
    j = journey.login("supervisor")
    j.go("/caselist/list/")
    j.page.click(".state-filters a:has-text('办理中')")
    assert "办理中" in j.text()
    j.shot("filtered")
    with j.page.expect_download() as download:
        j.page.click("#export-ledger")
    book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    states = {row[4] for row in book["案件台账"].iter_rows(min_row=4, values_only=True)}
    assert states == {"办理中"}


def test_an_admin_retires_a_catalog_item_and_the_public_page_drops_it(journey):
    j = journey.login("admin")
    j.go("/catalog/list/?_flt_2_name=取水许可审批")
    j.page.locator("tr", has_text="达拉特旗水利局").locator("a[href*='/catalog/show/']").first.click()
    j.page.click("a:has-text('停用')")
    j.page.fill("#reason", "职能调整，本旗不再办理")
    j.page.click("button[type=submit]:has-text('停用')")
    assert "事项已停用" in j.text()
    j.go("/public/catalog/150621")
    assert "取水许可审批" not in j.text()
    j.shot("public-after-retire")
    j.go("/public/catalog/150622")
    assert "取水许可审批" in j.text()


def test_the_interface_switches_between_chinese_and_english(journey):
    j = journey.login("dlt_supervisor")
    j.go("/caselist/list/")
    assert "代办案件" in j.text()
    j.page.click("a.dropdown-toggle:has(.flag)")
    j.page.click("a[href$='/lang/en']")
    j.go("/caselist/list/")
    assert "Cases" in j.text() and "代办案件" not in j.text()
    j.shot("english")
    j.page.click("a.dropdown-toggle:has(.flag)")
    j.page.click("a[href$='/lang/zh']")
    j.go("/caselist/list/")
    assert "代办案件" in j.text()
