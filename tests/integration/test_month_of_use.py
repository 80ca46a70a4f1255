"""What a real month of agency work hits: the calendar changing under open items, records that keep their
history, the catalog's rules, automatic moves told truthfully, closed cases read-only, stalled work shown."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import select

from app.domain.codes import credit_check_character, org_check_character
from app.domain.enums import DayKind
from app.domain.errors import Forbidden, ValidationError
from app.domain.lights import Light
from app.extensions import db
from app.models import Case, CaseEvent, CaseItem, CatalogItem, Enterprise, ItemPause
from app.services import calendar, cases, deadlines
from app.services.cases import DuplicateProject, PlanLine, ProjectOfAnotherEnterprise
from app.services.ledger import LedgerScope, region_scope_for, write_ledger
from app.services.lights import light_book
from tests.factories import ENTERPRISE, PROJECT, apply, catalog_ids

pytestmark = pytest.mark.every_engine  # bulk recomputation and history over a month

D = dt.date


SEPT_20, SEPT_1 = D(2026, 9, 20), D(2026, 9, 1)


def _planned(staff, filing=SEPT_20, names=("取水许可审批",), applied=SEPT_1):
    agent = staff("dlt_agent")
    case = apply(agent, names=names, applied_on=applied)
    cases.accept_case(case.id, agent, applied + dt.timedelta(days=1))
    cases.entrust_case(case.id, agent, applied + dt.timedelta(days=2))
    case = db.session.get(Case, case.id)
    cases.plan_schedule(case.id, [PlanLine(i.id, n, filing) for n, i in enumerate(case.items)], agent)
    cases.fix_plan(case.id, agent, applied + dt.timedelta(days=3))
    return db.session.get(Case, case.id)


def _events(case_id, action):
    return db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.action == action).order_by(CaseEvent.id)
    ).all()


# --- 1. dates follow the calendar -------------------------------------------------------------------------


def test_entering_a_year_after_the_fact_recounts_the_pause_and_the_due_date(app, staff, today_is):
    today_is("2027-01-20")
    water = staff("dlt_liaison_water")
    case = _planned(staff, filing=D(2026, 12, 15), applied=D(2026, 12, 1))
    assert case.planned_end is None and case.planned_end_estimated  # runs into 2027: pending, not guessed
    item = case.items[0]
    cases.accept_item(item.id, water, D(2026, 12, 15))
    cases.move_item(item.id, "review", water, D(2026, 12, 16))
    cases.request_supplement(item.id, water, "缺少论证报告", D(2026, 12, 28))
    cases.resubmit_item(item.id, water, D(2027, 1, 6))
    item = db.session.get(CaseItem, item.id)
    pause = db.session.scalar(select(ItemPause).where(ItemPause.item_id == item.id))
    assert pause.working_days is None and item.paused_days == 0 and item.due_on is None  # pending, not 9 calendar days

    calendar.set_day(D(2027, 1, 1), DayKind.HOLIDAY, "元旦", "", staff("admin"))
    calendar.confirm_year(2027, "国办发明电〔2026〕X号", staff("admin"))

    db.session.expire_all()
    item = db.session.get(CaseItem, item.id)
    pause = db.session.scalar(select(ItemPause).where(ItemPause.item_id == item.id))
    assert pause.working_days == 6  # 12/29, 12/30, 12/31, 1/4, 1/5, 1/6 (1/1 is the entered holiday)
    assert item.paused_days == 6
    assert item.due_on == D(2027, 1, 21)  # 12 working days left in 2026, 14 more in January
    assert db.session.get(Case, case.id).planned_end == D(2027, 1, 13)
    notes = [e.note for e in _events(case.id, "recalculate")]
    assert "因工作日历调整，暂停工作日由 0 改为 6；办理期限由 待定 改为 2027-01-21" in notes
    assert "因工作日历调整，计划办结日期由 待定 改为 2027-01-13" in notes


def test_overriding_a_day_inside_an_open_items_limit_moves_its_due_date_and_says_so(app, staff, today_is):
    water = staff("dlt_liaison_water")
    case = _planned(staff)
    item = case.items[0]
    cases.accept_item(item.id, water, D(2026, 9, 25))
    assert db.session.get(CaseItem, item.id).due_on == D(2026, 10, 29)
    early = _planned(staff, filing=D(2026, 9, 5), applied=D(2026, 9, 1))
    cases.accept_item(early.items[0].id, water, D(2026, 9, 7))
    cases.approve_item(early.items[0].id, water, D(2026, 9, 30))
    early_due = db.session.get(CaseItem, early.items[0].id).due_on
    assert early_due < D(2026, 10, 20)

    calendar.set_day(D(2026, 10, 20), DayKind.HOLIDAY, "本地停工", "暴雪", staff("admin"))

    db.session.expire_all()
    assert db.session.get(CaseItem, item.id).due_on == D(2026, 10, 30)
    assert [e.note for e in _events(case.id, "recalculate")] == [
        "因工作日历调整，办理期限由 2026-10-29 改为 2026-10-30",
        "因工作日历调整，计划办结日期由 2026-10-23 改为 2026-10-26",  # the estimated end follows too
    ]
    assert db.session.get(CaseItem, early.items[0].id).due_on == early_due  # its limit ended before that day
    assert _events(early.id, "recalculate") == []


# --- 2. records keep what was true --------------------------------------------------------------------------


def test_a_later_application_renames_the_enterprise_but_not_the_earlier_case(app, staff, today_is):
    agent = staff("dlt_agent")
    first = apply(agent)
    second = cases.submit_application(
        first.region_id,
        {**ENTERPRISE, "name": "达拉特旗光伏新能源集团有限公司"},
        {**PROJECT, "code": "2026-150621-44-01-999001", "name": "二期项目"},
        "window",
        D(2026, 10, 8),
        catalog_ids("150621", "取水许可审批"),
        agent,
    )
    db.session.expire_all()
    first, second = db.session.get(Case, first.id), db.session.get(Case, second.id)
    company = db.session.get(Enterprise, first.project.enterprise_id)
    assert company.name == "达拉特旗光伏新能源集团有限公司" and second.project.enterprise_id == company.id
    assert first.enterprise_name == "达拉特旗光伏新能源有限公司"  # as submitted
    assert second.enterprise_name == "达拉特旗光伏新能源集团有限公司"
    assert cases.submitted_as(first)["enterprise"]["name"] == "达拉特旗光伏新能源有限公司"
    [change] = cases.history("enterprise", company.id, agent)
    assert change.action == "edit" and change.actor_id == agent.id
    assert change.note == "name: 达拉特旗光伏新能源有限公司 → 达拉特旗光伏新能源集团有限公司"
    region, ids = region_scope_for("150621")
    buffer = io.BytesIO()
    write_ledger(buffer, LedgerScope(ids, region.name))
    buffer.seek(0)
    rows = {r[0]: r for r in openpyxl.load_workbook(buffer)["案件台账"].iter_rows(min_row=4, values_only=True)}
    assert (
        "达拉特旗光伏新能源有限公司" in rows[first.number]
        and "达拉特旗光伏新能源集团有限公司" not in rows[first.number]
    )
    assert "达拉特旗光伏新能源集团有限公司" in rows[second.number]


def test_a_project_code_registered_again_reuses_the_project_or_names_the_open_case(app, staff, today_is):
    agent = staff("dlt_agent")
    code = "2026-150621-44-01-777001"
    first = apply(agent, code=code)
    with pytest.raises(DuplicateProject, match=first.number):
        apply(agent, code=code)
    cases.terminate_case(first.id, agent, "申请人撤回", D(2026, 9, 3))
    again = apply(agent, code=code, name="光伏治沙项目（重新申请）", applied_on=D(2026, 10, 9))
    assert again.project_id == first.project_id
    assert [c.number for c in cases.project_cases(first.project_id, agent)] == [again.number, first.number]
    assert db.session.get(Case, first.id).project_name == PROJECT["name"]
    cases.terminate_case(again.id, agent, "撤回", D(2026, 10, 9))
    first17 = "91150621" + "00001234" + org_check_character("00001234")
    other = {**ENTERPRISE, "name": "另一家企业", "credit_code": first17 + credit_check_character(first17)}
    with pytest.raises(ProjectOfAnotherEnterprise, match=again.number):
        cases.submit_application(again.region_id, other, {**PROJECT, "code": code}, "window", D(2026, 10, 9), [], agent)


# --- 3. the catalog's rules bind the cases ------------------------------------------------------------------


def test_fast_acceptance_is_refused_where_the_catalog_version_planned_with_does_not_allow_it(app, staff, today_is):
    water = staff("dlt_liaison_water")
    case = _planned(staff)
    item = case.items[0]
    with pytest.raises(ValidationError, match="容缺受理"):
        cases.accept_item(item.id, water, D(2026, 9, 25), incomplete=True, promised_on=D(2026, 10, 9))
    with pytest.raises(ValidationError, match="告知承诺"):
        cases.accept_item(item.id, water, D(2026, 9, 25), commitment=True)
    assert db.session.get(CaseItem, item.id).state == "planned"

    entry = db.session.get(CatalogItem, item.catalog_item_id)
    entry.allows_incomplete = True
    db.session.commit()
    later = _planned(staff, applied=D(2026, 9, 2))
    # The earlier case keeps the rule of the version it was planned with; the new one has the new rule.
    with pytest.raises(ValidationError, match="容缺受理"):
        cases.accept_item(item.id, water, D(2026, 9, 25), incomplete=True, promised_on=D(2026, 10, 9))
    accepted = cases.accept_item(later.items[0].id, water, D(2026, 9, 25), incomplete=True, promised_on=D(2026, 10, 9))
    assert accepted.incomplete_acceptance and accepted.materials_promised_on == D(2026, 10, 9)


# --- 4. one state machine, the whole truth -----------------------------------------------------------------


def test_a_liaisons_first_move_starts_the_case_as_the_system_not_as_the_agent(app, staff, today_is):
    case = _planned(staff)
    cases.accept_item(case.items[0].id, staff("dlt_liaison_water"), D(2026, 9, 25))
    [start] = _events(case.id, "start")
    assert start.actor_id is None and (start.from_state, start.to_state) == ("planned", "in_progress")
    assert start.subject_type == "case" and start.note == case.items[0].name
    assert db.session.get(Case, case.id).state == "in_progress"


def test_terminating_a_case_withdraws_its_items_from_the_state_each_was_in(app, staff, today_is):
    agent = staff("dlt_agent")
    case = _planned(staff, names=("取水许可审批", "建设用地规划许可证核发"))
    guided, untouched = case.items
    cases.move_item(guided.id, "prepare", agent, D(2026, 9, 10))
    cases.terminate_case(case.id, agent, "项目暂缓", D(2026, 9, 12))
    withdrawals = {e.item_id: e for e in _events(case.id, "withdraw")}
    assert withdrawals[guided.id].from_state == "preparing"
    assert withdrawals[untouched.id].from_state == "planned"
    assert all(e.actor_id is None and e.note == "项目暂缓" and e.subject_type == "item" for e in withdrawals.values())


def test_a_closed_case_is_read_only_and_plan_steps_wait_for_the_entrustment(app, staff, today_is):
    agent = staff("dlt_agent")
    new = apply(agent)
    access = cases.case_access(new, agent)
    assert not access.can_edit_plan and all(a == [] for a in access.item_actions.values())
    with pytest.raises(ValidationError):
        cases.plan_schedule(new.id, [PlanLine(new.items[0].id, 1, D(2026, 9, 20))], agent)
    with pytest.raises(ValidationError):
        cases.move_item(new.items[0].id, "prepare", agent, D(2026, 9, 2))

    case = _planned(staff)
    cases.terminate_case(case.id, agent, "撤回", D(2026, 9, 5))
    closed = db.session.get(Case, case.id)
    access = cases.case_access(closed, agent)
    assert access.case_actions == [] and not (access.can_assign_agent or access.can_edit_plan or access.can_add_items)
    with pytest.raises(ValidationError):
        cases.assign_agent(closed.id, agent.id, agent)
    with pytest.raises(ValidationError):
        cases.choose_items(closed.id, catalog_ids("150621", "企业投资项目备案"), "", agent)
    with pytest.raises(ValidationError):
        cases.plan_schedule(closed.id, [], agent)
    with pytest.raises((ValidationError, Forbidden)):
        cases.move_item(closed.items[0].id, "withdraw", agent, D(2026, 9, 6), note="再撤")


# --- 5. stalled and urgent work is visible ------------------------------------------------------------------


def test_an_application_never_accepted_turns_red_and_leads_the_agents_queue(app, staff, today_is):
    agent = staff("dlt_agent")
    stalled = apply(agent, applied_on=D(2026, 7, 1))
    assert stalled.step_due_on == D(2026, 7, 3)  # 2 working days to accept (local default)
    overdue = _planned(staff)
    cases.accept_item(overdue.items[0].id, staff("dlt_liaison_water"), D(2026, 9, 25))  # due 10-29: red today
    book = light_book()
    assert book.case(db.session.get(Case, stalled.id)) is Light.RED
    queue = cases.agent_queue(agent)
    assert [row.record.id for row in queue][:2] == [stalled.id, overdue.id]
    assert queue[0].deadline == D(2026, 7, 3)


def test_an_entrustment_without_a_plan_has_a_limit_and_administrators_can_change_it(app, staff, today_is):
    agent = staff("dlt_agent")
    case = apply(agent)
    cases.accept_case(case.id, agent, D(2026, 9, 2))
    cases.entrust_case(case.id, agent, D(2026, 9, 3))
    assert db.session.get(Case, case.id).step_due_on == D(2026, 9, 10)  # 5 working days
    with pytest.raises(Forbidden):
        deadlines.set_step_limit("entrusted", 10, agent)
    with pytest.raises(ValidationError):
        deadlines.set_step_limit("entrusted", 0, staff("admin"))
    assert deadlines.set_step_limit("entrusted", 10, staff("admin")) == 1
    db.session.expire_all()
    assert db.session.get(Case, case.id).step_due_on == D(2026, 9, 17)
    [note] = [e.note for e in _events(case.id, "recalculate")]
    assert "5 个工作日调整为 10 个" in note and "2026-09-10 改为 2026-09-17" in note


def test_a_paused_item_keeps_its_due_date_and_remembers_it_was_overdue_when_the_clock_stopped(app, staff, today_is):
    water = staff("dlt_liaison_water")
    case = _planned(staff)
    item = case.items[0]
    cases.accept_item(item.id, water, D(2026, 9, 25))
    cases.move_item(item.id, "review", water, D(2026, 9, 28))
    cases.request_supplement(item.id, water, "缺材料", D(2026, 11, 2))  # after the due date 10-29
    item = db.session.get(CaseItem, item.id)
    book = light_book()
    assert item.due_on == D(2026, 10, 29) and book.item(item) is Light.PAUSED
    assert book.overdue_when_paused(item)


def test_an_administrator_sets_a_step_limit_on_its_page_and_bad_input_changes_nothing(login, staff, today_is):
    admin = login("admin")
    page = admin.get("/settings/step-limits/").get_data(as_text=True)
    assert "代办时限" in page and 'value="2"' in page
    answer = admin.post("/settings/step-limits/submitted", data={"working_days": "abc"}, follow_redirects=True)
    assert "1 至 60" in answer.get_data(as_text=True)
    assert deadlines.step_limits()["submitted"] == 2
    answer = admin.post("/settings/step-limits/submitted", data={"working_days": "4"}, follow_redirects=True)
    assert "已保存" in answer.get_data(as_text=True) and deadlines.step_limits()["submitted"] == 4
    agent = login("dlt_agent")
    assert agent.post("/settings/step-limits/submitted", data={"working_days": "9"}).status_code in (302, 403)
    assert deadlines.step_limits()["submitted"] == 4
