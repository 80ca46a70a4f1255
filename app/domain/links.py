"""纵向三级联动 as rows: a case linked to its counterpart at the service centre directly above or below.

Which region pairs may link is decided here on plain values (a region's id and parent), as is the link's
one move (active → ended, by an agent of either side); `app.services.links` loads, checks and records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from app.domain.engine import Context, Guard, Step, Transition
from app.domain.enums import LabelledEnum, RoleName, register_labels
from app.domain.errors import N_, DomainError, ValidationError


class LinkState(LabelledEnum):
    ACTIVE = "active"
    ENDED = "ended"


class Direction(LabelledEnum):
    UPPER = "upper"
    LOWER = "lower"

    @property
    def opposite(self) -> Direction:
        return Direction.LOWER if self is Direction.UPPER else Direction.UPPER


class Need(LabelledEnum):
    REASON = "reason"


# Agents of either side end a link; supervisors read it.
LINK_KEEPERS = frozenset({RoleName.AGENT})
LINK_READERS = frozenset({RoleName.AGENT, RoleName.SUPERVISOR})


class PairRefused(ValidationError):
    """The two cases are not at neighbouring levels (city ↔ banner)."""


class AlreadyLinked(ValidationError):
    template = N_("Case %(number)s is already linked to this case.")


class NoSuchCase(ValidationError):
    template = N_("No case has the number “%(number)s”.")


@dataclass(frozen=True)
class RegionRef:
    """What the pairing rule needs of a region."""

    id: int
    parent_id: int | None
    name: str = ""


def pair_direction(own: RegionRef, other: RegionRef) -> Direction:
    """Where `other` sits seen from `own`: directly above (its parent) or directly below (a child); else refused."""
    if own.id == other.id:
        raise PairRefused(N_("Both cases are of %(region)s: a link joins two levels, not one."), region=own.name)
    if own.parent_id is not None and other.id == own.parent_id:
        return Direction.UPPER
    if other.parent_id is not None and other.parent_id == own.id:
        return Direction.LOWER
    raise PairRefused(
        N_(
            "%(other)s is not the level directly above or below %(own)s: a case links to the city above it "
            "or to a banner below it."
        ),
        other=other.name,
        own=own.name,
    )


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
}


def _end(link: Any, step: Step, context: LinkContext) -> None:
    link.ended_on = step.on
    link.end_reason = step.note[:4000]
    context.note_on_cases(link, "end_link", step)


LINK_TRANSITIONS: tuple[Transition, ...] = (
    Transition(LinkState.ACTIVE, "end", LinkState.ENDED, LINK_KEEPERS, (Need.REASON,), effect=_end),
)

ACTION_LABELS: dict[str, str] = {
    "end": N_("End the link"),
    # Timeline entries (on the link and on each linked case).
    "link": N_("Cross-level link made"),
    "link_case": N_("Linked to the other level"),
    "end_link": N_("Cross-level link ended"),
    "link_state": N_("Other party's state recorded"),
}


# The entries links leave on a case's timeline, for the case page's labels.
CASE_EVENT_LABELS: dict[str, str] = {k: ACTION_LABELS[k] for k in ("link_case", "end_link", "link_state")}


def invalid_move(action: str, state: str) -> DomainError:
    return ValidationError(
        N_("“%(action)s” is not possible while the link is “%(state)s”."),
        action=ACTION_LABELS.get(action, action),
        state=LinkState(state).label,
    )


register_labels(
    [
        (LinkState.ACTIVE, N_("Link active")),
        (LinkState.ENDED, N_("Link ended")),
        (Direction.UPPER, N_("Upper level")),
        (Direction.LOWER, N_("Lower level")),
        (Need.REASON, N_("reason")),
    ]
)
