"""Every date and count derived from the working-day calendar, computed here and recomputed when it changes.

Derived values: an item's due date (acceptance + limit + paused working days), each pause's length in
working days, a case's current agency-step limit and its estimated planned end. A value whose span runs
into a year nobody entered is pending (NULL, shown as such), never guessed. When the calendar changes
(a year entered, a day overridden) `recalculate` recomputes, in the caller's transaction, every stored
value whose span touches the changed days, and writes each change into the record's timeline.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from app.domain.coordination import DecisionState
from app.domain.errors import N_, Forbidden, NotFound, UnknownCalendarYear, ValidationError
from app.domain.urgency import DEFAULT_STEP_LIMITS
from app.domain.workdays import WorkCalendar
from app.domain.workflow import OPEN_CASE_VALUES, STEP_LIMIT_VALUES, CaseState, ItemState
from app.extensions import db
from app.models import Case, CaseItem, Decision, Evaluation, ItemPause, JointReview, Staff, StepLimit
from app.models.org import now
from app.services.clock import today
from app.services.engine import record_event
from app.services.scope import is_admin
from app.services.uow import transaction
from app.services.work_calendar import work_calendar


def step_limits() -> dict[str, int]:
    """Working days for the agency's own steps: the administrators' settings over the local defaults."""
    limits = {state.value: days for state, days in DEFAULT_STEP_LIMITS.items()}
    limits.update({row.state: row.working_days for row in db.session.scalars(select(StepLimit))})
    return limits


_STEP_START = {
    CaseState.SUBMITTED.value: "applied_on",
    CaseState.ACCEPTED.value: "accepted_on",
    CaseState.ENTRUSTED.value: "entrusted_on",
}


class Deadlines:
    """The calendar-derived values of cases and items, against one loaded calendar (the engine's Context)."""

    def __init__(self, calendar: WorkCalendar | None = None) -> None:
        self.calendar = calendar or work_calendar()
        self._limits: dict[str, int] | None = None

    def _add(self, start: dt.date, days: int) -> dt.date | None:
        try:
            return self.calendar.add_working_days(start, days)
        except UnknownCalendarYear:
            return None

    def due_date(self, item: CaseItem) -> dt.date | None:
        """Acceptance + limit + the working days the clock stood still; pending while a length is unknown."""
        if item.accepted_on is None or item.time_limit_days is None:
            return None
        pending = db.session.scalar(
            select(ItemPause.id).where(
                ItemPause.item_id == item.id, ItemPause.resumed_on.is_not(None), ItemPause.working_days.is_(None)
            )
        )
        if pending is not None:
            return None
        return self._add(item.accepted_on, item.time_limit_days + item.paused_days)

    def pause_length(self, pause: ItemPause) -> int | None:
        if pause.resumed_on is None:
            return None
        try:
            return self.calendar.working_days_between(pause.paused_on, pause.resumed_on)
        except UnknownCalendarYear:
            return None

    def open_pause(self, item: CaseItem, on: dt.date) -> None:
        db.session.add(ItemPause(item_id=item.id, reason=item.state, paused_on=on))

    def close_pause(self, item: CaseItem, on: dt.date) -> None:
        pause = db.session.scalar(select(ItemPause).where(ItemPause.item_id == item.id, ItemPause.resumed_on.is_(None)))
        if pause is None:
            pause = ItemPause(item_id=item.id, reason=item.state, paused_on=item.paused_since or on)
            db.session.add(pause)
        pause.resumed_on = on
        pause.working_days = self.pause_length(pause)
        db.session.flush()
        item.paused_days = self.paused_days(item)

    def used_days(self, item: CaseItem) -> int | None:
        """Working days from acceptance to closure less the paused days; None while open or unknown."""
        if item.accepted_on is None or item.closed_on is None:
            return None
        try:
            return max(self.calendar.working_days_between(item.accepted_on, item.closed_on) - item.paused_days, 0)
        except UnknownCalendarYear:
            return None

    def paused_days(self, item: CaseItem) -> int:
        """Working days of the item's ended pauses whose length is known."""
        lengths = db.session.scalars(
            select(ItemPause.working_days).where(ItemPause.item_id == item.id, ItemPause.working_days.is_not(None))
        )
        return sum(lengths)

    def estimated_end(self, case: Case) -> dt.date | None:
        """The latest planned filing date plus that item's limit; pending when the calendar cannot tell."""
        ends = []
        for item in case.items:
            if item.state == ItemState.WITHDRAWN.value or item.planned_filing_on is None:
                continue
            end = self._add(item.planned_filing_on, item.time_limit_days or 0)
            if end is None:
                return None
            ends.append(end)
        return max(ends) if ends else None

    def step_due(self, case: Case) -> dt.date | None:
        """The limit of the agency's own current step (accept, sign, plan), from the day that step began."""
        if case.state not in STEP_LIMIT_VALUES:
            return None
        if self._limits is None:
            self._limits = step_limits()
        start = getattr(case, _STEP_START[case.state])
        return self._add(start, self._limits[case.state]) if start else None

    def add_evaluation(self, case: Case, level: str, comments: str, on: dt.date, by: int | None) -> None:
        db.session.add(Evaluation(case_id=case.id, level=level, comments=comments, evaluated_on=on, recorded_by_id=by))

    def decision_due(self, decision: Decision) -> dt.date | None:
        """A decision due N working days after its meeting; a date given as such stays as given."""
        if decision.due_days is None:
            return decision.due_on
        return self._add(decision.review.held_on, decision.due_days)

    def keep_case(self, case: Case) -> None:
        """After a case moves: its agency-step limit follows its new state."""
        case.step_due_on = self.step_due(case)


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else "待定"


def recalculate(first: dt.date, last: dt.date, actor: Staff | None) -> int:
    """Recompute every stored date and count whose span touches [first, last]; returns how many records changed.

    Runs inside the caller's transaction (the calendar change and its consequences commit together).
    """
    db.session.flush()
    deadlines = Deadlines()
    changed = 0
    touching = or_(ItemPause.working_days.is_(None), ItemPause.resumed_on >= first)
    pauses = db.session.scalars(
        select(ItemPause).where(ItemPause.resumed_on.is_not(None), ItemPause.paused_on <= last, touching)
    )
    items_with_pauses: set[int] = set()
    for pause in pauses:
        length = deadlines.pause_length(pause)
        if length != pause.working_days:
            pause.working_days = length
            items_with_pauses.add(pause.item_id)
    db.session.flush()
    items = db.session.scalars(
        select(CaseItem)
        .where(
            or_(
                CaseItem.id.in_(items_with_pauses or {0}),
                and_(
                    CaseItem.accepted_on.is_not(None),
                    CaseItem.time_limit_days.is_not(None),
                    CaseItem.accepted_on <= last,
                    or_(CaseItem.due_on.is_(None), CaseItem.due_on >= first),
                ),
                and_(
                    CaseItem.accepted_on <= last,
                    CaseItem.closed_on >= first,
                ),
            )
        )
        .options(selectinload(CaseItem.case))
    )
    for item in items:
        notes = []
        paused = deadlines.paused_days(item)
        if paused != item.paused_days:
            notes.append(f"暂停工作日由 {item.paused_days} 改为 {paused}")
            item.paused_days = paused
        due = deadlines.due_date(item)
        if due != item.due_on:
            notes.append(f"办理期限由 {_date(item.due_on)} 改为 {_date(due)}")
            item.due_on = due
        used = deadlines.used_days(item)
        if used != item.used_days:
            if item.used_days is not None:
                notes.append(f"实际用时由 {item.used_days} 改为 {used if used is not None else '待定'} 个工作日")
            item.used_days = used
        if notes:
            changed += 1
            _log(item.case, item, "因工作日历调整，" + "；".join(notes), actor)
    cases = db.session.scalars(
        select(Case)
        .where(
            Case.state.in_(sorted(OPEN_CASE_VALUES)),
            or_(
                and_(
                    Case.state.in_(sorted(STEP_LIMIT_VALUES)),
                    or_(Case.step_due_on.is_(None), Case.step_due_on >= first),
                ),
                and_(Case.planned_end_estimated, or_(Case.planned_end.is_(None), Case.planned_end >= first)),
            ),
        )
        .options(selectinload(Case.items))
    )
    decisions = db.session.scalars(
        select(Decision)
        .join(JointReview, JointReview.id == Decision.review_id)
        .where(
            Decision.state == DecisionState.OPEN.value,
            Decision.due_days.is_not(None),
            JointReview.held_on <= last,
            or_(Decision.due_on.is_(None), Decision.due_on >= first),
        )
    )
    for decision in decisions:
        due = deadlines.decision_due(decision)
        if due != decision.due_on:
            note = f"因工作日历调整，议定事项期限由 {_date(decision.due_on)} 改为 {_date(due)}"
            decision.due_on = due
            record_event(
                "decision", decision.id, "recalculate", actor, case_id=decision.case_id, on_date=today(), note=note
            )
            changed += 1
    for case in cases:
        notes = []
        step_due = deadlines.step_due(case)
        if step_due != case.step_due_on:
            notes.append(f"代办环节时限由 {_date(case.step_due_on)} 改为 {_date(step_due)}")
            case.step_due_on = step_due
        if case.planned_end_estimated:
            end = deadlines.estimated_end(case)
            if end != case.planned_end:
                notes.append(f"计划办结日期由 {_date(case.planned_end)} 改为 {_date(end)}")
                case.planned_end = end
        if notes:
            changed += 1
            _log(case, None, "因工作日历调整，" + "；".join(notes), actor)
    return changed


def _log(case: Case, item: CaseItem | None, note: str, actor: Staff | None) -> None:
    subject, subject_id = ("item", item.id) if item is not None else ("case", case.id)
    record_event(
        subject,
        subject_id,
        "recalculate",
        actor,
        case_id=case.id,
        item_id=item.id if item is not None else None,
        on_date=today(),
        note=note,
    )


def fill_step_dues() -> int:
    """Store what is missing after an upgrade: open cases' agency-step limits, closed items' working days used."""
    deadlines = Deadlines()
    count = 0
    for item in db.session.scalars(
        select(CaseItem).where(
            CaseItem.closed_on.is_not(None), CaseItem.accepted_on.is_not(None), CaseItem.used_days.is_(None)
        )
    ):
        item.used_days = deadlines.used_days(item)
        count += item.used_days is not None
    for case in db.session.scalars(
        select(Case).where(Case.state.in_(sorted(STEP_LIMIT_VALUES)), Case.step_due_on.is_(None))
    ):
        case.step_due_on = deadlines.step_due(case)
        count += case.step_due_on is not None
    db.session.commit()
    return count


class StepLimitInvalid(ValidationError):
    template = N_("A step limit is a whole number of working days from 1 to 60.")


def set_step_limit(state: str, working_days: int, actor: Staff) -> int:
    """An administrator sets the working days of one agency step; open cases in it follow. Returns how many."""
    if not is_admin(actor):
        raise Forbidden()
    if state not in STEP_LIMIT_VALUES:
        raise NotFound()
    if not isinstance(working_days, int) or not 1 <= working_days <= 60:
        raise StepLimitInvalid()
    with transaction():
        row = db.session.get(StepLimit, state) or StepLimit(state=state)
        old = step_limits()[state]
        row.working_days = working_days
        row.updated_by_id = actor.id
        row.updated_at = now()
        db.session.add(row)
        db.session.flush()
        deadlines = Deadlines()
        changed = 0
        for case in db.session.scalars(select(Case).where(Case.state == state)):
            due = deadlines.step_due(case)
            if due != case.step_due_on:
                note = (
                    f"代办时限由 {old} 个工作日调整为 {working_days} 个，"
                    f"时限由 {_date(case.step_due_on)} 改为 {_date(due)}"
                )
                case.step_due_on = due
                _log(case, None, note, actor)
                changed += 1
    return changed
