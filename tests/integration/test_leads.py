"""提前介入 through the services and the screens: a lead is recorded, prepared with a checklist, abandoned and
taken up again, and converted into a case by registering its application; other banners never see it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select, update

from app.domain.errors import Forbidden, NotFound, StaleRecord, ValidationError
from app.domain.lights import Light
from app.extensions import db
from app.models import Case, CaseEvent, Department, Lead, LeadTask
from app.services import cases, demo_followup, leads
from app.services.lights import light_book
from tests.factories import CREDIT_CODE, ENTERPRISE, PROJECT, catalog_ids

D = dt.date
pytestmark = pytest.mark.usefixtures("today_is")  # today is 2026-11-27


def _values(owner, **changes):
    values = {
        "source": "promotion_event",
        "source_detail": "2026鄂尔多斯招商引资推介会",
        "enterprise_name": "内蒙古氢途能源有限公司",
        "credit_code": CREDIT_CODE,
        "contact_person": "赵强",
        "contact_phone": "13904771234",
        "project_name": "绿氢制备及储运一体化项目",
        "project_address": "达拉特旗树林召镇",
        "expected_investment": "126000",
        "expected_landing_on": "2027-03-01",
        "found_on": "2026-10-15",
        "owner_id": str(owner.id),
        "description": "年产绿氢2万吨",
    }
    return {**values, **changes}


def _lead(staff, **changes):
    agent = staff("dlt_agent")
    items = catalog_ids("150621", "取水许可审批", "建设用地规划许可证核发")
    return leads.create_lead(agent.region_id, _values(agent, **changes), items, agent)


def _ok(response):
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _events(subject, subject_id):
    return list(
        db.session.scalars(
            select(CaseEvent.action)
            .where(CaseEvent.subject_type == subject, CaseEvent.subject_id == subject_id)
            .order_by(CaseEvent.id)
        )
    )


# --- recording and correcting ---------------------------------------------------------------------------------


def test_a_lead_with_bad_input_names_every_problem_at_its_field_and_saves_nothing(staff):
    agent = staff("dlt_agent")
    bad = _values(
        agent,
        source="rumour",
        enterprise_name=" ",
        credit_code="91350100M000100Y44",
        expected_investment="lots",
        found_on="2026-12-31",
        owner_id=str(staff("agent").id),  # the city's agent is no agent of 达拉特旗
    )
    with pytest.raises(leads.LeadInvalid) as refused:
        leads.create_lead(agent.region_id, bad, catalog_ids("150600", "取水许可审批"), agent)
    assert set(refused.value.problems) == {
        "source",
        "enterprise_name",
        "credit_code",
        "expected_investment",
        "found_on",
        "owner_id",
        "items",
    }
    assert db.session.scalar(select(func.count(Lead.id))) == 0


def test_a_promotion_event_lead_names_its_event(staff):
    with pytest.raises(leads.LeadInvalid) as refused:
        _lead(staff, source_detail="")
    assert set(refused.value.problems) == {"source_detail"}
    assert _lead(staff, source="commerce", source_detail="").source == "commerce"


def test_the_new_lead_form_keeps_what_was_typed_and_shows_the_problems(login, staff):
    agent = login("dlt_agent")
    form = _values(staff("dlt_agent"), enterprise_name="", expected_investment="很多")
    page = _ok(agent.post("/leads/new", data=form))
    assert 'id="enterprise_name-error"' in page and "项目信息未保存" in page
    assert 'id="expected_investment-error"' in page
    assert 'value="绿氢制备及储运一体化项目"' in page and 'value="很多"' in page
    assert db.session.scalar(select(func.count(Lead.id))) == 0
    response = agent.post("/leads/new", data=_values(staff("dlt_agent")) | {"catalog_item_id": ["1"]})
    assert response.status_code == 200  # item 1 is the city's, not 达拉特旗's: refused at its place
    assert db.session.scalar(select(func.count(Lead.id))) == 0
    items = catalog_ids("150621", "取水许可审批")
    response = agent.post("/leads/new", data=_values(staff("dlt_agent")) | {"catalog_item_id": [str(items[0])]})
    lead = db.session.scalar(select(Lead))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/leads/{lead.id}")
    assert [i.catalog_item_id for i in lead.expected_items] == items
    assert _events("lead", lead.id) == ["create"]


def test_the_city_supervisor_records_a_lead_for_a_banner_below_but_not_outside_the_city(login, staff, region):
    client = login("supervisor")
    dlt = region("150621")
    page = _ok(client.get(f"/leads/new?region_id={dlt.id}"))
    assert f'name="region_id" value="{dlt.id}"' in page and "刘晓燕" in page  # 达拉特旗's agent to choose
    response = client.post("/leads/new", data=_values(staff("dlt_agent")) | {"region_id": str(dlt.id)})
    assert response.status_code == 302
    assert db.session.scalar(select(Lead.region_id)) == dlt.id
    assert login("dlt_agent").get(f"/leads/new?region_id={region('150600').id}").status_code == 404


def test_a_correction_is_version_checked_and_written_in_the_timeline(staff):
    lead = _lead(staff)
    agent = staff("dlt_agent")
    version = lead.version
    leads.update_lead(lead.id, _values(agent, expected_investment="130000"), [], agent, version)
    assert str(lead.expected_investment) == "130000.00" and lead.expected_items == []
    with pytest.raises(StaleRecord):
        leads.update_lead(lead.id, _values(agent, expected_investment="1"), [], agent, version)
    assert str(db.session.get(Lead, lead.id).expected_investment) == "130000.00"
    note = db.session.scalar(select(CaseEvent.note).where(CaseEvent.action == "edit"))
    assert "126000.00 → 130000.00" in note and "−取水许可审批" in note


def test_the_edit_screen_refuses_a_stale_form_and_keeps_the_input(login, staff):
    lead = _lead(staff)
    agent = login("dlt_agent")
    form = _values(staff("dlt_agent"), project_name="改名后的项目", version=str(lead.version))
    leads.update_lead(lead.id, _values(staff("dlt_agent"), description="别人先改"), [], staff("dlt_supervisor"))
    page = _ok(agent.post(f"/leads/{lead.id}/edit", data=form))
    assert "Reload" in page or "重新" in page
    assert 'value="改名后的项目"' in page
    assert db.session.get(Lead, lead.id).project_name == "绿氢制备及储运一体化项目"


# --- scope ----------------------------------------------------------------------------------------------------


def test_another_level_neither_sees_opens_nor_changes_a_lead(login, staff):
    lead = _lead(staff)
    other = staff("agent")
    with pytest.raises(NotFound):
        leads.load_lead(lead.id, other)
    with pytest.raises(NotFound):
        leads.move_lead(lead.id, "abandon", other, note="不是我们的")
    with pytest.raises(NotFound):
        leads.add_task(lead.id, "对接", other, owner="某人")
    client = login("agent")
    assert "绿氢制备" not in _ok(client.get("/leadlist/list/"))
    assert client.get(f"/leads/{lead.id}").status_code == 404
    assert client.get(f"/leads/{lead.id}/edit").status_code == 404
    assert client.post(f"/leads/{lead.id}/move/abandon", data={"note": "x"}).status_code in (302, 404)
    assert client.get(f"/cases/new?lead_id={lead.id}").status_code == 404
    assert db.session.get(Lead, lead.id).state == "tracking"
    # The city supervisor sees the banner's leads; the banner's agent sees its own.
    assert "绿氢制备" in _ok(login("supervisor").get("/leadlist/list/"))
    assert "绿氢制备" in _ok(login("dlt_agent").get("/leadlist/list/"))


def test_liaisons_are_not_shown_leads(staff):
    lead = _lead(staff)
    with pytest.raises(NotFound):
        leads.load_lead(lead.id, staff("dlt_liaison_water"))


# --- the checklist ----------------------------------------------------------------------------------------------


def test_the_checklist_counts_done_tasks_and_overdue_ones_in_the_apps_red(staff):
    lead = _lead(staff)
    agent = staff("dlt_agent")
    water = db.session.scalar(
        select(Department).where(Department.region_id == lead.region_id, Department.kind == "水利部门")
    )
    with pytest.raises(ValidationError, match="Name who"):
        leads.add_task(lead.id, "取水论证", agent)
    with pytest.raises(ValidationError, match="department"):
        leads.add_task(lead.id, "取水论证", agent, department_id=staff("agent").department_id)
    late = leads.add_task(lead.id, "取水论证报告", agent, department_id=water.id, due_on=D(2026, 11, 20))
    soon = leads.add_task(lead.id, "用地预审材料", agent, owner="王科长", due_on=D(2026, 12, 31))
    wrong = leads.add_task(lead.id, "重复录入的任务", agent, owner="王科长", due_on=D(2026, 11, 1))
    done = leads.add_task(lead.id, "项目备案", agent, owner="李敏")
    leads.close_task(done.id, agent, D(2026, 11, 25))
    with pytest.raises(ValidationError, match="why"):
        leads.close_task(wrong.id, agent, not_needed=True)
    leads.close_task(wrong.id, agent, not_needed=True, note="重复")
    with pytest.raises(ValidationError, match="already closed"):
        leads.close_task(done.id, agent)
    db.session.expire_all()
    lead = db.session.get(Lead, lead.id)
    shown = leads.progress(lead, light_book())
    assert (shown.done, shown.total, shown.overdue, shown.light) == (1, 3, 1, Light.RED)
    assert leads.task_states(lead)[wrong.id].value == "not_needed"
    leads.close_task(late.id, agent, D(2026, 11, 26))
    db.session.expire_all()
    shown = leads.progress(db.session.get(Lead, lead.id), light_book())
    assert (shown.done, shown.overdue, shown.light) == (2, 0, Light.GREEN)
    leads.reopen_task(late.id, agent, "报告被退回")
    db.session.expire_all()
    assert leads.progress(db.session.get(Lead, lead.id), light_book()).overdue == 1
    assert _events("lead_task", late.id) == ["add_task", "task_done", "task_reopen"]
    assert db.session.scalar(select(func.count(LeadTask.id))) == 4  # nothing deleted
    assert soon.due_on == D(2026, 12, 31)


def test_the_checklist_through_the_screens_and_the_lists_overdue_count(login, staff):
    lead = _lead(staff)
    agent = login("dlt_agent")
    page = _ok(
        agent.post(
            f"/leads/{lead.id}/tasks",
            data={"text": "取水论证报告", "owner": "王科长", "due_on": "2026-11-20"},
            follow_redirects=True,
        )
    )
    assert "取水论证报告" in page and "light-red" in page
    task = db.session.scalar(select(LeadTask))
    listing = _ok(agent.get("/leadlist/list/"))
    assert re.search(
        r'class="checklist">0/1</span> <span class="label label-danger light-red overdue-tasks">[^<]*: 1', listing
    )
    page = _ok(agent.post(f"/leads/task/{task.id}/done", data={"on": "2026-11-26"}, follow_redirects=True))
    assert 'class="checklist">' not in page and "task-done" in page
    assert 'class="checklist">1/1</span>' in _ok(agent.get("/leadlist/list/"))
    assert agent.post(f"/leads/task/{task.id}/explode").status_code == 404
    page = _ok(agent.post(f"/leads/{lead.id}/tasks", data={"text": "", "owner": "x"}, follow_redirects=True))
    assert db.session.scalar(select(func.count(LeadTask.id))) == 1


# --- abandon, take up again -----------------------------------------------------------------------------------


def test_abandoning_needs_a_reason_and_a_lead_can_be_taken_up_again(login, staff):
    lead = _lead(staff)
    supervisor = staff("dlt_supervisor")
    with pytest.raises(ValidationError, match="reason"):
        leads.move_lead(lead.id, "abandon", supervisor)
    leads.move_lead(lead.id, "abandon", supervisor, D(2026, 11, 20), note="企业转投他地", expected_version=lead.version)
    lead = db.session.get(Lead, lead.id)
    assert (lead.state, lead.abandon_reason, lead.closed_on) == ("abandoned", "企业转投他地", D(2026, 11, 20))
    with pytest.raises(leads.LeadClosed):
        leads.add_task(lead.id, "对接", supervisor, owner="某人")
    with pytest.raises(leads.LeadClosed):
        leads.update_lead(lead.id, _values(staff("dlt_agent")), [], supervisor)
    response = login("dlt_supervisor").get(f"/leads/{lead.id}/edit")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/leads/{lead.id}")
    page = _ok(login("dlt_agent").get(f"/leads/{lead.id}"))
    assert "企业转投他地" in page and "/move/reopen" in page and "lead_id=" not in page
    client = login("dlt_agent")
    page = _ok(client.post(f"/leads/{lead.id}/move/reopen", data={"version": str(lead.version)}, follow_redirects=True))
    lead = db.session.get(Lead, lead.id)
    assert lead.state == "tracking" and lead.closed_on is None
    assert _events("lead", lead.id) == ["create", "abandon", "reopen"]


def test_a_stale_step_is_refused(staff):
    lead = _lead(staff)
    version = lead.version
    leads.update_lead(lead.id, _values(staff("dlt_agent"), description="更新"), [], staff("dlt_agent"))
    with pytest.raises(StaleRecord):
        leads.move_lead(lead.id, "abandon", staff("dlt_agent"), note="x", expected_version=version)
    assert db.session.get(Lead, lead.id).state == "tracking"


def test_a_lead_is_not_converted_by_a_button_only_by_its_application(staff):
    lead = _lead(staff)
    with pytest.raises(ValidationError, match="registering its application"):
        leads.move_lead(lead.id, "convert", staff("dlt_agent"))
    with pytest.raises(Forbidden):
        leads.convertible_lead(lead.id, staff("dlt_supervisor"))


# --- conversion -----------------------------------------------------------------------------------------------


def _application(page: str) -> dict:
    """The posted form as the browser would send it: the prefilled values, ticked boxes, chosen options."""
    data: dict = {}
    for name, value in re.findall(r'<input type="(?:text|hidden|date)"[^>]* name="([^"]+)" value="([^"]*)"', page):
        data[name] = value
    data["catalog_item_id"] = re.findall(r'name="catalog_item_id" value="(\d+)" checked', page)
    data["channel"] = re.search(r'<option value="([a-z]+)" selected>', page).group(1)
    data["project_category"] = "key"
    return data


def test_converting_a_lead_prefills_the_application_and_links_both(login, staff):
    lead = _lead(staff)
    agent = login("dlt_agent")
    page = _ok(agent.get(f"/leads/{lead.id}"))
    assert f"/cases/new?lead_id={lead.id}" in page
    form = _ok(agent.get(f"/cases/new?lead_id={lead.id}"))
    for value in (
        "内蒙古氢途能源有限公司",
        CREDIT_CODE,
        "赵强",
        "13904771234",
        "绿氢制备及储运一体化项目",
        "126000.00",
    ):
        assert f'value="{value}"' in form
    assert f'name="lead_id" value="{lead.id}"' in form
    data = _application(form)
    assert sorted(int(i) for i in data["catalog_item_id"]) == sorted(i.catalog_item_id for i in lead.expected_items)
    assert data["channel"] == "early"

    # A failed application keeps everything, the lead link included, and converts nothing.
    page = _ok(agent.post("/cases/new", data=data | {"enterprise_credit_code": "123"}))
    assert f'name="lead_id" value="{lead.id}"' in page and 'value="赵强"' in page
    assert db.session.get(Lead, lead.id).state == "tracking"
    assert db.session.scalar(select(func.count(Case.id))) == 0

    response = agent.post("/cases/new", data=data)
    case = db.session.scalar(select(Case))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{case.id}")
    lead = db.session.get(Lead, lead.id)
    assert (lead.state, lead.case_id, lead.closed_on) == ("converted", case.id, case.applied_on)
    assert case.channel == "early" and len(case.items) == 2
    assert case.agent_id == lead.owner_id  # the agent who followed the lead runs its case
    assert _events("lead", lead.id) == ["create", "convert"]
    assert {"from_lead", "assign_agent"} <= set(_events("case", case.id))
    case_page = _ok(agent.get(f"/cases/{case.id}"))
    assert f"/leads/{lead.id}" in case_page and "招商引资活动" in case_page
    assert case.number in _ok(agent.get(f"/leads/{lead.id}"))

    # Converted once: the form refuses to start again, and a replayed POST is refused with its reason.
    response = agent.get(f"/cases/new?lead_id={lead.id}", follow_redirects=True)
    assert case.number in _ok(response) and "/cases/new?lead_id" not in response.get_data(as_text=True)
    page = _ok(agent.post("/cases/new", data=data | {"project_code": ""}))
    assert case.number in page
    assert db.session.scalar(select(func.count(Case.id))) == 1


def test_an_abandoned_lead_cannot_be_converted_and_its_application_is_not_registered(staff):
    lead = _lead(staff)
    agent = staff("dlt_agent")
    leads.move_lead(lead.id, "abandon", agent, note="放弃")
    with pytest.raises(leads.LeadNotTracking, match="Take it up again"):
        cases.submit_application(
            lead.region_id,
            ENTERPRISE,
            PROJECT,
            "early",
            D(2026, 11, 20),
            [i.catalog_item_id for i in lead.expected_items],
            agent,
            lead_id=lead.id,
        )
    assert db.session.scalar(select(func.count(Case.id))) == 0


def test_a_lead_changed_while_its_application_is_registered_leaves_neither_case_nor_conversion(staff, monkeypatch):
    lead = _lead(staff)
    agent = staff("dlt_agent")
    checked = leads.convertible_lead

    def checked_then_changed_elsewhere(*args, **kwargs):
        found = checked(*args, **kwargs)
        bump = update(Lead).where(Lead.id == found.id).values(version=Lead.version + 1)
        db.session.execute(bump.execution_options(synchronize_session=False))  # another worker's save
        return found

    monkeypatch.setattr(leads, "convertible_lead", checked_then_changed_elsewhere)
    with pytest.raises(leads.LeadChangedMeanwhile):
        cases.submit_application(
            lead.region_id, ENTERPRISE, PROJECT, "early", D(2026, 11, 20), [], agent, lead_id=lead.id
        )
    assert db.session.scalar(select(func.count(Case.id))) == 0
    assert db.session.get(Lead, lead.id).state == "tracking"


# --- who may use which screen ------------------------------------------------------------------------------------

ROUTES = [
    ("get", "/leadlist/list/", {"supervisor", "dlt_agent", "admin"}),
    ("get", "/leads/{lead}", {"supervisor", "dlt_agent", "admin"}),
    ("get", "/leads/new", {"supervisor", "dlt_agent", "admin"}),
    ("get", "/leads/{lead}/edit", {"supervisor", "dlt_agent", "admin"}),
    ("post", "/leads/{lead}/move/abandon", {"supervisor", "dlt_agent", "admin"}),
    ("post", "/leads/{lead}/tasks", {"supervisor", "dlt_agent", "admin"}),
    ("post", "/leads/task/{task}/done", {"supervisor", "dlt_agent", "admin"}),
]


@pytest.mark.parametrize("username", ["supervisor", "dlt_agent", "dlt_liaison_water", "admin"])
def test_each_role_reaches_exactly_its_lead_screens(login, staff, username):
    lead = _lead(staff)
    task = leads.add_task(lead.id, "对接", staff("dlt_agent"), owner="王科长")
    client = login(username)
    for method, url, allowed in ROUTES:
        response = getattr(client, method)(url.format(lead=lead.id, task=task.id), data={})
        if username in allowed:
            assert response.status_code in (200, 302), (url, response.status_code)
            assert "/login" not in response.headers.get("Location", ""), url
        else:
            assert response.status_code == 403, (url, username, response.status_code)


# --- demo -------------------------------------------------------------------------------------------------------


def test_the_demo_has_leads_in_every_state_and_a_second_run_adds_nothing(app, password_hash, staff):
    from app.services.demo import demo_staff, seed_demo_cases

    demo_staff(password_hash)
    seed_demo_cases()
    assert demo_followup.seed_demo_leads() == 16
    assert demo_followup.seed_demo_leads() == 0
    assert set(db.session.scalars(select(Lead.state))) == {"tracking", "converted", "abandoned"}
    assert db.session.scalar(select(func.count(Lead.id)).where(Lead.source == "promotion_event")) == 4
    converted = db.session.scalars(select(Lead).where(Lead.state == "converted")).all()
    assert all(lead.case is not None and lead.case.region_id == lead.region_id for lead in converted)
    assert all("from_lead" in _events("case", lead.case_id) for lead in converted)
    abandoned = db.session.scalars(select(Lead).where(Lead.state == "abandoned")).all()
    assert all(lead.abandon_reason for lead in abandoned)
    book = light_book()
    overdue = [leads.progress(lead, book).overdue for lead in db.session.scalars(select(Lead))]
    assert sum(1 for n in overdue if n) == 4  # one lead per region has an overdue task
