"""The case page and the work queues as they read: compact step buttons opening one small form, dates that
do not wrap, the right words for withdrawing, closing and refusing, and an application form that shows every
mistake at once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Case, CaseItem
from tests.factories import application_form

pytestmark = pytest.mark.usefixtures("today_is")  # 2026-11-27


def _application(**overrides):
    return application_form(**overrides)


def _latest() -> Case:
    db.session.expire_all()
    return db.session.scalars(select(Case).order_by(Case.id.desc())).first()


def _move(client, case: Case, action: str, **form) -> str:
    response = client.post(
        f"/cases/{case.id}/move/{action}", data={"version": _latest().version, **form}, follow_redirects=True
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def planned(login):
    """A case of 达拉特旗 with two items, accepted, entrusted and planned by the agent."""
    agent = login("dlt_agent")
    agent.post("/cases/new", data=_application())
    case = _latest()
    _move(agent, case, "accept", on="2026-11-03")
    _move(agent, case, "entrust", on="2026-11-04")
    case = _latest()
    plan = {f"filing_{i.id}": "2026-11-20" for i in case.items}
    agent.post(f"/cases/{case.id}/plan", data={"version": case.version, **plan})
    _move(agent, case, "plan", on="2026-11-05")
    assert _latest().state == "planned"
    return _latest()


def _row(page: str, item: CaseItem) -> str:
    start = page.index(f'data-item="{item.id}"')
    return page[start : page.index("</tr>", start)]


def test_each_item_row_offers_compact_step_buttons_that_open_one_form_and_dates_do_not_wrap(login, planned):
    page = login("dlt_agent").get(f"/cases/{planned.id}").get_data(as_text=True)
    assert page.count('id="step-modal"') == 1 and page.count('class="modal-content step-form"') == 1
    for item in planned.items:
        row = _row(page, item)
        assert "<form" not in row and 'type="date" name="on"' not in row  # no stacked date + note + button blocks
        buttons = re.findall(r'<button type="button" class="btn btn-xs[^"]*step-btn"[^>]*data-action="(\w+)"', row)
        assert buttons == ["prepare", "withdraw"]
    assert '<td class="date">' in page
    css = (Path(__file__).parents[2] / "app" / "static" / "app.css").read_text(encoding="utf-8")
    assert re.search(r"td\.date[^{]*\{[^}]*white-space:\s*nowrap", css)


def test_withdrawing_asks_for_the_reason_for_withdrawal_not_what_is_missing(login, planned):
    page = login("dlt_agent").get(f"/cases/{planned.id}").get_data(as_text=True)
    withdraw = re.search(r'<button[^>]*data-action="withdraw"[^>]*>', page).group(0)
    assert 'data-note-label="撤回原因"' in withdraw and 'data-needs="note"' in withdraw
    liaison_page = login("dlt_liaison_water").get("/queue/items").get_data(as_text=True)
    accept = re.search(r'<button[^>]*data-action="accept"[^>]*>', liaison_page).group(0)
    assert "data-note-label" not in accept


def test_the_liaison_queue_accepts_through_the_one_form_with_a_labelled_promised_date(login, planned):
    liaison = login("dlt_liaison_water")
    page = liaison.get("/queue/items").get_data(as_text=True)
    assert page.count('id="step-modal"') == 1
    assert re.search(
        r'<label for="step-promised-on">承诺补齐材料日期</label>\s*<input type="date" id="step-promised-on"', page
    )
    water = next(i for i in planned.items if i.name == "取水许可审批")
    page = liaison.post(
        f"/cases/item/{water.id}/accept",
        data={"version": water.version, "on": "2026-11-23", "note": "", "next": "/queue/items"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "已完成：受理。" in page or "已完成" in page
    row = _row(page, water)
    assert re.findall(r'data-action="(\w+)"', row) == ["review", "approve"]
    assert '<td class="date">' in row


def test_the_agent_queue_opens_the_same_form_and_sends_plan_work_to_the_case_page(login):
    agent = login("dlt_agent")
    agent.post("/cases/new", data=_application())
    page = agent.get("/queue/cases").get_data(as_text=True)
    row = page[page.index(f'data-case="{_latest().id}"') :]
    row = row[: row.index("</tr>")]
    assert re.findall(r'class="btn btn-xs btn-(?:primary|danger) step-btn"[^>]*data-action="(\w+)"', row) == [
        "accept",
        "refuse",
    ]
    assert 'data-note-label="不予受理原因"' in row
    _move(agent, _latest(), "accept", on="2026-11-03")
    page = agent.get("/queue/cases").get_data(as_text=True)
    row = page[page.index(f'data-case="{_latest().id}"') :]
    assert re.search(r'<a class="btn btn-xs btn-default" data-action="entrust" href="/cases/\d+">', row)


def test_a_terminated_case_shows_its_termination_date_and_a_refused_one_its_refusal_date(login, planned):
    agent = login("dlt_agent")
    page = _move(agent, planned, "terminate", on="2026-11-26", note="企业决定暂缓建设", materials_returned="1")
    assert "终止日期 2026-11-26" in page and "办结日期" not in page.split("case-items")[0]
    assert "终止原因: 企业决定暂缓建设" in page
    agent.post("/cases/new", data=_application(project_name="另一项目", project_code=""))
    page = _move(agent, _latest(), "refuse", on="2026-11-25", note="不属于代办范围")
    assert "不予受理日期 2026-11-25" in page and "不予受理原因: 不属于代办范围" in page


def test_an_agent_id_that_is_not_a_number_answers_a_message_not_a_500(login, planned):
    agent = login("dlt_agent")
    for value in ("abc", "", "99999999999999999999999", "１２"):
        response = agent.post(f"/cases/{planned.id}/agent", data={"agent_id": value, "version": planned.version})
        assert response.status_code == 302, value
        page = agent.get(response.headers["Location"]).get_data(as_text=True)
        assert "请从列表中选择代办员。" in page, value


def test_the_application_form_shows_every_mistake_at_its_field_and_marks_required_fields(login):
    agent = login("dlt_agent")
    before = db.session.scalar(select(func.count(Case.id)))
    page = agent.post(
        "/cases/new",
        data=_application(
            enterprise_name="",
            enterprise_credit_code="91350100M000100Y44",
            enterprise_postcode="01430",
            project_code="2026-15",
            project_total_investment="很多",
            applied_on="2026-13-45",
        ),
    ).get_data(as_text=True)
    assert db.session.scalar(select(func.count(Case.id))) == before
    fields = re.findall(r'id="([a-z_]+)-error"', page)
    assert sorted(fields) == sorted(
        [
            "enterprise_name",
            "enterprise_credit_code",
            "enterprise_postcode",
            "project_code",
            "project_total_investment",
            "applied_on",
        ]
    )
    assert "日期格式不正确" in page
    assert page.count("has-error") == 6
    assert "novalidate" in page
    for name in ("enterprise_name", "enterprise_credit_code", "project_name", "channel", "applied_on"):
        label = re.search(rf'<label for="{name}"[^>]*>(.*?)</label>', page, re.S).group(1)
        assert 'class="text-danger"' in label, name
    # What was typed stays on screen.
    assert 'value="91350100M000100Y44"' in page


def test_a_due_date_waiting_for_next_years_calendar_shows_pending_in_the_queue_and_is_warned_once(login, planned):
    water = next(i for i in planned.items if i.name == "取水许可审批")
    db.session.get(CaseItem, water.id).time_limit_days = 40  # 40 working days from 23 November run into 2027
    db.session.commit()
    liaison = login("dlt_liaison_water")
    warning = "暂时无法计算办理期限"
    accepted = liaison.post(
        f"/cases/item/{water.id}/accept",
        data={"version": water.version, "on": "2026-11-23", "note": "", "next": "/queue/items"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert accepted.count(warning) == 1  # said by the step that left the date pending
    row = _row(accepted, water)
    assert "待定" in row and "节假日安排" in row  # pending, with why, not a blank cell
    item = db.session.get(CaseItem, water.id)
    reviewed = liaison.post(
        f"/cases/item/{water.id}/review",
        data={"version": item.version, "on": "2026-11-24", "note": "", "next": "/queue/items"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "已完成" in reviewed and warning not in reviewed  # not repeated on every later step
    assert "待定" in _row(reviewed, water)


def test_items_are_ordered_one_to_n_not_by_their_catalog_numbers(login, staff):
    agent = login("dlt_agent")
    agent.post("/cases/new", data=_application())
    case = _latest()
    assert sorted(i.position for i in case.items) == list(range(1, len(case.items) + 1))
    _move(agent, case, "accept", on="2026-11-03")
    _move(agent, case, "entrust", on="2026-11-04")
    page = agent.get(f"/cases/{case.id}").get_data(as_text=True)
    boxes = re.findall(r'name="position_\d+" value="(\d+)"', page)
    assert boxes == [str(n) for n in range(1, len(case.items) + 1)]
    css = (Path(__file__).parents[2] / "app" / "static" / "app.css").read_text(encoding="utf-8")
    assert "table.case-items th { word-break: keep-all; }" in css  # 时限, not 时/限
