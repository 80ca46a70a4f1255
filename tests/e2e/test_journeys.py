"""What people do in the back-office, in a real browser. A new capability adds a journey in a few lines.

Every check is a Playwright waiting assertion (`expect(...)`): it retries until the page shows what is
expected or the timeout passes, so a page still navigating on a busy machine is waited for, never read.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PROJECT = "浏览器测试光伏项目"


def test_an_agent_takes_a_case_from_application_to_evaluation_with_the_liaison(journey):
    j = journey.login("dlt_agent")
    expect(j.body).to_contain_text("我的案件")
    j.go("/cases/new")
    j.page.fill("#enterprise_name", "达拉特旗浏览器测试新能源有限公司")
    j.page.fill("#enterprise_credit_code", "91350100M000100Y43")
    j.page.fill("#project_name", PROJECT)
    j.page.fill("#project_code", "2026-150621-44-01-654321")
    j.page.fill("#project_total_investment", "12000")
    j.page.select_option("#project_category", "encouraged")
    j.page.check("label:has-text('取水许可审批') input")
    j.shot("application")
    j.page.click("button:has-text('登记申请')")
    expect(j.page.locator(".alert-success")).to_contain_text("已登记")
    expect(j.page).to_have_url(re.compile(r"/cases/\d+$"))
    case_url = j.page.url
    for action, state in (("accept", "已受理"), ("entrust", "已签约")):
        j.step(j.page.locator(".case-actions"), action).submit()
        expect(j.page.locator(".case-state")).to_have_text(state)
    for field in j.page.locator("input[name^='filing_']").all():
        field.fill("2026-11-27")
    j.page.click("button:has-text('保存服务方案')")
    expect(j.page.locator(".alert-success")).to_contain_text("服务方案已保存")
    j.step(j.page.locator(".case-actions"), "plan").submit()
    expect(j.page.locator(".case-state")).to_have_text("方案已定")
    j.shot("plan-fixed")

    j.login("dlt_liaison_water").go("/queue/items")
    row = j.page.locator("tr.queue-row", has_text=PROJECT)
    j.step(row, "accept").submit()
    expect(row.locator("button[data-action=review]")).to_be_visible()
    j.step(row, "review").submit()
    form = j.step(row, "request_supplement")
    expect(form.modal.locator("label[for=step-note]")).to_contain_text("需补正的材料")
    form.fill_note("缺水资源论证报告").submit()
    expect(row).to_contain_text("计时暂停")
    j.shot("liaison-queue")
    j.step(row, "resubmit").submit()
    expect(row.locator("button[data-action=approve]")).to_be_visible()
    j.step(row, "approve").submit()
    expect(j.page.locator(".alert-success")).to_contain_text("已完成")
    expect(row).to_have_count(0)  # approved: off the queue

    j.login("dlt_agent")
    j.page.goto(case_url)
    form = j.step(j.page.locator(".case-actions"), "complete")
    form.modal.locator("input[name=archived]").check()
    form.submit()
    expect(j.page.locator(".case-state")).to_have_text("已办结")
    form = j.step(j.page.locator(".case-actions"), "evaluate")
    form.modal.locator("input[value=very_satisfied]").check()
    form.submit()
    expect(j.page.locator(".case-state")).to_have_text("已回访")
    expect(j.page.locator(".case-page")).to_contain_text("非常满意")
    j.shot("evaluated")


def test_an_agent_withdraws_an_item_giving_the_reason_for_withdrawal(journey):
    j = journey.login("dlt_agent")
    j.go("/caselist/list/?_flt_0_state=planned")
    j.page.locator("table a[href^='/cases/']").first.click()
    expect(j.page).to_have_url(re.compile(r"/cases/\d+$"))
    item = j.page.locator("tr.item-row:has(button[data-action=withdraw])").first.get_attribute("data-item")
    row = j.page.locator(f"tr.item-row[data-item='{item}']")
    form = j.step(row, "withdraw")
    expect(form.modal.locator("label[for=step-note]")).to_contain_text("撤回原因")
    expect(form.modal.locator("label[for=step-note]")).not_to_contain_text("补正")
    form.submit()  # the reason is required: the browser keeps the form open
    expect(form.modal).to_be_visible()
    form.fill_note("企业调整建设方案，暂不申报").submit()
    expect(j.page.locator(".alert-success")).to_contain_text("撤回事项")
    expect(row.locator(".item-state")).to_have_text("已撤回")


def test_a_liaison_works_the_queue_most_urgent_first(journey):
    j = journey.login("dlt_liaison_water").go("/queue/items")
    rows = j.page.locator("tr.queue-row")
    expect(rows.nth(1)).to_be_visible()
    expect(rows.first).to_contain_text("已超期")  # red first
    j.shot("queue")


def test_a_supervisor_searches_and_filters_the_case_list_and_exports_its_ledger(journey):
    j = journey.login("supervisor")
    j.go("/caselist/list/")
    j.page.click(".state-filters a:has-text('办理中')")
    expect(j.page).to_have_url(re.compile(r"_flt_0_state=in_progress"))
    rows = j.page.locator("table.table-bordered tbody tr")
    expect(rows.first).to_contain_text("办理中")
    # The 预警 dropdown: its options are the labels people read.
    expect(j.page.locator("#filter_form")).to_be_visible()  # a filter is applied: the panel is open
    j.page.click("#filter_form button.dropdown-toggle")
    j.page.click("a.filter[name=warning]")
    j.page.select_option("select[name=_flt_0_warning]", label="已超期")
    j.shot("filters-open")
    j.page.click("#filter_form button[type=submit]")
    expect(j.page).to_have_url(re.compile(r"_flt_0_warning=red"))
    expect(rows.first.locator(".light-red")).to_be_visible()
    expect(j.page.locator("table.table-bordered tbody .light-green")).to_have_count(0)
    with j.page.expect_download() as download:
        j.page.click("#export-ledger")
    book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    labels = {"已申请", "已受理", "不予受理", "已签约", "方案已定", "办理中", "已办结", "已回访", "已终止"}
    states = {cell for row in book["案件台账"].iter_rows(min_row=4, values_only=True) for cell in row if cell in labels}
    assert states == {"办理中"}
    # One search box: part of a project code finds its cases.
    j.go("/caselist/list/")
    box = j.page.locator("#case-search input[name=_flt_0_search]")
    box.fill("2026-150621")
    box.press("Enter")
    expect(j.page).to_have_url(re.compile(r"_flt_0_search=2026-150621"))
    expect(rows.first).to_contain_text("达拉特旗")


def test_an_admin_retires_a_catalog_item_and_the_public_page_drops_it(journey):
    j = journey.login("admin")
    j.go("/catalog/list/?_flt_2_name=取水许可审批")
    j.page.locator("tr", has_text="达拉特旗水利局").locator("a[href*='/catalog/show/']").first.click()
    j.page.click("a:has-text('停用')")
    j.page.fill("#reason", "职能调整，本旗不再办理")
    j.page.click("button[type=submit]:has-text('停用')")
    expect(j.page.locator(".alert-success")).to_contain_text("事项已停用")
    j.go("/public/catalog/150621")
    expect(j.body).not_to_contain_text("取水许可审批")
    j.shot("public-after-retire")
    j.go("/public/catalog/150622")
    expect(j.body).to_contain_text("取水许可审批")


def test_the_interface_switches_between_chinese_and_english(journey):
    j = journey.login("dlt_supervisor")
    j.go("/caselist/list/")
    expect(j.body).to_contain_text("代办案件")
    j.page.click("a.dropdown-toggle:has(.flag)")
    j.page.click("a[href$='/lang/en']")
    # The switch answers with the page it was clicked on, now in English: wait for it before going on.
    expect(j.body).not_to_contain_text("代办案件")
    expect(j.body).to_contain_text("Cases")
    j.go("/caselist/list/")
    expect(j.body).to_contain_text("Cases")
    expect(j.body).not_to_contain_text("代办案件")
    j.shot("english")
    j.page.click("a.dropdown-toggle:has(.flag)")
    j.page.click("a[href$='/lang/zh']")
    expect(j.body).to_contain_text("代办案件")
    j.go("/caselist/list/")
    expect(j.body).to_contain_text("代办案件")


def test_a_stuck_case_goes_to_a_joint_review_and_its_decision_is_carried_out_by_the_liaison(journey):
    reason = "林地占用意见三周未出，企业无法开工"
    decision = "水利局5个工作日内出具取水许可意见"
    j = journey.login("dlt_agent")
    j.go("/caselist/list/?_flt_0_state=in_progress")
    j.page.locator("table a[href^='/cases/']").first.click()
    expect(j.page).to_have_url(re.compile(r"/cases/\d+$"))
    case_url = j.page.url
    j.page.click(".escalate-form summary")
    j.page.fill("#escalate-reason", reason)
    j.page.fill("#escalate-tried", "已两次电话协调")
    j.page.click(".escalate-form button[type=submit]")
    expect(j.page.locator(".alert-success")).to_contain_text("等待下一次会商联审")
    expect(j.page.locator(".escalations")).to_contain_text(reason)

    j.login("dlt_supervisor")
    j.go("/reviews/new")
    j.page.fill("#topic", "浏览器测试专题会商")
    j.page.fill("#chair", "高永胜")
    j.page.locator(".review-form label.checkbox-inline", has_text="水利").first.locator("input").check()
    j.page.locator(".checkbox", has_text=reason).locator("input").check()
    j.shot("plan-meeting")
    j.page.click("button:has-text('筹备会议')")
    expect(j.page.locator(".alert-success")).to_contain_text("会议已筹备")
    for attended in j.page.locator("table.attendance select").all():
        attended.select_option("1")
    j.page.click("button:has-text('保存出席情况')")
    expect(j.page.locator(".alert-success")).to_be_visible()
    j.step(j.page.locator(".case-actions"), "hold").submit()
    expect(j.page.locator(".review-state")).to_have_text("已召开")
    j.page.fill("#decision-text", decision)
    water = j.page.locator("#decision-department option", has_text="水利").first.get_attribute("value")
    j.page.select_option("#decision-department", value=water)
    j.page.select_option("#decision-subject", index=1)  # the escalated case, taken up by the meeting
    j.page.fill("#decision-days", "5")
    j.page.click("button:has-text('记录议定事项')")
    expect(j.page.locator("table.decisions")).to_contain_text(decision)
    j.shot("meeting-with-decision")

    j.login("dlt_liaison_water").go("/queue/items")
    row = j.page.locator("tr.queue-row", has_text=decision)
    expect(row).to_be_visible()
    j.step(row, "fulfil").fill_note("已出具取水许可意见").submit()
    expect(j.page.locator(".alert-success")).to_be_visible()
    expect(row).to_have_count(0)

    j.login("dlt_agent")
    j.page.goto(case_url)
    expect(j.page.locator(".case-decisions")).to_contain_text("已落实")


def test_a_banner_case_asks_the_city_for_a_link_the_city_accepts_reads_it_and_it_ends(journey):
    purpose = "取水许可需报市水利局审批（浏览器测试）"
    j = journey.login("dlt_agent")
    j.go("/caselist/list/?_flt_0_state=in_progress")
    j.page.locator("table a[href^='/cases/']").first.click()
    expect(j.page).to_have_url(re.compile(r"/cases/\d+$"))
    banner_url = j.page.url
    j.page.click("a.link-case")
    j.page.select_option("#region_id", label="鄂尔多斯市")
    j.page.fill("#project_reference", "城市供水改扩建")
    j.page.fill("#purpose", purpose)
    j.shot("request-link")
    j.page.click("button:has-text('发出联动请求')")
    expect(j.page.locator(".alert-success")).to_contain_text("鄂尔多斯市接受后联动生效")
    expect(j.page.locator(".case-link .link-state")).to_have_text("待对方确认")
    expect(j.page.locator(".case-link .other-items")).to_have_count(0)

    j.login("agent").go("/caselinks/requests")
    row = j.page.locator("table.link-requests-incoming tr", has_text=purpose)
    expect(row).to_be_visible()
    j.shot("requests-waiting")
    row.locator("a.answer-link").click()
    expect(j.page.locator(".link-request")).to_contain_text(purpose)
    j.page.select_option("#counterpart_case_id", index=1)
    j.shot("answer-request")
    j.page.click(".accept-link-form button[type=submit]")
    expect(j.page.locator(".alert-success")).to_contain_text("已接受联动")
    expect(j.page.locator(".case-link .link-state")).to_have_text("联动中")

    j.login("dlt_agent")
    j.page.goto(banner_url)
    expect(j.page.locator(".case-link .link-state")).to_have_text("联动中")
    j.page.locator(".case-link a.case-no").first.click()
    expect(j.page.locator(".read-only-through-link")).to_be_visible()
    expect(j.page.locator("button.step-btn")).to_have_count(0)
    j.shot("read-through-link")
    j.page.goto(banner_url)
    j.step(j.page.locator(".case-link"), "end").fill_note("市级审批已办结").submit()
    expect(j.page.locator(".alert-success")).to_be_visible()
    j.page.goto(banner_url)
    expect(j.page.locator(".case-link .link-state")).to_have_text("已结束")
