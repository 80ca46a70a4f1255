"""What a user reads of the truth kept: a case page and list as submitted, a record's corrections, pending and
paused due dates."""

from __future__ import annotations

import datetime as dt

import pytest

from app.extensions import db
from app.models import Case
from app.services import cases
from app.services.cases import PlanLine
from tests.factories import ENTERPRISE, PROJECT, apply, catalog_ids

D = dt.date


pytestmark = pytest.mark.usefixtures("today_is")


def _renamed(staff):
    """A first case, then a second application of the same enterprise under a new name."""
    agent = staff("dlt_agent")
    first = apply(agent)
    cases.submit_application(
        first.region_id,
        {**ENTERPRISE, "name": "达拉特旗光伏新能源集团有限公司"},
        {**PROJECT, "code": "2026-150621-44-01-888001", "name": "二期项目"},
        "window",
        D(2026, 10, 8),
        catalog_ids("150621", "取水许可审批"),
        agent,
    )
    return db.session.get(Case, first.id)


def test_an_old_case_page_and_the_case_list_show_the_applicant_as_submitted(login, staff):
    first = _renamed(staff)
    client = login("dlt_agent")
    page = client.get(f"/cases/{first.id}").get_data(as_text=True)
    assert "达拉特旗光伏新能源有限公司" in page and "达拉特旗光伏新能源集团有限公司" not in page
    assert "此后已有更正" in page and f"/enterprises/show/{first.project.enterprise_id}" in page
    listing = client.get("/caselist/list/").get_data(as_text=True)
    row = next(r for r in listing.split("<tr") if f">{first.number}<" in r)
    assert "达拉特旗光伏新能源有限公司" in row


def test_the_enterprise_page_lists_its_corrections_with_labels_and_who(login, staff):
    first = _renamed(staff)
    page = login("dlt_agent").get(f"/enterprises/show/{first.project.enterprise_id}").get_data(as_text=True)
    assert "变更记录" in page
    assert "项目单位名称: 达拉特旗光伏新能源有限公司 → 达拉特旗光伏新能源集团有限公司" in page
    assert "刘晓燕" in page.split("变更记录", 1)[1]  # who corrected it
    # The city agent (city cases only) cannot read it: the history sits behind the record's own row scope.
    assert login("agent").get(f"/enterprises/show/{first.project.enterprise_id}").status_code == 404


def test_a_phone_in_a_records_history_and_a_cases_timeline_follows_the_fields_masking_rule(login, staff):
    first = _renamed(staff)
    agent = staff("dlt_agent")
    cases.update_enterprise(first.project.enterprise_id, {**ENTERPRISE, "contact_phone": "13912345678"}, agent)
    cases.refuse_case(
        cases.submit_application(
            first.region_id,
            ENTERPRISE,
            {**PROJECT, "code": "2026-150621-44-01-888002"},
            "window",
            D(2026, 10, 9),
            catalog_ids("150621", "取水许可审批"),
            agent,
        ).id,
        agent,
        "材料不全，已电话告知 13904770000",
        D(2026, 10, 10),
    )
    refused = db.session.scalars(db.select(Case).where(Case.state == "refused")).one()
    url = f"/enterprises/show/{first.project.enterprise_id}"
    supervisor = login("dlt_supervisor")
    page = supervisor.get(url).get_data(as_text=True)
    assert "139****5678" in page and "13912345678" not in page and "13904770000" not in page
    timeline = supervisor.get(f"/cases/{refused.id}").get_data(as_text=True)
    assert "已电话告知 139****0000" in timeline and "13904770000" not in timeline
    ledger = supervisor.get("/caselist/ledger")
    assert b"13904770000" not in ledger.data  # the reason column of the ledger too (its zip holds the text)
    agent_page = login("dlt_agent").get(url).get_data(as_text=True)
    assert "13912345678" in agent_page  # agents call applicants: whole numbers, as in the fields


def test_a_project_applied_for_again_lists_its_other_cases(login, staff):
    agent = staff("dlt_agent")
    first = apply(agent, code="2026-150621-44-01-888002")
    cases.terminate_case(first.id, agent, "撤回", D(2026, 9, 3))
    again = apply(agent, code="2026-150621-44-01-888002", applied_on=D(2026, 10, 9))
    page = login("dlt_agent").get(f"/cases/{again.id}").get_data(as_text=True)
    assert "该项目的其他案件" in page and first.number in page


def test_a_due_date_waiting_for_next_years_calendar_reads_pending_and_a_paused_one_stays_visible(login, staff, app):
    app.config["TODAY"] = "2026-12-20"
    agent, water = staff("dlt_agent"), staff("dlt_liaison_water")
    case = apply(agent, names=("取水许可审批", "建设用地规划许可证核发"))
    cases.accept_case(case.id, agent, D(2026, 9, 2))
    cases.entrust_case(case.id, agent, D(2026, 9, 3))
    case = db.session.get(Case, case.id)
    cases.plan_schedule(case.id, [PlanLine(i.id, n, D(2026, 9, 20)) for n, i in enumerate(case.items)], agent)
    cases.fix_plan(case.id, agent, D(2026, 9, 4))
    late, paused = case.items
    cases.accept_item(late.id, water, D(2026, 12, 15))  # 20 working days run into 2027, not entered
    cases.accept_item(paused.id, staff("dlt_liaison_land"), D(2026, 9, 25))
    cases.move_item(paused.id, "review", staff("dlt_liaison_land"), D(2026, 9, 28))
    cases.request_supplement(paused.id, staff("dlt_liaison_land"), "缺材料", D(2026, 11, 2))
    page = login("dlt_agent").get(f"/cases/{case.id}").get_data(as_text=True)
    late_row = page.split(f'data-item="{late.id}"', 1)[1].split("</tr>", 1)[0]
    paused_row = page.split(f'data-item="{paused.id}"', 1)[1].split("</tr>", 1)[0]
    assert "待定" in late_row
    assert "2026-10-29" in paused_row and "计时暂停" in paused_row and "暂停前已超期" in paused_row
