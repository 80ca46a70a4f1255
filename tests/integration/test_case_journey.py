"""The case journey through the test client, role by role, as the people who use it click through it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Case, CaseItem
from tests.factories import application_form, catalog_ids

pytestmark = pytest.mark.usefixtures("today_is")  # 2026-11-27


def _application(**overrides):
    return application_form(**overrides)


def _case():
    return db.session.scalars(select(Case).order_by(Case.id.desc())).first()


def _item(name):
    db.session.expire_all()
    return db.session.scalar(select(CaseItem).where(CaseItem.name == name))


def _step(client, url, **form):
    response = client.post(url, data=form, follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_an_agent_and_two_liaisons_take_a_case_from_application_to_evaluation(login):
    agent = login("dlt_agent")
    assert 'data-board="agent"' in agent.get("/").get_data(as_text=True)  # the agent lands on their dashboard
    page = agent.post("/cases/new", data=_application(), follow_redirects=True).get_data(as_text=True)
    case = _case()
    assert f"申请 {case.number} 已登记。" in page
    assert case.state == "submitted" and len(case.items) == 2
    base = f"/cases/{case.id}"
    _step(agent, f"{base}/move/accept", on="2026-11-03", version=case.version)
    _step(agent, f"{base}/move/entrust", on="2026-11-04", version=_case().version)
    items = {i.name: i for i in _case().items}
    plan = {f"filing_{i.id}": "2026-11-05" for i in items.values()}
    plan.update({f"position_{i.id}": str(n) for n, i in enumerate(items.values(), 1)})
    _step(agent, f"{base}/plan", version=_case().version, **plan)
    page = _step(agent, f"{base}/move/plan", on="2026-11-05", version=_case().version)
    assert "方案已定" in page

    water = login("dlt_liaison_water")
    landing = water.get("/").get_data(as_text=True)  # the liaison lands on their dashboard, the queue a click away
    assert 'data-board="liaison"' in landing and 'href="/queue/items"' in landing
    queue = water.get("/queue/items").get_data(as_text=True)
    assert "取水许可审批" in queue and "建设用地规划许可证核发" not in queue
    permit = _item("取水许可审批")
    _step(water, f"/cases/item/{permit.id}/accept", on="2026-11-06", version=permit.version, next="/queue/items")
    permit = _item("取水许可审批")
    assert permit.state == "accepted" and permit.due_on.isoformat() == "2026-12-04"
    _step(water, f"/cases/item/{permit.id}/review", on="2026-11-09", version=permit.version)
    page = _step(
        water,
        f"/cases/item/{_item('取水许可审批').id}/request_supplement",
        on="2026-11-10",
        note="缺水资源论证报告",
        version=_item("取水许可审批").version,
    )
    assert "需补正" in page
    _step(water, f"/cases/item/{permit.id}/resubmit", on="2026-11-16", version=_item("取水许可审批").version)
    assert _item("取水许可审批").paused_days == 4
    _step(water, f"/cases/item/{permit.id}/approve", on="2026-11-20", version=_item("取水许可审批").version)

    land = login("dlt_liaison_land")
    plan_item = _item("建设用地规划许可证核发")
    _step(land, f"/cases/item/{plan_item.id}/accept", on="2026-11-06", version=plan_item.version)
    _step(land, f"/cases/item/{plan_item.id}/approve", on="2026-11-25", version=_item("建设用地规划许可证核发").version)

    agent = login("dlt_agent")
    page = _step(
        agent,
        f"{base}/move/complete",
        on="2026-11-26",
        materials_returned="1",
        archived="1",
        materials_note="原件3份",
        version=_case().version,
    )
    assert "已办结" in page
    page = _step(agent, f"{base}/move/evaluate", level="very_satisfied", note="服务周到", version=_case().version)
    assert _case().state == "evaluated"
    timeline = agent.get(base).get_data(as_text=True)
    for step in (
        "申请已登记",
        "受理",
        "签订委托",
        "确定服务方案",
        "部门已受理",
        "要求补正",
        "材料已补正",
        "批准",
        "办结",
        "记录评价",
    ):
        assert step in timeline, step


def test_a_forbidden_step_is_refused_with_a_message_and_changes_nothing(login):
    agent = login("dlt_agent")
    agent.post("/cases/new", data=_application())
    case = _case()
    page = _step(agent, f"/cases/{case.id}/move/complete", on="2026-11-26", version=case.version)
    assert "不可进行" in page or "不能" in page
    assert _case().state == "submitted"


def test_a_stale_form_gets_changed_by_whom_and_when(login):
    agent = login("dlt_agent")
    agent.post("/cases/new", data=_application())
    case = _case()
    old_version = case.version
    _step(agent, f"/cases/{case.id}/move/accept", on="2026-11-03", version=old_version)
    page = _step(agent, f"/cases/{case.id}/move/refuse", note="重复申请", version=old_version)
    assert re.search(r"该记录已被 dlt_agent 于 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d 修改", page)
    assert _case().state == "accepted"


def test_a_bad_application_keeps_what_was_typed(login):
    agent = login("dlt_agent")
    page = agent.post("/cases/new", data=_application(enterprise_credit_code="91350100M000100Y44")).get_data(
        as_text=True
    )
    assert "校验位" in page
    assert 'value="达拉特旗200兆瓦光伏治沙项目"' in page
    assert _case() is None


def test_a_liaison_cannot_open_a_case_without_their_items_or_move_another_departments_item(login):
    login("dlt_agent").post(
        "/cases/new",
        data=_application(catalog_item_id=[str(i) for i in catalog_ids("150621", "建设用地规划许可证核发")]),
    )
    case = _case()
    water = login("dlt_liaison_water")
    assert water.get(f"/cases/{case.id}").status_code == 404
    item = case.items[0]
    _step(water, f"/cases/item/{item.id}/accept", on="2026-11-06", version=item.version)
    assert _item("建设用地规划许可证核发").state == "planned"
    assert login("liaison").get(f"/cases/{case.id}").status_code == 404  # the city's liaison neither
