"""典型案例: write-ups of cases drafted by agents and decided by the city service bureau.

Who sees a write-up: the staff of the case's region always; the city bureau's supervisors once it is
submitted; every agent and supervisor of the city once it is adopted (the 典型案例库). Moves go through the
one engine (`app.services.engine`); the write-up's timeline is keyed by subject "typical", and the case's
own timeline gets one line when its write-up is adopted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, false, func, or_, select, true

from app.domain.engine import Step, Transition
from app.domain.enums import RegionLevel, RoleName
from app.domain.errors import N_, Forbidden, NotFound, ValidationError
from app.domain.typical import (
    ACTION_LABELS,
    CASE_EVENT_LABELS,
    EDITABLE_STATES,
    ENDED_STATES,
    NEED_CHECKS,
    TYPICAL_TRANSITIONS,
    NotOwnRegion,
    TypicalState,
    clean_text,
    current_version,
)
from app.extensions import db
from app.models import Case, CaseEvent, Staff, TypicalCase, TypicalCaseVersion
from app.models.org import now
from app.services import engine
from app.services.clock import today
from app.services.engine import check_version, committing, record_event, touch
from app.services.scope import city_region_ids, is_admin, role_names, visible_region_ids
from app.services.uow import transaction

SUBJECT = "typical"
READERS = frozenset({RoleName.AGENT.value, RoleName.SUPERVISOR.value})


def _region_level(actor: Staff) -> str | None:
    return actor.region.level if actor.region is not None else None


def is_city_bureau(actor: Staff) -> bool:
    """A supervisor of the city level: the one who adopts or returns write-ups."""
    return RoleName.SUPERVISOR.value in role_names(actor) and _region_level(actor) == RegionLevel.CITY.value


# --- who sees what ----------------------------------------------------------------------------------------


def visible_clause(actor: Staff | None) -> Any:
    """SQL: the write-ups `actor` may see (own region's in any state, submitted to their bureau, adopted city-wide)."""
    if is_admin(actor):
        return true()
    if actor is None or actor.region_id is None or not role_names(actor) & READERS:
        return false()
    clauses = [
        TypicalCase.region_id == actor.region_id,
        and_(TypicalCase.state == TypicalState.ACCEPTED.value, TypicalCase.region_id.in_(city_region_ids(actor))),
    ]
    if is_city_bureau(actor):
        clauses.append(
            and_(
                TypicalCase.state == TypicalState.SUBMITTED.value,
                TypicalCase.region_id.in_(visible_region_ids(actor)),
            )
        )
    return or_(*clauses)


def load_writeup(typical_id: int, actor: Staff) -> TypicalCase:
    """A write-up in the actor's sight, or NotFound (never a hint that it exists elsewhere)."""
    record = db.session.scalar(select(TypicalCase).where(TypicalCase.id == typical_id, visible_clause(actor)))
    if record is None:
        raise NotFound()
    return record


def _invalid(action: str, state: str) -> engine.InvalidMove:
    return engine.InvalidMove(action=ACTION_LABELS.get(action, action), state=TypicalState(state).label)


def _case_line(record: TypicalCase, context: Any) -> None:
    """When a write-up is adopted, the case's own timeline says so."""
    if record.state == TypicalState.ACCEPTED.value:
        decider = db.session.get(Staff, record.decided_by_id) if record.decided_by_id else None
        record_event(
            "case",
            record.case_id,
            "typical_accepted",
            decider,
            case_id=record.case_id,
            on_date=record.decided_on,
            note=record.title,
        )


engine.register(
    engine.Machine(
        subject=SUBJECT,
        labels=ACTION_LABELS,
        states=TypicalState,
        case_labels=CASE_EVENT_LABELS,
        table=TYPICAL_TRANSITIONS,
        load=load_writeup,
        need_checks=NEED_CHECKS,
        invalid=_invalid,
        earliest=lambda record: record.submitted_on if record.state == TypicalState.SUBMITTED.value else None,
        case_id=lambda record: None,  # the write-up's steps stay on its own timeline (adoption: see _case_line)
        after=_case_line,
    )
)


# --- writing ----------------------------------------------------------------------------------------------


def _writer(actor: Staff, region_id: int) -> None:
    """Agents of the case's own region write its typical case."""
    if RoleName.AGENT.value not in role_names(actor):
        raise Forbidden()
    if actor.region_id != region_id:
        raise NotOwnRegion()


def open_writeup(case_id: int) -> TypicalCase | None:
    """The case's write-up that is not withdrawn, if any (a case has at most one at a time)."""
    return db.session.scalar(
        select(TypicalCase)
        .where(TypicalCase.case_id == case_id, TypicalCase.state.not_in(ENDED_STATES))
        .order_by(TypicalCase.id)
    )


def can_start(case: Case, actor: Staff) -> bool:
    """Whether `actor` may start a write-up of `case` now (an agent of its region, an accepted case, none open)."""
    return (
        RoleName.AGENT.value in role_names(actor)
        and actor.region_id == case.region_id
        and case.accepted_on is not None
        and open_writeup(case.id) is None
    )


def start_writeup(case_id: int, title: str, body: str, actor: Staff) -> TypicalCase:
    """A new write-up of a case, saved as a draft (version 1)."""
    from app.services.case_loading import case_for

    case = case_for(case_id, actor)
    _writer(actor, case.region_id)
    if case.accepted_on is None:
        raise ValidationError(N_("Only a case that was accepted can be written up as a typical case."))
    existing = open_writeup(case.id)
    if existing is not None:
        raise ValidationError(N_("This case already has a write-up: “%(title)s”."), title=existing.title)
    title, body = clean_text(title, body)
    with transaction():
        record = TypicalCase(
            region_id=case.region_id,
            case_id=case.id,
            title=title,
            state=TypicalState.DRAFT.value,
            current_version=1,
            created_by_id=actor.id,
            created_at=now(),
        )
        touch(record, actor)
        db.session.add(record)
        db.session.flush()
        db.session.add(
            TypicalCaseVersion(typical_case_id=record.id, number=1, title=title, body=body, written_by_id=actor.id)
        )
        record_event(SUBJECT, record.id, "start", actor, to_state=record.state, on_date=today(), note=title)
    return record


def save_writeup(
    typical_id: int, title: str, body: str, actor: Staff, expected_version: int | None = None
) -> TypicalCase:
    """Save the text: a draft rewrites its current version; a returned write-up is revised as a new version."""
    record = load_writeup(typical_id, actor)
    _writer(actor, record.region_id)
    check_version(record, expected_version)
    if record.state not in EDITABLE_STATES:
        raise ValidationError(N_("Only a draft or a returned write-up can be changed."))
    title, body = clean_text(title, body)
    version = current_version(record)
    with committing(record):
        if version is None or version.outcome:
            # The returned version stays as the city saw it; the revision is the next one.
            number = (version.number if version else 0) + 1
            db.session.add(
                TypicalCaseVersion(
                    typical_case_id=record.id, number=number, title=title, body=body, written_by_id=actor.id
                )
            )
            record.current_version, action = number, "revise"
        else:
            version.title, version.body, version.written_by_id, version.written_at = title, body, actor.id, now()
            action = "edit"
        record.title = title
        touch(record, actor)
        record_event(SUBJECT, record.id, action, actor, on_date=today(), note=f"v{record.current_version}")
    db.session.expire(record, ["versions"])
    return record


def move_writeup(
    typical_id: int,
    action: str,
    actor: Staff,
    on: dt.date | None = None,
    *,
    note: str = "",
    expected_version: int | None = None,
) -> TypicalCase:
    """Submit, adopt, return or withdraw a write-up (the rows of app.domain.typical say who and when)."""
    values = {"region_id": actor.region_id, "level": _region_level(actor)}
    record = engine.move(SUBJECT, typical_id, action, actor, Step(on or today(), note, values), expected_version)
    db.session.expire(record, ["versions"])
    return record


# --- reading ----------------------------------------------------------------------------------------------


def offered_actions(record: TypicalCase, actor: Staff) -> list[Transition]:
    """The steps `actor` is offered on `record`: the rows of their role whose region or level rule they meet."""
    return engine.offered(SUBJECT, record, actor, {"region_id": actor.region_id, "level": _region_level(actor)})


def can_edit(record: TypicalCase, actor: Staff) -> bool:
    return (
        record.state in EDITABLE_STATES
        and RoleName.AGENT.value in role_names(actor)
        and actor.region_id == record.region_id
    )


def timeline(record: TypicalCase) -> list[CaseEvent]:
    return list(
        db.session.scalars(
            select(CaseEvent)
            .where(CaseEvent.subject_type == SUBJECT, CaseEvent.subject_id == record.id)
            .order_by(CaseEvent.at, CaseEvent.id)
        )
    )


def waiting_count(actor: Staff) -> int:
    """How many submitted write-ups wait for the actor's decision (city bureau supervisors only)."""
    if not is_city_bureau(actor):
        return 0
    return db.session.scalar(
        select(func.count(TypicalCase.id)).where(
            TypicalCase.state == TypicalState.SUBMITTED.value, TypicalCase.region_id.in_(visible_region_ids(actor))
        )
    )


def adopted_years(actor: Staff) -> list[int]:
    """The years in which write-ups the actor may read were adopted, newest first."""
    days = db.session.scalars(
        select(TypicalCase.decided_on).where(TypicalCase.state == TypicalState.ACCEPTED.value, visible_clause(actor))
    )
    return sorted({d.year for d in days if d is not None}, reverse=True)


@dataclass
class CaseTypical:
    """The case page's panel: the case's write-ups the actor sees, and whether they may start one."""

    writeups: list[TypicalCase]
    can_start: bool

    @staticmethod
    def state_label(record: TypicalCase) -> str:
        return TypicalState(record.state).label


def for_case(case: Case, actor: Staff) -> CaseTypical:
    """The typical-case write-ups about a case, for the case page."""
    writeups = list(
        db.session.scalars(
            select(TypicalCase).where(TypicalCase.case_id == case.id, visible_clause(actor)).order_by(TypicalCase.id)
        )
    )
    return CaseTypical(writeups, can_start(case, actor))
