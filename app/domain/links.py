"""纵向三级联动 as rows: a case linked to its counterpart at the service centre directly above or below.

A link between two cases of this system is a key to the other side's case, so it is given, not taken: an agent
*requests* it, naming the region directly above or below and the project; an agent or supervisor of that region
*accepts* it, choosing (or registering) their own counterpart case — only then is anything of it readable — or
refuses it. Which region pairs may link is decided here on plain values (a region's id and parent), as are the
link's moves; `app.services.links` loads, checks who stands on which side, and records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from app.domain.engine import Context, Guard, Step, Transition
from app.domain.enums import LabelledEnum, RoleName, register_labels
from app.domain.errors import N_, DomainError, ValidationError


class LinkState(LabelledEnum):
    REQUESTED = "requested"
    ACTIVE = "active"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    ENDED = "ended"


class Direction(LabelledEnum):
    UPPER = "upper"
    LOWER = "lower"

    @property
    def opposite(self) -> Direction:
        return Direction.LOWER if self is Direction.UPPER else Direction.UPPER


class Need(LabelledEnum):
    REASON = "reason"
    COUNTERPART = "counterpart"


# Agents request, withdraw and end links; agents and supervisors of the region asked answer; both read them.
LINK_KEEPERS = frozenset({RoleName.AGENT})
LINK_ANSWERERS = frozenset({RoleName.AGENT, RoleName.SUPERVISOR})
LINK_READERS = frozenset({RoleName.AGENT, RoleName.SUPERVISOR})
# Requests one case may have waiting at once: enough for the city and a banner or two, not a sweep.
MAX_OPEN_REQUESTS = 3
OPEN_LINK_VALUES = frozenset({LinkState.REQUESTED.value, LinkState.ACTIVE.value})


class NotLinkable(ValidationError):
    """One answer for a region that is not a neighbour, a case that does not exist, is closed or lies elsewhere.

    It says no more than the asker already knows, so that a refusal tells nothing about the other level's cases.
    """

    template = N_(
        "No link can be made that way: a link joins an open case with one open case of the city directly "
        "above or of a banner directly below."
    )


class AlreadyLinked(ValidationError):
    template = N_("Case %(number)s is already linked to this case.")


class AlreadyRequested(ValidationError):
    template = N_("A link request from this case to %(region)s is already waiting for an answer.")


class TooManyRequests(ValidationError):
    template = N_("This case already has %(limit)s link requests waiting: wait for an answer or withdraw one.")


@dataclass(frozen=True)
class RegionRef:
    """What the pairing rule needs of a region."""

    id: int
    parent_id: int | None
    name: str = ""


def pair_direction(own: RegionRef, other: RegionRef) -> Direction:
    """Where `other` sits seen from `own`: directly above (its parent) or directly below (a child); else refused."""
    if own.parent_id is not None and other.id == own.parent_id:
        return Direction.UPPER
    if other.parent_id is not None and other.parent_id == own.id and other.id != own.id:
        return Direction.LOWER
    raise NotLinkable()


def check_project_reference(reference: str | None) -> str:
    """The project as the other level knows it (its code or its name): required, since case numbers are not known."""
    reference = clean_text(reference, 200)
    if not reference:
        raise ValidationError(N_("Name the project as the other level knows it: its project code or its name."))
    return reference


def clean_text(value: str | None, limit: int) -> str:
    return (value or "").strip()[:limit]


def check_purpose(purpose: str) -> str:
    """Which approval is needed at the other level: required."""
    purpose = clean_text(purpose, 4000)
    if not purpose:
        raise ValidationError(N_("Say which approval is needed at the other level (the purpose of the link)."))
    return purpose


def check_external(party: str, reference: str, state: str) -> tuple[str, str, str]:
    """An outside party is named in full; its reference and state are optional text."""
    party = clean_text(party, 200)
    if not party:
        raise ValidationError(N_("Name the other party (e.g. the autonomous region's bureau)."))
    return party, clean_text(reference, 100), clean_text(state, 200)


def check_direction(value: str | None) -> Direction:
    try:
        return Direction(value or "")
    except ValueError:
        raise ValidationError(N_("Choose whether the other party is above or below this level.")) from None


class LinkContext(Context, Protocol):
    """What the link's effects ask of the service layer: an entry on the timeline of each linked case."""

    def note_on_cases(self, link: Any, action: str, step: Step) -> None: ...


NEED_CHECKS: dict[Any, Guard] = {
    Need.REASON: lambda link, step: None if step.note else ValidationError(N_("Give the reason.")),
    Need.COUNTERPART: lambda link, step: (
        None if step.get("counterpart_case_id") else ValidationError(N_("Choose your own counterpart case."))
    ),
}


def _accept(link: Any, step: Step, context: LinkContext) -> None:
    link.counterpart_case_id = step.get("counterpart_case_id")
    link.linked_on = step.on
    link.decided_on = step.on
    link.decided_by_id = step.actor_id
    link.answer = step.note[:4000]
    context.note_on_cases(link, "accept_link", step)


def _answer_no(case_action: str) -> Any:
    def answer(link: Any, step: Step, context: LinkContext) -> None:
        link.decided_on = step.on
        link.decided_by_id = step.actor_id
        link.answer = step.note[:4000]
        context.note_on_cases(link, case_action, step)

    answer.__name__ = f"note_{case_action}"
    return answer


def _end(link: Any, step: Step, context: LinkContext) -> None:
    link.ended_on = step.on
    link.end_reason = step.note[:4000]
    context.note_on_cases(link, "end_link", step)


# Who stands on which side is checked by the service (the requesting case's region withdraws and ends; the
# region asked accepts and refuses); the rows say which roles and what each move needs.
LINK_TRANSITIONS: tuple[Transition, ...] = (
    Transition(LinkState.REQUESTED, "accept", LinkState.ACTIVE, LINK_ANSWERERS, (Need.COUNTERPART,), effect=_accept),
    Transition(
        LinkState.REQUESTED,
        "refuse",
        LinkState.REFUSED,
        LINK_ANSWERERS,
        (Need.REASON,),
        effect=_answer_no("refuse_link"),
    ),
    Transition(LinkState.REQUESTED, "withdraw", LinkState.WITHDRAWN, LINK_KEEPERS, effect=_answer_no("withdraw_link")),
    Transition(LinkState.ACTIVE, "end", LinkState.ENDED, LINK_KEEPERS, (Need.REASON,), effect=_end),
)
# The side of the link each move is taken from (the others, ending, from either side).
REQUESTER_MOVES = frozenset({"withdraw"})
ANSWERER_MOVES = frozenset({"accept", "refuse"})

ACTION_LABELS: dict[str, str] = {
    "accept": N_("Accept the link"),
    "refuse": N_("Refuse the link"),
    "withdraw": N_("Withdraw the request"),
    "end": N_("End the link"),
    # Timeline entries (on the link and on each linked case).
    "request": N_("Cross-level link requested"),
    "link": N_("Cross-level link made"),
    "request_link": N_("Link to the other level requested"),
    "accept_link": N_("Cross-level link accepted"),
    "refuse_link": N_("Cross-level link refused"),
    "withdraw_link": N_("Link request withdrawn"),
    "link_case": N_("Linked to the other level"),
    "end_link": N_("Cross-level link ended"),
    "link_state": N_("Other party's state recorded"),
}


# The entries links leave on a case's timeline, for the case page's labels.
CASE_EVENT_ACTIONS = (
    "request_link",
    "accept_link",
    "refuse_link",
    "withdraw_link",
    "link_case",
    "end_link",
    "link_state",
)
CASE_EVENT_LABELS: dict[str, str] = {k: ACTION_LABELS[k] for k in CASE_EVENT_ACTIONS}


def invalid_move(action: str, state: str) -> DomainError:
    return ValidationError(
        N_("“%(action)s” is not possible while the link is “%(state)s”."),
        action=ACTION_LABELS.get(action, action),
        state=LinkState(state).label,
    )


register_labels(
    [
        (LinkState.REQUESTED, N_("Awaiting the other side")),
        (LinkState.ACTIVE, N_("Link active")),
        (LinkState.REFUSED, N_("Link refused")),
        (LinkState.WITHDRAWN, N_("Request withdrawn")),
        (LinkState.ENDED, N_("Link ended")),
        (Direction.UPPER, N_("Upper level")),
        (Direction.LOWER, N_("Lower level")),
        (Need.REASON, N_("reason")),
        (Need.COUNTERPART, N_("counterpart case")),
    ]
)
