"""典型案例 as rows: a write-up of a case, drafted by an agent, decided by the city service bureau.

A write-up keeps every version of its text. While it is a draft the agent rewrites the current version;
once the city returns it, the returned version stays as it was (with the city's comment) and the
revision becomes the next version, which the agent submits again. `app.services.engine` moves them.
"""

from __future__ import annotations

from typing import Any

from app.domain.engine import Context, Guard, Step, Transition
from app.domain.enums import LabelledEnum, RegionLevel, RoleName, register_labels
from app.domain.errors import N_, DomainError, Forbidden, ValidationError

TITLE_MAX = 200
BODY_MAX = 20000


class TypicalState(LabelledEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"


# States in which the write-up's own agents may still change its text.
EDITABLE_STATES = frozenset({TypicalState.DRAFT.value, TypicalState.RETURNED.value})
# States that no longer count as the case's write-up (a new one may be started).
ENDED_STATES = frozenset({TypicalState.WITHDRAWN.value})

WRITERS = frozenset({RoleName.AGENT})
DECIDERS = frozenset({RoleName.SUPERVISOR})


class Need(LabelledEnum):
    TEXT = "text"
    REVISED = "revised"
    COMMENT = "comment"
    REASON = "reason"


NEED_MESSAGES = {
    Need.TEXT: N_("Give the write-up a title and a text before submitting it."),
    Need.REVISED: N_("Revise the returned write-up before submitting it again."),
    Need.COMMENT: N_("Say why the write-up is returned and what to change (a comment)."),
    Need.REASON: N_("Give the reason."),
}


class NotCityBureau(Forbidden):
    template = N_("Only the city service bureau decides on typical cases.")


class NotOwnRegion(Forbidden):
    template = N_("Only agents of the case's region write and submit its typical case.")


def current_version(record: Any) -> Any:
    """The version of the text the write-up stands at (its highest number)."""
    return next((v for v in record.versions if v.number == record.current_version), None)


def clean_text(title: str | None, body: str | None) -> tuple[str, str]:
    """The title and text as they will be kept; refuses an empty or over-long one."""
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        raise ValidationError(N_("Give the write-up a title."))
    if len(title) > TITLE_MAX:
        raise ValidationError(N_("The title is longer than %(n)s characters."), n=TITLE_MAX)
    if not body:
        raise ValidationError(N_("Write the text of the write-up (background, difficulty, solution, effect)."))
    if len(body) > BODY_MAX:
        raise ValidationError(N_("The text is longer than %(n)s characters."), n=BODY_MAX)
    return title, body


def _has_text(record: Any, step: Step) -> DomainError | None:
    version = current_version(record)
    if version is None or not (version.title or "").strip() or not (version.body or "").strip():
        return ValidationError(NEED_MESSAGES[Need.TEXT])
    return None


def _revised(record: Any, step: Step) -> DomainError | None:
    version = current_version(record)
    return ValidationError(NEED_MESSAGES[Need.REVISED]) if version is None or version.outcome else None


NEED_CHECKS: dict[Any, Guard] = {
    Need.TEXT: _has_text,
    Need.REVISED: _revised,
    Need.COMMENT: lambda record, step: None if step.note else ValidationError(NEED_MESSAGES[Need.COMMENT]),
    Need.REASON: lambda record, step: None if step.note else ValidationError(NEED_MESSAGES[Need.REASON]),
}


def own_region(record: Any, step: Step) -> DomainError | None:
    """The writer acts for the case's own region (the service passes the actor's region as `region_id`)."""
    return None if step.get("region_id") == record.region_id else NotOwnRegion()


def city_bureau(record: Any, step: Step) -> DomainError | None:
    """The decider sits at the city level (the service passes the actor's region level as `level`)."""
    return None if step.get("level") == RegionLevel.CITY.value else NotCityBureau()


def _submitted(record: Any, step: Step, context: Context) -> None:
    record.submitted_on = step.on
    record.decided_on, record.decided_by_id, record.review_comment = None, None, ""


def _decided(outcome: str) -> Any:
    def decide(record: Any, step: Step, context: Context) -> None:
        record.decided_on, record.decided_by_id, record.review_comment = step.on, step.actor_id, step.note[:4000]
        version = current_version(record)
        if version is not None:
            version.outcome, version.comment = outcome, step.note[:4000]

    decide.__name__ = f"_decided_{outcome}"
    return decide


TYPICAL_TRANSITIONS: tuple[Transition, ...] = (
    Transition(TypicalState.DRAFT, "submit", TypicalState.SUBMITTED, WRITERS, (Need.TEXT,), own_region, _submitted),
    Transition(
        TypicalState.RETURNED,
        "submit",
        TypicalState.SUBMITTED,
        WRITERS,
        (Need.REVISED, Need.TEXT),
        own_region,
        _submitted,
    ),
    Transition(
        TypicalState.SUBMITTED,
        "accept",
        TypicalState.ACCEPTED,
        DECIDERS,
        guard=city_bureau,
        effect=_decided(TypicalState.ACCEPTED.value),
    ),
    Transition(
        TypicalState.SUBMITTED,
        "return",
        TypicalState.RETURNED,
        DECIDERS,
        (Need.COMMENT,),
        city_bureau,
        _decided(TypicalState.RETURNED.value),
    ),
    *(
        Transition(state, "withdraw", TypicalState.WITHDRAWN, WRITERS, (Need.REASON,), own_region)
        for state in (TypicalState.DRAFT, TypicalState.RETURNED)
    ),
)

ACTION_LABELS: dict[str, str] = {
    "submit": N_("Submit to the city bureau"),
    "accept": N_("Adopt as a typical case"),
    "return": N_("Return for revision"),
    "withdraw": N_("Withdraw the write-up"),
    # Timeline entries that are not state moves.
    "start": N_("Write-up started"),
    "edit": N_("Draft saved"),
    "revise": N_("Revised as a new version"),
}

# The line a case's own timeline shows when its write-up is accepted (its key is unique to this module).
CASE_EVENT_LABELS: dict[str, str] = {"typical_accepted": N_("Write-up adopted as a typical case")}

register_labels(
    [
        (TypicalState.DRAFT, N_("Draft")),
        (TypicalState.SUBMITTED, N_("Submitted to the city")),
        (TypicalState.ACCEPTED, N_("Adopted")),
        (TypicalState.RETURNED, N_("Returned")),
        (TypicalState.WITHDRAWN, N_("Withdrawn")),
        (Need.TEXT, N_("title and text")),
        (Need.REVISED, N_("a revision")),
        (Need.COMMENT, N_("comment")),
        (Need.REASON, N_("reason")),
    ]
)
