"""Traffic lights: green, yellow (few working days left), red (overdue), for items, filings and cases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from app.domain.enums import LabelledEnum
from app.domain.errors import N_
from app.domain.workdays import WorkCalendar, yellow_boundary


class Light(LabelledEnum):
    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"
    PAUSED = "paused"
    NONE = "none"


_SEVERITY = {Light.RED: 0, Light.YELLOW: 1, Light.GREEN: 2, Light.PAUSED: 3, Light.NONE: 4}


def deadline_light(deadline: dt.date | None, today: dt.date, calendar: WorkCalendar, yellow_days: int) -> Light:
    """Red past the deadline, yellow with `yellow_days` working days or fewer left, else green."""
    return light_by_boundary(deadline, today, yellow_boundary(calendar, today, yellow_days))


def light_by_boundary(deadline: dt.date | None, today: dt.date, boundary: dt.date) -> Light:
    """The same light with the yellow boundary computed once (working days left only grow with the date).

    A boundary of date.max means the calendar cannot count that far: warn (yellow) rather than reassure.
    """
    if deadline is None:
        return Light.NONE
    if today > deadline:
        return Light.RED
    return Light.YELLOW if deadline < boundary else Light.GREEN


def worst(lights: Iterable[Light]) -> Light:
    """The most urgent of several lights (a case shows its most urgent item)."""
    return min(lights, key=_SEVERITY.__getitem__, default=Light.NONE)


def urgency_key(light: Light, deadline: dt.date | None) -> tuple[int, dt.date]:
    """Sort key: red first, then yellow, then green; earlier deadlines first within a colour."""
    return (_SEVERITY[light], deadline or dt.date.max)


def _labels() -> None:
    from app.domain import enums

    enums.register_labels(
        [
            (Light.RED, N_("Overdue")),
            (Light.YELLOW, N_("Due soon")),
            (Light.GREEN, N_("On time")),
            (Light.PAUSED, N_("Clock paused")),
            (Light.NONE, N_("No deadline")),
        ]
    )


_labels()
