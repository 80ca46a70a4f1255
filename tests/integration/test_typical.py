"""典型案例 end to end: a banner agent drafts a write-up from a case page, submits it, the city bureau returns it
with a comment, the agent revises (a new version) and resubmits, the city adopts it and every agent of the city
finds it in the library; who may see and decide what, stale edits, bad input, the routes × roles, the demo."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from app.domain.errors import Forbidden, NotFound, StaleRecord, ValidationError
from app.domain.typical import NotCityBureau
from app.extensions import db
from app.models import CaseEvent, TypicalCase, TypicalCaseVersion
from app.services import demo_followup, typical
from app.services.cases import accept_case
from tests.factories import apply

D = dt.date
pytestmark = pytest.mark.usefixtures("today_is")

BODY = "一、基本情况\n光伏项目。\n二、难点问题\n取水指标。\n三、破解办法\n会商联审。\n四、取得成效\n提前开工。"


def _accepted_case(staff):
    agent = staff("dlt_agent")
    case = apply(agent)
    accept_case(case.id, agent, D(2026, 9, 2))
    return case


def _ok(response):
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _fresh(record_id):
    db.session.expire_all()
    return db.session.get(TypicalCase, record_id)


def test_a_write_up_goes_from_draft_through_a_return_to_adoption_through_the_screens(login, staff, other_banner_agent):
    case = _accepted_case(staff)
    agent = login("dlt_agent")
    page = _ok(agent.get(f"/cases/{case.id}"))
    assert "写成典型案例" in page and "基本情况" in page  # the panel's form with its four-heading hint
    page = _ok(
        agent.post(
            f"/typical/new/{case.id}", data={"title": "容缺受理助力光伏项目", "body": BODY}, follow_redirects=True
        )
    )
    record = db.session.scalar(select(TypicalCase))
    assert "已保存为草稿" in page and record.state == "draft" and record.current_version == 1
    assert "典型案例" in _ok(agent.get(f"/cases/{case.id}"))

    # A draft's edit rewrites version 1.
    _ok(
        agent.post(
            f"/typical/{record.id}/save",
            data={"title": "容缺受理助力光伏项目提速", "body": BODY + "\n（修改）", "version": record.version},
            follow_redirects=True,
        )
    )
    record = _fresh(record.id)
    assert [(v.number, v.title) for v in record.versions] == [(1, "容缺受理助力光伏项目提速")]
    page = _ok(agent.post(f"/typical/{record.id}/move/submit", data={"version": record.version}, follow_redirects=True))
    record = _fresh(record.id)
    assert record.state == "submitted" and record.submitted_on == D(2026, 11, 27)

    city = login("supervisor")
    work = _ok(city.get("/typicalwork/list/"))
    assert "等待您决定的报送案例：1" in work and "容缺受理助力光伏项目提速" in work
    page = _ok(city.get(f"/typical/{record.id}"))
    assert "采用为典型案例" in page and "退回修改" in page
    page = _ok(city.post(f"/typical/{record.id}/move/return", data={"version": record.version}, follow_redirects=True))
    assert "请说明退回原因和修改要求" in page and _fresh(record.id).state == "submitted"  # a comment is required
    _ok(
        city.post(
            f"/typical/{record.id}/move/return",
            data={"version": record.version, "note": "请补充压缩时限的数据"},
            follow_redirects=True,
        )
    )
    record = _fresh(record.id)
    assert record.state == "returned" and record.review_comment == "请补充压缩时限的数据"
    assert record.decided_by.username == "supervisor" and record.decided_on == D(2026, 11, 27)

    agent = login("dlt_agent")
    page = _ok(agent.get(f"/typical/{record.id}"))
    assert "请补充压缩时限的数据" in page and "保存为第 2 版" in page
    # Resubmitting without a revision is refused: the returned text is what the city already saw.
    page = _ok(agent.post(f"/typical/{record.id}/move/submit", data={"version": record.version}, follow_redirects=True))
    assert "请先修改被退回的案例" in page and _fresh(record.id).state == "returned"
    _ok(
        agent.post(
            f"/typical/{record.id}/save",
            data={"title": "容缺受理助力光伏项目提速", "body": BODY + "\n压缩时限60%。", "version": record.version},
            follow_redirects=True,
        )
    )
    record = _fresh(record.id)
    v1, v2 = record.versions
    assert (v1.number, v1.outcome, v1.comment, v1.body) == (1, "returned", "请补充压缩时限的数据", BODY + "\n（修改）")
    assert (v2.number, v2.outcome, record.current_version) == (2, "", 2) and v2.body.endswith("压缩时限60%。")
    _ok(agent.post(f"/typical/{record.id}/move/submit", data={"version": record.version}, follow_redirects=True))
    assert _fresh(record.id).state == "submitted"

    city = login("supervisor")
    _ok(city.post(f"/typical/{record.id}/move/accept", data={"note": "全市推广"}, follow_redirects=True))
    record = _fresh(record.id)
    assert record.state == "accepted" and [v.outcome for v in record.versions] == ["returned", "accepted"]
    steps = [e.action for e in typical.timeline(record)]
    assert steps == ["start", "edit", "submit", "return", "revise", "submit", "accept"]
    line = db.session.scalar(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "typical_accepted")
    )
    assert line is not None and line.note == "容缺受理助力光伏项目提速"
    assert "采用为典型案例" in _ok(city.get(f"/cases/{case.id}"))  # the case timeline's line, labelled

    other = login("yjhl_agent")
    library = _ok(other.get("/typicalcases/list/"))
    assert "容缺受理助力光伏项目提速" in library and case.number in library
    page = _ok(other.get(f"/typical/{record.id}"))
    assert "压缩时限60%" in page and f'href="/cases/{case.id}"' not in page  # the case itself stays out of sight
    printable = _ok(other.get(f"/typical/{record.id}/print"))
    assert "压缩时限60%" in printable and "2026-11-27" in printable


def test_a_banner_supervisor_can_neither_decide_nor_is_offered_to(staff, login):
    case = _accepted_case(staff)
    agent = staff("dlt_agent")
    record = typical.start_writeup(case.id, "标题", BODY, agent)
    typical.move_writeup(record.id, "submit", agent)
    banner = staff("dlt_supervisor")
    assert typical.offered_actions(record, banner) == []
    with pytest.raises(NotCityBureau):
        typical.move_writeup(record.id, "accept", banner)
    with pytest.raises(NotCityBureau):
        typical.move_writeup(record.id, "return", banner, note="不行")
    page = _ok(login("dlt_supervisor").get(f"/typical/{record.id}"))
    assert "采用为典型案例" not in page and _fresh(record.id).state == "submitted"
    city = staff("supervisor")
    assert [t.action for t in typical.offered_actions(record, city)] == ["accept", "return"]
    typical.move_writeup(record.id, "return", city, note="请补充")
    with pytest.raises(Forbidden):
        typical.move_writeup(record.id, "withdraw", staff("dlt_supervisor"), note="x")  # supervisors do not write


def test_another_banner_never_sees_drafts_or_submitted_write_ups(staff, login, other_banner_agent):
    case = _accepted_case(staff)
    agent = staff("dlt_agent")
    record = typical.start_writeup(case.id, "草稿标题", BODY, agent)
    city = staff("supervisor")
    other = login("yjhl_agent")
    for state in ("draft", "submitted"):
        assert _fresh(record.id).state == state
        assert other.get(f"/typical/{record.id}").status_code == 404
        assert other.get(f"/typical/{record.id}/print").status_code == 404
        assert "草稿标题" not in _ok(other.get("/typicalwork/list/"))
        assert "草稿标题" not in _ok(other.get("/typicalcases/list/"))
        with pytest.raises(NotFound):
            typical.load_writeup(record.id, other_banner_agent)
        if state == "draft":
            with pytest.raises(NotFound):  # the city bureau sees it once it is submitted, not before
                typical.load_writeup(record.id, city)
            typical.move_writeup(record.id, "submit", agent)
    assert typical.load_writeup(record.id, city).id == record.id
    with pytest.raises(NotFound):
        typical.load_writeup(record.id, staff("dlt_liaison_water"))  # liaisons are no readers
    # A submitted write-up is not printable yet, not even for its own region.
    assert login("dlt_agent").get(f"/typical/{record.id}/print").status_code == 404


def test_an_edit_from_a_stale_form_is_refused_and_the_text_typed_stays(staff, login):
    case = _accepted_case(staff)
    agent = staff("dlt_agent")
    record = typical.start_writeup(case.id, "标题", BODY, agent)
    old = record.version
    typical.save_writeup(record.id, "标题二", BODY, agent, old)
    with pytest.raises(StaleRecord):
        typical.save_writeup(record.id, "标题三", BODY, agent, old)
    page = _ok(
        login("dlt_agent").post(
            f"/typical/{record.id}/save", data={"title": "标题四", "body": "我刚写的正文", "version": old}
        )
    )
    assert "该记录已被" in page and "我刚写的正文" in page
    assert _fresh(record.id).title == "标题二"


def test_bad_input_is_refused_with_a_message_and_nothing_typed_is_lost(staff, login):
    case = _accepted_case(staff)
    agent = login("dlt_agent")
    page = _ok(agent.post(f"/typical/new/{case.id}", data={"title": "", "body": "已经写好的正文"}))
    assert "请填写案例标题" in page and "已经写好的正文" in page
    page = _ok(agent.post(f"/typical/new/{case.id}", data={"title": "有标题", "body": "  "}))
    assert "请填写案例正文" in page and 'value="有标题"' in page
    assert db.session.scalar(select(func.count(TypicalCase.id))) == 0
    with pytest.raises(ValidationError):
        typical.start_writeup(case.id, "长" * 201, BODY, staff("dlt_agent"))


def test_only_an_agent_of_the_case_region_starts_one_write_up_of_an_accepted_case(staff):
    agent = staff("dlt_agent")
    fresh = apply(agent)
    with pytest.raises(ValidationError):
        typical.start_writeup(fresh.id, "标题", BODY, agent)  # not accepted yet
    case = _accepted_case(staff)
    with pytest.raises(Forbidden):
        typical.start_writeup(case.id, "标题", BODY, staff("dlt_supervisor"))
    with pytest.raises(NotFound):
        typical.start_writeup(case.id, "标题", BODY, staff("agent"))  # a city agent: not the case's region
    first = typical.start_writeup(case.id, "标题", BODY, agent)
    assert not typical.can_start(case, agent)
    with pytest.raises(ValidationError):
        typical.start_writeup(case.id, "第二篇", BODY, agent)
    with pytest.raises(ValidationError):
        typical.move_writeup(first.id, "withdraw", agent)  # a reason is needed
    typical.move_writeup(first.id, "withdraw", agent, note="选题不当")
    assert typical.can_start(case, agent)
    second = typical.start_writeup(case.id, "第二篇", BODY, agent)
    assert second.state == "draft"
    with pytest.raises(ValidationError):
        typical.save_writeup(first.id, "改", BODY, agent)  # a withdrawn write-up stays as it was


WRITE_UP_ROUTES = [
    ("GET", "/typicalcases/list/"),
    ("GET", "/typicalwork/list/"),
    ("GET", "/typical/{id}"),
    ("GET", "/typical/{id}/print"),
    ("GET", "/typical/new/{case}"),
    ("POST", "/typical/{id}/save"),
    ("POST", "/typical/{id}/move/accept"),
]
# Who may open each route (FAB permission); the service then decides on the record itself.
ALLOWED = {
    "admin": {0, 1, 2, 3, 4, 5, 6},
    "supervisor": {0, 1, 2, 3, 6},
    "dlt_supervisor": {0, 1, 2, 3, 6},
    "agent": {0, 1, 2, 3, 4, 5, 6},
    "dlt_agent": {0, 1, 2, 3, 4, 5, 6},
    "dlt_liaison_water": set(),
}


@pytest.mark.parametrize("username", list(ALLOWED))
def test_each_role_reaches_exactly_its_write_up_routes(staff, login, username):
    case = _accepted_case(staff)
    agent = staff("dlt_agent")
    record = typical.start_writeup(case.id, "标题", BODY, agent)
    typical.move_writeup(record.id, "submit", agent)
    typical.move_writeup(record.id, "accept", staff("supervisor"))
    client = login(username)
    reached = set()
    for n, (method, url) in enumerate(WRITE_UP_ROUTES):
        response = client.open(url.format(id=record.id, case=case.id), method=method, data={})
        denied = response.status_code in (401, 403) or (
            response.status_code == 302 and "/login/" in response.headers.get("Location", "")
        )
        assert response.status_code < 500
        if not denied:
            reached.add(n)
    assert reached == ALLOWED[username]


def test_the_demo_has_an_adopted_a_submitted_and_a_draft_write_up_and_runs_once(app, password_hash):
    from app.services.demo import demo_staff, seed_demo_cases

    demo_staff(password_hash)
    seed_demo_cases()
    made = demo_followup.seed_demo_typical()
    assert made >= 3 and demo_followup.seed_demo_typical() == 0
    states = db.session.scalars(select(TypicalCase.state)).all()
    assert {"accepted", "submitted", "draft"} <= set(states) and len(states) == made
    adopted = db.session.scalar(select(TypicalCase).where(TypicalCase.state == "accepted"))
    assert [(v.number, v.outcome) for v in adopted.versions] == [(1, "returned"), (2, "accepted")]
    assert db.session.scalar(select(func.count(TypicalCaseVersion.id))) == made + 1


def test_the_library_is_searched_by_title_and_filtered_by_region_year_and_stage(staff, login, region):
    agent, city = staff("dlt_agent"), staff("supervisor")
    titles = ("容缺受理提速", "并联审批破题")
    for title in titles:
        record = typical.start_writeup(_accepted_case(staff).id, title, BODY, agent)
        typical.move_writeup(record.id, "submit", agent)
        typical.move_writeup(record.id, "accept", city)
    client = login("supervisor")

    def shown(query):
        page = _ok(client.get(f"/typicalcases/list/?{query}"))
        return [t for t in titles if t in page]

    assert shown("") == list(titles)
    assert shown("_flt_0_search=并联") == ["并联审批破题"]
    assert shown(f"_flt_0_region={region('150621').id}") == list(titles)
    assert shown(f"_flt_0_region={region('150627').id}") == []
    assert shown("_flt_0_year=2026") == list(titles) and shown("_flt_0_year=2025") == []
    assert shown("_flt_0_stage=project_land") == list(titles)  # both cases have a land-use planning item
    assert shown("_flt_0_stage=completion") == []
