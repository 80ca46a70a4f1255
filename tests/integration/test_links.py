"""纵向三级联动 through the services and the screens: a 达拉特旗 case linked up to a city case, the pairs refused,
the read-only page for the linked region (and nothing for a third region or a liaison), lists that do not
widen, ending a link, an outside party's state, and role × route for the links' own routes."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
from sqlalchemy import func, select

from app.domain.enums import RoleName
from app.domain.errors import Forbidden, NotFound, StaleRecord, ValidationError
from app.domain.links import AlreadyLinked, NoSuchCase, PairRefused
from app.domain.roles import ROLE_PERMISSIONS
from app.extensions import db
from app.models import Case, CaseEvent, Department, Region, Staff
from app.models.followup import CaseLink
from app.services import links
from app.services.cases import PlanLine, accept_case, entrust_case, fix_plan, plan_schedule
from app.services.links import LinkRequest
from tests.factories import apply

D = dt.date
pytestmark = pytest.mark.usefixtures("today_is")
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
def pair(staff):
    """A 达拉特旗 case and a city case, not yet linked."""
    return _planned(staff("dlt_agent"), "150621"), _planned(staff("agent"), "150600")


@pytest.fixture
def linked(pair, staff):
    banner_case, city_case = pair
    link = links.link_case(
        banner_case.id, LinkRequest(PURPOSE, counterpart_number=city_case.number), staff("dlt_agent")
    )
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


# --- making a link -----------------------------------------------------------------------------------------


def test_a_banner_case_links_up_to_a_city_case_with_an_entry_on_both_timelines(linked):
    banner_case, city_case, link = linked
    assert (link.case_id, link.counterpart_case_id, link.direction, link.state) == (
        banner_case.id,
        city_case.id,
        "upper",
        "active",
    )
    assert link.purpose == PURPOSE and link.linked_on == D(2026, 11, 27)
    up = _case_events(banner_case.id, "link_case")
    down = _case_events(city_case.id, "link_case")
    assert len(up) == len(down) == 1
    assert city_case.number in up[0].note and banner_case.number in down[0].note


def test_a_city_case_links_down_to_a_banner_case(pair, staff):
    banner_case, city_case = pair
    link = links.link_case(city_case.id, LinkRequest(PURPOSE, counterpart_number=banner_case.number), staff("agent"))
    assert link.direction == "lower"


def test_two_banners_are_refused_with_the_reason(pair, staff):
    banner_case, _ = pair
    other = _planned(_agent_of("150622", staff), "150622")
    with pytest.raises(PairRefused) as refused:
        links.link_case(banner_case.id, LinkRequest(PURPOSE, counterpart_number=other.number), staff("dlt_agent"))
    assert refused.value.params == {"other": "准格尔旗", "own": "达拉特旗"}
    assert db.session.scalar(select(func.count(CaseLink.id))) == 0


def test_a_case_of_the_same_region_an_unknown_number_and_a_second_active_link_are_refused(linked, staff):
    banner_case, city_case, _ = linked
    agent = staff("dlt_agent")
    same = apply(agent)
    with pytest.raises(PairRefused):
        links.link_case(banner_case.id, LinkRequest(PURPOSE, counterpart_number=same.number), agent)
    with pytest.raises(NoSuchCase):
        links.link_case(banner_case.id, LinkRequest(PURPOSE, counterpart_number="NO-SUCH-1"), agent)
    with pytest.raises(AlreadyLinked):
        links.link_case(banner_case.id, LinkRequest(PURPOSE, counterpart_number=city_case.number), agent)
    with pytest.raises(AlreadyLinked):  # the same pair seen from the city's side
        links.link_case(city_case.id, LinkRequest(PURPOSE, counterpart_number=banner_case.number), staff("agent"))
    with pytest.raises(ValidationError):
        links.link_case(banner_case.id, LinkRequest("  ", counterpart_number=city_case.number), agent)


def test_only_an_agent_of_the_cases_region_links_it(pair, staff):
    banner_case, city_case = pair
    with pytest.raises(Forbidden):
        links.link_case(banner_case.id, LinkRequest(PURPOSE, city_case.number), staff("dlt_supervisor"))
    with pytest.raises(NotFound):  # the city agent does not see the banner's case
        links.link_case(banner_case.id, LinkRequest(PURPOSE, counterpart_number=city_case.number), staff("agent"))


def test_the_refused_pair_shows_its_message_and_keeps_what_was_typed(pair, login):
    banner_case, _ = pair
    client = login("dlt_agent")
    same = db.session.scalar(select(Case).where(Case.id != banner_case.id, Case.region_id == banner_case.region_id))
    if same is None:
        same = apply(db.session.scalar(select(Staff).where(Staff.username == "dlt_agent")))
    page = _ok(
        client.post(
            f"/caselinks/case/{banner_case.id}",
            data={"kind": "case", "counterpart_number": same.number, "purpose": "需市级审批的事项"},
        )
    )
    assert "不能在同级之间联动" in page
    assert 'value="' + same.number + '"' in page and "需市级审批的事项" in page


def test_the_link_form_links_and_the_case_page_shows_the_other_side(pair, login):
    banner_case, city_case = pair
    client = login("dlt_agent")
    assert "与上下级联动" in _ok(client.get(f"/cases/{banner_case.id}"))
    page = _ok(
        client.post(
            f"/caselinks/case/{banner_case.id}",
            data={"kind": "case", "counterpart_number": city_case.number, "purpose": PURPOSE, "on": "2026-11-20"},
            follow_redirects=True,
        )
    )
    assert "已与上下级联动" in page
    assert city_case.number in page and "鄂尔多斯市" in page and "上级" in page
    assert "与上下级案件联动" in page  # the timeline entry, labelled
    assert "取水许可审批" in page  # the counterpart's items with their states


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
    assert links.seed_demo_links() == 2
    assert links.seed_demo_links() == 0
    rows = db.session.scalars(select(CaseLink).order_by(CaseLink.id)).all()
    assert len(rows) == 2
    assert rows[0].case.region.code == "150621" and rows[0].counterpart.region.code == "150600"
    assert rows[1].external_party == "内蒙古自治区政务服务与数据管理局" and rows[1].external_state
