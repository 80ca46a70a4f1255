"""Traffic lights of items and cases, computed against one loaded calendar and one 'today'."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.domain.lights import Light, light_by_boundary, worst
from app.domain.urgency import case_deadline, decision_deadline, item_deadline, overdue_when_paused
from app.domain.workdays import WorkCalendar, yellow_boundary
from app.domain.workflow import OPEN_CASE_VALUES, PAUSED_ITEM_VALUES
from app.models import Case, CaseItem
from app.services.clock import today
from app.services.urgency import open_item_summaries
from app.services.work_calendar import work_calendar


class LightBook:
    """Answers 'how urgent' for many items and cases without reloading the calendar."""

    def __init__(self, calendar: WorkCalendar, on: dt.date, yellow_days: int) -> None:
        self.calendar, self.today, self.yellow_days = calendar, on, yellow_days
        self.boundary = yellow_boundary(calendar, on, yellow_days)

    def light(self, deadline: dt.date | None) -> Light:
        return light_by_boundary(deadline, self.today, self.boundary)

    def decision(self, decision: Any) -> Light:
        """An open decision's light from its due date (议定事项 are tracked like items); none once it is closed."""
        return self.light(decision_deadline(decision.state, decision.due_on))

    def item(self, item: CaseItem) -> Light:
        return self.item_values(item.state, item.planned_filing_on, item.due_on)

    def item_values(self, state: str, planned_filing_on: dt.date | None, due_on: dt.date | None) -> Light:
        """An item's light from its raw columns (exports read tuples, not objects)."""
        if state in PAUSED_ITEM_VALUES:
            return Light.PAUSED
        # Before filing the planned filing date is the deadline (an overdue filing is red too).
        return self.light(item_deadline(state, planned_filing_on, due_on))

    def case(self, case: Case) -> Light:
        """The most urgent of the case's own deadline (agency step or planned end) and its items'."""
        items = [(item.state, item.planned_filing_on, item.due_on) for item in case.items]
        return self.case_values(case.state, case.step_due_on, case.planned_end, items)

    def case_values(
        self,
        state: str,
        step_due_on: dt.date | None,
        planned_end: dt.date | None,
        items: list[tuple[str, dt.date | None, dt.date | None]],
    ) -> Light:
        """A case's light from its raw columns and its items' (state, planned filing, due date)."""
        if state not in OPEN_CASE_VALUES:
            return Light.NONE
        lights = [self.item_values(*item) for item in items]
        lights.append(self.light(case_deadline(state, step_due_on, planned_end)))
        return worst(lights)

    def case_summary(
        self,
        state: str,
        step_due_on: dt.date | None,
        planned_end: dt.date | None,
        earliest_running: dt.date | None,
        any_paused: bool,
    ) -> Light:
        """`case_values` from an aggregate of the items instead of every item: the earliest deadline of the open
        items whose clock runs, and whether any is paused (a light only worsens as its deadline nears, so the
        earliest deadline carries the worst light; a paused item shows as paused)."""
        if state not in OPEN_CASE_VALUES:
            return Light.NONE
        lights = [self.light(earliest_running), self.light(case_deadline(state, step_due_on, planned_end))]
        if any_paused:
            lights.append(Light.PAUSED)
        return worst(lights)

    def deadline(self, item: CaseItem) -> dt.date | None:
        return item_deadline(item.state, item.planned_filing_on, item.due_on)

    def case_deadline(self, case: Case) -> dt.date | None:
        return case_deadline(case.state, case.step_due_on, case.planned_end)

    @staticmethod
    def overdue_when_paused(item: CaseItem) -> bool:
        """A paused item that was already past its due date when its clock stopped."""
        return overdue_when_paused(item.state, item.due_on, item.paused_since)


def light_book() -> LightBook:
    return LightBook(work_calendar(), today(), current_app.config["TRAFFIC_YELLOW_DAYS"])


def case_lights(book: LightBook, cases: Sequence[Case]) -> dict[int, Light]:
    """The lights of many cases (a page of a list) from one query summing up their open items, not every item."""
    summaries = open_item_summaries(select(Case.id).where(Case.id.in_([case.id for case in cases])))
    result = {}
    for case in cases:
        running, _earliest, paused = summaries.get(case.id, (None, None, False))
        result[case.id] = book.case_summary(case.state, case.step_due_on, case.planned_end, running, paused)
    return result
