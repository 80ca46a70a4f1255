"""Statutory working-day arithmetic on China's calendar, with 调休 make-up days and local overrides."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import chinese_calendar
from chinese_calendar import constants as _cc

from app.domain.errors import UnknownCalendarYear

# Years chinesecalendar ships holidays for; outside them it raises, and so do we.
BUILTIN_YEARS: frozenset[int] = frozenset(d.year for d in _cc.holidays) | frozenset(d.year for d in _cc.workdays)


def usual_days_off() -> int:
    """Days off a year's State Council schedule lists, as in the built-in years (28–33 in 2021–2026)."""
    counts = sorted(sum(1 for d in _cc.holidays if d.year == year) for year in BUILTIN_YEARS)
    return counts[len(counts) // 2] if counts else 28


def sparse_schedule(days_off: int, usual: int) -> bool:
    """Far fewer days off than usual: likely a partial file (a one-day file passed for a whole year)."""
    return days_off < usual / 2


def builtin_is_workday(day: dt.date) -> bool:
    """chinesecalendar's answer for a year it ships; raises UnknownCalendarYear otherwise."""
    if day.year not in BUILTIN_YEARS:
        raise UnknownCalendarYear(day.year)
    return bool(chinese_calendar.is_workday(day))


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are working days: entered overrides first, then entered years, then the built-in data.

    `overrides` maps a date to True (working day) or False (day off); `entered_years` are the years whose
    whole schedule an administrator has entered, where any day not overridden follows Monday–Friday.
    A year that is neither built in nor entered is unknown: asking about it raises, never guesses.
    """

    overrides: Mapping[dt.date, bool] = field(default_factory=dict)
    entered_years: frozenset[int] = frozenset()
    builtin: Callable[[dt.date], bool] = builtin_is_workday

    def knows_year(self, year: int) -> bool:
        return year in self.entered_years or year in BUILTIN_YEARS

    def missing_years(self, years: Iterable[int]) -> list[int]:
        return sorted(y for y in set(years) if not self.knows_year(y))

    def is_workday(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if day.year in self.entered_years:
            return day.weekday() < 5
        return self.builtin(day)

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The `days`-th working day after `start` (start itself not counted); 0 gives `start`."""
        if days < 0:
            raise ValueError("days must not be negative")
        current = start
        remaining = days
        while remaining:
            current += dt.timedelta(days=1)
            if self.is_workday(current):
                remaining -= 1
        return current

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        current = start
        while current < end:
            current += dt.timedelta(days=1)
            if self.is_workday(current):
                count += 1
        return count


class WorkdayIndex:
    """O(1) working-day counts over a span of dates, for exports that ask the question per row.

    `between(a, b)` equals `WorkCalendar.working_days_between(a, b)`; a date outside the indexed span,
    or in a year the calendar does not know, gives None instead of a guess.
    """

    def __init__(self, calendar: WorkCalendar, first: dt.date, last: dt.date) -> None:
        self.first = first
        self._ordinal: dict[dt.date, int] = {}
        count = 0
        day = first
        while day <= last:
            try:
                if calendar.is_workday(day):
                    count += 1
            except UnknownCalendarYear:
                break
            self._ordinal[day] = count
            day += dt.timedelta(days=1)

    def between(self, start: dt.date, end: dt.date) -> int | None:
        a, b = self._ordinal.get(start), self._ordinal.get(end)
        if a is None or b is None:
            return None
        return b - a


def yellow_boundary(calendar: WorkCalendar, today: dt.date, yellow_days: int) -> dt.date:
    """The first deadline that is no longer yellow: deadlines in [today, boundary) have ≤ yellow_days left."""
    try:
        return calendar.add_working_days(today, yellow_days + 1)
    except UnknownCalendarYear:
        return dt.date.max
