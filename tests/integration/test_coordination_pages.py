"""会商联审 through the screens: an agent escalates, a supervisor plans and holds the meeting and records a
decision, the liaison finds it in their queue and marks it done; the role × transition matrix of the new rows."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
from sqlalchemy import select

from app.domain.coordination import DECISION_TRANSITIONS, ESCALATION_TRANSITIONS, REVIEW_TRANSITIONS
from app.domain.engine import SYSTEM
from app.domain.enums import RoleName
from app.extensions import db
from app.models import Decision, Department, Escalation, JointReview
from app.services.cases import PlanLine, accept_case, entrust_case, fix_plan, plan_schedule
from tests.factories import apply

D = dt.date
pytestmark = pytest.mark.usefixtures("today_is")


def _case(staff):
    agent = staff("dlt_agent")
    case = apply(agent)
    accept_case(case.id, agent, D(2026, 9, 2))
    entrust_case(case.id, agent, D(2026, 9, 3))
    plan_schedule(case.id, [PlanLine(i.id, n, D(2026, 9, 20)) for n, i in enumerate(case.items)], agent)
    fix_plan(case.id, agent, D(2026, 9, 4))
    return case


def _ok(response):
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_escalation_meeting_decision_and_the_liaisons_queue_through_the_screens(login, staff):
    case = _case(staff)
    item = case.items[0]
    agent = login("dlt_agent")
    page = _ok(agent.get(f"/cases/{case.id}"))
    assert "提交会商联审" in page
    page = _ok(
        agent.post(
            f"/reviews/escalate/{case.id}",
            data={"item_id": str(item.id), "reason": "取水指标不足", "tried": "两次协调"},
            follow_redirects=True,
        )
    )
    assert "等待下一次会商联审" in page
    escalation = db.session.scalar(select(Escalation))

    supervisor = login("dlt_supervisor")
    assert "取水指标不足" in _ok(supervisor.get("/reviews/escalations"))
    water = db.session.scalar(
        select(Department).where(Department.region_id == case.region_id, Department.kind == "水利部门")
    )
    form = _ok(supervisor.get("/reviews/new"))
    assert re.search(rf'name="department_id" value="{water.id}"\s*> {water.name} <span', form)  # marked, not ticked
    assert not re.search(r'name="department_id" value="\d+"\s*checked', form)
    page = _ok(
        supervisor.post(
            "/reviews/new",
            data={
                "region_id": str(case.region_id),
                "held_on": "2026-11-02",
                "kind": "joint_review",
                "convened_by": "government",
                "chair": "张副旗长",
                "topic": "取水指标协调会",
                "stage": ["project_land"],
                "department_id": [str(water.id)],
                "escalation_id": [str(escalation.id)],
            },
            follow_redirects=True,
        )
    )
    review = db.session.scalar(select(JointReview))
    assert "取水指标协调会" in page and case.number in page
    assert "改期" in page
    form = _ok(supervisor.get(f"/reviews/{review.id}/reschedule"))
    assert f'value="{water.id}" checked' in form and 'value="2026-11-02"' in form
    page = _ok(
        supervisor.post(
            f"/reviews/{review.id}/reschedule",
            data={"held_on": "2026-11-03", "topic": "", "department_id": [str(water.id)], "version": review.version},
            follow_redirects=True,
        )
    )
    assert "会议议题" in page and 'value="2026-11-03"' in page  # refused, what was typed kept
    page = _ok(
        supervisor.post(
            f"/reviews/{review.id}/reschedule",
            data={
                "held_on": "2026-11-02",
                "topic": "取水指标协调会（改期）",
                "department_id": [str(water.id)],
                "version": review.version,
            },
            follow_redirects=True,
        )
    )
    assert "会议已改期" in page and "取水指标协调会（改期）" in page
    db.session.expire_all()
    review = db.session.get(JointReview, review.id)
    page = _ok(
        supervisor.post(
            f"/reviews/{review.id}/move/hold",
            data={"on": "2026-11-02", "version": review.version},
            follow_redirects=True,
        )
    )
    assert "出席" in page and db.session.get(JointReview, review.id).state == "preparing"  # attendance first
    _ok(
        supervisor.post(
            f"/reviews/{review.id}/attendance",
            data={f"attended_{water.id}": "1", f"attendee_{water.id}": "李局长"},
            follow_redirects=True,
        )
    )
    db.session.expire_all()
    _ok(supervisor.post(f"/reviews/{review.id}/move/hold", data={"on": "2026-11-02"}, follow_redirects=True))
    page = _ok(
        supervisor.post(
            f"/reviews/{review.id}/decide",
            data={
                "text": "水利局出具调剂意见",
                "department_id": str(water.id),
                "subject": f"item-{item.id}",
                "due_days": "5",
            },
            follow_redirects=True,
        )
    )
    decision = db.session.scalar(select(Decision))
    assert decision.due_on == D(2026, 11, 9) and "水利局出具调剂意见" in page
    assert "已超期" in _ok(supervisor.get(f"/cases/{case.id}"))  # the decision is late on 2026-11-27

    liaison = login("dlt_liaison_water")
    queue = _ok(liaison.get("/queue/items"))
    assert "水利局出具调剂意见" in queue and f'data-decision="{decision.id}"' in queue
    assert 'data-note-label="落实情况"' in queue  # what the liaison writes when marking it done, not a 原因
    _ok(
        liaison.post(
            f"/reviews/decision/{decision.id}/fulfil",
            data={"on": "2026-11-06", "note": "已出具", "version": decision.version, "next": "/queue/items"},
            follow_redirects=True,
        )
    )
    db.session.expire_all()
    assert db.session.get(Decision, decision.id).state == "done"
    assert "水利局出具调剂意见" not in _ok(liaison.get("/queue/items"))
    printable = _ok(supervisor.get(f"/reviews/{review.id}/print"))
    assert "会议纪要" in printable and "水利局出具调剂意见" in printable and "李局长" in printable

    supervisor = login("dlt_supervisor")  # one test client: log the supervisor back in
    listing = _ok(supervisor.get("/reviewlist/list/"))
    assert f'href="/reviews/{review.id}"' in listing and "取水指标协调会" in listing
    decisions_list = _ok(supervisor.get("/decisions/list/"))
    assert "水利局出具调剂意见" in decisions_list and "已落实" in decisions_list
    response = supervisor.get("/reviewlist/ledger")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["会商联审台账", "议定事项台账"]
    meetings = [r for r in book["会商联审台账"].iter_rows(min_row=4, values_only=True) if r[0]]
    assert [(r[3], r[6], r[7], r[8], r[9], r[10]) for r in meetings] == [
        ("取水指标协调会（改期）", "已召开", 1, 1, 1, 0)
    ]
    decisions = [r for r in book["议定事项台账"].iter_rows(min_row=4, values_only=True) if r[0]]
    assert [(r[2], r[5], r[7], r[9]) for r in decisions] == [("水利局出具调剂意见", case.number, "已落实", "已出具")]
    liaison = login("dlt_liaison_water")
    assert liaison.get("/reviewlist/ledger").status_code in (302, 403)  # conveners only

    # The case's timeline names the coordination steps in words, with their records' own states.
    timeline = _ok(login("dlt_agent").get(f"/cases/{case.id}")).split('class="table table-condensed timeline"')[1]
    assert "提交会商联审" in timeline and "纳入会议" in timeline and "已落实" in timeline
    assert ">escalate<" not in timeline and ">take_up<" not in timeline and "→ done" not in timeline


@pytest.mark.parametrize(
    "transition",
    [t for t in (*REVIEW_TRANSITIONS, *DECISION_TRANSITIONS, *ESCALATION_TRANSITIONS)],
    ids=lambda t: f"{t.state}-{t.action}",
)
def test_the_coordination_rows_name_real_roles_and_the_system_only_follows_a_person(transition):
    followed = {(f.machine, f.action) for t in (*REVIEW_TRANSITIONS, *DECISION_TRANSITIONS) for f in t.follows}
    if SYSTEM in transition.roles:  # released escalations: only as the consequence of a cancelled meeting
        assert transition.roles == {SYSTEM} and ("escalation", transition.action) in followed
    else:
        assert transition.roles and transition.roles <= {RoleName.SUPERVISOR, RoleName.AGENT, RoleName.LIAISON}
    assert not re.search(r"\s", transition.action)


def test_the_minutes_name_who_was_absent_and_every_case_concerned_and_print_as_an_a4_pdf(login, staff):
    from pypdf import PdfReader

    from app.services import coordination
    from app.services.coordination import ReviewPlan

    case = _case(staff)
    item = case.items[0]
    supervisor = staff("dlt_supervisor")
    water, land = (
        db.session.scalar(select(Department).where(Department.region_id == case.region_id, Department.kind == kind))
        for kind in ("水利部门", "自然资源部门")
    )
    review = coordination.plan_review(
        ReviewPlan(
            case.region_id,
            D(2026, 11, 2),
            "取水与用地协调",
            department_ids=(water.id, land.id),
            item_ids=(item.id,),
        ),
        supervisor,
    )
    coordination.record_attendance(review.id, {water.id: (True, "李局长"), land.id: (False, "")}, supervisor)
    client = login("dlt_supervisor")
    page = _ok(client.get(f"/reviews/{review.id}/print"))
    absent = re.search(r'<p class="absent">(.*?)</p>', page, re.S).group(1)
    assert land.name in absent and water.name not in absent
    cases_table = re.search(r'<table class="cases">(.*?)</table>', page, re.S).group(1)
    assert case.number in cases_table and case.project_name in cases_table and item.name in cases_table
    assert case.enterprise_name in cases_table
    assert f'href="/reviews/{review.id}/minutes.pdf"' in page and f"/reviews/{review.id}/minutes.pdf" in _ok(
        client.get(f"/reviews/{review.id}")
    )

    response = client.get(f"/reviews/{review.id}/minutes.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)  # A4
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in reader.pages))
    assert "缺席" in text and re.sub(r"\s+", "", land.name) in text and case.number in text
    assert login("dlt_liaison_water").get(f"/reviews/{review.id}/minutes.pdf").status_code == 200  # took part
    assert login("liaison").get(f"/reviews/{review.id}/minutes.pdf").status_code == 404  # not asked
