"""会商联审: meetings, decisions tracked to closure like items, escalations that feed the meetings."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.domain.enums import DayKind
from app.domain.errors import Forbidden, NotFound, ValidationError
from app.domain.lights import Light
from app.extensions import db
from app.models import CaseEvent, Decision, Department
from app.services import calendar, coordination
from app.services.cases import PlanLine, accept_case, entrust_case, fix_plan, plan_schedule
from app.services.coordination import ReviewPlan
from app.services.lights import light_book
from app.services.urgency import decision_overdue_sql
from tests.factories import apply

D = dt.date
pytestmark = [pytest.mark.every_engine, pytest.mark.usefixtures("today_is")]
# every_engine: transactions across meetings, escalations and decisions


def _department(region_id, kind):
    return db.session.scalar(select(Department).where(Department.region_id == region_id, Department.kind == kind))


def _case_at_work(staff):
    agent = staff("dlt_agent")
    case = apply(agent)
    accept_case(case.id, agent, D(2026, 9, 2))
    entrust_case(case.id, agent, D(2026, 9, 3))
    plan_schedule(case.id, [PlanLine(i.id, n, D(2026, 9, 20)) for n, i in enumerate(case.items)], agent)
    fix_plan(case.id, agent, D(2026, 9, 4))
    return case


NOV_2 = D(2026, 11, 2)


def _held_meeting(staff, case, held=NOV_2, escalation_ids=()):
    supervisor = staff("dlt_supervisor")
    water, land = (_department(case.region_id, k) for k in ("水利部门", "自然资源部门"))
    review = coordination.plan_review(
        ReviewPlan(
            region_id=case.region_id,
            held_on=held,
            topic="光伏项目取水与用地协调",
            convened_by="government",
            chair="张副旗长",
            stages=("project_land",),
            department_ids=(water.id, land.id),
            case_ids=(case.id,),
            escalation_ids=tuple(escalation_ids),
        ),
        supervisor,
    )
    with pytest.raises(ValidationError, match="attended"):
        coordination.move_review(review.id, "hold", supervisor, held)
    coordination.record_attendance(review.id, {water.id: (True, "李局长"), land.id: (False, "")}, supervisor)
    coordination.move_review(review.id, "hold", supervisor, held)
    return review, water, land


def test_an_escalation_goes_to_a_meeting_whose_decision_shows_on_the_case_and_closes_by_the_liaison(staff):
    case = _case_at_work(staff)
    water_item = case.items[0]
    escalation = coordination.escalate(
        case.id,
        staff("dlt_agent"),
        "取水指标不足",
        tried="已与水利局两次沟通",
        item_id=water_item.id,
        on=D(2026, 10, 20),
    )
    assert [e.id for e in coordination.waiting_escalations(staff("dlt_supervisor"))] == [escalation.id]
    review, water, _ = _held_meeting(staff, case, escalation_ids=[escalation.id])
    assert db.session.get(type(escalation), escalation.id).state == "taken"
    assert coordination.waiting_escalations(staff("dlt_supervisor")) == []

    decision = coordination.decide(
        review.id,
        "水利局5个工作日内出具取水指标调剂意见",
        water.id,
        staff("dlt_supervisor"),
        item_id=water_item.id,
        due_days=5,
    )
    assert decision.due_on == D(2026, 11, 9)  # 5 working days after Monday 2 November
    about = coordination.for_case(case, staff("dlt_agent"))
    assert [r.id for r in about.reviews] == [review.id]
    assert [d.id for d in about.open_decisions_of(water_item.id)] == [decision.id]

    liaison = staff("dlt_liaison_water")
    assert [d.id for d in coordination.department_decisions(liaison)] == [decision.id]
    assert coordination.department_decisions(staff("dlt_liaison_land")) == []
    with pytest.raises(NotFound):
        coordination.move_decision(decision.id, "fulfil", staff("dlt_liaison_land"), D(2026, 11, 6), note="办完")
    with pytest.raises(Forbidden):
        coordination.move_decision(decision.id, "drop", liaison, D(2026, 11, 6), note="不办")
    coordination.move_decision(decision.id, "fulfil", liaison, D(2026, 11, 6), note="已出具调剂意见")
    decision = db.session.get(Decision, decision.id)
    assert (decision.state, decision.closed_on, decision.close_note) == ("done", D(2026, 11, 6), "已出具调剂意见")
    timeline = db.session.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case.id)).all()
    assert {"escalate", "take_up", "decide", "fulfil"} <= set(timeline)


def test_a_decisions_deadline_counts_working_days_lights_like_an_item_and_follows_the_calendar(staff, today_is):
    case = _case_at_work(staff)
    review, water, _ = _held_meeting(staff, case)
    decision = coordination.decide(
        review.id, "出具意见", water.id, staff("dlt_supervisor"), case_id=case.id, due_days=5
    )
    late = coordination.decide(review.id, "补充论证", water.id, staff("dlt_supervisor"), due_on=D(2026, 11, 20))
    book = light_book()  # today is 2026-11-27
    assert book.light(decision.due_on) is Light.RED and book.light(late.due_on) is Light.RED
    overdue = set(db.session.scalars(select(Decision.id).where(decision_overdue_sql(D(2026, 11, 27)))))
    assert overdue == {decision.id, late.id}
    assert set(db.session.scalars(select(Decision.id).where(decision_overdue_sql(D(2026, 11, 10))))) == {decision.id}

    calendar.set_day(D(2026, 11, 5), DayKind.HOLIDAY, "本地停工", "", staff("admin"))
    db.session.expire_all()
    assert db.session.get(Decision, decision.id).due_on == D(2026, 11, 10)  # the count moves with the calendar
    assert db.session.get(Decision, late.id).due_on == D(2026, 11, 20)  # a date given as a date stays


def test_a_meeting_issues_its_minutes_only_once_written_and_a_cancelled_one_keeps_its_reason(staff):
    case = _case_at_work(staff)
    review, _, _ = _held_meeting(staff, case)
    supervisor = staff("dlt_supervisor")
    with pytest.raises(ValidationError, match="minutes"):
        coordination.move_review(review.id, "publish", supervisor)
    coordination.write_minutes(review.id, "会议议定：……", supervisor)
    assert coordination.move_review(review.id, "publish", supervisor).state == "published"
    with pytest.raises(ValidationError):
        coordination.decide(review.id, "迟到的决定", review.participants[0].department_id, supervisor, due_days=3)

    other = coordination.plan_review(
        ReviewPlan(
            case.region_id, D(2026, 12, 1), "另一次会商", department_ids=(review.participants[0].department_id,)
        ),
        supervisor,
    )
    with pytest.raises(ValidationError):
        coordination.move_review(other.id, "cancel", supervisor)
    assert coordination.move_review(other.id, "cancel", supervisor, note="议题已解决").cancel_reason == "议题已解决"


def test_only_agents_escalate_only_conveners_plan_and_other_regions_see_nothing(staff):
    case = _case_at_work(staff)
    with pytest.raises(Forbidden):
        coordination.escalate(case.id, staff("dlt_liaison_water"), "原因")
    with pytest.raises(ValidationError):
        coordination.escalate(case.id, staff("dlt_agent"), "  ")
    with pytest.raises(Forbidden):
        coordination.plan_review(ReviewPlan(case.region_id, D(2026, 11, 2), "议题"), staff("dlt_liaison_water"))
    review, _, _ = _held_meeting(staff, case)
    with pytest.raises(NotFound):
        coordination.load_review(review.id, staff("agent"))  # the city's agent: another level's meeting
    assert coordination.load_review(review.id, staff("supervisor")).id == review.id  # the city supervisor sees below


def test_the_demo_has_meetings_in_every_state_decisions_in_every_state_and_a_waiting_escalation(app, password_hash):
    from app.models import Escalation, JointReview
    from app.services.demo import demo_staff, seed_demo_cases, seed_demo_coordination

    demo_staff(password_hash)
    seed_demo_cases()
    assert seed_demo_coordination() == 12
    assert seed_demo_coordination() == 0  # a second run adds nothing
    assert set(db.session.scalars(select(JointReview.state))) == {"published", "preparing", "cancelled"}
    assert set(db.session.scalars(select(Decision.state))) == {"open", "done", "cancelled"}
    assert set(db.session.scalars(select(Escalation.state))) == {"waiting", "taken"}


def test_a_cancelled_meeting_gives_its_escalations_back_to_the_next_one(staff):
    case = _case_at_work(staff)
    agent, supervisor = staff("dlt_agent"), staff("dlt_supervisor")
    escalation = coordination.escalate(case.id, agent, "用地预审卡住", on=D(2026, 11, 20))
    water = _department(case.region_id, "水利部门")
    first = coordination.plan_review(
        ReviewPlan(
            case.region_id, D(2026, 12, 3), "首次会商", department_ids=(water.id,), escalation_ids=(escalation.id,)
        ),
        supervisor,
    )
    assert coordination.waiting_escalations(supervisor) == []
    coordination.move_review(first.id, "cancel", supervisor, note="分管领导出差")
    db.session.expire_all()
    back = db.session.get(type(escalation), escalation.id)
    assert back.state == "waiting" and back.review_id is None
    assert [e.id for e in coordination.waiting_escalations(supervisor)] == [escalation.id]
    entries = db.session.scalars(
        select(CaseEvent)
        .where(CaseEvent.subject_type == "escalation", CaseEvent.subject_id == escalation.id)
        .order_by(CaseEvent.id)
    ).all()
    assert [e.action for e in entries][-1] == "release" and entries[-1].note == "分管领导出差"
    second = coordination.plan_review(
        ReviewPlan(
            case.region_id, D(2026, 12, 10), "再次会商", department_ids=(water.id,), escalation_ids=(escalation.id,)
        ),
        supervisor,
    )
    assert db.session.get(type(escalation), escalation.id).review_id == second.id


def test_a_meeting_in_preparation_is_rescheduled_and_only_then(staff):
    case = _case_at_work(staff)
    supervisor = staff("dlt_supervisor")
    water, land = (_department(case.region_id, k) for k in ("水利部门", "自然资源部门"))
    review = coordination.plan_review(
        ReviewPlan(case.region_id, D(2026, 12, 3), "取水协调", department_ids=(water.id,)), supervisor
    )
    moved = coordination.reschedule_review(
        review.id, D(2026, 12, 8), "取水与用地协调", "王副旗长", (water.id, land.id), supervisor, review.version
    )
    db.session.expire_all()
    moved = coordination.load_review(review.id, supervisor)
    assert (moved.held_on, moved.topic, moved.chair) == (D(2026, 12, 8), "取水与用地协调", "王副旗长")
    assert {p.department_id for p in moved.participants} == {water.id, land.id}
    [entry] = db.session.scalars(
        select(CaseEvent).where(CaseEvent.subject_type == "review", CaseEvent.action == "reschedule")
    ).all()
    assert "2026-12-03 → 2026-12-08" in entry.note and f"+ {land.name}" in entry.note
    with pytest.raises(ValidationError, match="departments"):
        coordination.reschedule_review(review.id, D(2026, 12, 8), "议题", "", (), supervisor)
    coordination.move_review(review.id, "cancel", supervisor, note="取消")
    with pytest.raises(ValidationError, match="preparation"):
        coordination.reschedule_review(review.id, D(2026, 12, 9), "议题", "", (water.id,), supervisor)


def test_attendance_of_a_meeting_still_to_come_is_refused(staff, today_is):
    case = _case_at_work(staff)
    supervisor = staff("dlt_supervisor")
    water = _department(case.region_id, "水利部门")
    review = coordination.plan_review(
        ReviewPlan(case.region_id, D(2026, 12, 3), "取水协调", department_ids=(water.id,)), supervisor
    )
    with pytest.raises(ValidationError, match="2026-12-03"):
        coordination.record_attendance(review.id, {water.id: (True, "李局长")}, supervisor)
    assert db.session.get(type(review), review.id).participants[0].attended is None
    today_is("2026-12-03")
    coordination.record_attendance(review.id, {water.id: (True, "李局长")}, supervisor)
    assert db.session.get(type(review), review.id).participants[0].attended is True
