"""Urgency, defined once: what is overdue, against which date, and under which name.

Two figures are never mixed: 超期办理 (a department past an item's due date) and 逾期申报 (an item not
filed by its planned filing date). The agency's own steps have limits too (accept, sign, plan), and a
case under way has its planned end. While an item's clock is stopped (补正/整改) it is measured on the
day the clock stopped: an item overdue when paused stays overdue, one on time stays on time.

The same rules are written as SQL in `app.services.urgency` for aggregates; a test checks that both agree.
"""

from __future__ import annotations

import datetime as dt

from app.domain.coordination import DecisionState
from app.domain.enums import LabelledEnum
from app.domain.errors import N_
from app.domain.workflow import (
    CASE_END_VALUES,
    FILED_OPEN_ITEM_VALUES,
    NOT_FILED_ITEM_VALUES,
    OPEN_ITEM_VALUES,
    PAUSED_ITEM_VALUES,
    STEP_LIMIT_VALUES,
    CaseState,
)


class Overdue(LabelledEnum):
    HANDLING = "handling"  # 超期办理
    FILING = "filing"  # 逾期申报
    AGENCY_STEP = "agency_step"  # 受理/签约/方案超时
    CASE_END = "case_end"  # 超出计划办结日期
    DECISION = "decision"  # 议定事项超期


# A local choice, changed by administrators (代办时限设置): accept within 2 working days of the
# application, sign the entrustment within 3 of acceptance, fix the plan within 5 of the entrustment.
DEFAULT_STEP_LIMITS: dict[CaseState, int] = {
    CaseState.SUBMITTED: 2,
    CaseState.ACCEPTED: 3,
    CaseState.ENTRUSTED: 5,
}


def item_deadline(state: str, planned_filing_on: dt.date | None, due_on: dt.date | None) -> dt.date | None:
    """The date an open item must meet next: its planned filing before filing, its due date after."""
    if state not in OPEN_ITEM_VALUES:
        return None
    return planned_filing_on if state in NOT_FILED_ITEM_VALUES else due_on


def due_pending(state: str, due_on: dt.date | None, time_limit_days: int | None) -> bool:
    """A filed, open item with a limit but no due date yet: the limit runs into a year whose schedule is missing."""
    return state in FILED_OPEN_ITEM_VALUES and due_on is None and time_limit_days is not None


def item_clock(today: dt.date, paused_since: dt.date | None) -> dt.date:
    """The day an item is measured on: today, or the day its clock stopped."""
    return paused_since if paused_since is not None and paused_since < today else today


def item_overdue(
    state: str,
    planned_filing_on: dt.date | None,
    due_on: dt.date | None,
    paused_since: dt.date | None,
    today: dt.date,
) -> Overdue | None:
    """Which overdue figure an item counts in on `today`, if any."""
    deadline = item_deadline(state, planned_filing_on, due_on)
    if deadline is None:
        return None
    if state in NOT_FILED_ITEM_VALUES:  # before filing no department clock runs, so none can stop
        return Overdue.FILING if today > deadline else None
    return Overdue.HANDLING if item_clock(today, paused_since) > deadline else None


def overdue_when_paused(state: str, due_on: dt.date | None, paused_since: dt.date | None) -> bool:
    """A paused item already past its due date on the day its clock stopped (it stays 超期办理)."""
    return state in PAUSED_ITEM_VALUES and due_on is not None and paused_since is not None and paused_since > due_on


def case_deadline(state: str, step_due_on: dt.date | None, planned_end: dt.date | None) -> dt.date | None:
    """A case's own deadline: its current agency step's limit, or its planned end once under way."""
    if state in STEP_LIMIT_VALUES:
        return step_due_on
    if state in CASE_END_VALUES:
        return planned_end
    return None


def case_overdue(
    state: str, step_due_on: dt.date | None, planned_end: dt.date | None, today: dt.date
) -> Overdue | None:
    """Whether the case itself (not its items) is overdue on `today`, and how."""
    deadline = case_deadline(state, step_due_on, planned_end)
    if deadline is None or today <= deadline:
        return None
    return Overdue.AGENCY_STEP if state in STEP_LIMIT_VALUES else Overdue.CASE_END


def decision_deadline(state: str, due_on: dt.date | None) -> dt.date | None:
    """An open decision's deadline (议定事项 are tracked like items)."""
    return due_on if state == DecisionState.OPEN.value else None


def decision_overdue(state: str, due_on: dt.date | None, today: dt.date) -> Overdue | None:
    deadline = decision_deadline(state, due_on)
    return Overdue.DECISION if deadline is not None and today > deadline else None


def _labels() -> None:
    from app.domain import enums

    enums.register_labels(
        [
            (Overdue.HANDLING, N_("Overdue handling")),
            (Overdue.FILING, N_("Late filing")),
            (Overdue.AGENCY_STEP, N_("Agency step overdue")),
            (Overdue.CASE_END, N_("Past planned end")),
            (Overdue.DECISION, N_("Decision overdue")),
        ]
    )


_labels()
