"""Case and case-item state machines as data: (state, action, next state, roles, what must be filled first).

The rows are the single source of truth: services move states only along them, views offer only the
actions they list for the user's role, the README prints them, and tests walk them as matrices.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.enums import LabelledEnum, RoleName
from app.domain.errors import N_


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


@dataclass(frozen=True)
class Transition:
    state: str
    action: str
    next_state: str
    roles: frozenset[RoleName]
    needs: tuple[Need, ...] = ()


AGENT = frozenset({RoleName.AGENT})
LEAD = frozenset({RoleName.AGENT, RoleName.SUPERVISOR})
LIAISON = frozenset({RoleName.LIAISON})
LIAISON_OR_AGENT = frozenset({RoleName.LIAISON, RoleName.AGENT})

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

CASE_TRANSITIONS: tuple[Transition, ...] = (
    Transition(CaseState.SUBMITTED, "accept", CaseState.ACCEPTED, AGENT),
    Transition(CaseState.SUBMITTED, "refuse", CaseState.REFUSED, AGENT, (Need.REASON,)),
    Transition(CaseState.ACCEPTED, "entrust", CaseState.ENTRUSTED, AGENT, (Need.AGENT, Need.ITEMS)),
    Transition(CaseState.ENTRUSTED, "plan", CaseState.PLANNED, AGENT, (Need.SCHEDULE,)),
    Transition(CaseState.PLANNED, "start", CaseState.IN_PROGRESS, AGENT),
    Transition(
        CaseState.IN_PROGRESS,
        "complete",
        CaseState.COMPLETED,
        AGENT,
        (Need.ITEMS_CLOSED, Need.MATERIALS_RETURNED, Need.ARCHIVED),
    ),
    Transition(CaseState.COMPLETED, "evaluate", CaseState.EVALUATED, AGENT, (Need.EVALUATION,)),
    *(
        Transition(state, "terminate", CaseState.TERMINATED, LEAD, (Need.REASON, Need.MATERIALS_RETURNED))
        for state in OPEN_CASE_STATES
    ),
)

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

ITEM_TRANSITIONS: tuple[Transition, ...] = (
    Transition(ItemState.PLANNED, "prepare", ItemState.PREPARING, AGENT),
    Transition(ItemState.PLANNED, "accept", ItemState.ACCEPTED, LIAISON),
    Transition(ItemState.PREPARING, "accept", ItemState.ACCEPTED, LIAISON),
    Transition(ItemState.ACCEPTED, "review", ItemState.IN_REVIEW, LIAISON),
    Transition(ItemState.ACCEPTED, "approve", ItemState.APPROVED, LIAISON),
    Transition(ItemState.IN_REVIEW, "approve", ItemState.APPROVED, LIAISON),
    Transition(ItemState.IN_REVIEW, "reject", ItemState.REJECTED, LIAISON, (Need.NOTE,)),
    Transition(ItemState.IN_REVIEW, "request_supplement", ItemState.SUPPLEMENT, LIAISON, (Need.NOTE,)),
    Transition(ItemState.IN_REVIEW, "request_rectification", ItemState.RECTIFICATION, LIAISON, (Need.NOTE,)),
    Transition(ItemState.SUPPLEMENT, "resubmit", ItemState.IN_REVIEW, LIAISON_OR_AGENT),
    Transition(ItemState.RECTIFICATION, "resubmit", ItemState.IN_REVIEW, LIAISON_OR_AGENT),
    Transition(ItemState.PLANNED, "withdraw", ItemState.WITHDRAWN, AGENT, (Need.NOTE,)),
    Transition(ItemState.PREPARING, "withdraw", ItemState.WITHDRAWN, AGENT, (Need.NOTE,)),
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
}

NEED_MESSAGES: dict[Need, str] = {
    Need.AGENT: N_("Name the agent who handles the case before signing the entrustment."),
    Need.ITEMS: N_("Choose the approval items of the entrustment first."),
    Need.SCHEDULE: N_("Give every item a planned filing date before fixing the plan."),
    Need.ITEMS_CLOSED: N_("%(n)s item(s) are still open; a case completes when every item is closed."),
    Need.REASON: N_("Give the reason."),
    Need.MATERIALS_RETURNED: N_("Record that the materials were returned to the applicant."),
    Need.ARCHIVED: N_("Record that the case file was archived."),
    Need.EVALUATION: N_("Choose the applicant's evaluation."),
    Need.NOTE: N_("Write a note saying what is missing or why."),
    Need.PROMISED_DATE: N_("Acceptance with missing materials needs the date they are promised for."),
}


def find_transition(table: tuple[Transition, ...], state: str, action: str) -> Transition | None:
    return next((t for t in table if t.state == state and t.action == action), None)


def actions_for(table: tuple[Transition, ...], state: str, roles: set[str]) -> list[Transition]:
    """Transitions from `state` that a user with `roles` may take, in table order."""
    return [t for t in table if t.state == state and any(r.value in roles for r in t.roles)]


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


def _register_labels() -> None:
    from app.domain import enums

    enums.register_labels(_LABELS_EXTRA)


_register_labels()
