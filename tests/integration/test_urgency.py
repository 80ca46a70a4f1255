"""One definition of urgency: the SQL used for aggregates selects exactly what the domain rules say, row by row."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import select, update

from app.domain.lights import Light
from app.domain.urgency import Overdue, case_deadline, case_overdue, item_deadline, item_overdue
from app.domain.workflow import CaseState, ItemState
from app.extensions import db
from app.models import Case, CaseItem
from app.services.urgency import case_deadline_sql, case_overdue_sql, item_deadline_sql, item_overdue_sql
from tests.factories import bulk_cases

pytestmark = pytest.mark.every_engine  # the desk's raw SQL

D = dt.date
DATES = [None, D(2026, 10, 1), D(2026, 10, 20), D(2026, 11, 5)]
DAYS = [D(2026, 9, 30), D(2026, 10, 1), D(2026, 10, 2), D(2026, 10, 21), D(2026, 11, 6)]


@pytest.fixture
def every_item_combination(app):
    """One item for every state × planned filing × due date × pause date (a few hundred rows)."""
    combos = list(itertools.product(list(ItemState), DATES, DATES, [None, D(2026, 10, 15)]))
    ids = bulk_cases("150621", (len(combos) + 1) // 2, batch="U")
    items = db.session.scalars(select(CaseItem).where(CaseItem.case_id.in_(ids)).order_by(CaseItem.id)).all()
    for item, (state, filing, due, paused) in zip(items, combos, strict=False):
        item.state, item.planned_filing_on, item.due_on, item.paused_since = state.value, filing, due, paused
    db.session.commit()
    return items


@pytest.mark.parametrize("kind", [Overdue.HANDLING, Overdue.FILING])
def test_item_overdue_in_sql_selects_what_the_domain_rule_says(every_item_combination, kind):
    rows = db.session.execute(
        select(CaseItem.id, CaseItem.state, CaseItem.planned_filing_on, CaseItem.due_on, CaseItem.paused_since)
    ).all()
    seen = 0
    for day in DAYS:
        in_sql = set(db.session.scalars(select(CaseItem.id).where(item_overdue_sql(kind, day))))
        by_rule = {
            r.id for r in rows if item_overdue(r.state, r.planned_filing_on, r.due_on, r.paused_since, day) is kind
        }
        assert in_sql == by_rule, day
        seen += len(by_rule)
    assert seen > 20  # the fixture really has rows of this kind


def test_item_deadlines_in_sql_are_the_domain_deadlines(every_item_combination):
    rows = db.session.execute(
        select(CaseItem.state, CaseItem.planned_filing_on, CaseItem.due_on, item_deadline_sql())
    ).all()
    assert all(item_deadline(r[0], r[1], r[2]) == r[3] for r in rows)


def test_case_deadlines_and_overdue_in_sql_follow_the_domain_rules(app):
    ids = bulk_cases("150621", len(CaseState) * len(DATES), batch="C")
    combos = list(itertools.product(list(CaseState), DATES))
    for case_id, (state, day) in zip(ids, combos, strict=True):
        db.session.execute(
            update(Case).where(Case.id == case_id).values(state=state.value, step_due_on=day, planned_end=day)
        )
    db.session.commit()
    rows = db.session.execute(
        select(Case.id, Case.state, Case.step_due_on, Case.planned_end, case_deadline_sql())
    ).all()
    assert all(case_deadline(r.state, r.step_due_on, r.planned_end) == r[4] for r in rows)
    for kind, day in itertools.product((Overdue.AGENCY_STEP, Overdue.CASE_END), DAYS):
        in_sql = set(db.session.scalars(select(Case.id).where(case_overdue_sql(kind, day))))
        by_rule = {r.id for r in rows if case_overdue(r.state, r.step_due_on, r.planned_end, day) is kind}
        assert in_sql == by_rule


def test_a_case_light_from_its_open_items_summed_up_in_sql_is_the_light_from_every_item(app):
    """The agent queue reads one line per case, not every item: it must light each case as the case page does."""
    from app.services.lights import light_book
    from app.services.urgency import open_item_summaries

    ids = bulk_cases("150621", 60, batch="S")
    cases = db.session.scalars(select(Case).where(Case.id.in_(ids)).order_by(Case.id)).all()
    combos = itertools.product(list(ItemState), [None, D(2026, 11, 20), D(2026, 12, 1)], DATES[:3])
    for item, (state, filing, due) in zip((i for c in cases for i in c.items), combos, strict=False):
        item.state, item.planned_filing_on, item.due_on = state.value, filing, due
    states = itertools.cycle([CaseState.PLANNED, CaseState.IN_PROGRESS, CaseState.ACCEPTED, CaseState.COMPLETED])
    own = itertools.cycle([D(2026, 11, 30), None, D(2026, 12, 31)])  # a case without its own deadline too
    for case, state, on in zip(cases, states, own, strict=False):
        case.state, case.step_due_on, case.planned_end = state.value, on, on
    db.session.commit()
    book = light_book()
    summaries = open_item_summaries(select(Case.id).where(Case.id.in_(ids)))
    lights = set()
    for case in cases:
        running, earliest, paused = summaries.get(case.id, (None, None, False))
        expected = book.case(case)
        assert book.case_summary(case.state, case.step_due_on, case.planned_end, running, paused) == expected, case.id
        deadlines = [d for d in (item_deadline(i.state, i.planned_filing_on, i.due_on) for i in case.items) if d]
        assert earliest == min(deadlines, default=None)
        lights.add(expected)
    assert {Light.RED, Light.GREEN, Light.PAUSED, Light.NONE} <= lights  # or the comparison proves little
