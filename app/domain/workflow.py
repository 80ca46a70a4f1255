"""Case and case-item state machines as rows: state, action, next state, who, needs, guard, effect, follows.

The rows are the single source of truth: services move states only along them, views offer only the
actions they list for the user's role, the README prints them, and tests walk them as matrices.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.domain.engine import (
    SYSTEM,
    Context,
    Follow,
    Guard,
    Step,
    Transition,
    actions_for,  # noqa: F401 (re-exported: views and tests read the tables with it)
    all_of,
    find_transition,  # noqa: F401 (re-exported)
    then,
)
from app.domain.enums import LabelledEnum, RoleName
from app.domain.errors import N_, DomainError, ValidationError
from app.domain.originals import not_returned


class CaseState(LabelledEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    ENTRUSTED = "entrusted"
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    EVALUATED = "evaluated"
    TERMINATED = "terminated"


class ItemState(LabelledEnum):
    PLANNED = "planned"
    PREPARING = "preparing"
    ACCEPTED = "accepted"
    IN_REVIEW = "in_review"
    SUPPLEMENT = "supplement"
    RECTIFICATION = "rectification"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Channel(LabelledEnum):
    WINDOW = "window"
    WEBSITE = "website"
    APP = "app"
    HOTLINE = "hotline"
    EARLY = "early"


class Satisfaction(LabelledEnum):
    """The three levels of the Ordos evaluation form (Attachment 8)."""

    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    DISSATISFIED = "dissatisfied"


class ProjectCategory(LabelledEnum):
    KEY = "key"
    INVESTMENT_ATTRACTION = "investment_attraction"
    TECH_INNOVATION = "tech_innovation"
    ENCOURAGED = "encouraged"
    OTHER = "other"


# Conditions a transition may require; each names what must be filled first.
class Need(LabelledEnum):
    AGENT = "agent"
    ITEMS = "items"
    SCHEDULE = "schedule"
    ITEMS_CLOSED = "items_closed"
    REASON = "reason"
    MATERIALS_RETURNED = "materials_returned"
    ARCHIVED = "archived"
    EVALUATION = "evaluation"
    NOTE = "note"
    PROMISED_DATE = "promised_date"


AGENT = frozenset({RoleName.AGENT})
AGENT_OR_SYSTEM = frozenset({RoleName.AGENT, SYSTEM})
LEAD = frozenset({RoleName.AGENT, RoleName.SUPERVISOR})
LIAISON = frozenset({RoleName.LIAISON})
LIAISON_OR_AGENT = frozenset({RoleName.LIAISON, RoleName.AGENT})
BY_SYSTEM = frozenset({SYSTEM})

OPEN_CASE_STATES = (
    CaseState.SUBMITTED,
    CaseState.ACCEPTED,
    CaseState.ENTRUSTED,
    CaseState.PLANNED,
    CaseState.IN_PROGRESS,
)
# Once the entrustment is signed the agent plans; departments work on items once the plan is fixed.
PLAN_CASE_STATES = (CaseState.ENTRUSTED, CaseState.PLANNED, CaseState.IN_PROGRESS)
ITEM_WORK_CASE_STATES = (CaseState.PLANNED, CaseState.IN_PROGRESS)
CLOSED_CASE_STATES = tuple(s for s in CaseState if s not in OPEN_CASE_STATES)
# The agency's own steps that have a limit in working days, counted from the date the state began, and the
# step that ends each (受理, 签约, 方案).
STEP_LIMIT_STATES: tuple[CaseState, ...] = (CaseState.SUBMITTED, CaseState.ACCEPTED, CaseState.ENTRUSTED)
STEP_ENDING: dict[CaseState, str] = {
    CaseState.SUBMITTED: "accept",
    CaseState.ACCEPTED: "entrust",
    CaseState.ENTRUSTED: "plan",
}

OPEN_ITEM_STATES = (
    ItemState.PLANNED,
    ItemState.PREPARING,
    ItemState.ACCEPTED,
    ItemState.IN_REVIEW,
    ItemState.SUPPLEMENT,
    ItemState.RECTIFICATION,
)
PAUSED_ITEM_STATES = (ItemState.SUPPLEMENT, ItemState.RECTIFICATION)
NOT_FILED_ITEM_STATES = (ItemState.PLANNED, ItemState.PREPARING)

# The same sets as plain values, for queries and for rows read as tuples (ledgers, lights).
OPEN_CASE_VALUES = frozenset(s.value for s in OPEN_CASE_STATES)
OPEN_ITEM_VALUES = frozenset(s.value for s in OPEN_ITEM_STATES)
PLAN_CASE_VALUES = frozenset(s.value for s in PLAN_CASE_STATES)
ITEM_WORK_CASE_VALUES = frozenset(s.value for s in ITEM_WORK_CASE_STATES)
PAUSED_ITEM_VALUES = frozenset(s.value for s in PAUSED_ITEM_STATES)
NOT_FILED_ITEM_VALUES = frozenset(s.value for s in NOT_FILED_ITEM_STATES)
CLOSED_ITEM_VALUES = frozenset(s.value for s in ItemState) - OPEN_ITEM_VALUES
FILED_OPEN_ITEM_VALUES = OPEN_ITEM_VALUES - NOT_FILED_ITEM_VALUES
STEP_LIMIT_VALUES = frozenset(s.value for s in STEP_LIMIT_STATES)
# A case runs against its planned end once the plan is fixed (超出计划办结日期).
CASE_END_VALUES = ITEM_WORK_CASE_VALUES

NEED_MESSAGES: dict[Need, str] = {
    Need.AGENT: N_("Name the agent who handles the case before signing the entrustment."),
    Need.ITEMS: N_("Choose the approval items of the entrustment first."),
    Need.SCHEDULE: N_("Give every item a planned filing date before fixing the plan."),
    Need.ITEMS_CLOSED: N_("%(n)s item(s) are still open; a case completes when every item is closed."),
    Need.REASON: N_("Give the reason."),
    Need.MATERIALS_RETURNED: N_(
        "These originals were received and not yet returned to the applicant: %(names)s. "
        "Record their return in the materials checklist first."
    ),
    Need.ARCHIVED: N_("Record that the case file was archived."),
    Need.EVALUATION: N_("Choose the applicant's evaluation."),
    Need.NOTE: N_("Write a note saying what is missing or why."),
    Need.PROMISED_DATE: N_("Acceptance with missing materials needs the date they are promised for."),
}


def _unmet(need: Need, **params: Any) -> ValidationError:
    return ValidationError(NEED_MESSAGES[need], **params)


def _live_items(case: Any) -> list[Any]:
    return [i for i in case.items if i.state != ItemState.WITHDRAWN.value]


def _open_items(case: Any) -> list[Any]:
    return [i for i in case.items if i.state in OPEN_ITEM_VALUES]


def _not_returned(case: Any) -> list[str]:
    """Originals of the case's checklists received and not given back (归档返还), from the rows themselves."""
    return not_returned(row for item in case.items for row in getattr(item, "materials", ()))


def _evaluation_problem(case: Any, step: Step) -> DomainError | None:
    try:
        Satisfaction(step.get("level", ""))
    except ValueError:
        return _unmet(Need.EVALUATION)
    if case.evaluation is not None:
        return ValidationError(N_("This case has been evaluated already."))
    return None


def _when(need: Need, passes: Callable[[Any, Step], bool]) -> Guard:
    return lambda record, step: None if passes(record, step) else _unmet(need)


# One predicate per need: the rows name needs, the engine checks them with these.
NEED_CHECKS: dict[Need, Guard] = {
    Need.AGENT: _when(Need.AGENT, lambda case, step: case.agent_id is not None),
    Need.ITEMS: _when(Need.ITEMS, lambda case, step: bool(_live_items(case))),
    Need.SCHEDULE: _when(
        Need.SCHEDULE,
        lambda case, step: all(
            i.planned_filing_on is not None for i in _live_items(case) if i.state == ItemState.PLANNED.value
        ),
    ),
    Need.ITEMS_CLOSED: lambda case, step: (
        _unmet(Need.ITEMS_CLOSED, n=len(_open_items(case))) if _open_items(case) else None
    ),
    Need.REASON: _when(Need.REASON, lambda record, step: bool(step.note)),
    Need.MATERIALS_RETURNED: lambda case, step: (
        _unmet(Need.MATERIALS_RETURNED, names="、".join(_not_returned(case))) if _not_returned(case) else None
    ),
    Need.ARCHIVED: _when(Need.ARCHIVED, lambda case, step: bool(step.get("archived"))),
    Need.EVALUATION: _evaluation_problem,
    Need.NOTE: _when(Need.NOTE, lambda record, step: bool(step.note)),
    Need.PROMISED_DATE: _when(
        Need.PROMISED_DATE, lambda item, step: not step.get("incomplete") or step.get("promised_on") is not None
    ),
}


# --- guards: conditions beyond "filled in" -------------------------------------------------------------


def case_is_at_work(item: Any, step: Step) -> DomainError | None:
    """Departments act on items only once the case's plan is fixed and while it is open."""
    if item.case.state in ITEM_WORK_CASE_VALUES:
        return None
    if item.case.state in OPEN_CASE_VALUES:
        return ValidationError(N_("The case's service plan is not fixed yet."))
    return ValidationError(N_("The case is closed."))


def case_is_planning(item: Any, step: Step) -> DomainError | None:
    """An item leaves the entrustment only between signing and the case's end."""
    if item.case.state in PLAN_CASE_VALUES:
        return None
    return ValidationError(N_("Items can be withdrawn once the entrustment is signed and while the case is open."))


def catalog_allows_fast_acceptance(item: Any, step: Step) -> DomainError | None:
    """容缺受理 and 告知承诺 only where the catalog item (as planned) allows them."""
    if step.get("incomplete") and not item.allows_incomplete:
        return ValidationError(
            N_("“%(item)s” does not allow acceptance with missing materials (容缺受理) in the catalog."), item=item.name
        )
    if step.get("commitment") and not item.allows_commitment:
        return ValidationError(
            N_("“%(item)s” does not allow notification and commitment (告知承诺) in the catalog."), item=item.name
        )
    return None


# --- effects: what a move writes besides the state --------------------------------------------------------


def _close_case(case: Any, step: Step, context: Context) -> None:
    case.close_reason = step.note[:4000]
    case.closed_on = step.on
    _materials_at_close(case, step)


def _materials_at_close(case: Any, step: Step) -> None:
    """Kept on the case as history: whether every received original went back, and the agent's note."""
    case.materials_returned = not _not_returned(case)
    case.materials_note = str(step.get("materials_note") or "").strip()[:500]


def _accept_case(case: Any, step: Step, context: Context) -> None:
    case.accepted_on = step.on
    if case.agent_id is None:
        case.agent_id = step.actor_id  # the accepting agent runs the case until someone else is named


def _entrust_case(case: Any, step: Step, context: Context) -> None:
    case.entrusted_on = step.on


def _plan_case(case: Any, step: Step, context: Context) -> None:
    case.planned_on = step.on
    if case.planned_end is None:
        case.planned_end = context.estimated_end(case)
        case.planned_end_estimated = True


def _complete_case(case: Any, step: Step, context: Context) -> None:
    case.closed_on = step.on
    _materials_at_close(case, step)
    case.archived = bool(step.get("archived"))


def _evaluate_case(case: Any, step: Step, context: Context) -> None:
    context.add_evaluation(case, str(step.get("level")), step.note[:4000], step.on, step.actor_id)


def _item_note(item: Any, step: Step, context: Context) -> None:
    if step.note:
        item.note = step.note[:500]


def _prepare_item(item: Any, step: Step, context: Context) -> None:
    item.filed_on = None


def _accept_item(item: Any, step: Step, context: Context) -> None:
    incomplete = bool(step.get("incomplete"))
    item.filed_on = item.filed_on or step.on
    item.accepted_on = step.on
    item.incomplete_acceptance = incomplete
    item.materials_promised_on = step.get("promised_on") if incomplete else None
    item.commitment = bool(step.get("commitment"))
    item.due_on = context.due_date(item)


def _pause_item(item: Any, step: Step, context: Context) -> None:
    # The clock stands still; the due date stays visible (as paused) and moves on when it resumes.
    item.paused_since = step.on
    context.open_pause(item, step.on)


def _resume_item(item: Any, step: Step, context: Context) -> None:
    context.close_pause(item, step.on)
    item.paused_since = None
    item.due_on = context.due_date(item)


def _close_item(item: Any, step: Step, context: Context) -> None:
    item.closed_on = step.on
    item.used_days = context.used_days(item)


START_CASE = Follow("case", "start")  # a department's first move on a planned case starts it
WITHDRAW_ITEMS = Follow("item", "withdraw")  # ending a case withdraws its items not yet filed

CASE_TRANSITIONS: tuple[Transition, ...] = (
    Transition(CaseState.SUBMITTED, "accept", CaseState.ACCEPTED, AGENT, effect=_accept_case),
    Transition(CaseState.SUBMITTED, "refuse", CaseState.REFUSED, AGENT, (Need.REASON,), effect=_close_case),
    Transition(
        CaseState.ACCEPTED, "entrust", CaseState.ENTRUSTED, AGENT, (Need.AGENT, Need.ITEMS), effect=_entrust_case
    ),
    Transition(CaseState.ENTRUSTED, "plan", CaseState.PLANNED, AGENT, (Need.SCHEDULE,), effect=_plan_case),
    Transition(CaseState.PLANNED, "start", CaseState.IN_PROGRESS, AGENT_OR_SYSTEM),
    Transition(
        CaseState.IN_PROGRESS,
        "complete",
        CaseState.COMPLETED,
        AGENT,
        (Need.ITEMS_CLOSED, Need.MATERIALS_RETURNED, Need.ARCHIVED),
        effect=_complete_case,
    ),
    Transition(CaseState.COMPLETED, "evaluate", CaseState.EVALUATED, AGENT, (Need.EVALUATION,), effect=_evaluate_case),
    *(
        Transition(
            state,
            "terminate",
            CaseState.TERMINATED,
            LEAD,
            (Need.REASON, Need.MATERIALS_RETURNED),
            effect=_close_case,
            follows=(WITHDRAW_ITEMS,),
        )
        for state in OPEN_CASE_STATES
    ),
)

_AT_WORK = all_of(case_is_at_work)
_ACCEPT = then(_item_note, _accept_item)

ITEM_TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        ItemState.PLANNED,
        "prepare",
        ItemState.PREPARING,
        AGENT,
        guard=_AT_WORK,
        effect=then(_item_note, _prepare_item),
        follows=(START_CASE,),
    ),
    *(
        Transition(
            state,
            "accept",
            ItemState.ACCEPTED,
            LIAISON,
            (Need.PROMISED_DATE,),
            guard=all_of(case_is_at_work, catalog_allows_fast_acceptance),
            effect=_ACCEPT,
            follows=(START_CASE,),
        )
        for state in (ItemState.PLANNED, ItemState.PREPARING)
    ),
    Transition(
        ItemState.ACCEPTED,
        "review",
        ItemState.IN_REVIEW,
        LIAISON,
        guard=_AT_WORK,
        effect=_item_note,
        follows=(START_CASE,),
    ),
    *(
        Transition(
            state,
            "approve",
            ItemState.APPROVED,
            LIAISON,
            guard=_AT_WORK,
            effect=then(_item_note, _close_item),
            follows=(START_CASE,),
        )
        for state in (ItemState.ACCEPTED, ItemState.IN_REVIEW)
    ),
    Transition(
        ItemState.IN_REVIEW,
        "reject",
        ItemState.REJECTED,
        LIAISON,
        (Need.NOTE,),
        guard=_AT_WORK,
        effect=then(_item_note, _close_item),
        follows=(START_CASE,),
    ),
    *(
        Transition(
            ItemState.IN_REVIEW,
            action,
            paused,
            LIAISON,
            (Need.NOTE,),
            guard=_AT_WORK,
            effect=then(_item_note, _pause_item),
            follows=(START_CASE,),
        )
        for action, paused in (
            ("request_supplement", ItemState.SUPPLEMENT),
            ("request_rectification", ItemState.RECTIFICATION),
        )
    ),
    *(
        Transition(
            state,
            "resubmit",
            ItemState.IN_REVIEW,
            LIAISON_OR_AGENT,
            guard=_AT_WORK,
            effect=then(_item_note, _resume_item),
        )
        for state in PAUSED_ITEM_STATES
    ),
    *(
        Transition(
            state,
            "withdraw",
            ItemState.WITHDRAWN,
            AGENT,
            (Need.NOTE,),
            guard=case_is_planning,
            effect=then(_item_note, _close_item),
        )
        for state in NOT_FILED_ITEM_STATES
    ),
    # Set off by the case's termination: the items not yet filed leave with it.
    *(
        Transition(state, "withdraw", ItemState.WITHDRAWN, BY_SYSTEM, effect=_close_item)
        for state in NOT_FILED_ITEM_STATES
    ),
)

# Labels of actions (buttons) and of what a transition needs, for translation at the edge.
ACTION_LABELS: dict[str, str] = {
    "accept": N_("Accept"),
    "refuse": N_("Refuse"),
    "entrust": N_("Sign entrustment"),
    "plan": N_("Fix service plan"),
    "start": N_("Start handling"),
    "complete": N_("Complete"),
    "evaluate": N_("Record evaluation"),
    "terminate": N_("Terminate"),
    "prepare": N_("Guide the filing"),
    "review": N_("Start review"),
    "approve": N_("Approve"),
    "reject": N_("Reject"),
    "request_supplement": N_("Ask for supplement"),
    "request_rectification": N_("Ask for rectification"),
    "resubmit": N_("Materials resubmitted"),
    "withdraw": N_("Withdraw item"),
    # Timeline entries that are not state moves.
    "submit": N_("Application registered"),
    "add_item": N_("Item added"),
    "assign_agent": N_("Agent named"),
    "plan_schedule": N_("Service plan saved"),
    "recalculate": N_("Working-day calendar adjusted"),
    "edit": N_("Data corrected"),
}

_LABELS_EXTRA: list[tuple[LabelledEnum, str]] = [
    (CaseState.SUBMITTED, N_("Submitted")),
    (CaseState.ACCEPTED, N_("Accepted")),
    (CaseState.REFUSED, N_("Not accepted")),
    (CaseState.ENTRUSTED, N_("Entrusted")),
    (CaseState.PLANNED, N_("Plan fixed")),
    (CaseState.IN_PROGRESS, N_("In progress")),
    (CaseState.COMPLETED, N_("Completed")),
    (CaseState.EVALUATED, N_("Evaluated")),
    (CaseState.TERMINATED, N_("Terminated")),
    (ItemState.PLANNED, N_("To be filed")),
    (ItemState.PREPARING, N_("Filing guided")),
    (ItemState.ACCEPTED, N_("Accepted by department")),
    (ItemState.IN_REVIEW, N_("In review")),
    (ItemState.SUPPLEMENT, N_("Supplement requested")),
    (ItemState.RECTIFICATION, N_("Rectification")),
    (ItemState.APPROVED, N_("Approved")),
    (ItemState.REJECTED, N_("Not approved")),
    (ItemState.WITHDRAWN, N_("Withdrawn")),
    (Channel.WINDOW, N_("Service window")),
    (Channel.WEBSITE, N_("Government service website")),
    (Channel.APP, N_("Mengsuban app")),
    (Channel.HOTLINE, N_("12345 hotline")),
    (Channel.EARLY, N_("Early intervention")),
    (Satisfaction.VERY_SATISFIED, N_("Very satisfied")),
    (Satisfaction.SATISFIED, N_("Satisfied")),
    (Satisfaction.DISSATISFIED, N_("Dissatisfied")),
    (ProjectCategory.KEY, N_("Key investment project")),
    (ProjectCategory.INVESTMENT_ATTRACTION, N_("Major investment-attraction project")),
    (ProjectCategory.TECH_INNOVATION, N_("Science and technology innovation")),
    (ProjectCategory.ENCOURAGED, N_("Nationally encouraged")),
    (ProjectCategory.OTHER, N_("Other")),
    (Need.AGENT, N_("agent named")),
    (Need.ITEMS, N_("items chosen")),
    (Need.SCHEDULE, N_("filing dates planned")),
    (Need.ITEMS_CLOSED, N_("every item closed")),
    (Need.REASON, N_("reason")),
    (Need.MATERIALS_RETURNED, N_("materials returned")),
    (Need.ARCHIVED, N_("archived")),
    (Need.EVALUATION, N_("evaluation")),
    (Need.NOTE, N_("note")),
    (Need.PROMISED_DATE, N_("promised date")),
]

# The national 好差评 scale has five levels; the Ordos form's three map onto it for reporting.
NATIONAL_LEVEL: dict[Satisfaction, str] = {
    Satisfaction.VERY_SATISFIED: "非常满意",
    Satisfaction.SATISFIED: "满意",
    Satisfaction.DISSATISFIED: "不满意",
}
# The national five levels as points, and each form level as the points of its national level: the one
# satisfaction score of the pivot, the dashboards and the assessment.
NATIONAL_POINTS: dict[str, int] = {"非常满意": 5, "满意": 4, "基本满意": 3, "不满意": 2, "非常不满意": 1}
SATISFACTION_POINTS: dict[str, int] = {level.value: NATIONAL_POINTS[NATIONAL_LEVEL[level]] for level in Satisfaction}


def _register_labels() -> None:
    from app.domain import enums

    enums.register_labels(_LABELS_EXTRA)


_register_labels()
