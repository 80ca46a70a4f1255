"""The one state-machine engine: load in scope → check role, needs and guard → move → event → commit.

Every tracked record moves through `move`, along the rows of its machine (`app.domain.engine`). The
version check and the lost-race message live here once, for forms that were stale before they were
sent and for races lost at commit (`committing`). Automatic follow-up moves (rows whose actor is the
system) run in the same transaction and leave their own timeline entries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.orm.exc import StaleDataError

from app.domain.engine import SYSTEM, Context, Guard, Step, Transition, actions_for, find_transition, refusal
from app.domain.enums import LabelledEnum
from app.domain.errors import N_, DomainError, Forbidden, StaleRecord, ValidationError
from app.extensions import db
from app.models import CaseEvent, Staff
from app.models.org import now
from app.services.clock import local_time, today
from app.services.scope import role_names
from app.services.uow import transaction


class InvalidMove(ValidationError):
    template = N_("“%(action)s” is not possible while it is “%(state)s”.")


@dataclass(frozen=True)
class Machine:
    """How the engine reads one kind of record: its rows, loader, labels and timeline keys."""

    subject: str
    table: tuple[Transition, ...]
    load: Callable[[int, Staff], Any]  # in the actor's scope, or NotFound
    need_checks: dict[Any, Guard]
    invalid: Callable[[str, str], DomainError]  # (action, state) -> the refusal
    earliest: Callable[[Any], dt.date | None]  # a step may not be dated before this
    case_id: Callable[[Any], int | None]  # the case timeline the events belong to
    item_id: Callable[[Any], int | None] = lambda record: None
    related: Callable[[Any, str], list[Any]] = lambda record, machine: []
    context: Callable[[], Context] | None = None
    after: Callable[[Any, Context], None] | None = None  # derived fields kept in step with the state
    # The timeline's words for this kind: its steps, its states, and the steps it writes on a case's own timeline.
    labels: Mapping[str, str] = field(default_factory=dict)
    states: type[LabelledEnum] | None = None
    case_labels: Mapping[str, str] = field(default_factory=dict)


MACHINES: dict[str, Machine] = {}


def register(machine: Machine) -> Machine:
    MACHINES[machine.subject] = machine
    return machine


# --- versions and lost races -------------------------------------------------------------------------


def check_version(record: Any, expected_version: int | None) -> None:
    """A form carries the version it was drawn from; a newer one means someone else saved first."""
    if expected_version is not None and expected_version != record.version:
        raise stale(record)


def stale(record: Any) -> StaleRecord:
    db.session.refresh(record)
    who = record.updated_by.username if getattr(record, "updated_by", None) else "?"
    return StaleRecord(who=who, when=local_time(record.updated_at).strftime("%Y-%m-%d %H:%M:%S"))


@contextmanager
def committing(record: Any) -> Iterator[None]:
    """A transaction that turns a race lost at commit (another save in between) into StaleRecord."""
    try:
        with transaction():
            yield
    except StaleDataError:
        raise stale(record) from None


def touch(record: Any, actor: Staff | None) -> None:
    record.updated_by_id = actor.id if actor is not None else None
    record.updated_at = now()


# --- timeline ---------------------------------------------------------------------------------------------


def record_event(
    subject: str,
    subject_id: int,
    action: str,
    actor: Staff | None,
    *,
    case_id: int | None = None,
    item_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    on_date: dt.date | None = None,
    note: str = "",
) -> CaseEvent:
    """Add one immutable timeline entry about a subject (a case, an item, an enterprise…); None actor = system."""
    event = CaseEvent(
        subject_type=subject,
        subject_id=subject_id,
        case_id=case_id,
        item_id=item_id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        on_date=on_date,
        note=note,
        actor_id=actor.id if actor is not None else None,
        at=now(),
    )
    db.session.add(event)
    return event


# --- moving -----------------------------------------------------------------------------------------------


def check_date(on: dt.date, *, not_before: dt.date | None = None) -> dt.date:
    if on > today():
        raise ValidationError(N_("The date %(on)s lies in the future."), on=on.isoformat())
    if not_before is not None and on < not_before:
        raise ValidationError(
            N_("The date %(on)s is before %(before)s, the date of the previous step."),
            on=on.isoformat(),
            before=not_before.isoformat(),
        )
    return on


def transition_for(machine: Machine, record: Any, action: str, actor: Staff) -> Transition:
    """The row the actor may take, or the named refusal (unknown move, or not this role's)."""
    row = find_transition(machine.table, record.state, action, role_names(actor) - {SYSTEM})
    if row is not None:
        return row
    if find_transition(machine.table, record.state, action) is not None:
        raise Forbidden()
    raise machine.invalid(action, record.state)


def move(
    subject: str,
    record_id: int,
    action: str,
    actor: Staff,
    step: Step,
    expected_version: int | None = None,
) -> Any:
    """Take `action` on a record along its machine's rows; refuses with a named reason, changing nothing."""
    machine = MACHINES[subject]
    record = machine.load(record_id, actor)
    check_version(record, expected_version)
    row, step = _checked(machine, record, action, actor, step)
    with committing(record):
        apply(machine, record, row, step, actor)
    return record


def offered(
    subject: str, record: Any, actor: Staff, values: Mapping[str, Any] | None = None, on: dt.date | None = None
) -> list[Transition]:
    """The steps a page offers `actor` on `record`: the rows `move` would take now, the form's inputs aside."""
    machine = MACHINES[subject]
    step = Step(on or today(), "", values or {}, actor.id)
    return actions_for(machine.table, record.state, role_names(actor) - {SYSTEM}, record, step)


def take(subject: str, record: Any, action: str, actor: Staff, step: Step) -> None:
    """The same move as `move` on a record the caller loaded, inside the caller's open transaction (no commit)."""
    machine = MACHINES[subject]
    row, step = _checked(machine, record, action, actor, step)
    apply(machine, record, row, step, actor)


def _checked(machine: Machine, record: Any, action: str, actor: Staff, step: Step) -> tuple[Transition, Step]:
    """The row the actor may take and the step as recorded, or the named refusal."""
    row = transition_for(machine, record, action, actor)
    step = replace(step, note=(step.note or "").strip(), actor_id=actor.id)
    check_date(step.on, not_before=machine.earliest(record))
    problem = refusal(row, record, step, machine.need_checks)
    if problem is not None:
        raise problem
    return row, step


def apply(machine: Machine, record: Any, row: Transition, step: Step, actor: Staff | None) -> None:
    """Move one record along `row` (checks done), then the system's follow-up moves on related records."""
    context = machine.context() if machine.context else None
    before = record.state
    record.state = row.next_state
    if row.effect is not None:
        row.effect(record, step, context)  # type: ignore[arg-type]
    if machine.after is not None:
        machine.after(record, context)  # type: ignore[arg-type]
    touch(record, actor)
    db.session.flush()
    record_event(
        machine.subject,
        record.id,
        row.action,
        actor,
        case_id=machine.case_id(record),
        item_id=machine.item_id(record),
        from_state=before,
        to_state=record.state,
        on_date=step.on,
        note=step.note,
    )
    for follow in row.follows:
        target = MACHINES[follow.machine]
        for other in machine.related(record, follow.machine):
            automatic = find_transition(target.table, other.state, follow.action, {SYSTEM})
            if automatic is None:
                continue
            system_step = step.by_system(note=_follow_note(machine, record, step))
            if refusal(automatic, other, system_step, target.need_checks) is None:
                apply(target, other, automatic, system_step, None)


def _follow_note(machine: Machine, record: Any, step: Step) -> str:
    # The system's entry says what set it off: the item that moved, or the case's (meeting's) own reason.
    return step.note if machine.subject in ("case", "review") else str(getattr(record, "name", ""))
