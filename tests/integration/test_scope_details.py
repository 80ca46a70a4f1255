"""Scope in the details: timelines, case-page panels, notes, exports and dashboards show each role only what
its lists show. A matrix: for each role and each place, what must not appear there (and what must, so that
an empty or refused page cannot pass for a scoped one).

The world: a Dalate case under way with a water item (水利局's liaison) and a land item (自然资源局's), a plan
naming both with their dates, the land liaison's note, a meeting of both departments and one of the land
department only, a decision for each department, an escalation about the land item, an earlier case of the
same project with the land item only, a terminated case whose reason names the land item, and a city case.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass

import openpyxl
import pytest
from sqlalchemy import select

from app.domain.errors import NotFound
from app.extensions import db
from app.models import Case, Department
from app.services import cases, coordination
from app.services.cases import PlanLine
from app.services.coordination import ReviewPlan
from tests.conftest import snapshotted
from tests.factories import apply

pytestmark = pytest.mark.every_engine  # row scope in SQL

D = dt.date
WATER, LAND = "取水许可审批", "建设用地规划许可证核发"
WATER_LINE, LAND_LINE = f"{WATER}: 2026-09-10", f"{LAND}: 2026-09-21"
LAND_NOTE = "用地预审意见已出具"
BOTH_REVIEW, LAND_REVIEW = "取水与用地联合会商", "用地红线专题会商"
WATER_DECISION, LAND_DECISION = "水利局出具取水调剂意见", "规划局复核用地红线"
ESCALATION = "用地指标紧张请求协调"
TERMINATION = f"{LAND}未通过，企业暂缓建设"
CITY_PROJECT = "城区算力中心项目"
DALATE_PROJECT = "达拉特旗200兆瓦光伏治沙项目"  # tests.factories' project name


@dataclass
class World:
    case: Case  # under way, water + land
    earlier: Case  # the same project before, land item only, terminated
    ended: Case  # water + land, terminated for a reason naming the land item
    city: Case  # another region's


def _department(region_id: int, kind: str) -> Department:
    return db.session.scalar(select(Department).where(Department.region_id == region_id, Department.kind == kind))


def _meeting(staff, case: Case, topic: str, departments: list[Department]):
    supervisor = staff("dlt_supervisor")
    review = coordination.plan_review(
        ReviewPlan(
            region_id=case.region_id,
            held_on=D(2026, 11, 2),
            topic=topic,
            convened_by="government",
            chair="张副旗长",
            stages=("project_land",),
            department_ids=tuple(d.id for d in departments),
            case_ids=(case.id,),
        ),
        supervisor,
    )
    coordination.record_attendance(review.id, {d.id: (True, "到会") for d in departments}, supervisor)
    coordination.move_review(review.id, "hold", supervisor, D(2026, 11, 2))
    return review


@pytest.fixture
def world(app, staff, today_is) -> World:
    """The world built once per database (`snapshotted`), its cases read afresh for each test."""
    ids = snapshotted(app, "scope_details_world", lambda: _build_world(staff))
    db.session.expire_all()
    return World(*(db.session.get(Case, i) for i in ids))


def _build_world(staff) -> tuple[int, int, int, int]:
    agent, land_liaison, supervisor = staff("dlt_agent"), staff("dlt_liaison_land"), staff("dlt_supervisor")
    code = "2026-150621-44-01-900001"
    earlier = apply(agent, names=(LAND,), code=code, applied_on=D(2026, 8, 3))
    cases.accept_case(earlier.id, agent, D(2026, 8, 4))
    cases.terminate_case(earlier.id, agent, "企业撤回申请", D(2026, 8, 10))

    case = apply(agent, code=code, applied_on=D(2026, 9, 1))
    cases.accept_case(case.id, agent, D(2026, 9, 2))
    cases.entrust_case(case.id, agent, D(2026, 9, 3))
    water_item, land_item = (next(i for i in case.items if i.name == name) for name in (WATER, LAND))
    lines = [PlanLine(water_item.id, 1, D(2026, 9, 10)), PlanLine(land_item.id, 2, D(2026, 9, 21))]
    cases.plan_schedule(case.id, lines, agent, on=D(2026, 9, 4))
    cases.fix_plan(case.id, agent, D(2026, 9, 4))
    # The land department's first step starts the case: the system's entry names the land item.
    cases.accept_item(land_item.id, land_liaison, D(2026, 9, 25), note=LAND_NOTE)
    coordination.escalate(case.id, agent, ESCALATION, item_id=land_item.id, on=D(2026, 10, 20))
    water, land = _department(case.region_id, "水利部门"), _department(case.region_id, "自然资源部门")
    both = _meeting(staff, case, BOTH_REVIEW, [water, land])
    coordination.decide(both.id, WATER_DECISION, water.id, supervisor, case_id=case.id, due_days=5)
    coordination.decide(both.id, LAND_DECISION, land.id, supervisor, item_id=land_item.id, due_days=5)
    _meeting(staff, case, LAND_REVIEW, [land])

    ended = apply(agent, applied_on=D(2026, 9, 1))
    cases.accept_case(ended.id, agent, D(2026, 9, 2))
    cases.terminate_case(ended.id, agent, TERMINATION, D(2026, 9, 8))

    city = apply(staff("agent"), region_code="150600", name=CITY_PROJECT, applied_on=D(2026, 9, 1))
    return case.id, earlier.id, ended.id, city.id


# --- the places ----------------------------------------------------------------------------------------------


def _timeline(page: str) -> str:
    start = page.index('class="table table-condensed timeline"')
    return page[start : page.index("</table>", start)]


def _case_page(client, case: Case) -> str:
    response = client.get(f"/cases/{case.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _xlsx_text(response) -> str:
    book = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    cells = [str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row if v]
    book.close()
    return "\n".join(cells)


def place_text(place: str, client, world: World) -> str:
    """What the signed-in user reads at one place."""
    if place == "case timeline":
        return _timeline(_case_page(client, world.case))
    if place == "case page panels":
        page = _case_page(client, world.case)
        return page.replace(_timeline(page), "")
    if place == "notes":  # a close reason, and the timeline entries that repeat it
        return _case_page(client, world.ended)
    if place == "exports":
        texts = []
        for url in ("/caselist/ledger", "/caseitems/ledger"):
            response = client.get(url)
            texts.append(_xlsx_text(response) if response.status_code == 200 else f"refused {response.status_code}")
        return "\n".join(texts)
    if place == "dashboard":
        return client.get("/").get_data(as_text=True)
    if place == "item list":
        return client.get("/caseitems/list/?psize_CaseItemView=100").get_data(as_text=True)
    raise AssertionError(place)


# (user, place): what must not appear there, and what must (the place is really shown to them).
MATRIX = [
    (
        "dlt_liaison_water",
        "case timeline",
        [LAND, LAND_LINE, "2026-09-21", LAND_NOTE, LAND_DECISION, ESCALATION],
        [WATER_LINE, WATER_DECISION],
    ),
    (
        "dlt_liaison_water",
        "case page panels",
        [LAND, LAND_DECISION, LAND_REVIEW, ESCALATION, "{earlier}"],
        [WATER, WATER_DECISION, BOTH_REVIEW],
    ),
    ("dlt_liaison_water", "notes", [LAND, "未通过"], ["{ended}", WATER]),
    ("dlt_liaison_water", "exports", [DALATE_PROJECT, WATER, LAND], ["refused"]),
    ("dlt_liaison_water", "dashboard", [LAND, LAND_DECISION, "{city}"], ['data-board="liaison"', WATER_DECISION]),
    ("dlt_liaison_water", "item list", [LAND, "{city}"], [WATER]),
    (
        "dlt_liaison_land",
        "case timeline",
        [WATER, "2026-09-10", WATER_DECISION],
        [LAND_LINE, LAND_NOTE, LAND_DECISION],
    ),
    ("dlt_liaison_land", "case page panels", [WATER, WATER_DECISION, ESCALATION], [LAND, LAND_REVIEW, "{earlier}"]),
    ("dlt_agent", "case timeline", [CITY_PROJECT], [WATER_LINE, LAND_LINE, LAND_NOTE, ESCALATION]),
    ("dlt_agent", "case page panels", [CITY_PROJECT], [LAND_REVIEW, LAND_DECISION, ESCALATION, "{earlier}"]),
    ("dlt_agent", "notes", [CITY_PROJECT], [TERMINATION]),
    ("dlt_agent", "exports", [CITY_PROJECT, "{city}"], [DALATE_PROJECT, LAND, "{case}"]),
    ("dlt_agent", "dashboard", [CITY_PROJECT, "{city}"], ['data-board="agent"']),
    ("dlt_agent", "item list", [CITY_PROJECT, "{city}"], [LAND, "{case}"]),
    ("dlt_supervisor", "exports", [CITY_PROJECT, "{city}"], [DALATE_PROJECT, "{case}"]),
    ("dlt_supervisor", "dashboard", [CITY_PROJECT, "{city}"], ['data-board="supervisor"']),
    ("agent", "exports", [DALATE_PROJECT, "{case}", "{ended}"], [CITY_PROJECT, "{city}"]),
    ("agent", "item list", [DALATE_PROJECT, "{case}"], ["{city}"]),
]


def _fill(texts: list[str], world: World) -> list[str]:
    numbers = {name: getattr(world, name).number for name in ("case", "earlier", "ended", "city")}
    return [text.format(**numbers) if text.startswith("{") else text for text in texts]


@pytest.mark.parametrize(("user", "place", "hidden", "shown"), MATRIX, ids=[f"{u}-{p}" for u, p, _, _ in MATRIX])
def test_each_role_reads_at_each_place_only_what_its_lists_show(login, world, user, place, hidden, shown):
    text = place_text(place, login(user), world)
    for expected in _fill(shown, world):
        assert expected in text, f"{user} should read “{expected}” in the {place}"
    for unexpected in _fill(hidden, world):
        assert unexpected not in text, f"{user} must not read “{unexpected}” in the {place}"


def test_the_city_supervisor_reads_every_banner_in_exports(login, world):
    text = place_text("exports", login("supervisor"), world)
    assert all(number in text for number in (world.case.number, world.city.number))


def test_the_liaisons_plan_entry_keeps_their_lines_and_the_start_keeps_no_other_departments_item(staff, world):
    water = cases.timeline(world.case.id, staff("dlt_liaison_water"))
    plan = next(e for e in water if e.action == "plan_schedule")
    assert plan.note == WATER_LINE and plan.on_date == D(2026, 9, 4)
    start = next(e for e in water if e.action == "start")
    assert start.actor is None and start.note == ""
    land = cases.timeline(world.case.id, staff("dlt_liaison_land"))
    assert next(e for e in land if e.action == "start").note == LAND
    agent = cases.timeline(world.case.id, staff("dlt_agent"))
    assert next(e for e in agent if e.action == "plan_schedule").note == f"{WATER_LINE}; {LAND_LINE}"
    assert {e.subject_type for e in agent} >= {"case", "item", "decision", "escalation"}
    assert {e.subject_type for e in water} == {"case", "item", "decision"}
    # The stored entry is untouched: what a liaison reads is a copy.
    db.session.expire_all()
    assert next(e for e in cases.timeline(world.case.id, staff("dlt_agent")) if e.action == "start").note == LAND


def test_the_liaisons_to_do_count_counts_their_department_only(login, world):
    def badge(user: str) -> int:
        page = login(user).get("/queue/items").get_data(as_text=True)
        return int(re.search(r'id="todo-count".*?<span class="badge"[^>]*>(\d+)</span>', page, re.S).group(1))

    # Each: its own overdue item (water: not filed by its planned date; land: past its due date) + its decision.
    assert badge("dlt_liaison_water") == 2
    assert badge("dlt_liaison_land") == 2


def test_a_liaison_cannot_open_a_case_without_an_item_of_theirs_nor_read_its_timeline(login, staff, world):
    water = login("dlt_liaison_water")
    assert water.get(f"/cases/{world.earlier.id}").status_code == 404
    assert water.get(f"/cases/{world.city.id}").status_code == 404
    for other in (world.earlier, world.city):
        with pytest.raises(NotFound):
            cases.timeline(other.id, staff("dlt_liaison_water"))
