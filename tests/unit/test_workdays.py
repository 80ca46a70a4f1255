"""Statutory working-day arithmetic on real 2026 dates, entered years, overrides and unknown years."""

from __future__ import annotations

import datetime as dt

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.errors import UnknownCalendarYear
from app.domain.workdays import BUILTIN_YEARS, WorkCalendar

D = dt.date
calendar = WorkCalendar()


def test_the_builtin_data_knows_2026_but_not_2027():
    assert 2026 in BUILTIN_YEARS
    assert 2027 not in BUILTIN_YEARS


def test_a_make_up_saturday_counts_as_a_working_day():
    # 2026-10-10 is a Saturday worked in exchange for the National Day week.
    assert calendar.is_workday(D(2026, 10, 10))
    assert calendar.add_working_days(D(2026, 10, 9), 1) == D(2026, 10, 10)


def test_a_make_up_sunday_before_national_day_counts_too():
    assert calendar.is_workday(D(2026, 9, 20))
    assert not calendar.is_workday(D(2026, 9, 19))


def test_the_national_day_week_is_skipped():
    assert calendar.add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert calendar.working_days_between(D(2026, 9, 30), D(2026, 10, 8)) == 1


def test_twenty_working_days_across_national_day():
    # From 2026-09-25: Sep 27? no, 28, 29, 30 (3), Oct 8, 9, 10 (6), 12–16 (11), 19–23 (16), 26–29 (20).
    assert calendar.add_working_days(D(2026, 9, 25), 20) == D(2026, 10, 29)


def test_zero_days_is_the_start_itself_and_negative_days_are_refused():
    assert calendar.add_working_days(D(2026, 5, 6), 0) == D(2026, 5, 6)
    with pytest.raises(ValueError):
        calendar.add_working_days(D(2026, 5, 6), -1)


def test_between_is_negative_when_the_end_comes_first():
    assert calendar.working_days_between(D(2026, 10, 8), D(2026, 9, 30)) == -1


def test_a_limit_running_into_an_unknown_year_raises_instead_of_guessing():
    with pytest.raises(UnknownCalendarYear) as raised:
        calendar.add_working_days(D(2026, 12, 15), 20)
    assert raised.value.year == 2027
    assert "2027" in str(raised.value)


def test_an_entered_year_computes_from_weekdays_and_its_entered_days():
    entered = WorkCalendar(
        overrides={D(2027, 1, 1): False, D(2027, 2, 6): True},  # a holiday Friday, a make-up Saturday
        entered_years=frozenset({2027}),
    )
    assert not entered.is_workday(D(2027, 1, 1))
    assert entered.is_workday(D(2027, 2, 6))
    assert not entered.is_workday(D(2027, 2, 7))
    assert entered.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)


def test_a_single_override_wins_even_in_a_builtin_year():
    local = WorkCalendar(overrides={D(2026, 10, 9): False})
    assert not local.is_workday(D(2026, 10, 9))
    assert local.add_working_days(D(2026, 9, 30), 2) == D(2026, 10, 10)


def test_missing_years_lists_the_years_nobody_entered():
    assert calendar.missing_years([2025, 2026, 2027, 2028]) == [2027, 2028]
    assert WorkCalendar(entered_years=frozenset({2027})).missing_years([2027]) == []


@given(start=st.dates(D(2024, 1, 1), D(2026, 10, 31)), days=st.integers(0, 40))
def test_adding_then_counting_working_days_gives_back_the_count(start, days):
    due = calendar.add_working_days(start, days)
    assert calendar.working_days_between(start, due) == days
    assert due == start or calendar.is_workday(due)


def test_the_holidays_package_agrees_on_2026_public_holidays_it_knows():
    # Cross-check with an independent source (holidays has no make-up days: only days off compare).
    cn = holidays.country_holidays("CN", years=2026)
    for day in cn:
        if day.weekday() < 5:
            assert not calendar.is_workday(day), day
