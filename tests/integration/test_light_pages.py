"""Lighter pages: the work queues carry buttons, not forms, rank every open record like the light book and
show the most urgent; the navbar's to-do count reuses its query and still counts what is there now."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from app.domain.lights import Light, urgency_key
from app.extensions import db
from app.models import Case, CaseItem
from app.services import cases, dashboards
from app.services.lights import light_book
from tests.factories import bulk_cases

D = dt.date


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr class="queue-row".*?</tr>', page, re.S)


def test_the_liaison_queue_shows_the_200_most_urgent_of_all_with_buttons_only(login, app, today_is):
    bulk_cases("150621", 205)  # water and land items, due alternately 2026-11-05 (overdue) and 2026-12-10
    page = login("dlt_liaison_water").get("/queue/items").get_data(as_text=True)
    rows = _rows(page)
    assert len(rows) == 200 and "仅显示 205 项中最紧急的 200 项" in page
    overdue = [r for r in rows if "light-red" in r]
    assert len(overdue) == 102 and rows[:102] == overdue  # every overdue item first
    for row in rows:
        assert "<form" not in row and "data-url=" not in row and 'name="csrf_token"' not in row
        item_id = re.search(r'data-item="(\d+)"', row).group(1)
        assert f'data-steps="/cases/item/{item_id}/"' in row and 'data-version="' in row
        assert re.findall(r'data-action="(\w+)"', row) == ["review", "approve"]
    assert page.count('id="step-modal"') == 1


def test_a_queue_rows_step_url_and_version_take_the_step(login, app, today_is):
    bulk_cases("150621", 3)
    client = login("dlt_liaison_water")
    row = _rows(client.get("/queue/items").get_data(as_text=True))[0]
    url = re.search(r'data-steps="([^"]+)"', row).group(1) + "review"
    version = re.search(r'data-version="(\d+)"', row).group(1)
    client.post(url, data={"on": "2026-11-20", "note": "", "version": version, "next": "/queue/items"})
    item = db.session.get(CaseItem, int(re.search(r'data-item="(\d+)"', row).group(1)))
    assert item.state == "in_review"


def test_the_agent_queue_ranks_cases_as_the_light_book_does(app, staff, today_is):
    bulk_cases("150621", 30)
    for n, case in enumerate(db.session.scalars(select(Case).where(Case.region_id == staff("dlt_agent").region_id))):
        case.planned_end = D(2026, 11, 1) + dt.timedelta(days=5 * n)  # some cases past their planned end
        if n % 4 == 0:
            case.items[0].state, case.items[0].paused_since = "supplement", D(2026, 11, 2)
    db.session.commit()
    agent = staff("dlt_agent")
    queue = cases.agent_queue(agent, 10)
    book = light_book()

    def key(case: Case) -> tuple:
        deadline = min(d for d in [book.case_deadline(case), *map(book.deadline, case.items)] if d)
        return (*urgency_key(book.case(case), deadline), case.id)

    expected = sorted(key(c) for c in db.session.scalars(select(Case).where(Case.agent_id == agent.id)))
    assert queue.total == 30
    assert [row.record.id for row in queue] == [key[-1] for key in expected[:10]]
    assert [row.light for row in queue] == [book.case(db.session.get(Case, row.record.id)) for row in queue]


def test_the_to_do_count_reuses_its_query_and_counts_what_is_there_now(app, staff, today_is):
    liaison = staff("dlt_liaison_water")
    bulk_cases("150621", 4)
    scope = dashboards.scope_of(liaison)
    first = dashboards.todo(scope, dashboards.Board.LIAISON)
    query = dashboards._TODO_QUERIES[(dashboards.Board.LIAISON, scope, D(2026, 11, 27))]
    assert first.overdue == 2  # due 2026-11-05
    item = db.session.scalar(
        select(CaseItem).where(CaseItem.department_id == liaison.department_id, CaseItem.due_on == D(2026, 11, 5))
    )
    cases.approve_item(item.id, liaison, D(2026, 11, 20))
    assert dashboards.todo(scope, dashboards.Board.LIAISON).overdue == 1
    assert dashboards._TODO_QUERIES[(dashboards.Board.LIAISON, scope, D(2026, 11, 27))] is query
    today_is("2026-12-11")  # a new day: a new query, and the items due 12-10 are overdue now
    assert dashboards.todo(scope, dashboards.Board.LIAISON).overdue == 3


def test_the_liaison_queue_ranks_items_in_sql_as_the_light_book_does(app, staff, today_is):
    bulk_cases("150621", 40)
    liaison = staff("dlt_liaison_water")
    items = db.session.scalars(select(CaseItem).where(CaseItem.department_id == liaison.department_id)).all()
    states = ["planned", "preparing", "accepted", "in_review", "supplement", "rectification", "accepted", "accepted"]
    for n, item in enumerate(items):
        item.state = states[n % len(states)]
        item.planned_filing_on = D(2026, 11, 20) + dt.timedelta(days=(n * 7) % 23) if n % 5 else None
        item.due_on = D(2026, 11, 24) + dt.timedelta(days=(n * 3) % 11) if n % 6 else None
        item.paused_since = D(2026, 11, 10) if item.state in ("supplement", "rectification") else None
    db.session.commit()
    book = light_book()
    expected = sorted((*urgency_key(book.item(i), book.deadline(i)), i.id) for i in items)
    queue = cases.department_queue(liaison)
    assert [row.record.id for row in queue] == [key[-1] for key in expected]
    assert {row.light for row in queue} >= {Light.RED, Light.YELLOW, Light.GREEN, Light.PAUSED, Light.NONE}
    assert [row.record.id for row in cases.department_queue(liaison, 7)] == [key[-1] for key in expected[:7]]
    assert cases.department_queue(liaison, 7).total == 40
