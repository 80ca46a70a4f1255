"""Training plans (培训计划): sessions, attendance per staff member, hours per person, the untrained, scope, ledger."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select

from app.domain.errors import Forbidden, NotFound, ValidationError
from app.extensions import db
from app.models import Staff
from app.models.training import TrainingAttendance, TrainingPlan
from app.services import training

YEAR = 2026


@pytest.fixture
def dlt_plan(today_is, staff, region):
    """A 达拉特旗 plan of 2026: sessions of 3 h and 2.5 h; agent present at both, water liaison present then
    excused, land liaison absent, the supervisor never recorded. A 2025 session the agent attended too."""
    agent = staff("dlt_agent")
    plan = training.create_plan(
        region("150621").id,
        {
            "year": YEAR,
            "title": "代办业务能力培训",
            "starts_on": dt.date(2026, 3, 1),
            "ends_on": dt.date(2026, 6, 30),
            "organiser": "达拉特旗行政审批和政务服务局",
            "audience": "代办员",
            "hours": "8",
            "trainer": "李老师",
        },
        agent,
    )
    first = training.add_session(plan.id, dt.date(2026, 3, 10), "3", "代办流程", agent)
    second = training.add_session(plan.id, dt.date(2026, 4, 14), "2.5", "容缺受理", agent)
    ids = {name: staff(name).id for name in ("dlt_agent", "dlt_liaison_water", "dlt_liaison_land")}
    training.record_attendance(
        first.id,
        {ids["dlt_agent"]: "present", ids["dlt_liaison_water"]: "present", ids["dlt_liaison_land"]: "absent"},
        agent,
    )
    training.record_attendance(second.id, {ids["dlt_agent"]: "present", ids["dlt_liaison_water"]: "excused"}, agent)
    old = training.create_plan(region("150621").id, {"year": 2025, "title": "往年培训"}, agent)
    old_session = training.add_session(old.id, dt.date(2025, 5, 6), "4", "", agent)
    training.record_attendance(old_session.id, {ids["dlt_agent"]: "present"}, agent)
    return plan, first, second


def _by_name(rows):
    return {row.name: row for row in rows}


def test_hours_per_person_sum_the_hours_of_present_sessions_of_the_year(dlt_plan, staff):
    rows = _by_name(training.hours_by_person(YEAR, staff("dlt_supervisor")))
    assert rows["刘晓燕"].hours == Decimal("5.5") and rows["刘晓燕"].sessions == 2  # not the 2025 session
    assert rows["张海军"].hours == Decimal("3") and rows["张海军"].sessions == 1  # excused counts nothing
    assert rows["王丽娜"].hours == 0  # absent
    assert rows["高永胜"].hours == 0  # never recorded
    assert _by_name(training.hours_by_person(2025, staff("dlt_supervisor")))["刘晓燕"].hours == Decimal("4")


def test_staff_of_the_region_without_training_this_year_are_listed(dlt_plan, staff):
    untrained = {row.name for row in training.untrained_staff(YEAR, staff("dlt_agent"))}
    assert untrained == {"王丽娜", "高永胜"}


def test_the_hours_page_shows_each_persons_hours_and_who_had_no_training(dlt_plan, login):
    page = login("dlt_agent").get(f"/training/hours/?year={YEAR}").get_data(as_text=True)
    table = page.split("training-hours", 1)[1].split("</table>", 1)[0]
    assert "5.5" in table.split("刘晓燕", 1)[1].split("</tr>", 1)[0]
    untrained = page.split('class="panel panel-danger untrained"', 1)[1].split("</ul>", 1)[0]
    assert "王丽娜" in untrained and "高永胜" in untrained and "刘晓燕" not in untrained


def test_a_liaison_sees_only_their_own_hours(dlt_plan, login):
    page = login("dlt_liaison_water").get(f"/training/hours/?year={YEAR}").get_data(as_text=True)
    table = page.split('class="table table-bordered table-condensed training-hours"', 1)[1].split("</table>", 1)[0]
    assert "张海军" in table and "刘晓燕" not in table and "王丽娜" not in table
    assert "容缺受理" in page  # their sessions, excused included
    assert login("dlt_liaison_water").get("/training/plans/list/").status_code in (302, 403)


def _attendance_rows() -> int:
    return db.session.scalar(select(func.count(TrainingAttendance.id)))


def test_an_unknown_status_refuses_the_whole_form_and_writes_nothing(dlt_plan, staff):
    _, first, _ = dlt_plan
    before = _attendance_rows()
    with pytest.raises(training.AttendanceRefused):
        training.record_attendance(
            first.id, {staff("dlt_supervisor").id: "present", staff("dlt_liaison_land").id: "late"}, staff("dlt_agent")
        )
    db.session.expire_all()
    assert _attendance_rows() == before
    statuses = dict(training.attendance_sheet(first.id, staff("dlt_agent"))[1])
    assert statuses[staff("dlt_supervisor")] is None and statuses[staff("dlt_liaison_land")] == "absent"


def test_staff_of_another_region_are_refused_and_nothing_is_written(dlt_plan, staff, login):
    _, first, _ = dlt_plan
    before = _attendance_rows()
    city_agent = staff("agent")
    with pytest.raises(training.AttendanceRefused):
        training.record_attendance(
            first.id, {staff("dlt_supervisor").id: "present", city_agent.id: "present"}, staff("dlt_agent")
        )
    # The same through the form: the page comes back with the message, nothing recorded.
    page = login("dlt_agent").post(
        f"/training/plans/attendance/{first.id}",
        data={f"status-{staff('dlt_supervisor').id}": "present", f"status-{city_agent.id}": "present"},
    )
    assert page.status_code == 200 and "未记录出勤" in page.get_data(as_text=True)
    db.session.expire_all()
    assert _attendance_rows() == before


def test_the_attendance_form_records_every_staff_member_of_the_region_at_once(dlt_plan, staff, login):
    _, _, second = dlt_plan
    client = login("dlt_agent")
    form = client.get(f"/training/plans/attendance/{second.id}").get_data(as_text=True)
    for name in ("高永胜", "刘晓燕", "张海军", "王丽娜"):
        assert name in form
    assert "白雪梅" not in form  # the city's agent is not staff of 达拉特旗
    response = client.post(
        f"/training/plans/attendance/{second.id}",
        data={f"status-{staff('dlt_supervisor').id}": "present", f"status-{staff('dlt_liaison_land').id}": "excused"},
    )
    assert response.status_code == 302
    rows = _by_name(training.hours_by_person(YEAR, staff("dlt_agent")))
    assert rows["高永胜"].hours == Decimal("2.5") and rows["刘晓燕"].hours == Decimal("5.5")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "考勤已保存" in page


def test_a_session_outside_the_plans_dates_is_refused(dlt_plan, staff):
    plan, _, _ = dlt_plan
    with pytest.raises(ValidationError):
        training.add_session(plan.id, dt.date(2026, 7, 2), "2", "", staff("dlt_agent"))
    with pytest.raises(ValidationError):
        training.add_session(plan.id, dt.date(2026, 5, 6), "0", "", staff("dlt_agent"))
    assert len(db.session.get(TrainingPlan, plan.id).sessions) == 2


def test_plans_follow_row_scope(dlt_plan, staff, login):
    plan, first, _ = dlt_plan
    # The city's agent sees the city's plans only; the city supervisor sees the banner's too.
    with pytest.raises(NotFound):
        training.plan_in_scope(plan.id, staff("agent"))
    assert training.plan_in_scope(plan.id, staff("supervisor")).id == plan.id
    client = login("agent")
    assert "代办业务能力培训" not in client.get("/training/plans/list/").get_data(as_text=True)
    assert client.get(f"/training/plans/show/{plan.id}").status_code == 404
    assert client.get(f"/training/plans/attendance/{first.id}").status_code == 404
    assert "刘晓燕" not in client.get(f"/training/hours/?year={YEAR}").get_data(as_text=True)
    assert "代办业务能力培训" in login("supervisor").get("/training/plans/list/").get_data(as_text=True)
    # Liaisons keep no plans.
    with pytest.raises(Forbidden):
        training.add_session(plan.id, dt.date(2026, 5, 6), "2", "", staff("dlt_liaison_water"))


def test_an_agent_creates_a_plan_of_their_level_through_the_form(today_is, login, region):
    client = login("dlt_agent")
    form = client.get("/training/plans/add").get_data(as_text=True)
    assert "达拉特旗" in form and "鄂尔多斯市</option>" not in form  # only their own level is offered
    response = client.post(
        "/training/plans/add",
        data={
            "region_id": region("150621").id,
            "year": "2026",
            "title": "政策法规培训",
            "starts_on": "2026-05-01",
            "ends_on": "2026-04-01",
            "hours": "4",
        },
    )
    assert response.status_code == 200  # refused at its field, input kept
    assert db.session.scalar(select(func.count(TrainingPlan.id))) == 0
    response = client.post(
        "/training/plans/add",
        data={"region_id": region("150621").id, "year": "2026", "title": "政策法规培训", "hours": "4"},
    )
    assert response.status_code == 302
    plan = db.session.scalar(select(TrainingPlan))
    assert (plan.title, plan.region_id, plan.hours) == ("政策法规培训", region("150621").id, Decimal("4.0"))
    # A plan for a region outside the agent's scope is refused.
    client.post("/training/plans/add", data={"region_id": region("150600").id, "year": "2026", "title": "越权"})
    assert db.session.scalar(select(func.count(TrainingPlan.id))) == 1


def test_a_corrected_plan_keeps_its_changes_in_the_timeline(dlt_plan, staff, login):
    plan, _, _ = dlt_plan
    training.update_plan(plan.id, {"year": YEAR, "title": "代办业务能力提升培训", "hours": "10"}, staff("dlt_agent"))
    page = login("dlt_agent").get(f"/training/plans/show/{plan.id}").get_data(as_text=True)
    assert "代办业务能力提升培训" in page and "代办流程" in page
    timeline = page.split("record-history", 1)[1]
    assert "计划已修改" in timeline and "代办业务能力培训 → 代办业务能力提升培训" in timeline
    assert "已记录培训考勤" in timeline
    with pytest.raises(ValidationError):  # its sessions lie in 2026
        training.update_plan(plan.id, {"year": 2027, "title": "x"}, staff("dlt_agent"))


def _workbook(client, year: int) -> openpyxl.Workbook:
    response = client.get(f"/training/plans/ledger?year={year}")
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(response.data))


def _data(sheet) -> list[tuple]:
    return [row for row in sheet.iter_rows(min_row=4, values_only=True)]


def test_the_training_ledger_opens_and_holds_plans_sessions_attendance_and_hours(dlt_plan, login):
    book = _workbook(login("dlt_agent"), YEAR)
    assert book.sheetnames == ["培训计划", "培训场次", "参训记录", "学时统计"]
    plans = _data(book["培训计划"])
    assert [(r[0], r[1], r[2], r[9], r[10]) for r in plans] == [("达拉特旗", 2026, "代办业务能力培训", 2, 5.5)]
    sessions = _data(book["培训场次"])
    assert [(r[2].date(), r[4], r[5], r[6], r[7]) for r in sessions] == [
        (dt.date(2026, 3, 10), 3, 2, 1, 0),
        (dt.date(2026, 4, 14), 2.5, 1, 0, 1),
    ]
    attendance = _data(book["参训记录"])
    assert len(attendance) == 5
    assert ("刘晓燕", "出席", 3) in {(r[4], r[6], r[7]) for r in attendance}
    assert ("张海军", "请假", 0) in {(r[4], r[6], r[7]) for r in attendance}
    hours = {r[1]: (r[4], r[5]) for r in _data(book["学时统计"])}
    assert hours["刘晓燕"] == (5.5, None) and hours["王丽娜"] == (0, "是")


def test_the_training_ledger_of_another_level_leaves_out_the_banner(dlt_plan, login):
    book = _workbook(login("agent"), YEAR)
    assert _data(book["培训计划"]) == [] and _data(book["参训记录"]) == []
    assert "刘晓燕" not in {r[1] for r in _data(book["学时统计"])}


def test_the_demo_training_year_is_seeded_once_with_mixed_attendance(today_is, password_hash, staff):
    from app.services.demo import demo_staff
    from app.services.demo_training import seed_demo_training

    demo_staff(password_hash)
    assert seed_demo_training() == 5  # the city's two plans and one per demo banner
    assert seed_demo_training() == 0
    rows = training.hours_by_person(YEAR, staff("dlt_supervisor"))
    assert any(row.hours > 0 for row in rows) and any(row.sessions == 0 for row in rows)
    statuses = set(db.session.scalars(select(TrainingAttendance.status)))
    assert statuses == {"present", "absent", "excused"}


@pytest.mark.parametrize(
    "url",
    [
        "/training/plans/list/",
        "/training/plans/show/{plan}",
        "/training/plans/attendance/{session}",
        f"/training/hours/?year={YEAR}",
    ],
)
def test_training_pages_cost_the_same_queries_with_more_plans_sessions_and_people(dlt_plan, staff, login, url):
    from tests.integration.test_list_queries import _queries

    plan, first, _ = dlt_plan
    client = login("dlt_agent")
    target = url.format(plan=plan.id, session=first.id)
    before, _ = _queries(client, target)
    agent = staff("dlt_agent")
    extra = [
        Staff(
            username=f"trainee{n}",
            email=f"t{n}@test.invalid",
            first_name=f"学员{n}",
            last_name="",
            active=True,
            region_id=agent.region_id,
            department_id=agent.department_id,
        )
        for n in range(8)
    ]
    db.session.add_all(extra)
    db.session.commit()
    for n in range(5):
        more = training.create_plan(agent.region_id, {"year": YEAR, "title": f"专题培训{n}"}, agent)
        training.add_session(more.id, dt.date(2026, 5, 6), "2", "", agent)
    training.add_session(plan.id, dt.date(2026, 5, 7), "1", "补充", agent)
    training.record_attendance(first.id, {p.id: "present" for p in extra}, agent)
    after, page = _queries(client, target)
    assert len(after) == len(before), target
    assert "学员7" in page or "专题培训4" in page or "补充" in page


def test_the_coverage_page_costs_two_queries_of_its_own(login):
    from tests.integration.test_list_queries import _queries

    client = login("supervisor")
    statements, _ = _queries(client, "/organisation/coverage/")
    # Not FAB's permission checks, nor the navbar's to-do count (open decisions of the departments in scope).
    own = [
        s
        for s in statements
        if "department" in s.lower() and "ab_permission" not in s.lower() and "review_decision" not in s.lower()
    ]
    assert len(own) == 2


def test_the_edit_form_corrects_a_plan_and_a_date_outside_its_year_is_refused_at_the_field(dlt_plan, login):
    plan, _, _ = dlt_plan
    client = login("dlt_agent")
    assert "代办业务能力培训" in client.get(f"/training/plans/edit/{plan.id}").get_data(as_text=True)
    page = client.post(
        f"/training/plans/edit/{plan.id}", data={"year": "2026", "title": "改名", "starts_on": "2025-12-01"}
    )
    assert page.status_code == 200 and "培训日期须在计划年度（2026 年）内。" in page.get_data(as_text=True)
    response = client.post(
        f"/training/plans/edit/{plan.id}", data={"year": "2026", "title": "代办业务能力培训（第二期）", "hours": "9"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(TrainingPlan, plan.id).title == "代办业务能力培训（第二期）"
    assert login("agent").get(f"/training/plans/edit/{plan.id}").status_code == 404  # another level's plan


def test_attendance_of_a_session_still_to_come_is_refused(dlt_plan, staff, today_is):
    plan, _, _ = dlt_plan
    agent = staff("dlt_agent")
    today_is("2026-05-05")
    later = training.add_session(plan.id, dt.date(2026, 6, 9), "2", "案例研讨", agent)
    with pytest.raises(ValidationError, match="2026-06-09"):
        training.record_attendance(later.id, {agent.id: "present"}, agent)
    assert training.attendance_sheet(later.id, agent)[1][0][1] is None
