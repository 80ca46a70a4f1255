"""纵向三级联动 through the services and the screens: a 达拉特旗 case asks the city for a link and the city accepts
it with its own case (nothing readable before that; one answer for every way a request cannot be made), refusals,
withdrawals and limits, the read-only page for the linked region (and nothing for a third region or a liaison),
lists that do not widen, ending a link, an outside party's state, and role × route for the links' own routes."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
from sqlalchemy import func, select

from app.domain.enums import RoleName
from app.domain.errors import Forbidden, NotFound, StaleRecord, ValidationError
from app.domain.links import AlreadyLinked, AlreadyRequested, NotLinkable, TooManyRequests
from app.domain.roles import ROLE_PERMISSIONS
from app.extensions import db
from app.models import Case, CaseEvent, Department, Region, Staff
from app.models.links import CaseLink
from app.services import demo_followup, links
from app.services.cases import PlanLine, accept_case, entrust_case, fix_plan, plan_schedule
from app.services.links import LinkRequest
from tests.conftest import snapshotted
from tests.factories import apply

D = dt.date
pytestmark = [pytest.mark.every_engine, pytest.mark.usefixtures("today_is")]
# every_engine: link scope in SQL and an upgrade step
PURPOSE = "取水许可需报市水利局审批"


def _planned(agent: Staff, region_code: str) -> Case:
    """A case of `region_code` with its plan fixed: step buttons, a plan form and item steps to offer."""
    case = apply(agent, region_code)
    accept_case(case.id, agent, D(2026, 9, 2))
    entrust_case(case.id, agent, D(2026, 9, 3))
    plan_schedule(case.id, [PlanLine(i.id, n, D(2026, 9, 20)) for n, i in enumerate(case.items)], agent)
    fix_plan(case.id, agent, D(2026, 9, 4))
    return case


def _agent_of(code: str, staff) -> Staff:
    """An agent of another banner, made on the spot (the demo users cover the city and 达拉特旗 only)."""
    banner = db.session.scalar(select(Region).where(Region.code == code))
    agent = Staff(
        username=f"agent_{code}",
        email=f"agent_{code}@test.invalid",
        first_name="代办员",
        last_name="",
        active=True,
        password=staff("dlt_agent").password,
        roles=list(staff("dlt_agent").roles),
        region=banner,
        department=db.session.scalar(
            select(Department).where(Department.region_id == banner.id, Department.kind == "政务服务部门")
        ),
    )
    db.session.add(agent)
    db.session.commit()
    return agent


@pytest.fixture
def pair(app, staff):
    """A 达拉特旗 case and a city case, not yet linked (built once per database, then put back)."""
    ids = snapshotted(
        app, "links_pair", lambda: (_planned(staff("dlt_agent"), "150621").id, _planned(staff("agent"), "150600").id)
    )
    return tuple(db.session.get(Case, i) for i in ids)


def _ask(case: Case, region_code: str, agent: Staff, reference: str = "", **kw) -> CaseLink:
    """A link request from `case` to the region `region_code`, naming the project (its code by default)."""
    region = db.session.scalar(select(Region).where(Region.code == region_code))
    return links.request_link(
        case.id, LinkRequest(PURPOSE, region_id=region.id, project_reference=reference or "项目", **kw), agent
    )


@pytest.fixture
def requested(pair, staff):
    """The banner case's request to the city, not yet answered."""
    banner_case, city_case = pair
    return banner_case, city_case, _ask(banner_case, "150600", staff("dlt_agent"), city_case.project_code)


@pytest.fixture
def linked(requested, staff):
    """The request accepted by the city's agent with the city case."""
    banner_case, city_case, link = requested
    links.accept_link(link.id, city_case.id, staff("agent"))
    return banner_case, city_case, link


def _ok(response):
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _case_events(case_id: int, action: str) -> list[CaseEvent]:
    return db.session.scalars(
        select(CaseEvent).where(
            CaseEvent.subject_type == "case", CaseEvent.subject_id == case_id, CaseEvent.action == action
        )
    ).all()


# --- requesting and accepting a link ----------------------------------------------------------------------


def test_a_banner_case_asks_the_city_and_the_link_is_active_only_once_the_city_accepts(requested, staff):
    banner_case, city_case, link = requested
    assert (link.case_id, link.counterpart_case_id, link.target_region.code, link.direction, link.state) == (
        banner_case.id,
        None,
        "150600",
        "upper",
        "requested",
    )
    assert link.requested_on == D(2026, 11, 27) and link.linked_on is None
    with pytest.raises(NotFound):
        links.linked_case_for(city_case.id, staff("dlt_agent"))
    assert [e.note for e in _case_events(banner_case.id, "request_link")] == [
        f"鄂尔多斯市（{city_case.project_code}）：{PURPOSE}"
    ]
    assert _case_events(city_case.id, "request_link") == []
    links.accept_link(link.id, city_case.id, staff("agent"), note="市水利局已受理")
    assert (link.state, link.counterpart_case_id, link.linked_on, link.decided_by.username) == (
        "active",
        city_case.id,
        D(2026, 11, 27),
        "agent",
    )
    assert links.linked_case_for(city_case.id, staff("dlt_agent")) == city_case
    up, down = _case_events(banner_case.id, "accept_link"), _case_events(city_case.id, "accept_link")
    assert len(up) == len(down) == 1
    assert city_case.number in up[0].note and banner_case.number in down[0].note and "市水利局已受理" in up[0].note


def test_a_city_case_asks_a_banner_below(pair, staff):
    banner_case, city_case = pair
    link = _ask(city_case, "150621", staff("agent"))
    assert (link.direction, link.target_region.name) == ("lower", "达拉特旗")
    links.accept_link(link.id, banner_case.id, staff("dlt_agent"))
    assert link.state == "active" and link.counterpart_case_id == banner_case.id


def test_not_found_wrong_level_closed_and_elsewhere_get_one_and_the_same_answer(requested, staff):
    banner_case, _city_case, link = requested
    agent = staff("dlt_agent")
    other = _planned(_agent_of("150622", staff), "150622")
    sibling = db.session.scalar(select(Region).where(Region.code == "150622"))
    own = banner_case.region
    answers = []
    for region_id in (sibling.id, own.id, 2**31 - 1, None):  # a banner beside, its own region, no region at all
        with pytest.raises(NotLinkable) as refused:
            links.request_link(banner_case.id, LinkRequest(PURPOSE, region_id=region_id, project_reference="x"), agent)
        answers.append(refused.value)
    closed = apply(staff("agent"), "150600")
    closed.state = "terminated"
    db.session.commit()
    for case_id in (other.id, closed.id, 2**31 - 1, None):  # another banner's case, a closed one, none
        with pytest.raises(NotLinkable) as refused:
            links.accept_link(link.id, case_id, staff("agent"))
        answers.append(refused.value)
    assert {(type(a), a.template, tuple(a.params.items())) for a in answers} == {
        (NotLinkable, NotLinkable.template, ())
    }
    assert link.state == "requested" and db.session.scalar(select(func.count(CaseLink.id))) == 1


def test_the_probe_loop_opens_no_case_and_stops_at_the_limit_of_open_requests(pair, staff, login):
    banner_case, city_case = pair
    agent = staff("dlt_agent")
    city = db.session.scalar(select(Region).where(Region.code == "150600"))
    numbers = [f"150600-2026-{n:04d}" for n in range(1, 10)]
    made, refused = 0, []
    for number in numbers:
        try:
            links.request_link(
                banner_case.id,
                LinkRequest(PURPOSE, region_id=city.id, project_reference=number, counterpart_hint=number),
                agent,
            )
            made += 1
        except (AlreadyRequested, TooManyRequests) as error:
            refused.append(type(error))
    assert made == 1 and set(refused) == {AlreadyRequested}  # one request per region asked while it waits
    assert links.readable_case_ids(agent) == set()
    client = login("dlt_agent")
    assert client.get(f"/cases/{city_case.id}").status_code == 404
    # A city case may ask at most MAX_OPEN_REQUESTS banners at once.
    city_agent = staff("agent")
    banners = db.session.scalars(select(Region).where(Region.parent_id == city.id).order_by(Region.code)).all()
    for banner in banners[:3]:
        links.request_link(city_case.id, LinkRequest(PURPOSE, region_id=banner.id, project_reference="x"), city_agent)
    with pytest.raises(TooManyRequests):
        links.request_link(
            city_case.id, LinkRequest(PURPOSE, region_id=banners[3].id, project_reference="x"), city_agent
        )


def test_only_agents_and_supervisors_of_the_region_asked_answer(requested, staff):
    _banner_case, city_case, link = requested
    for username in ("dlt_agent", "dlt_supervisor"):  # the requesting side cannot give itself the key
        with pytest.raises(Forbidden):
            links.accept_link(link.id, city_case.id, staff(username))
        with pytest.raises(NotFound):
            links.request_to_answer(link.id, staff(username))
    with pytest.raises(NotFound):
        links.accept_link(link.id, city_case.id, staff("liaison"))
    with pytest.raises(NotFound):
        links.accept_link(link.id, city_case.id, _agent_of("150622", staff))
    links.accept_link(link.id, city_case.id, staff("supervisor"))  # the city's supervisor may answer
    assert link.state == "active"


def test_a_refused_request_keeps_its_reason_and_a_new_request_needs_a_new_acceptance(requested, staff, login):
    banner_case, city_case, link = requested
    with pytest.raises(ValidationError):
        links.refuse_link(link.id, staff("agent"), "  ")
    links.refuse_link(link.id, staff("agent"), "该事项属旗级权限，无需市级办理")
    assert (link.state, link.answer, link.decided_on) == ("refused", "该事项属旗级权限，无需市级办理", D(2026, 11, 27))
    assert "该事项属旗级权限" in _case_events(banner_case.id, "refuse_link")[0].note
    with pytest.raises(ValidationError):  # a refused request is not accepted afterwards
        links.accept_link(link.id, city_case.id, staff("agent"))
    again = _ask(banner_case, "150600", staff("dlt_agent"))
    assert again.state == "requested" and links.readable_case_ids(staff("dlt_agent")) == set()
    page = _ok(login("dlt_agent").get(f"/cases/{banner_case.id}"))
    assert "对方已拒绝" in page and "该事项属旗级权限" in page


def test_an_ended_link_is_not_revived_by_a_new_request(linked, staff):
    banner_case, city_case, link = linked
    links.end_link(link.id, staff("agent"), "市级审批已办结")
    again = _ask(banner_case, "150600", staff("dlt_agent"), city_case.project_code)
    assert again.state == "requested"
    with pytest.raises(NotFound):
        links.linked_case_for(city_case.id, staff("dlt_agent"))


def test_the_requester_withdraws_a_waiting_request_but_not_an_answered_one(requested, staff, login):
    banner_case, _city_case, link = requested
    with pytest.raises(Forbidden):
        links.withdraw_link(link.id, staff("agent"))  # the side asked refuses; it does not withdraw
    client = login("dlt_agent")
    client.post(f"/caselinks/{link.id}/withdraw", data={"note": "项目调整", "version": link.version})
    db.session.expire_all()
    assert db.session.get(CaseLink, link.id).state == "withdrawn"
    assert _case_events(banner_case.id, "withdraw_link")
    with pytest.raises(NotFound):
        links.request_to_answer(link.id, staff("agent"))


def test_a_closed_requesting_case_cannot_be_linked(requested, staff):
    banner_case, city_case, link = requested
    banner_case.state = "completed"
    db.session.commit()
    with pytest.raises(NotLinkable):
        links.accept_link(link.id, city_case.id, staff("agent"))


def test_a_case_already_linked_to_the_same_counterpart_is_refused(linked, staff):
    banner_case, city_case, _ = linked
    again = _ask(city_case, "150621", staff("agent"))
    with pytest.raises(AlreadyLinked):
        links.accept_link(again.id, banner_case.id, staff("dlt_agent"))


def test_only_an_agent_of_the_cases_own_region_requests_a_link(pair, staff):
    banner_case, _city_case = pair
    city = db.session.scalar(select(Region).where(Region.code == "150600"))
    with pytest.raises(Forbidden):
        links.request_link(
            banner_case.id, LinkRequest(PURPOSE, region_id=city.id, project_reference="x"), staff("dlt_supervisor")
        )
    with pytest.raises(NotFound):  # the city agent does not see the banner's case
        links.request_link(
            banner_case.id, LinkRequest(PURPOSE, region_id=city.id, project_reference="x"), staff("agent")
        )


def test_the_refused_request_shows_its_message_and_keeps_what_was_typed(pair, login):
    banner_case, _ = pair
    client = login("dlt_agent")
    page = _ok(
        client.post(
            f"/caselinks/case/{banner_case.id}",
            data={
                "kind": "case",
                "region_id": str(banner_case.region_id),
                "project_reference": "某项目",
                "purpose": "需市级审批的事项",
            },
        )
    )
    assert "无法这样联动" in page
    assert "需市级审批的事项" in page and 'value="某项目"' in page


def test_the_request_form_asks_and_the_case_page_shows_only_what_was_typed(pair, login):
    banner_case, city_case = pair
    client = login("dlt_agent")
    form = _ok(client.get(f"/caselinks/case/{banner_case.id}"))
    assert "鄂尔多斯市" in form and "准格尔旗" not in form  # the region above; a banner has none below
    city_id = db.session.scalar(select(Region.id).where(Region.code == "150600"))
    page = _ok(
        client.post(
            f"/caselinks/case/{banner_case.id}",
            data={
                "kind": "case",
                "region_id": str(city_id),
                "project_reference": city_case.project_code,
                "counterpart_hint": city_case.number,
                "purpose": PURPOSE,
                "on": "2026-11-20",
            },
            follow_redirects=True,
        )
    )
    assert "已发出联动请求" in page and "待对方确认" in page and PURPOSE in page
    assert f'href="/cases/{city_case.id}"' not in page and "other-items" not in page  # nothing of the city case


def test_the_region_asked_finds_the_request_answers_it_and_both_pages_show_each_other(requested, login):
    banner_case, city_case, link = requested
    client = login("agent")
    waiting = _ok(client.get("/caselinks/requests"))
    assert banner_case.number in waiting and PURPOSE in waiting and banner_case.enterprise_name in waiting
    assert (
        banner_case.number
        not in _ok(login("dlt_supervisor").get("/caselinks/requests")).split("link-requests-outgoing")[0]
    )
    client = login("agent")
    answer = _ok(client.get(f"/caselinks/{link.id}/accept"))
    first = re.search(r'<option value="(\d+)"', answer)
    assert first and int(first.group(1)) == city_case.id and "★" in answer  # the matching case comes first
    assert login("dlt_agent").get(f"/caselinks/{link.id}/accept").status_code == 404
    client = login("agent")
    page = _ok(
        client.post(
            f"/caselinks/{link.id}/accept",
            data={"counterpart_case_id": str(city_case.id), "version": link.version, "on": "2026-11-27"},
            follow_redirects=True,
        )
    )
    assert "已接受联动" in page and banner_case.number in page
    assert "取水许可审批" in _ok(login("dlt_agent").get(f"/cases/{banner_case.id}"))  # the city's items now


def test_the_region_asked_registers_its_counterpart_case_and_that_accepts_the_request(requested, login, staff):
    banner_case, _, link = requested
    client = login("agent")
    form = _ok(client.get(f"/cases/new?link_id={link.id}"))
    assert banner_case.enterprise_name in form and f'name="link_id" value="{link.id}"' in form
    data = {k: v for k, v in links.application_values(link)}
    data.update({"channel": "window", "applied_on": "2026-11-27"})
    page = client.post("/cases/new", data=data, follow_redirects=True).get_data(as_text=True)
    db.session.expire_all()
    kept = db.session.get(CaseLink, link.id)
    assert kept.state == "active", page[:2000]
    assert kept.counterpart.region.code == "150600" and kept.counterpart.enterprise_name == banner_case.enterprise_name
    assert login("dlt_supervisor").get(f"/cases/new?link_id={link.id}").status_code in (403, 404)


# --- reading through a link ------------------------------------------------------------------------------


def test_the_city_agent_opens_the_linked_banner_case_read_only(linked, login):
    banner_case, city_case, _ = linked
    page = _ok(login("agent").get(f"/cases/{banner_case.id}"))
    assert "只读" in page
    assert "step-btn" not in page
    assert 'name="position_' not in page and "catalog_item_id" not in page and 'name="agent_id"' not in page
    assert "escalate-form" not in page and "与上下级联动</a>" not in page
    assert city_case.number in page  # the link back to the city's own case


def test_the_banner_agent_opens_the_linked_city_case_read_only(linked, login):
    _, city_case, _ = linked
    page = _ok(login("dlt_agent").get(f"/cases/{city_case.id}"))
    assert "只读" in page and "step-btn" not in page


def test_every_post_of_the_case_page_is_refused_to_the_linked_region(linked, login):
    banner_case, _, _ = linked
    before = (banner_case.state, banner_case.version, [(i.state, i.version) for i in banner_case.items])
    item = banner_case.items[0]
    client = login("agent")
    for url, data in (
        (f"/cases/{banner_case.id}/move/start", {"on": "2026-11-20", "version": banner_case.version}),
        (f"/cases/{banner_case.id}/move/terminate", {"note": "x", "version": banner_case.version}),
        (f"/cases/item/{item.id}/prepare", {"on": "2026-11-20", "version": item.version}),
        (f"/cases/{banner_case.id}/plan", {"planned_end": "2026-12-30", "version": banner_case.version}),
        (f"/cases/{banner_case.id}/items", {"catalog_item_id": "1", "version": banner_case.version}),
        (f"/cases/{banner_case.id}/agent", {"agent_id": "1", "version": banner_case.version}),
        (f"/reviews/escalate/{banner_case.id}", {"reason": "x"}),
    ):
        response = client.post(url, data=data, follow_redirects=True)
        text = response.get_data(as_text=True)
        assert response.status_code in (403, 404) or "不在您的管辖范围" in text or "无权" in text, url
    db.session.expire_all()
    case = db.session.get(Case, banner_case.id)
    assert (case.state, case.version, [(i.state, i.version) for i in case.items]) == before


def test_a_third_region_gets_404_and_liaisons_keep_only_their_own_sides_case(linked, staff, login):
    banner_case, city_case, _ = linked
    _agent_of("150622", staff)
    expected = {
        "agent_150622": (404, 404),
        "liaison": (404, 200),  # the city's water liaison: the city case has their item, the banner case does not
        "dlt_liaison_water": (200, 404),
    }
    for username, (banner_status, city_status) in expected.items():
        client = login(username)
        assert client.get(f"/cases/{banner_case.id}").status_code == banner_status, username
        assert client.get(f"/cases/{city_case.id}").status_code == city_status, username


def test_the_liaison_of_the_banner_case_sees_no_link_panel(linked, login):
    banner_case, city_case, _ = linked
    page = _ok(login("dlt_liaison_water").get(f"/cases/{banner_case.id}"))
    assert "case-link" not in page and f">{city_case.number}</a>" not in page


def test_lists_queues_and_ledgers_of_the_linked_region_do_not_widen(linked, login):
    banner_case, city_case, _ = linked
    client = login("agent")
    for url in (
        "/caselist/list/",
        "/caseitems/list/",
        "/queue/cases",
        f"/caselist/list/?_flt_0_search={banner_case.number}",
    ):
        page = _ok(client.get(url))
        assert f">{banner_case.number}<" not in page, url
    assert city_case.number in _ok(client.get("/caselist/list/"))
    response = client.get("/caselist/ledger")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    cells = {str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value}
    assert city_case.number in cells and banner_case.number not in cells


def test_ending_the_link_stops_access_and_keeps_the_row_and_both_timelines(linked, login, staff):
    banner_case, city_case, link = linked
    client = login("agent")  # an agent of the other side may end it
    page = _ok(
        client.post(
            f"/caselinks/{link.id}/end",
            data={
                "note": "市级审批已办结",
                "on": "2026-11-27",
                "version": link.version,
                "next": f"/cases/{city_case.id}",
            },
            follow_redirects=True,
        )
    )
    assert "结束联动" in page
    db.session.expire_all()
    kept = db.session.get(CaseLink, link.id)
    assert (kept.state, kept.ended_on, kept.end_reason) == ("ended", D(2026, 11, 27), "市级审批已办结")
    assert len(_case_events(banner_case.id, "end_link")) == len(_case_events(city_case.id, "end_link")) == 1
    assert client.get(f"/cases/{banner_case.id}").status_code == 404
    assert login("dlt_agent").get(f"/cases/{city_case.id}").status_code == 404
    assert "已结束" in _ok(login("dlt_agent").get(f"/cases/{banner_case.id}"))


def test_a_supervisor_may_read_but_not_end_a_link(linked, staff):
    _, city_case, link = linked
    assert links.linked_case_for(city_case.id, staff("dlt_supervisor")) == city_case
    with pytest.raises(Forbidden):
        links.end_link(link.id, staff("dlt_supervisor"), "不再需要")


def test_a_third_region_cannot_end_a_link_it_does_not_touch(linked, staff):
    _, _, link = linked
    with pytest.raises(NotFound):
        links.end_link(link.id, _agent_of("150622", staff), "x")


def test_ending_with_a_stale_version_gives_who_changed_it(linked, login, staff):
    _, city_case, link = linked
    old = link.version
    links.end_link(link.id, staff("dlt_agent"), "市级审批已办结", expected_version=old)
    client = login("agent")
    page = _ok(
        client.post(
            f"/caselinks/{link.id}/end",
            data={"note": "重复结束", "version": old, "next": f"/cases/{city_case.id}"},
            follow_redirects=True,
        )
    )
    assert re.search(r"该记录已被 dlt_agent 于 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d 修改", page)
    db.session.expire_all()
    assert db.session.get(CaseLink, link.id).end_reason == "市级审批已办结"


def test_a_stale_version_is_refused_by_the_service_too(linked, staff):
    _, _, link = linked
    with pytest.raises(StaleRecord):
        links.end_link(link.id, staff("dlt_agent"), "x", expected_version=link.version - 1)


# --- an outside party ---------------------------------------------------------------------------------------


def test_a_link_to_the_autonomous_region_keeps_its_state_text_and_the_date_it_was_learned(pair, login, staff):
    banner_case, _ = pair
    client = login("dlt_agent")
    client.post(
        f"/caselinks/case/{banner_case.id}",
        data={
            "kind": "external",
            "external_party": "内蒙古自治区政务服务与数据管理局",
            "external_reference": "蒙政数函〔2026〕118号",
            "external_state": "已受理",
            "direction": "upper",
            "purpose": "用地预审需报自治区审查",
            "on": "2026-11-10",
        },
    )
    link = db.session.scalar(select(CaseLink))
    assert (link.counterpart_case_id, link.external_state, link.direction) == (None, "已受理", "upper")
    page = _ok(
        client.post(
            f"/caselinks/{link.id}/state",
            data={"external_state": "专家评审中", "on": "2026-11-25", "version": link.version},
            follow_redirects=True,
        )
    )
    assert "已记录对方办理情况" in page and "专家评审中" in page and "2026-11-25" in page
    assert [e.note for e in _case_events(banner_case.id, "link_state")] == ["专家评审中"]
    db.session.expire_all()
    link = db.session.get(CaseLink, link.id)
    assert link.version == 2
    refused = _ok(client.post(f"/caselinks/{link.id}/state", data={"external_state": "", "version": link.version}))
    assert "请填写对方办理情况" in refused
    stale = _ok(client.post(f"/caselinks/{link.id}/state", data={"external_state": "已出具意见", "version": 1}))
    assert "该记录已被" in stale and 'value="已出具意见"' in stale  # what was typed is kept


def test_the_state_of_a_case_in_this_system_is_not_typed_in(linked, staff):
    _, _, link = linked
    with pytest.raises(ValidationError):
        links.record_external_state(link.id, "已办结", staff("dlt_agent"))


# --- the list -----------------------------------------------------------------------------------------------


def test_the_links_list_shows_both_sides_in_scope_and_filters_by_state_and_direction(linked, staff, login):
    banner_case, city_case, _ = linked
    page = _ok(login("agent").get("/links/list/"))
    assert banner_case.number in page and city_case.number in page and PURPOSE in page
    supervisor = login("dlt_supervisor")
    assert supervisor.get("/links/").headers["Location"].endswith("/links/list/")
    assert banner_case.number in _ok(supervisor.get("/links/list/"))
    _agent_of("150622", staff)
    assert banner_case.number not in _ok(login("agent_150622").get("/links/list/"))
    client = login("dlt_agent")
    assert PURPOSE in _ok(client.get("/links/list/?_flt_0_state=active&_flt_0_direction=upper"))
    assert PURPOSE not in _ok(client.get("/links/list/?_flt_0_state=ended"))
    assert PURPOSE not in _ok(client.get("/links/list/?_flt_0_direction=lower"))


# --- roles × routes ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "list_", "manage"),
    [("dlt_agent", 200, True), ("dlt_supervisor", 200, False), ("dlt_liaison_water", 403, False), ("admin", 200, True)],
)
def test_each_role_meets_its_decision_on_the_links_routes(linked, login, username, list_, manage):
    banner_case, _, link = linked
    client = login(username)
    assert client.get("/links/list/").status_code == list_
    form = client.get(f"/caselinks/case/{banner_case.id}")
    end = client.post(f"/caselinks/{link.id}/end", data={"note": ""})
    state = client.post(f"/caselinks/{link.id}/state", data={"external_state": "x"})
    if manage:
        assert form.status_code == 200 and end.status_code == 302 and state.status_code == 200
    else:
        assert {form.status_code, end.status_code, state.status_code} == {403}
    for role in (RoleName.SUPERVISOR, RoleName.AGENT):
        assert ("can_list", "CaseLinkView") in ROLE_PERMISSIONS[role]
    assert ("can_end", "LinkPageView") not in ROLE_PERMISSIONS[RoleName.SUPERVISOR]
    assert ("can_list", "CaseLinkView") not in ROLE_PERMISSIONS[RoleName.LIAISON]


# --- the demo ----------------------------------------------------------------------------------------------------


def test_the_demo_links_are_made_once(app, staff, password_hash):
    from app.services.demo import demo_staff, seed_demo_cases

    demo_staff(password_hash)
    seed_demo_cases()
    assert demo_followup.seed_demo_links() == 3
    assert demo_followup.seed_demo_links() == 0
    rows = db.session.scalars(select(CaseLink).order_by(CaseLink.id)).all()
    assert [r.state for r in rows] == ["active", "requested", "active"]
    assert rows[0].case.region.code == "150621" and rows[0].counterpart.region.code == "150600"
    assert rows[1].counterpart is None and rows[1].target_region.code == "150600"
    assert rows[2].external_party == "内蒙古自治区政务服务与数据管理局" and rows[2].external_state


# --- the upgrade ---------------------------------------------------------------------------------------------


def test_links_made_before_consent_wait_for_the_region_asked_after_the_upgrade(linked, staff):
    from flask_migrate import downgrade, upgrade

    _banner_case, city_case, link = linked
    ended = _ask(city_case, "150621", staff("agent"))
    other = _planned(staff("dlt_agent"), "150621")
    links.accept_link(ended.id, other.id, staff("dlt_agent"))
    links.end_link(ended.id, staff("agent"), "已办结")
    link_id, ended_id, other_id = link.id, ended.id, other.id
    city_id, city_number = city_case.id, city_case.number
    db.session.remove()
    downgrade(revision="7b2e1d3c4f12")  # the release before consent: both links as it stored them
    upgrade()
    db.session.expire_all()
    waiting, closed = db.session.get(CaseLink, link_id), db.session.get(CaseLink, ended_id)
    assert (waiting.state, waiting.counterpart_case_id, waiting.counterpart_hint, waiting.target_region.code) == (
        "requested",
        None,
        city_number,
        "150600",
    )
    assert waiting.requested_on is not None and waiting.linked_on is None
    with pytest.raises(NotFound):
        links.linked_case_for(city_id, staff("dlt_agent"))
    assert (closed.state, closed.counterpart_case_id, closed.target_region.code) == ("ended", other_id, "150621")
    case, match = links.counterpart_candidates(waiting)[0]
    assert (case.id, match) == (city_id, True)  # the case it had named comes first for the city's answer
