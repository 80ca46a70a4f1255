"""The urgency rules of `app.domain.urgency` as SQL, for lists, filters and aggregates (ledger, reports, queues).

Each function returns a boolean SQL expression over CaseItem / Case columns for one day; a test checks
row by row that it selects exactly what the Python rules say.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, false, func, or_, select

from app.domain.coordination import DecisionState
from app.domain.urgency import Overdue
from app.domain.workflow import (
    CASE_END_VALUES,
    FILED_OPEN_ITEM_VALUES,
    NOT_FILED_ITEM_VALUES,
    OPEN_ITEM_VALUES,
    PAUSED_ITEM_VALUES,
    STEP_LIMIT_VALUES,
    CaseState,
)
from app.extensions import db
from app.models import Case, CaseItem, Decision


def item_clock_sql(on: dt.date) -> ColumnElement[dt.date]:
    """The day an item is measured on: `on`, or the earlier day its clock stopped."""
    # LEAST() is not SQLite's; CASE is portable and NULL-safe.
    return case((and_(CaseItem.paused_since.is_not(None), CaseItem.paused_since < on), CaseItem.paused_since), else_=on)


def item_overdue_sql(kind: Overdue, on: dt.date) -> ColumnElement[bool]:
    """Items counted in `kind` (超期办理 or 逾期申报) on `on`."""
    if kind is Overdue.FILING:
        return and_(
            CaseItem.state.in_(sorted(NOT_FILED_ITEM_VALUES)),
            CaseItem.planned_filing_on.is_not(None),
            CaseItem.planned_filing_on < on,
        )
    if kind is Overdue.HANDLING:
        return and_(
            CaseItem.state.in_(sorted(FILED_OPEN_ITEM_VALUES)),
            CaseItem.due_on.is_not(None),
            CaseItem.due_on < item_clock_sql(on),
        )
    return false()


def item_deadline_sql() -> ColumnElement[dt.date]:
    """An open item's next deadline (planned filing before filing, due date after); NULL otherwise."""
    return case(
        (CaseItem.state.in_(sorted(NOT_FILED_ITEM_VALUES)), CaseItem.planned_filing_on),
        (CaseItem.state.in_(sorted(FILED_OPEN_ITEM_VALUES)), CaseItem.due_on),
        else_=None,
    )


ItemSummary = tuple[dt.date | None, dt.date | None, bool]  # earliest running deadline, earliest deadline, any paused


def open_item_summaries(case_ids: Select[Any]) -> dict[int, ItemSummary]:
    """Per case among `case_ids` (a select of ids): its open items in one line — the earliest deadline of those
    whose clock runs, the earliest of all, and whether any is paused (`LightBook.case_summary` reads it)."""
    deadline = item_deadline_sql()
    paused = CaseItem.state.in_(sorted(PAUSED_ITEM_VALUES))
    rows = db.session.execute(
        select(
            CaseItem.case_id,
            func.min(case((paused, None), else_=deadline)),
            func.min(deadline),
            func.max(case((paused, 1), else_=0)),
        )
        .where(CaseItem.case_id.in_(case_ids), CaseItem.state.in_(sorted(OPEN_ITEM_VALUES)))
        .group_by(CaseItem.case_id)
    )
    return {case_id: (running, earliest, bool(any_paused)) for case_id, running, earliest, any_paused in rows}


def case_deadline_sql() -> ColumnElement[dt.date]:
    """A case's own deadline: the current agency step's limit, or the planned end once under way."""
    return case(
        (Case.state.in_(sorted(STEP_LIMIT_VALUES)), Case.step_due_on),
        (Case.state.in_(sorted(CASE_END_VALUES)), Case.planned_end),
        else_=None,
    )


def case_overdue_sql(kind: Overdue, on: dt.date) -> ColumnElement[bool]:
    """Cases whose own deadline (agency step or planned end) has passed on `on`."""
    if kind is Overdue.AGENCY_STEP:
        return and_(Case.state.in_(sorted(STEP_LIMIT_VALUES)), Case.step_due_on.is_not(None), Case.step_due_on < on)
    if kind is Overdue.CASE_END:
        return and_(Case.state.in_(sorted(CASE_END_VALUES)), Case.planned_end.is_not(None), Case.planned_end < on)
    return false()


def overdue_counts(kinds: tuple[Overdue, ...], on: dt.date) -> list[Any]:
    """SQL sums counting the CaseItem rows in each overdue figure on `on` (the ledger's and the reports')."""
    return [func.coalesce(func.sum(case((item_overdue_sql(kind, on), 1), else_=0)), 0) for kind in kinds]


def decision_overdue_sql(on: dt.date) -> ColumnElement[bool]:
    """Open decisions past their deadline on `on` (the rule of `decision_overdue`)."""
    return and_(Decision.state == DecisionState.OPEN.value, Decision.due_on.is_not(None), Decision.due_on < on)


def agent_desk_sql(staff_id: int) -> ColumnElement[bool]:
    """The cases on an agent's desk: those they run, and new applications nobody has taken yet (accepting one
    names its agent). The queue, the tiles, the to-do count and the lists they link to all use this one rule."""
    return or_(Case.agent_id == staff_id, and_(Case.agent_id.is_(None), Case.state == CaseState.SUBMITTED.value))
