"""提前介入 as rows: leads (projects landing or about to land) followed until they apply, or are given up.

A lead is tracked (跟踪中) with a preparation checklist, then either converted into an application (已转案件)
or abandoned with a reason (已放弃); an abandoned lead may be taken up again. The rows use the same
vocabulary as cases and meetings (`app.domain.engine`); `app.services.engine` moves them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from app.domain.codes import validate_credit_code
from app.domain.engine import Context, Guard, Step, Transition
from app.domain.enums import LabelledEnum, RoleName, register_labels
from app.domain.errors import N_, DomainError, ValidationError


class LeadSource(LabelledEnum):
    COMMERCE = "commerce"
    FINANCE = "finance"
    DEVELOPMENT = "development"
    PROMOTION_EVENT = "promotion_event"
    OTHER = "other"


class LeadState(LabelledEnum):
    TRACKING = "tracking"
    CONVERTED = "converted"
    ABANDONED = "abandoned"


class TaskState(LabelledEnum):
    """A checklist line: open, done, or closed as not needed (a wrong line is never deleted)."""

    OPEN = "open"
    DONE = "done"
    NOT_NEEDED = "not_needed"


FOLLOWERS = frozenset({RoleName.AGENT, RoleName.SUPERVISOR})  # who follow leads: agents and supervisors
APPLICANT_TAKERS = frozenset({RoleName.AGENT})  # only agents register applications


class Need(LabelledEnum):
    REASON = "reason"
    CASE = "case"


NEED_MESSAGES = {
    Need.REASON: N_("Give the reason."),
    Need.CASE: N_("A lead is converted by registering its application."),
}


def _unmet(need: Need) -> ValidationError:
    return ValidationError(NEED_MESSAGES[need])


NEED_CHECKS: dict[Any, Guard] = {
    Need.REASON: lambda lead, step: None if step.note else _unmet(Need.REASON),
    Need.CASE: lambda lead, step: None if step.get("case_id") else _unmet(Need.CASE),
}


def _convert(lead: Any, step: Step, context: Context) -> None:
    lead.case_id = step.get("case_id")
    lead.closed_on = step.on


def _abandon(lead: Any, step: Step, context: Context) -> None:
    lead.abandon_reason = step.note[:4000]
    lead.closed_on = step.on


def _reopen(lead: Any, step: Step, context: Context) -> None:
    lead.closed_on = None  # the reason it was given up stays in its timeline


LEAD_TRANSITIONS: tuple[Transition, ...] = (
    Transition(LeadState.TRACKING, "convert", LeadState.CONVERTED, APPLICANT_TAKERS, (Need.CASE,), effect=_convert),
    Transition(LeadState.TRACKING, "abandon", LeadState.ABANDONED, FOLLOWERS, (Need.REASON,), effect=_abandon),
    Transition(LeadState.ABANDONED, "reopen", LeadState.TRACKING, FOLLOWERS, effect=_reopen),
)

# Moves offered as buttons on the lead page (converting goes through the application form).
BUTTON_ACTIONS = frozenset({"abandon", "reopen"})

ACTION_LABELS: dict[str, str] = {
    "convert": N_("Convert to an application"),
    "abandon": N_("Abandon the lead"),
    "reopen": N_("Take up again"),
    # Timeline entries that are not state moves.
    "create": N_("Lead recorded"),
    "edit": N_("Lead data corrected"),
    "add_task": N_("Checklist task added"),
    "task_done": N_("Task done"),
    "task_not_needed": N_("Task not needed"),
    "task_reopen": N_("Task reopened"),
}

# The entry a converted lead leaves on its case's timeline.
CASE_EVENT_LABELS: dict[str, str] = {"from_lead": N_("Converted from a lead")}


# --- the lead form ----------------------------------------------------------------------------------------

LEAD_TEXT_LIMITS = {
    "source_detail": 200,
    "enterprise_name": 200,
    "contact_person": 50,
    "contact_phone": 32,
    "project_name": 200,
    "project_address": 300,
    "description": 4000,
}


def parse_amount(raw: Any) -> Decimal | None:
    """An amount in 万元 (0 or more, two decimals); None when empty; ValueError when it is no amount."""
    text = str(raw or "").strip()
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise ValueError(text)
    return amount.quantize(Decimal("0.01"))


def parse_day(raw: Any) -> dt.date | None:
    """A YYYY-MM-DD date; None when empty; ValueError when it is no date."""
    if isinstance(raw, dt.date):
        return raw
    text = str(raw or "").strip()
    return dt.date.fromisoformat(text) if text else None


def check_lead(values: Mapping[str, Any], today: dt.date) -> tuple[dict[str, Any], dict[str, DomainError]]:
    """The lead's fields cleaned, and every problem at its field; nothing is dropped silently."""
    cleaned: dict[str, Any] = {k: str(values.get(k) or "").strip()[:n] for k, n in LEAD_TEXT_LIMITS.items()}
    problems: dict[str, DomainError] = {}
    try:
        cleaned["source"] = LeadSource(values.get("source") or "").value
    except ValueError:
        problems["source"] = ValidationError(N_("Choose where the lead came from."))
    else:
        if cleaned["source"] == LeadSource.PROMOTION_EVENT.value and not cleaned["source_detail"]:
            problems["source_detail"] = ValidationError(N_("Name the investment promotion event."))
    for key, message in (
        ("enterprise_name", N_("The enterprise name is required.")),
        ("project_name", N_("The project name is required.")),
    ):
        if not cleaned[key]:
            problems[key] = ValidationError(message)
    cleaned["credit_code"] = str(values.get("credit_code") or "").strip().upper()
    if cleaned["credit_code"]:
        try:
            cleaned["credit_code"] = validate_credit_code(cleaned["credit_code"])
        except DomainError as error:
            problems["credit_code"] = error
    try:
        cleaned["expected_investment"] = parse_amount(values.get("expected_investment"))
    except ValueError:
        problems["expected_investment"] = ValidationError(N_("Give the expected investment as an amount in 万元."))
    for key in ("expected_landing_on", "found_on"):
        try:
            cleaned[key] = parse_day(values.get(key))
        except ValueError:
            problems[key] = ValidationError(N_("The date format is not correct (YYYY-MM-DD)."))
    if "found_on" not in problems:
        if cleaned["found_on"] is None:
            problems["found_on"] = ValidationError(N_("Give the date the lead was learnt of."))
        elif cleaned["found_on"] > today:
            problems["found_on"] = ValidationError(N_("The date lies in the future."))
    return cleaned, problems


def task_state(done_on: dt.date | None, closing_actions: Iterable[str]) -> TaskState:
    """A task's state from its done date and its closing timeline entries (the latest counts)."""
    if done_on is None:
        return TaskState.OPEN
    last = [a for a in closing_actions if a in ("task_done", "task_not_needed")]
    return TaskState.NOT_NEEDED if last and last[-1] == "task_not_needed" else TaskState.DONE


register_labels(
    [
        (LeadSource.COMMERCE, N_("Commerce department")),
        (LeadSource.FINANCE, N_("Finance department")),
        (LeadSource.DEVELOPMENT, N_("Development and reform department")),
        (LeadSource.PROMOTION_EVENT, N_("Investment promotion event")),
        (LeadSource.OTHER, N_("Other source")),
        (LeadState.TRACKING, N_("Tracking")),
        (LeadState.CONVERTED, N_("Converted to a case")),
        (LeadState.ABANDONED, N_("Abandoned")),
        (TaskState.OPEN, N_("Open")),
        (TaskState.DONE, N_("Done")),
        (TaskState.NOT_NEEDED, N_("Not needed")),
        (Need.REASON, N_("reason")),
        (Need.CASE, N_("case")),
    ]
)
