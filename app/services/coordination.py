"""会商联审: meetings of a level, their decisions tracked to closure, and the escalations that feed them.

Meetings, decisions and escalations move through the one engine (`app.services.engine`); their timeline
entries are keyed by subject, and a decision or escalation about a case also shows in the case's timeline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import xlsxwriter
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.domain.coordination import (
    ACTION_LABELS,
    DECISION_SHEET,
    DECISION_TRANSITIONS,
    ESCALATION_TRANSITIONS,
    NEED_CHECKS,
    REVIEW_SHEET,
    REVIEW_TRANSITIONS,
    ConvenedBy,
    DecisionState,
    EscalationState,
    ReviewKind,
    ReviewState,
)
from app.domain.engine import Step
from app.domain.enums import RoleName, Stage
from app.domain.errors import N_, Forbidden, NotFound, ValidationError
from app.domain.ledger import EXCEL_MAX_ROWS
from app.domain.lights import Light
from app.domain.urgency import decision_overdue
from app.extensions import db
from app.models import (
    Case,
    CaseItem,
    Decision,
    Department,
    Escalation,
    JointReview,
    ReviewParticipant,
    ReviewSubject,
    Staff,
)
from app.services import engine
from app.services.clock import today
from app.services.deadlines import Deadlines
from app.services.engine import check_date, check_version, committing, record_event, touch
from app.services.ledger import LedgerStats, SheetWriter, cell_formats
from app.services.scope import is_liaison_only, role_names, visible_region_ids
from app.services.uow import transaction


def _invalid(enum: Any) -> Any:
    return lambda action, state: engine.InvalidMove(action=ACTION_LABELS.get(action, action), state=enum(state).label)


def _convener(actor: Staff) -> None:
    """Supervisors and agents of a level convene its meetings (administrators may act for them)."""
    if not role_names(actor) & {RoleName.SUPERVISOR.value, RoleName.AGENT.value, RoleName.ADMIN.value}:
        raise Forbidden()


# --- loading in scope ---------------------------------------------------------------------------------


def load_review(review_id: int, actor: Staff) -> JointReview:
    review = db.session.get(JointReview, review_id)
    if review is None or review.region_id not in visible_region_ids(actor):
        raise NotFound()
    if is_liaison_only(actor) and actor.department_id not in {p.department_id for p in review.participants}:
        raise NotFound()  # a liaison sees the meetings their department took part in
    return review


@dataclass(frozen=True)
class MinutesCase:
    """One case a meeting dealt with, and the items of it named (none: the case as a whole)."""

    case: Case
    whole: bool
    items: tuple[str, ...]


@dataclass(frozen=True)
class MinutesSheet:
    """What the printed minutes say besides the text: who came, who did not, and the cases concerned."""

    review: JointReview
    attended: tuple[ReviewParticipant, ...]
    absent: tuple[ReviewParticipant, ...]
    unrecorded: tuple[ReviewParticipant, ...]
    cases: tuple[MinutesCase, ...]


def minutes_sheet(review_id: int, actor: Staff) -> MinutesSheet:
    """The meeting as its minutes print it: attendance split three ways and its subjects grouped by case."""
    review = load_review(review_id, actor)
    people = sorted(review.participants, key=lambda p: p.department.name)
    grouped: dict[int, tuple[Case, list[str]]] = {}
    whole: set[int] = set()
    for subject in sorted(review.subjects, key=lambda s: s.id):
        _, names = grouped.setdefault(subject.case_id, (subject.case, []))
        if subject.item is None:
            whole.add(subject.case_id)
        elif subject.item.name not in names:
            names.append(subject.item.name)
    return MinutesSheet(
        review,
        tuple(p for p in people if p.attended),
        tuple(p for p in people if p.attended is False),
        tuple(p for p in people if p.attended is None),
        tuple(MinutesCase(case, case.id in whole or not names, tuple(names)) for case, names in grouped.values()),
    )


def load_decision(decision_id: int, actor: Staff) -> Decision:
    decision = db.session.get(Decision, decision_id)
    if decision is None or decision.review.region_id not in visible_region_ids(actor):
        raise NotFound()
    if is_liaison_only(actor) and decision.department_id != actor.department_id:
        raise NotFound()
    return decision


def load_escalation(escalation_id: int, actor: Staff) -> Escalation:
    escalation = db.session.get(Escalation, escalation_id)
    if escalation is None or escalation.region_id not in visible_region_ids(actor) or is_liaison_only(actor):
        raise NotFound()
    return escalation


engine.register(
    engine.Machine(
        subject="review",
        labels=ACTION_LABELS,
        states=ReviewState,
        table=REVIEW_TRANSITIONS,
        load=load_review,
        need_checks=NEED_CHECKS,
        invalid=_invalid(ReviewState),
        earliest=lambda review: None,
        case_id=lambda review: None,
        related=lambda review, machine: (
            [e for e in review_escalations(review) if e.state == EscalationState.TAKEN.value]
            if machine == "escalation"
            else []
        ),
    )
)
engine.register(
    engine.Machine(
        subject="decision",
        labels=ACTION_LABELS,
        states=DecisionState,
        table=DECISION_TRANSITIONS,
        load=load_decision,
        need_checks=NEED_CHECKS,
        invalid=_invalid(DecisionState),
        earliest=lambda decision: decision.review.held_on,
        case_id=lambda decision: decision.case_id,
        item_id=lambda decision: decision.item_id,
    )
)
engine.register(
    engine.Machine(
        subject="escalation",
        labels=ACTION_LABELS,
        states=EscalationState,
        table=ESCALATION_TRANSITIONS,
        load=load_escalation,
        need_checks=NEED_CHECKS,
        invalid=_invalid(EscalationState),
        earliest=lambda escalation: escalation.raised_on,
        case_id=lambda escalation: escalation.case_id,
        item_id=lambda escalation: escalation.item_id,
    )
)


# --- meetings -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewPlan:
    """What a convener fills in to plan a meeting."""

    region_id: int
    held_on: dt.date
    topic: str
    kind: str = ReviewKind.JOINT_REVIEW.value
    convened_by: str = ConvenedBy.SERVICE_DEPT.value
    chair: str = ""
    stages: tuple[str, ...] = ()
    department_ids: tuple[int, ...] = ()
    case_ids: tuple[int, ...] = ()
    item_ids: tuple[int, ...] = ()
    escalation_ids: tuple[int, ...] = ()


def plan_review(plan: ReviewPlan, actor: Staff) -> JointReview:
    """A meeting in preparation: who is asked, which cases and items, which waiting escalations it takes up."""
    _convener(actor)
    if plan.region_id not in visible_region_ids(actor):
        raise NotFound()
    topic = (plan.topic or "").strip()
    if not topic:
        raise ValidationError(N_("Give the meeting's topic."))
    try:
        kind, convened_by = ReviewKind(plan.kind).value, ConvenedBy(plan.convened_by).value
        stages = [Stage(s).value for s in plan.stages]
    except ValueError:
        raise ValidationError(N_("Choose the kind, the convener and the stages from the lists.")) from None
    departments = list(
        db.session.scalars(
            select(Department).where(Department.id.in_(plan.department_ids), Department.region_id == plan.region_id)
        )
    )
    if len(departments) != len(set(plan.department_ids)) or not departments:
        raise ValidationError(N_("Choose the participating departments of this level."))
    items = list(db.session.scalars(select(CaseItem).where(CaseItem.id.in_(plan.item_ids))))
    case_ids = set(plan.case_ids) | {i.case_id for i in items}
    cases = list(db.session.scalars(select(Case).where(Case.id.in_(case_ids), Case.region_id == plan.region_id)))
    if len(cases) != len(case_ids):
        raise ValidationError(N_("A case chosen is not one of this level's cases."))
    escalations = [load_escalation(e, actor) for e in plan.escalation_ids]
    if any(e.state != EscalationState.WAITING.value or e.region_id != plan.region_id for e in escalations):
        raise ValidationError(N_("Only escalations of this level still waiting for a meeting can be taken up."))
    with transaction():
        review = JointReview(
            region_id=plan.region_id,
            kind=kind,
            held_on=plan.held_on,
            convened_by=convened_by,
            chair=plan.chair.strip()[:50],
            topic=topic[:300],
            stages=",".join(stages),
            state=ReviewState.PREPARING.value,
            created_by_id=actor.id,
        )
        touch(review, actor)
        db.session.add(review)
        db.session.flush()
        db.session.add_all(ReviewParticipant(review_id=review.id, department_id=d.id) for d in departments)
        item_cases = {i.case_id for i in items}
        db.session.add_all(ReviewSubject(review_id=review.id, case_id=i.case_id, item_id=i.id) for i in items)
        db.session.add_all(ReviewSubject(review_id=review.id, case_id=c.id) for c in cases if c.id not in item_cases)
        record_event("review", review.id, "plan_review", actor, on_date=today(), note=review.topic)
        for escalation in escalations:
            db.session.add(ReviewSubject(review_id=review.id, case_id=escalation.case_id, item_id=escalation.item_id))
        db.session.flush()
    for escalation in escalations:
        engine.move(
            "escalation", escalation.id, "take_up", actor, Step(today(), review.topic, {"review_id": review.id})
        )
    return review


def review_escalations(review: JointReview) -> list[Escalation]:
    """The escalations a meeting took up (taken, or given back when it was cancelled)."""
    return list(db.session.scalars(select(Escalation).where(Escalation.review_id == review.id)))


def reschedule_review(
    review_id: int,
    held_on: dt.date | None,
    topic: str,
    chair: str,
    department_ids: tuple[int, ...],
    actor: Staff,
    expected_version: int | None = None,
) -> JointReview:
    """A meeting in preparation moved to another day, retitled or with other departments asked."""
    _convener(actor)
    review = load_review(review_id, actor)
    check_version(review, expected_version)
    if review.state != ReviewState.PREPARING.value:
        raise ValidationError(N_("Only a meeting in preparation can be rescheduled."))
    if held_on is None:
        raise ValidationError(N_("Give the meeting's date."))
    topic = (topic or "").strip()
    if not topic:
        raise ValidationError(N_("Give the meeting's topic."))
    wanted = set(department_ids)
    departments = {
        d.id: d
        for d in db.session.scalars(
            select(Department).where(Department.id.in_(wanted), Department.region_id == review.region_id)
        )
    }
    if len(departments) != len(wanted) or not departments:
        raise ValidationError(N_("Choose the participating departments of this level."))
    dropped = [p for p in review.participants if p.department_id not in wanted]
    if any(p.attended is not None for p in dropped):
        raise ValidationError(N_("A department whose attendance is recorded stays on the meeting."))
    changes = []
    if held_on != review.held_on:
        changes.append(f"{review.held_on.isoformat()} → {held_on.isoformat()}")
    if topic[:300] != review.topic:
        changes.append(f"{review.topic} → {topic[:300]}")
    with committing(review):
        review.held_on, review.topic, review.chair = held_on, topic[:300], (chair or "").strip()[:50]
        # An invitation nobody answered yet is withdrawn outright; the timeline names who was dropped and added.
        present = {p.department_id for p in review.participants}
        added = sorted(wanted - present)
        for participant in dropped:
            changes.append(f"- {participant.department.name}")
            db.session.delete(participant)
        db.session.add_all(ReviewParticipant(review_id=review.id, department_id=d) for d in added)
        changes.extend(f"+ {departments[d].name}" for d in added)
        touch(review, actor)
        record_event("review", review.id, "reschedule", actor, on_date=today(), note="; ".join(changes))
    return review


def record_attendance(
    review_id: int, attendance: dict[int, tuple[bool, str]], actor: Staff, expected_version: int | None = None
) -> JointReview:
    """Which asked departments attended, and by whom (on or after the meeting's day)."""
    _convener(actor)
    review = load_review(review_id, actor)
    check_version(review, expected_version)
    if review.state not in (ReviewState.PREPARING.value, ReviewState.HELD.value):
        raise ValidationError(N_("The attendance of an issued or cancelled meeting cannot change."))
    if review.held_on > today():
        raise ValidationError(
            N_("The meeting is planned for %(day)s: its attendance is recorded on that day or after."),
            day=review.held_on.isoformat(),
        )
    with committing(review):
        for participant in review.participants:
            if participant.department_id in attendance:
                attended, attendee = attendance[participant.department_id]
                participant.attended, participant.attendee = attended, (attendee or "").strip()[:100]
        touch(review, actor)
        present = sum(1 for p in review.participants if p.attended)
        record_event(
            "review", review.id, "attendance", actor, on_date=today(), note=f"{present}/{len(review.participants)}"
        )
    return review


def write_minutes(review_id: int, minutes: str, actor: Staff, expected_version: int | None = None) -> JointReview:
    _convener(actor)
    review = load_review(review_id, actor)
    check_version(review, expected_version)
    if review.state != ReviewState.HELD.value:
        raise ValidationError(N_("Minutes are written for a meeting that was held and not yet issued."))
    with committing(review):
        review.minutes = (minutes or "").strip()[:20000]
        touch(review, actor)
        record_event("review", review.id, "minutes", actor, on_date=today())
    return review


def move_review(
    review_id: int, action: str, actor: Staff, on: dt.date | None = None, *, note: str = "", **kw: Any
) -> Any:
    return engine.move("review", review_id, action, actor, Step(on or today(), note), kw.get("expected_version"))


# --- decisions ------------------------------------------------------------------------------------------


def decide(
    review_id: int,
    text: str,
    department_id: int,
    actor: Staff,
    *,
    person: str = "",
    case_id: int | None = None,
    item_id: int | None = None,
    due_days: int | None = None,
    due_on: dt.date | None = None,
) -> Decision:
    """A decision of a held meeting: what, which department (and person), about what, by when."""
    _convener(actor)
    review = load_review(review_id, actor)
    if review.state != ReviewState.HELD.value:
        raise ValidationError(N_("Decisions are recorded for a meeting that was held and not yet issued."))
    text = (text or "").strip()
    if not text:
        raise ValidationError(N_("Write what was decided."))
    department = db.session.get(Department, department_id)
    if department is None or department.region_id != review.region_id:
        raise ValidationError(N_("Choose the responsible department of this level."))
    if (due_days is None) == (due_on is None):
        raise ValidationError(N_("Give the deadline either in working days from the meeting or as a date."))
    if due_days is not None and not 1 <= due_days <= 250:
        raise ValidationError(N_("A deadline in working days is between 1 and 250."))
    if due_on is not None and due_on < review.held_on:
        raise ValidationError(N_("The deadline cannot be before the meeting (%(day)s)."), day=str(review.held_on))
    subject_cases = {s.case_id for s in review.subjects}
    item = db.session.get(CaseItem, item_id) if item_id else None
    if item_id and (item is None or item.case_id not in subject_cases):
        raise ValidationError(N_("Link the decision to a case or item this meeting deals with."))
    case_id = item.case_id if item else case_id
    if case_id and case_id not in subject_cases:
        raise ValidationError(N_("Link the decision to a case or item this meeting deals with."))
    with committing(review):
        decision = Decision(
            review_id=review.id,
            text=text[:4000],
            department_id=department.id,
            person=(person or "").strip()[:50],
            case_id=case_id,
            item_id=item.id if item else None,
            due_days=due_days,
            due_on=due_on,
            state=DecisionState.OPEN.value,
        )
        touch(decision, actor)
        db.session.add(decision)
        db.session.flush()
        if due_days is not None:
            decision.due_on = Deadlines().decision_due(decision)
        record_event(
            "decision",
            decision.id,
            "decide",
            actor,
            case_id=case_id,
            item_id=decision.item_id,
            on_date=review.held_on,
            note=decision.text,
            to_state=decision.state,
        )
    return decision


def move_decision(
    decision_id: int, action: str, actor: Staff, on: dt.date | None = None, *, note: str = "", **kw: Any
) -> Any:
    return engine.move("decision", decision_id, action, actor, Step(on or today(), note), kw.get("expected_version"))


def department_decisions(actor: Staff) -> list[Decision]:
    """A liaison's open decisions: their department's, soonest deadline first."""
    if actor.department_id is None:
        return []
    query = (
        select(Decision)
        .join(JointReview, JointReview.id == Decision.review_id)
        .where(
            Decision.department_id == actor.department_id,
            Decision.state == DecisionState.OPEN.value,
            JointReview.region_id.in_(visible_region_ids(actor)),
        )
        .options(selectinload(Decision.review), selectinload(Decision.case), selectinload(Decision.item))
        .order_by(Decision.due_on.is_(None), Decision.due_on, Decision.id)
    )
    return list(db.session.scalars(query))


def decision_actions(decision: Decision, actor: Staff) -> list[Any]:
    """The steps a department's liaison (or a convener) is offered on a decision."""
    if is_liaison_only(actor) and decision.department_id != actor.department_id:
        return []
    return engine.offered("decision", decision, actor)


def review_actions(review: JointReview, actor: Staff) -> list[Any]:
    """The steps the convener is offered on a meeting (holding it only from its date on)."""
    return engine.offered("review", review, actor)


# --- escalation -------------------------------------------------------------------------------------------


ESCALATABLE_CASE_STATES = frozenset({"accepted", "entrusted", "planned", "in_progress"})


def can_escalate(case: Case, actor: Staff) -> bool:
    """Agents send up cases being handled (from acceptance until they close)."""
    return RoleName.AGENT.value in role_names(actor) and case.state in ESCALATABLE_CASE_STATES


def escalate(
    case_id: int, actor: Staff, reason: str, tried: str = "", item_id: int | None = None, on: dt.date | None = None
) -> Escalation:
    """An agent sends a stuck case or item up to the next joint review of the case's level."""
    from app.services.case_loading import case_for

    if RoleName.AGENT.value not in role_names(actor):
        raise Forbidden()
    case = case_for(case_id, actor)
    if case.state not in ESCALATABLE_CASE_STATES:
        raise ValidationError(N_("Only a case being handled can be escalated."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(N_("Give the reason."))
    item = db.session.get(CaseItem, item_id) if item_id else None
    if item_id and (item is None or item.case_id != case.id):
        raise NotFound()
    on = check_date(on or today(), not_before=case.applied_on)
    with transaction():
        escalation = Escalation(
            region_id=case.region_id,
            case_id=case.id,
            item_id=item.id if item else None,
            reason=reason[:4000],
            tried=(tried or "").strip()[:4000],
            state=EscalationState.WAITING.value,
            raised_on=on,
            created_by_id=actor.id,
        )
        touch(escalation, actor)
        db.session.add(escalation)
        db.session.flush()
        record_event(
            "escalation",
            escalation.id,
            "escalate",
            actor,
            case_id=case.id,
            item_id=escalation.item_id,
            to_state=escalation.state,
            on_date=on,
            note=reason,
        )
    return escalation


def waiting_escalations(actor: Staff) -> list[Escalation]:
    """Escalations waiting for a meeting in the convener's regions, oldest first."""
    _convener(actor)
    query = (
        select(Escalation)
        .where(Escalation.state == EscalationState.WAITING.value, Escalation.region_id.in_(visible_region_ids(actor)))
        .options(selectinload(Escalation.case), selectinload(Escalation.item))
        .order_by(Escalation.raised_on, Escalation.id)
    )
    return list(db.session.scalars(query))


# --- reading for a case page -------------------------------------------------------------------------------


@dataclass
class CaseCoordination:
    reviews: list[JointReview]
    decisions: list[Decision]
    escalations: list[Escalation]

    def open_decisions_of(self, item_id: int) -> list[Decision]:
        return [d for d in self.decisions if d.item_id == item_id and d.state == DecisionState.OPEN.value]


def for_case(case: Case, actor: Staff) -> CaseCoordination:
    """The meetings, decisions and escalations about a case the actor may already see."""
    reviews = list(
        db.session.scalars(
            select(JointReview)
            .join(ReviewSubject, ReviewSubject.review_id == JointReview.id)
            .where(ReviewSubject.case_id == case.id)
            .distinct()
            .order_by(JointReview.held_on)
        )
    )
    decisions = list(db.session.scalars(select(Decision).where(Decision.case_id == case.id).order_by(Decision.id)))
    if is_liaison_only(actor):
        # Like load_review: a liaison sees the meetings their department took part in.
        reviews = [r for r in reviews if actor.department_id in {p.department_id for p in r.participants}]
        decisions = [d for d in decisions if d.department_id == actor.department_id]
    escalations = (
        []
        if is_liaison_only(actor)
        else list(db.session.scalars(select(Escalation).where(Escalation.case_id == case.id).order_by(Escalation.id)))
    )
    return CaseCoordination(reviews, decisions, escalations)


# --- the 会商联审台账 -----------------------------------------------------------------------------------


def write_review_ledger(out: Any, actor: Staff, english: bool = False) -> LedgerStats:
    """The meetings of the actor's levels and every decision with its state, as an Excel ledger."""
    _convener(actor)
    regions = visible_region_ids(actor)
    labels = {
        "kind": {k.value: gettext(k.label) for k in ReviewKind},
        "convened_by": {c.value: gettext(c.label) for c in ConvenedBy},
        "review": {s.value: gettext(s.label) for s in ReviewState},
        "decision": {s.value: gettext(s.label) for s in DecisionState},
    }
    stats = LedgerStats()
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False, "strings_to_numbers": False})
    formats, headers = cell_formats(workbook)
    name = "Joint review ledger" if english else "会商联审台账"
    reviews = SheetWriter(workbook, REVIEW_SHEET, name, english, formats, headers, EXCEL_MAX_ROWS, stats)
    meetings = db.session.scalars(
        select(JointReview)
        .where(JointReview.region_id.in_(regions))
        .options(
            selectinload(JointReview.region),
            selectinload(JointReview.participants),
            selectinload(JointReview.decisions),
        )
        .order_by(JointReview.held_on, JointReview.id)
    )
    for review in meetings:
        reviews.append(
            (
                review.held_on,
                review.region.name,
                labels["kind"].get(review.kind, review.kind),
                review.topic,
                labels["convened_by"].get(review.convened_by, review.convened_by),
                review.chair,
                labels["review"].get(review.state, review.state),
                len(review.participants),
                sum(1 for p in review.participants if p.attended),
                len(review.decisions),
                sum(1 for d in review.decisions if d.state == DecisionState.OPEN.value),
            )
        )
    reviews.close()
    decisions = SheetWriter(workbook, DECISION_SHEET, name, english, formats, headers, EXCEL_MAX_ROWS, stats)
    rows = db.session.execute(
        select(Decision, JointReview.held_on, JointReview.topic, Department.name, Case.number)
        .join(JointReview, JointReview.id == Decision.review_id)
        .join(Department, Department.id == Decision.department_id)
        .outerjoin(Case, Case.id == Decision.case_id)
        .where(JointReview.region_id.in_(regions))
        .order_by(JointReview.held_on, Decision.id)
    )
    on = today()
    for decision, held_on, topic, department, number in rows:
        late = decision_overdue(decision.state, decision.due_on, on) is not None
        decisions.append(
            (
                held_on,
                topic,
                decision.text,
                department,
                decision.person,
                number or "",
                decision.due_on,
                labels["decision"].get(decision.state, decision.state),
                decision.closed_on,
                decision.close_note,
            ),
            Light.RED if late else None,
        )
    decisions.close()
    workbook.close()
    return stats
