"""Training plans (培训计划): plans per year and level, their sessions, attendance, hours and the 培训台账.

Row scope as everywhere (`app.services.scope`): staff see their own region's plans, a city supervisor the
city and its banners, admins all. Supervisors and agents keep the plans; everyone sees their own hours.
Nothing is deleted: a plan is corrected, a session's attendance is re-recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, BinaryIO

import xlsxwriter
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from app.domain.enums import RoleName
from app.domain.errors import N_, Forbidden, NotFound, ValidationError
from app.domain.ledger import EXCEL_MAX_ROWS
from app.domain.training import (
    ATTENDANCE,
    FIRST_YEAR,
    HOURS,
    LAST_YEAR,
    MAX_PLAN_HOURS,
    MAX_SESSION_HOURS,
    PLANS,
    SESSIONS,
    STATUS_VALUES,
    AttendanceStatus,
)
from app.extensions import db
from app.models import Department, Region, Staff
from app.models.org import now
from app.models.training import TrainingAttendance, TrainingPlan, TrainingSession
from app.services.clock import today
from app.services.engine import record_event
from app.services.ledger import LedgerStats, SheetWriter, cell_formats
from app.services.scope import role_names, visible_region_ids
from app.services.seeding import SERVICE_LEVELS
from app.services.uow import transaction

SUBJECT = "training_plan"  # timeline key of a plan; its sessions and attendance are entries of it
MANAGERS = frozenset({RoleName.ADMIN.value, RoleName.SUPERVISOR.value, RoleName.AGENT.value})
PLAN_FIELDS = ("year", "title", "starts_on", "ends_on", "organiser", "audience", "hours", "content", "trainer")
_TEXT_LIMITS = {"title": 200, "organiser": 100, "audience": 200, "trainer": 100, "content": 4000}


class AttendanceRefused(ValidationError):
    """An attendance form named a status or a person the session cannot take; nothing was recorded."""

    template = N_("Attendance was not recorded: %(problem)s")


def can_manage(actor: Staff | None) -> bool:
    """Supervisors and agents (and admins) keep training plans; other staff only see their own hours."""
    return bool(role_names(actor) & MANAGERS)


def _require_manager(actor: Staff) -> None:
    if not can_manage(actor):
        raise Forbidden()


# --- plans ------------------------------------------------------------------------------------------------


def plan_regions(actor: Staff) -> list[Region]:
    """The service levels (city, banners, zones) in the actor's scope a plan may belong to."""
    return list(
        db.session.scalars(
            select(Region)
            .where(
                Region.id.in_(visible_region_ids(actor)),
                Region.level.in_(SERVICE_LEVELS),
                Region.active.is_(True),
            )
            .order_by(Region.code)
        )
    )


def _clean_plan(values: Mapping[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for key, limit in _TEXT_LIMITS.items():
        text = str(values.get(key) or "").strip()
        if len(text) > limit:
            raise ValidationError(N_("%(field)s is longer than %(n)s characters."), field=key, n=limit)
        cleaned[key] = text
    if not cleaned["title"]:
        raise ValidationError(N_("The title is required."))
    try:
        year = int(values.get("year"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationError(N_("The year is required.")) from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError(N_("The year %(year)s is not valid."), year=year)
    cleaned["year"] = year
    starts, ends = values.get("starts_on"), values.get("ends_on")
    for day in (starts, ends):
        if day is not None and day.year != year:
            raise ValidationError(N_("The dates of a plan lie in its year (%(year)s)."), year=year)
    if starts is not None and ends is not None and ends < starts:
        raise ValidationError(N_("The end date is before the start date."))
    cleaned["starts_on"], cleaned["ends_on"] = starts, ends
    cleaned["hours"] = _hours(values.get("hours"), MAX_PLAN_HOURS, required=False)
    return cleaned


def _hours(raw: Any, limit: Decimal, *, required: bool) -> Decimal | None:
    if raw in (None, ""):
        if required:
            raise ValidationError(N_("The hours are required."))
        return None
    try:
        hours = Decimal(str(raw)).quantize(Decimal("0.1"))
    except InvalidOperation:
        raise ValidationError(N_("The hours must be a number.")) from None
    if not Decimal("0") < hours <= limit:
        raise ValidationError(N_("The hours must be more than 0 and at most %(n)s."), n=str(limit))
    return hours


def create_plan(region_id: int, values: Mapping[str, Any], actor: Staff) -> TrainingPlan:
    """A new training plan of one level (the region) for a year."""
    _require_manager(actor)
    if region_id not in {r.id for r in plan_regions(actor)}:
        raise NotFound()
    cleaned = _clean_plan(values)
    with transaction():
        plan = TrainingPlan(region_id=region_id, created_by_id=actor.id, created_at=now(), **cleaned)
        db.session.add(plan)
        db.session.flush()
        record_event(SUBJECT, plan.id, "created", actor, note=f"{plan.year} {plan.title}")
    return plan


def update_plan(plan_id: int, values: Mapping[str, Any], actor: Staff) -> TrainingPlan:
    """Correct a plan; the changed fields go to its timeline."""
    _require_manager(actor)
    plan = plan_in_scope(plan_id, actor)
    cleaned = _clean_plan(values)
    if plan.sessions and any(s.held_on.year != cleaned["year"] for s in plan.sessions):
        raise ValidationError(N_("The plan has sessions in %(year)s: its year cannot change."), year=plan.year)
    with transaction():
        changes = []
        for key in PLAN_FIELDS:
            old, new = getattr(plan, key), cleaned[key]
            if (str(old) if old is not None else "") != (str(new) if new is not None else ""):
                changes.append(
                    f"{key}: {old if old not in (None, '') else '—'} → {new if new not in (None, '') else '—'}"
                )
                setattr(plan, key, new)
        if changes:
            record_event(SUBJECT, plan.id, "edit", actor, note="; ".join(changes)[:4000])
    return plan


def plan_in_scope(plan_id: int, actor: Staff) -> TrainingPlan:
    plan = db.session.get(TrainingPlan, plan_id)
    if plan is None or plan.region_id not in visible_region_ids(actor) or not can_manage(actor):
        raise NotFound()
    return plan


def add_session(plan_id: int, held_on: dt.date | None, hours: Any, topic: str, actor: Staff) -> TrainingSession:
    """A session of a plan, dated in the plan's year (and within its dates, when the plan has them)."""
    _require_manager(actor)
    plan = plan_in_scope(plan_id, actor)
    if held_on is None:
        raise ValidationError(N_("The date is required."))
    if held_on.year != plan.year:
        raise ValidationError(N_("The dates of a plan lie in its year (%(year)s)."), year=plan.year)
    if (plan.starts_on and held_on < plan.starts_on) or (plan.ends_on and held_on > plan.ends_on):
        raise ValidationError(
            N_("The session lies outside the plan's dates (%(start)s – %(end)s)."),
            start=plan.starts_on.isoformat() if plan.starts_on else "…",
            end=plan.ends_on.isoformat() if plan.ends_on else "…",
        )
    session_hours = _hours(hours, MAX_SESSION_HOURS, required=True)
    topic = (topic or "").strip()
    if len(topic) > 200:
        raise ValidationError(N_("%(field)s is longer than %(n)s characters."), field="topic", n=200)
    with transaction():
        session = TrainingSession(plan_id=plan.id, held_on=held_on, hours=session_hours, topic=topic)
        db.session.add(session)
        db.session.flush()
        record_event(
            SUBJECT,
            plan.id,
            "session",
            actor,
            on_date=held_on,
            note=f"{held_on.isoformat()} {topic} ({session_hours.normalize():f} h)".replace("  ", " "),
        )
    return session


def session_in_scope(session_id: int, actor: Staff) -> TrainingSession:
    session = db.session.get(TrainingSession, session_id)
    if session is None:
        raise NotFound()
    plan_in_scope(session.plan_id, actor)
    return session


def history(plan_id: int, actor: Staff) -> list[Any]:
    """The plan's timeline: created, corrected, sessions added, attendance recorded."""
    from app.models import CaseEvent

    plan_in_scope(plan_id, actor)
    return list(
        db.session.scalars(
            select(CaseEvent)
            .options(selectinload(CaseEvent.actor))
            .where(CaseEvent.subject_type == SUBJECT, CaseEvent.subject_id == plan_id)
            .order_by(CaseEvent.at, CaseEvent.id)
        )
    )


@dataclass(frozen=True)
class SessionCounts:
    present: int
    absent: int
    excused: int


def session_counts(plan_id: int) -> dict[int, SessionCounts]:
    """Per session of a plan, how many were present, absent and excused (one grouped query)."""
    rows = db.session.execute(
        select(TrainingAttendance.session_id, TrainingAttendance.status, func.count(TrainingAttendance.id))
        .join(TrainingSession, TrainingSession.id == TrainingAttendance.session_id)
        .where(TrainingSession.plan_id == plan_id)
        .group_by(TrainingAttendance.session_id, TrainingAttendance.status)
    ).all()
    by_session: dict[int, dict[str, int]] = {}
    for session_id, status, n in rows:
        by_session.setdefault(session_id, {})[status] = n
    return {
        sid: SessionCounts(c.get("present", 0), c.get("absent", 0), c.get("excused", 0))
        for sid, c in by_session.items()
    }


# --- attendance ---------------------------------------------------------------------------------------------


def region_staff(region_id: int) -> list[Staff]:
    """The active staff of one region, the people a training of that level is for."""
    return list(
        db.session.scalars(
            select(Staff)
            .options(selectinload(Staff.department), selectinload(Staff.roles))
            .where(Staff.region_id == region_id, Staff.active.is_(True))
            .order_by(Staff.department_id.is_(None).desc(), Staff.department_id, Staff.username)
        )
    )


def staff_count(region_id: int) -> int:
    """How many active staff a region has (the people its trainings' attendance covers)."""
    return (
        db.session.scalar(select(func.count(Staff.id)).where(Staff.region_id == region_id, Staff.active.is_(True))) or 0
    )


def attendance_sheet(session_id: int, actor: Staff) -> tuple[TrainingSession, list[tuple[Staff, str | None]]]:
    """A session and each staff member of its region with their recorded status (None: not recorded yet)."""
    session = session_in_scope(session_id, actor)
    recorded = dict(
        db.session.execute(
            select(TrainingAttendance.staff_id, TrainingAttendance.status).where(
                TrainingAttendance.session_id == session.id
            )
        ).all()
    )
    return session, [(person, recorded.get(person.id)) for person in region_staff(session.plan.region_id)]


def record_attendance(session_id: int, statuses: Mapping[int, str], actor: Staff) -> int:
    """Record (or correct) each named person's status for a session in one go; returns how many changed.

    Every line is checked before anything is written: a bad status, or a person who is not active staff
    of the plan's region, refuses the whole form.
    """
    _require_manager(actor)
    session = session_in_scope(session_id, actor)
    if session.held_on > today():
        raise ValidationError(
            N_("The session is on %(day)s: its attendance is recorded on that day or after."),
            day=session.held_on.isoformat(),
        )
    bad = sorted({s for s in statuses.values() if s not in STATUS_VALUES})
    if bad:
        raise AttendanceRefused(problem=N_("unknown status"))
    allowed = {person.id for person in region_staff(session.plan.region_id)}
    if any(staff_id not in allowed for staff_id in statuses):
        raise AttendanceRefused(problem=N_("a person who is not staff of the plan's region"))
    existing = {
        row.staff_id: row
        for row in db.session.scalars(
            select(TrainingAttendance).where(
                TrainingAttendance.session_id == session.id, TrainingAttendance.staff_id.in_(list(statuses))
            )
        )
    }
    changed = 0
    with transaction():
        for staff_id, status in statuses.items():
            row = existing.get(staff_id)
            if row is None:
                db.session.add(
                    TrainingAttendance(session_id=session.id, staff_id=staff_id, status=status, recorded_at=now())
                )
            elif row.status != status:
                row.status, row.recorded_at = status, now()
            else:
                continue
            changed += 1
        if changed:
            counts = {s: list(statuses.values()).count(s.value) for s in AttendanceStatus}
            note = f"{session.held_on.isoformat()} {session.topic}: " + ", ".join(
                f"{status.value} {n}" for status, n in counts.items()
            )
            record_event(SUBJECT, session.plan_id, "attendance", actor, on_date=session.held_on, note=note)
    return changed


# --- hours ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonHours:
    staff_id: int
    name: str
    region: str
    department: str
    sessions: int
    hours: Decimal


def _present_hours(year: int) -> Any:
    """Per staff member, sessions attended and hours (present only) in plans of the year, summed in SQL."""
    return (
        select(
            TrainingAttendance.staff_id.label("staff_id"),
            func.count(TrainingAttendance.id).label("sessions"),
            func.sum(TrainingSession.hours).label("hours"),
        )
        .join(TrainingSession, TrainingSession.id == TrainingAttendance.session_id)
        .join(TrainingPlan, TrainingPlan.id == TrainingSession.plan_id)
        .where(TrainingPlan.year == year, TrainingAttendance.status == AttendanceStatus.PRESENT.value)
        .group_by(TrainingAttendance.staff_id)
        .subquery()
    )


def hours_by_person(year: int, actor: Staff, region_id: int | None = None) -> list[PersonHours]:
    """Hours per person for a year, zero included: managers see the staff of their scope (or of one region
    in it), anyone else only themselves."""
    present = _present_hours(year)
    query = (
        select(
            Staff.id,
            Staff.first_name,
            Staff.last_name,
            Region.name,
            Department.name,
            func.coalesce(present.c.sessions, 0),
            func.coalesce(present.c.hours, 0),
        )
        .join(Region, Region.id == Staff.region_id)
        .outerjoin(Department, Department.id == Staff.department_id)
        .outerjoin(present, present.c.staff_id == Staff.id)
        .where(Staff.active.is_(True))
        .order_by(Region.code, Department.name.is_(None).desc(), Department.name, Staff.username)
    )
    if can_manage(actor):
        regions = visible_region_ids(actor)
        if region_id is not None:
            regions = [region_id] if region_id in regions else []
        query = query.where(Staff.region_id.in_(regions))
    else:
        query = query.where(Staff.id == actor.id)
    return [
        PersonHours(sid, (first or "") + (last or ""), region, department or "", int(n), Decimal(str(hours)))
        for sid, first, last, region, department, n, hours in db.session.execute(query)
    ]


def untrained_staff(year: int, actor: Staff, region_id: int | None = None) -> list[PersonHours]:
    """The staff (in the actor's scope, or of one region in it) who attended no session in the year."""
    return [row for row in hours_by_person(year, actor, region_id) if row.sessions == 0]


def my_sessions(year: int, actor: Staff) -> list[tuple[TrainingSession, str]]:
    """The sessions of the year the actor's attendance was recorded for, with their status."""
    rows = db.session.execute(
        select(TrainingSession, TrainingAttendance.status)
        .join(TrainingAttendance, TrainingAttendance.session_id == TrainingSession.id)
        .join(TrainingPlan, TrainingPlan.id == TrainingSession.plan_id)
        .options(selectinload(TrainingSession.plan))
        .where(TrainingPlan.year == year, TrainingAttendance.staff_id == actor.id)
        .order_by(TrainingSession.held_on)
    ).all()
    return [(session, status) for session, status in rows]


# --- the training ledger (培训台账) ---------------------------------------------------------------------------


def write_training_ledger(
    out: str | BinaryIO, year: int, actor: Staff, labels: Mapping[str, str], english: bool = False
) -> LedgerStats:
    """The 培训台账 of a year in the actor's scope: plans, sessions, attendance and hours per person.

    Written with the work ledger's sheet writer (title, two-level header, print layout, text never a formula).
    `labels` translates the attendance statuses and 是 for the untrained flag.
    """
    _require_manager(actor)
    regions = visible_region_ids(actor)
    stats = LedgerStats()
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False, "strings_to_numbers": False})
    formats, headers = cell_formats(workbook)
    name = "Training ledger" if english else "培训台账"

    def sheet(spec: Any) -> SheetWriter:
        title = f"{year} {name} · {spec.en if english else spec.zh}"
        return SheetWriter(workbook, spec, title, english, formats, headers, EXCEL_MAX_ROWS, stats)

    plans = sheet(PLANS)
    held = (
        select(
            TrainingSession.plan_id,
            func.count(TrainingSession.id).label("n"),
            func.sum(TrainingSession.hours).label("hours"),
        )
        .group_by(TrainingSession.plan_id)
        .subquery()
    )
    for row in db.session.execute(
        select(TrainingPlan, Region.name, held.c.n, held.c.hours)
        .join(Region, Region.id == TrainingPlan.region_id)
        .outerjoin(held, held.c.plan_id == TrainingPlan.id)
        .where(TrainingPlan.year == year, TrainingPlan.region_id.in_(regions))
        .order_by(Region.code, TrainingPlan.starts_on, TrainingPlan.id)
    ):
        plan, region, n, hours = row
        plans.append(
            (
                region,
                plan.year,
                plan.title,
                plan.starts_on,
                plan.ends_on,
                plan.organiser,
                plan.audience,
                plan.trainer,
                float(plan.hours) if plan.hours is not None else None,
                int(n or 0),
                float(hours) if hours is not None else None,
                plan.content,
            )
        )
    plans.close()

    sessions = sheet(SESSIONS)
    present, absent, excused = (
        func.sum(case((TrainingAttendance.status == status.value, 1), else_=0)) for status in AttendanceStatus
    )
    for region, title, held_on, topic, hours, n_present, n_absent, n_excused in db.session.execute(
        select(
            Region.name,
            TrainingPlan.title,
            TrainingSession.held_on,
            TrainingSession.topic,
            TrainingSession.hours,
            present,
            absent,
            excused,
        )
        .select_from(TrainingSession)
        .join(TrainingPlan, TrainingPlan.id == TrainingSession.plan_id)
        .join(Region, Region.id == TrainingPlan.region_id)
        .outerjoin(TrainingAttendance, TrainingAttendance.session_id == TrainingSession.id)
        .where(TrainingPlan.year == year, TrainingPlan.region_id.in_(regions))
        .group_by(
            TrainingSession.id,
            Region.code,
            Region.name,
            TrainingPlan.title,
            TrainingSession.held_on,
            TrainingSession.topic,
            TrainingSession.hours,
        )
        .order_by(Region.code, TrainingSession.held_on, TrainingSession.id)
    ):
        sessions.append(
            (region, title, held_on, topic, float(hours), int(n_present or 0), int(n_absent or 0), int(n_excused or 0))
        )
    sessions.close()

    attendance = sheet(ATTENDANCE)
    for region, title, held_on, topic, hours, first, last, department, status in db.session.execute(
        select(
            Region.name,
            TrainingPlan.title,
            TrainingSession.held_on,
            TrainingSession.topic,
            TrainingSession.hours,
            Staff.first_name,
            Staff.last_name,
            Department.name,
            TrainingAttendance.status,
        )
        .select_from(TrainingAttendance)
        .join(TrainingSession, TrainingSession.id == TrainingAttendance.session_id)
        .join(TrainingPlan, TrainingPlan.id == TrainingSession.plan_id)
        .join(Region, Region.id == TrainingPlan.region_id)
        .join(Staff, Staff.id == TrainingAttendance.staff_id)
        .outerjoin(Department, Department.id == Staff.department_id)
        .where(TrainingPlan.year == year, TrainingPlan.region_id.in_(regions))
        .order_by(Region.code, TrainingSession.held_on, TrainingSession.id, Staff.username)
    ):
        credited = float(hours) if status == AttendanceStatus.PRESENT.value else 0.0
        attendance.append(
            (
                region,
                title,
                held_on,
                topic,
                (first or "") + (last or ""),
                department or "",
                labels.get(status, status),
                credited,
            )
        )
    attendance.close()

    per_person = sheet(HOURS)
    for person in hours_by_person(year, actor):
        per_person.append(
            (
                person.region,
                person.name,
                person.department,
                person.sessions,
                float(person.hours),
                labels["yes"] if person.sessions == 0 else "",
            )
        )
    per_person.close()
    stats.sheets = [n for writer in (plans, sessions, attendance, per_person) for n in writer.names]
    workbook.close()
    return stats
