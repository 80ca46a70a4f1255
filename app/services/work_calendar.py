"""The work calendar as entered in the database: what every deadline, light and ledger reads. Its own module
so that the calendar's editing service may recompute deadlines without the deadlines importing it back."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.domain.enums import DayKind
from app.domain.workdays import WorkCalendar
from app.extensions import db
from app.models import CalendarDay, CalendarYear


def work_calendar() -> WorkCalendar:
    """The calendar as entered now; load once and reuse for many computations."""
    # Plain rows, not ORM objects: every page with a light reads the whole table.
    rows = db.session.execute(select(CalendarDay.day, CalendarDay.kind))
    overrides = {day: kind == DayKind.WORKDAY.value for day, kind in rows}
    years = frozenset(db.session.scalars(select(CalendarYear.year)))
    return WorkCalendar(overrides=overrides, entered_years=years)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """N statutory working days after `start`; raises UnknownCalendarYear for a year nobody entered."""
    return work_calendar().add_working_days(start, days)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Statutory working days in (start, end]."""
    return work_calendar().working_days_between(start, end)
