"""The case service: the whole journey, every forbidden move, due dates with pauses, scope and conflicts."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from app.domain.errors import Forbidden, NotFound, StaleRecord, ValidationError
from app.domain.workflow import CASE_TRANSITIONS, CaseState
from app.extensions import db
from app.models import Case, CaseEvent, CaseItem, CatalogItem, Enterprise
from app.services import cases, materials
from app.services.cases import PlanLine
from app.services.deadlines import Deadlines
from tests.factories import apply

pytestmark = pytest.mark.every_engine  # the engine's transactions and version checks

D = dt.date


def _planned_case(staff, filing=None):
    filing = filing or D(2026, 9, 20)
    agent = staff("dlt_agent")
    case = apply(agent)
    cases.accept_case(case.id, agent, D(2026, 9, 2))
    cases.entrust_case(case.id, agent, D(2026, 9, 3))
    lines = [PlanLine(item.id, n, filing) for n, item in enumerate(case.items)]
    cases.plan_schedule(case.id, lines, agent)
    cases.fix_plan(case.id, agent, D(2026, 9, 4))
    return db.session.get(Case, case.id)


def _item(case, name):
    return next(i for i in case.items if i.name == name)


def _events(case_id):
    return db.session.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)).all()


def _allow_incomplete(name):
    for entry in db.session.scalars(select(CatalogItem).where(CatalogItem.name == name)):
        entry.allows_incomplete = True
    db.session.commit()


def test_the_whole_journey_from_application_to_evaluation(app, staff, today_is):
    agent, water, land = staff("dlt_agent"), staff("dlt_liaison_water"), staff("dlt_liaison_land")
    _allow_incomplete("建设用地规划许可证核发")
    case = _planned_case(staff)
    assert case.state == "planned" and case.agent_id == agent.id
    permit = _item(case, "取水许可审批")
    cases.accept_item(permit.id, water, D(2026, 9, 25))
    assert db.session.get(Case, case.id).state == "in_progress"  # the first acceptance starts the case
    cases.move_item(permit.id, "review", water, D(2026, 9, 28))
    cases.request_supplement(permit.id, water, "缺水资源论证报告", D(2026, 9, 29))
    cases.resubmit_item(permit.id, water, D(2026, 10, 9))
    cases.approve_item(permit.id, water, D(2026, 10, 20))
    plan = _item(db.session.get(Case, case.id), "建设用地规划许可证核发")
    cases.accept_item(plan.id, land, D(2026, 9, 25), incomplete=True, promised_on=D(2026, 10, 15))
    cases.approve_item(plan.id, land, D(2026, 10, 12))
    cases.complete_case(case.id, agent, D(2026, 10, 21), archived=True)
    cases.evaluate_case(case.id, agent, "very_satisfied", "服务周到")
    case = db.session.get(Case, case.id)
    assert case.state == "evaluated"
    assert case.evaluation.level == "very_satisfied"
    assert _events(case.id) == [
        "submit",
        "add_item",
        "add_item",
        "accept",
        "entrust",
        "plan_schedule",
        "plan",
        "accept",
        "start",
        "review",
        "request_supplement",
        "resubmit",
        "approve",
        "accept",
        "approve",
        "complete",
        "evaluate",
    ]


def test_the_due_date_counts_working_days_across_national_day_and_the_pause(app, staff, today_is):
    case = _planned_case(staff)
    water = staff("dlt_liaison_water")
    permit = _item(case, "取水许可审批")
    cases.accept_item(permit.id, water, D(2026, 9, 25))
    assert db.session.get(CaseItem, permit.id).due_on == D(2026, 10, 29)  # 20 working days, National Day skipped
    cases.move_item(permit.id, "review", water, D(2026, 9, 28))
    cases.request_supplement(permit.id, water, "缺材料", D(2026, 9, 29))
    assert db.session.get(CaseItem, permit.id).due_on == D(2026, 10, 29)  # still shown while the clock stands
    cases.resubmit_item(permit.id, water, D(2026, 10, 9))
    item = db.session.get(CaseItem, permit.id)
    assert item.paused_days == 3  # 9/30, 10/8, 10/9 (10/10 is the make-up Saturday, after the resume)
    assert item.due_on == D(2026, 11, 3)


def test_a_limit_running_into_2027_is_recorded_without_a_due_date_until_2027_is_entered(app, staff, today_is):
    today_is("2026-12-20")
    case = _planned_case(staff, filing=D(2026, 12, 1))
    permit = _item(case, "取水许可审批")
    cases.accept_item(permit.id, staff("dlt_liaison_water"), D(2026, 12, 15))
    assert db.session.get(CaseItem, permit.id).due_on is None
    from app.domain.enums import DayKind
    from app.services import calendar

    calendar.set_day(D(2027, 1, 1), DayKind.HOLIDAY, "元旦", "", staff("admin"))
    calendar.confirm_year(2027, "测试", staff("admin"))
    assert db.session.get(CaseItem, permit.id).due_on == D(2027, 1, 13)


@pytest.mark.parametrize("transition", CASE_TRANSITIONS, ids=lambda t: f"{t.state}-{t.action}")
def test_every_case_action_is_refused_from_every_other_state(app, staff, today_is, transition):
    case = apply(staff("dlt_agent"))
    for state in CaseState:
        if any(t.state == state.value and t.action == transition.action for t in CASE_TRANSITIONS):
            continue
        db.session.get(Case, case.id).state = state.value
        db.session.commit()
        with pytest.raises(ValidationError):
            cases.move_case(
                case.id,
                transition.action,
                staff("dlt_agent"),
                D(2026, 10, 1),
                note="x",
                archived=True,
                level="satisfied",
            )
        db.session.expire_all()
        assert db.session.get(Case, case.id).state == state.value


def test_what_must_be_filled_first_is_named(app, staff, today_is):
    agent = staff("dlt_agent")
    case = apply(agent, names=("取水许可审批",))
    with pytest.raises(ValidationError, match="reason"):
        cases.refuse_case(case.id, agent, "")
    cases.accept_case(case.id, agent, D(2026, 9, 2))
    cases.entrust_case(case.id, agent, D(2026, 9, 3))
    with pytest.raises(ValidationError, match="planned filing date"):
        cases.fix_plan(case.id, agent, D(2026, 9, 4))
    case = db.session.get(Case, case.id)
    cases.plan_schedule(case.id, [PlanLine(case.items[0].id, 1, D(2026, 9, 10))], agent)
    cases.fix_plan(case.id, agent, D(2026, 9, 4))
    cases.move_case(case.id, "start", agent, D(2026, 9, 5))
    with pytest.raises(ValidationError, match="still open"):
        cases.complete_case(case.id, agent, D(2026, 9, 30), archived=True)
    original = next(m for m in db.session.get(Case, case.id).items[0].materials if m.form == "original")
    materials.receive(original.id, agent, D(2026, 9, 3))
    with pytest.raises(ValidationError, match="materials"):
        cases.terminate_case(case.id, agent, "申请人撤回")
    materials.give_back(original.id, agent, D(2026, 10, 1))
    cases.terminate_case(case.id, agent, "申请人撤回", D(2026, 10, 1))
    case = db.session.get(Case, case.id)
    assert case.state == "terminated" and case.close_reason == "申请人撤回"
    assert case.items[0].state == "withdrawn"  # nothing deleted, the item is closed as withdrawn


def test_a_liaison_moves_only_their_departments_items_of_their_banner(app, staff, today_is):
    case = _planned_case(staff)
    permit, plan = _item(case, "取水许可审批"), _item(case, "建设用地规划许可证核发")
    with pytest.raises(NotFound):
        cases.accept_item(plan.id, staff("dlt_liaison_water"), D(2026, 9, 25))
    with pytest.raises(NotFound):
        cases.accept_item(permit.id, staff("liaison"), D(2026, 9, 25))  # the city's water bureau
    with pytest.raises(Forbidden):
        cases.accept_item(permit.id, staff("dlt_agent"), D(2026, 9, 25))  # acceptance is the department's
    assert db.session.get(CaseItem, permit.id).state == "planned"


def test_an_agent_of_another_banner_cannot_touch_the_case(app, staff, today_is):
    case = apply(staff("dlt_agent"))
    with pytest.raises(NotFound):
        cases.accept_case(case.id, staff("agent"), D(2026, 9, 2))


def test_the_second_of_two_concurrent_edits_is_refused_with_who_and_when(app, staff, today_is):
    case = _planned_case(staff)
    permit = _item(case, "取水许可审批")
    seen_version = permit.version
    cases.accept_item(permit.id, staff("dlt_liaison_water"), D(2026, 9, 25), expected_version=seen_version)
    with pytest.raises(StaleRecord) as raised:
        cases.accept_item(permit.id, staff("dlt_liaison_water"), D(2026, 9, 26), expected_version=seen_version)
    assert raised.value.params["who"] == "dlt_liaison_water"
    assert db.session.get(CaseItem, permit.id).accepted_on == D(2026, 9, 25)


def test_dates_in_the_future_or_before_the_previous_step_are_refused(app, staff, today_is):
    case = _planned_case(staff)
    permit = _item(case, "取水许可审批")
    with pytest.raises(ValidationError, match="future"):
        cases.accept_item(permit.id, staff("dlt_liaison_water"), D(2026, 12, 1))
    with pytest.raises(ValidationError, match="before"):
        cases.accept_item(permit.id, staff("dlt_liaison_water"), D(2026, 8, 1))


def test_an_application_with_a_bad_credit_code_writes_nothing(app, staff, today_is):
    from tests.factories import ENTERPRISE, PROJECT, catalog_ids

    before = db.session.scalar(select(func.count(Case.id)))
    with pytest.raises(ValidationError, match="check character"):
        cases.submit_application(
            staff("dlt_agent").region_id,
            {**ENTERPRISE, "credit_code": "91350100M000100Y44"},
            PROJECT,
            "window",
            D(2026, 9, 1),
            catalog_ids("150621", "取水许可审批"),
            staff("dlt_agent"),
        )
    assert db.session.scalar(select(func.count(Case.id))) == before
    assert db.session.scalar(select(func.count(Enterprise.id))) == 0


def test_the_enterprise_is_reused_by_its_credit_code(app, staff, today_is):
    first = apply(staff("dlt_agent"))
    second = apply(staff("dlt_agent"), name="第二个项目")
    assert first.project.enterprise_id == second.project.enterprise_id
    assert second.number.endswith("-0002")


def test_evaluation_is_recorded_once(app, staff, today_is):
    case = apply(staff("dlt_agent"), names=("取水许可审批",))
    db.session.get(Case, case.id).state = "completed"
    db.session.commit()
    cases.evaluate_case(case.id, staff("dlt_agent"), "dissatisfied", "太慢")
    with pytest.raises(ValidationError):
        cases.evaluate_case(case.id, staff("dlt_agent"), "satisfied")


def test_a_lost_race_between_two_requests_is_refused_not_merged(app, staff, today_is, monkeypatch):
    """Both requests read version v; the other one commits first; ours must fail, not overwrite."""
    from sqlalchemy.orm import Session

    case = _planned_case(staff)
    permit = _item(case, "取水许可审批")
    water = staff("dlt_liaison_water")
    real_due_date = Deadlines.due_date

    def concurrent_commit_first(self, item):
        # Another liaison's request commits on its own connection while ours is in flight.
        with Session(db.engine) as other:
            theirs = other.get(CaseItem, item.id)
            theirs.note = "另一位联络员的修改"
            other.commit()
        return real_due_date(self, item)

    monkeypatch.setattr(Deadlines, "due_date", concurrent_commit_first)
    with pytest.raises(StaleRecord):
        cases.accept_item(permit.id, water, D(2026, 9, 25), expected_version=permit.version)
    db.session.expire_all()
    stored = db.session.get(CaseItem, permit.id)
    assert stored.state == "planned" and stored.note == "另一位联络员的修改"
    accepted = db.session.scalars(
        select(CaseEvent).where(CaseEvent.item_id == permit.id, CaseEvent.action == "accept")
    ).all()
    assert accepted == []


def test_a_closed_item_keeps_the_working_days_it_took_less_its_pause(app, staff, today_is):
    case = _planned_case(staff)
    water = staff("dlt_liaison_water")
    permit = _item(case, "取水许可审批")
    cases.accept_item(permit.id, water, D(2026, 9, 25))
    cases.move_item(permit.id, "review", water, D(2026, 9, 28))
    cases.request_supplement(permit.id, water, "缺材料", D(2026, 9, 29))
    cases.resubmit_item(permit.id, water, D(2026, 10, 9))
    assert db.session.get(CaseItem, permit.id).used_days is None  # open: nothing used yet
    cases.move_item(permit.id, "approve", water, D(2026, 10, 13))
    # Working days after acceptance: 9/28, 9/29, 9/30, 10/8, 10/9, 10/10 (make-up Saturday), 10/12, 10/13 = 8,
    # less the 3 paused (9/30, 10/8, 10/9).
    assert db.session.get(CaseItem, permit.id).used_days == 5
