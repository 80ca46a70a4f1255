"""Traffic lights: red past the deadline, yellow within the threshold of working days, worst wins."""

from __future__ import annotations

import datetime as dt

from app.domain.lights import Light, deadline_light, urgency_key, worst
from app.domain.workdays import WorkCalendar

D = dt.date
calendar = WorkCalendar()


def test_a_deadline_two_working_days_away_is_yellow_three_is_green():
    # Friday 2026-10-09 → Tuesday 10-13: 10-10 (make-up Saturday), 10-12, 10-13 = 3 working days.
    assert deadline_light(D(2026, 10, 13), D(2026, 10, 9), calendar, 2) is Light.GREEN
    assert deadline_light(D(2026, 10, 12), D(2026, 10, 9), calendar, 2) is Light.YELLOW
    assert deadline_light(D(2026, 10, 12), D(2026, 10, 9), calendar, 1) is Light.GREEN


def test_the_national_day_week_does_not_count_as_time_left():
    # From 2026-09-30, 10-08 is only one working day away although eight calendar days.
    assert deadline_light(D(2026, 10, 8), D(2026, 9, 30), calendar, 2) is Light.YELLOW


def test_past_the_deadline_is_red_and_the_deadline_day_itself_is_not():
    assert deadline_light(D(2026, 11, 5), D(2026, 11, 6), calendar, 2) is Light.RED
    assert deadline_light(D(2026, 11, 5), D(2026, 11, 5), calendar, 2) is Light.YELLOW


def test_no_deadline_gives_no_light_and_an_unknown_year_warns():
    assert deadline_light(None, D(2026, 11, 5), calendar, 2) is Light.NONE
    # Far enough inside 2026 the count is certain whatever 2027 holds; at the year's end it is not.
    assert deadline_light(D(2027, 3, 1), D(2026, 12, 20), calendar, 2) is Light.GREEN
    assert deadline_light(D(2027, 3, 1), D(2026, 12, 30), calendar, 2) is Light.YELLOW


def test_a_case_shows_its_most_urgent_item_and_queues_sort_red_first():
    assert worst([Light.GREEN, Light.PAUSED, Light.RED, Light.YELLOW]) is Light.RED
    assert worst([]) is Light.NONE
    rows = [(Light.GREEN, D(2026, 11, 1)), (Light.RED, D(2026, 11, 20)), (Light.RED, D(2026, 11, 3))]
    assert sorted(rows, key=lambda r: urgency_key(*r)) == [rows[2], rows[1], rows[0]]


def test_the_workday_index_agrees_with_the_calendar():
    from app.domain.workdays import WorkdayIndex

    index = WorkdayIndex(calendar, D(2026, 1, 1), D(2027, 12, 31))
    for start, end in [
        (D(2026, 9, 25), D(2026, 10, 29)),
        (D(2026, 2, 1), D(2026, 3, 1)),
        (D(2026, 5, 6), D(2026, 5, 6)),
    ]:
        assert index.between(start, end) == calendar.working_days_between(start, end)
    assert index.between(D(2026, 12, 1), D(2027, 1, 5)) is None  # 2027 unknown: no guess
