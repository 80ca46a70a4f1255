"""提前介入: leads followed before an application exists, their checklist, and their conversion into a case.

Leads move through the one engine (`app.services.engine`, subject "lead"); checklist lines leave timeline
entries under subject "lead_task". Converting happens when the lead's application is registered: the case
service calls `convertible_lead` before and `mark_converted` inside its own transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.domain.engine import Step
from app.domain.enums import RoleName
from app.domain.errors import N_, DomainError, Forbidden, NotFound, ValidationError
from app.domain.leads import (
    ACTION_LABELS,
    BUTTON_ACTIONS,
    CASE_EVENT_LABELS,
    LEAD_TRANSITIONS,
    NEED_CHECKS,
    LeadSource,
    LeadState,
    TaskState,
    check_lead,
    task_state,
)
from app.domain.lights import Light, worst
from app.extensions import db
from app.models import Case, CaseEvent, CatalogItem, Department, Lead, LeadItem, LeadTask, Region, Staff
from app.services import engine
from app.services.clock import today
from app.services.engine import check_date, check_version, committing, record_event, touch
from app.services.entries import masked_events
from app.services.lights import LightBook
from app.services.scope import is_liaison_only, role_names, visible_region_ids
from app.services.uow import transaction


class LeadInvalid(ValidationError):
    """The lead form has problems; each is kept at its field."""

    template = N_("The lead was not saved: correct the fields marked below.")

    def __init__(self, problems: dict[str, DomainError]) -> None:
        super().__init__()
        self.problems = problems


class LeadAlreadyConverted(ValidationError):
    template = N_("This lead was already converted into case %(case)s; it cannot be converted again.")


class LeadNotTracking(ValidationError):
    template = N_("This lead is “%(state)s”: only a lead being tracked can be converted. Take it up again first.")


class LeadChangedMeanwhile(ValidationError):
    template = N_("The lead was changed by someone else while the application was registered. Open it again.")


class LeadClosed(ValidationError):
    template = N_("This lead is “%(state)s”: its data and checklist can change only while it is tracked.")


# --- access ---------------------------------------------------------------------------------------------


FOLLOWER_ROLES = {RoleName.AGENT.value, RoleName.SUPERVISOR.value}


def _follower(actor: Staff) -> None:
    """Agents and supervisors follow leads (the transition rows say which moves each may take)."""
    if not role_names(actor) & FOLLOWER_ROLES:
        raise Forbidden()


def can_follow(actor: Staff) -> bool:
    return bool(role_names(actor) & FOLLOWER_ROLES)


def load_lead(lead_id: int, actor: Staff) -> Lead:
    """The lead in the actor's regions (liaisons see none), or NotFound."""
    lead = db.session.get(Lead, lead_id)
    if lead is None or lead.region_id not in visible_region_ids(actor) or is_liaison_only(actor):
        raise NotFound()
    return lead


def _invalid(action: str, state: str) -> DomainError:
    return engine.InvalidMove(action=ACTION_LABELS.get(action, action), state=LeadState(state).label)


engine.register(
    engine.Machine(
        subject="lead",
        labels=ACTION_LABELS,
        states=LeadState,
        case_labels=CASE_EVENT_LABELS,
        table=LEAD_TRANSITIONS,
        load=load_lead,
        need_checks=NEED_CHECKS,
        invalid=_invalid,
        earliest=lambda lead: lead.found_on,
        case_id=lambda lead: None,  # the case gets its own entry ("converted from a lead")
    )
)


# --- choices of a region --------------------------------------------------------------------------------


def region_agents(region_id: int) -> list[Staff]:
    """The active agents of a region: who may own its leads."""
    staff = db.session.scalars(
        select(Staff).where(Staff.region_id == region_id, Staff.active.is_(True)).order_by(Staff.id)
    )
    return [s for s in staff if RoleName.AGENT.value in role_names(s)]


def region_departments(region_id: int) -> list[Department]:
    return list(
        db.session.scalars(
            select(Department).where(Department.region_id == region_id, Department.active).order_by(Department.id)
        )
    )


def region_catalog(region_id: int) -> list[CatalogItem]:
    """The region's catalog items in use, in catalog order."""
    return list(
        db.session.scalars(
            select(CatalogItem)
            .where(CatalogItem.region_id == region_id, CatalogItem.retired_at.is_(None))
            .order_by(CatalogItem.seq)
        )
    )


# --- creating and correcting --------------------------------------------------------------------------


def _checked(region_id: int, values: dict[str, Any], item_ids: Iterable[int]) -> tuple[dict[str, Any], list[int]]:
    """The form's values cleaned, the owner and items checked against the region; LeadInvalid otherwise."""
    cleaned, problems = check_lead(values, today())
    owner_id = values.get("owner_id")
    owner = db.session.get(Staff, int(owner_id)) if str(owner_id or "").isdigit() and len(str(owner_id)) < 12 else None
    if owner is None or owner.region_id != region_id or RoleName.AGENT.value not in role_names(owner):
        problems["owner_id"] = ValidationError(N_("Choose the agent who follows the lead from the list."))
    else:
        cleaned["owner_id"] = owner.id
    ids = list(dict.fromkeys(int(i) for i in item_ids))
    catalog = {c.id for c in region_catalog(region_id)}
    if any(i not in catalog for i in ids):
        problems["items"] = ValidationError(N_("An item chosen is not in use in this region's catalog."))
    if problems:
        raise LeadInvalid(problems)
    return cleaned, ids


def create_lead(region_id: int, values: dict[str, Any], item_ids: Iterable[int], actor: Staff) -> Lead:
    """Record a lead of a region: source, enterprise, project, expected investment and items, owner."""
    _follower(actor)
    if region_id not in visible_region_ids(actor) or db.session.get(Region, region_id) is None:
        raise NotFound()
    cleaned, ids = _checked(region_id, values, item_ids)
    with transaction():
        lead = Lead(region_id=region_id, state=LeadState.TRACKING.value, created_by_id=actor.id, **cleaned)
        touch(lead, actor)
        db.session.add(lead)
        db.session.flush()
        db.session.add_all(LeadItem(lead_id=lead.id, catalog_item_id=i) for i in ids)
        record_event(
            "lead", lead.id, "create", actor, to_state=lead.state, on_date=lead.found_on, note=lead.project_name
        )
    return lead


_SHOWN_FIELDS = (
    "source",
    "source_detail",
    "enterprise_name",
    "credit_code",
    "contact_person",
    "contact_phone",
    "project_name",
    "project_address",
    "expected_investment",
    "expected_landing_on",
    "description",
    "owner_id",
    "found_on",
)


def _shown(lead: Lead, key: str, value: Any) -> str:
    """A field's value as the timeline shows it (the owner by name)."""
    if key == "owner_id" and value:
        owner = db.session.get(Staff, value)
        return f"{owner.first_name or ''}{owner.last_name or ''}" if owner else str(value)
    return str(value) if value not in (None, "") else "—"


def update_lead(
    lead_id: int, values: dict[str, Any], item_ids: Iterable[int], actor: Staff, expected_version: int | None = None
) -> Lead:
    """Correct a tracked lead; what changed is written in its timeline."""
    _follower(actor)
    lead = load_lead(lead_id, actor)
    check_version(lead, expected_version)
    if lead.state != LeadState.TRACKING.value:
        raise LeadClosed(state=LeadState(lead.state).label)
    cleaned, ids = _checked(lead.region_id, values, item_ids)
    changed = [
        f"{_shown(lead, k, getattr(lead, k))} → {_shown(lead, k, cleaned.get(k))}"
        for k in _SHOWN_FIELDS
        if str(getattr(lead, k) or "") != str(cleaned.get(k) or "")
    ]
    before = {i.catalog_item_id for i in lead.expected_items}
    names = {c.id: c.name for c in region_catalog(lead.region_id)} | {
        i.catalog_item_id: i.catalog_item.name for i in lead.expected_items
    }
    with committing(lead):
        for key, value in cleaned.items():
            setattr(lead, key, value)
        for line in list(lead.expected_items):
            if line.catalog_item_id not in ids:
                db.session.delete(line)  # the expected items are a forecast; the change is in the timeline
        db.session.add_all(LeadItem(lead_id=lead.id, catalog_item_id=i) for i in ids if i not in before)
        changed += [f"+{names[i]}" for i in ids if i not in before]
        changed += [f"−{names[i]}" for i in sorted(before - set(ids))]
        touch(lead, actor)
        db.session.flush()
        db.session.expire(lead, ["expected_items"])
        record_event("lead", lead.id, "edit", actor, on_date=today(), note="；".join(changed)[:4000])
    return lead


# --- the checklist --------------------------------------------------------------------------------------


def add_task(
    lead_id: int,
    text: str,
    actor: Staff,
    *,
    department_id: int | None = None,
    owner: str = "",
    due_on: dt.date | None = None,
) -> LeadTask:
    """A preparation task: what, which department of the region and/or which person, by when."""
    _follower(actor)
    lead = load_lead(lead_id, actor)
    if lead.state != LeadState.TRACKING.value:
        raise LeadClosed(state=LeadState(lead.state).label)
    text, owner = (text or "").strip(), (owner or "").strip()
    if not text:
        raise ValidationError(N_("Say what has to be prepared."))
    department = db.session.get(Department, department_id) if department_id else None
    if department_id and (department is None or department.region_id != lead.region_id):
        raise ValidationError(N_("Choose a department of the lead's region."))
    if department is None and not owner:
        raise ValidationError(N_("Name who prepares it: a department, a person, or both."))
    if due_on is not None and due_on < lead.found_on:
        raise ValidationError(N_("The due date cannot be before the lead was found (%(day)s)."), day=str(lead.found_on))
    with transaction():
        task = LeadTask(
            lead_id=lead.id, text=text[:300], department_id=department.id if department else None, owner=owner[:100]
        )
        task.due_on = due_on
        db.session.add(task)
        db.session.flush()
        record_event("lead_task", task.id, "add_task", actor, on_date=today(), note=task.text)
    return task


def _task(task_id: int, actor: Staff) -> LeadTask:
    task = db.session.get(LeadTask, task_id)
    if task is None:
        raise NotFound()
    load_lead(task.lead_id, actor)
    return task


def lead_of_task(task_id: int, actor: Staff) -> int | None:
    """The lead a task belongs to, when the actor may see it."""
    try:
        return _task(task_id, actor).lead_id
    except NotFound:
        return None


def close_task(
    task_id: int, actor: Staff, on: dt.date | None = None, *, not_needed: bool = False, note: str = ""
) -> LeadTask:
    """Mark a task done on a date, or not needed (with the reason); it stays on the checklist either way."""
    _follower(actor)
    task = _task(task_id, actor)
    if task.lead.state != LeadState.TRACKING.value:
        raise LeadClosed(state=LeadState(task.lead.state).label)
    if task.done_on is not None:
        raise ValidationError(N_("This task is already closed."))
    note = (note or "").strip()
    if not_needed and not note:
        raise ValidationError(N_("Say why the task is not needed."))
    on = check_date(on or today(), not_before=task.lead.found_on)
    with transaction():
        task.done_on = on
        if note:
            task.note = note[:500]
        action = "task_not_needed" if not_needed else "task_done"
        record_event(
            "lead_task", task.id, action, actor, on_date=on, note=f"{task.text}：{note}" if note else task.text
        )
    return task


def reopen_task(task_id: int, actor: Staff, note: str = "") -> LeadTask:
    """Undo a task closed by mistake (the earlier entry stays in the timeline)."""
    _follower(actor)
    task = _task(task_id, actor)
    if task.lead.state != LeadState.TRACKING.value:
        raise LeadClosed(state=LeadState(task.lead.state).label)
    if task.done_on is None:
        raise ValidationError(N_("This task is still open."))
    with transaction():
        task.done_on = None
        record_event(
            "lead_task", task.id, "task_reopen", actor, on_date=today(), note=(note or "").strip() or task.text
        )
    return task


def closing_actions(
    *, task_ids: Iterable[int] | None = None, region_ids: Iterable[int] | None = None
) -> dict[int, list[str]]:
    """The closing entries (done / not needed) of tasks, oldest first: of the tasks given, or of a set of regions."""
    query = select(CaseEvent.subject_id, CaseEvent.action).where(
        CaseEvent.subject_type == "lead_task", CaseEvent.action.in_(("task_done", "task_not_needed"))
    )
    if task_ids is not None:
        query = query.where(CaseEvent.subject_id.in_(list(task_ids) or [-1]))
    if region_ids is not None:
        in_regions = (
            select(LeadTask.id).join(Lead, Lead.id == LeadTask.lead_id).where(Lead.region_id.in_(list(region_ids)))
        )
        query = query.where(CaseEvent.subject_id.in_(in_regions))
    actions: dict[int, list[str]] = {}
    for subject_id, action in db.session.execute(query.order_by(CaseEvent.at, CaseEvent.id)):
        actions.setdefault(subject_id, []).append(action)
    return actions


def task_states(lead: Lead, actions: dict[int, list[str]] | None = None) -> dict[int, TaskState]:
    """Each task of the lead: open, done, or not needed (read from its latest closing entry)."""
    if actions is None:
        actions = closing_actions(task_ids=[t.id for t in lead.tasks])
    return {t.id: task_state(t.done_on, actions.get(t.id, ())) for t in lead.tasks}


@dataclass(frozen=True)
class Progress:
    """A checklist at a glance: tasks done of those needed, open tasks overdue, and the worst light."""

    done: int
    total: int
    overdue: int
    light: Light


def progress(lead: Lead, book: LightBook, actions: dict[int, list[str]] | None = None) -> Progress:
    """The lead's checklist progress; open tasks are lit by their due date (the app's lights) while it is tracked."""
    states = task_states(lead, actions)
    needed = [t for t in lead.tasks if states[t.id] is not TaskState.NOT_NEEDED]
    open_tasks = [t for t in needed if states[t.id] is TaskState.OPEN]
    lights = [book.light(t.due_on) for t in open_tasks] if lead.state == LeadState.TRACKING.value else []
    return Progress(
        done=sum(1 for t in needed if states[t.id] is TaskState.DONE),
        total=len(needed),
        overdue=sum(1 for light in lights if light is Light.RED),
        light=worst(lights),
    )


# --- moves ------------------------------------------------------------------------------------------------


def move_lead(lead_id: int, action: str, actor: Staff, on: dt.date | None = None, *, note: str = "", **kw: Any) -> Lead:
    """Abandon (with a reason) or take up again; converting needs its case (the application form does it)."""
    return engine.move("lead", lead_id, action, actor, Step(on or today(), note), kw.get("expected_version"))


def lead_actions(lead: Lead, actor: Staff) -> list[Any]:
    """The buttons the actor may press on the lead page (abandon, take up again)."""
    return [t for t in engine.offered("lead", lead, actor) if t.action in BUTTON_ACTIONS]


def can_convert(lead: Lead, actor: Staff) -> bool:
    return lead.state == LeadState.TRACKING.value and RoleName.AGENT.value in role_names(actor)


def convertible_lead(lead_id: int, actor: Staff, region_id: int | None = None, on: dt.date | None = None) -> Lead:
    """The lead an application is being registered from, if it may still be converted; a named refusal if not."""
    lead = load_lead(lead_id, actor)
    if lead.state == LeadState.CONVERTED.value:
        raise LeadAlreadyConverted(case=lead.case.number if lead.case else "—")
    if lead.state != LeadState.TRACKING.value:
        raise LeadNotTracking(state=LeadState(lead.state).label)
    if region_id is not None and region_id != lead.region_id:
        raise ValidationError(N_("The application must be registered in the lead's region."))
    engine.transition_for(engine.MACHINES["lead"], lead, "convert", actor)  # Forbidden for a non-agent
    check_date(on or today(), not_before=lead.found_on)
    return lead


def mark_converted(lead: Lead, case: Case, actor: Staff) -> None:
    """Inside the case service's transaction: the lead moves to converted and both timelines say so."""
    step = Step(case.applied_on, case.number, {"case_id": case.id}, actor.id)
    try:
        engine.take("lead", lead, "convert", actor, step)
    except StaleDataError:
        raise LeadChangedMeanwhile() from None  # the case service's transaction rolls the application back
    record_event("case", case.id, "from_lead", actor, case_id=case.id, on_date=case.applied_on, note=lead.project_name)
    owner = lead.owner
    if case.agent_id is None and owner is not None and owner.active and owner.region_id == case.region_id:
        # The agent who followed the lead goes on with its case (they were lost at conversion).
        case.agent_id = owner.id
        name = (owner.first_name + owner.last_name).strip()
        record_event("case", case.id, "assign_agent", actor, case_id=case.id, on_date=case.applied_on, note=name)


def application_values(lead: Lead) -> list[tuple[str, str]]:
    """The application form's fields filled from the lead, its expected items ticked (the agent completes the rest)."""
    fields = {
        "lead_id": str(lead.id),
        "enterprise_name": lead.enterprise_name,
        "enterprise_credit_code": lead.credit_code,
        "enterprise_contact_person": lead.contact_person,
        "enterprise_contact_phone": lead.contact_phone,
        "project_name": lead.project_name,
        "project_address": lead.project_address,
        "project_total_investment": "" if lead.expected_investment is None else str(lead.expected_investment),
        "project_main_use_and_scale": lead.description,
        "channel": "early",
    }
    return [*fields.items(), *(("catalog_item_id", str(i.catalog_item_id)) for i in lead.expected_items)]


# --- reading ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FromLead:
    """What the case page says about the lead a case came from."""

    id: int
    project_name: str
    source_label: str  # msgid, translated by the page
    source_detail: str
    found_on: dt.date


def for_case(case: Case, actor: Staff) -> FromLead | None:
    """The lead a case was converted from, for the case page (liaisons are not shown leads)."""
    if is_liaison_only(actor):
        return None
    lead = db.session.scalar(select(Lead).where(Lead.case_id == case.id))
    if lead is None:
        return None
    return FromLead(lead.id, lead.project_name, LeadSource(lead.source).label, lead.source_detail, lead.found_on)


def timeline(lead: Lead, actor: Staff) -> list[Any]:
    """The lead's own entries and its checklist's, oldest first, phones in their notes as the reader sees them."""
    task_ids = [t.id for t in lead.tasks]
    query = (
        select(CaseEvent)
        .where(
            or_(
                and_(CaseEvent.subject_type == "lead", CaseEvent.subject_id == lead.id),
                and_(CaseEvent.subject_type == "lead_task", CaseEvent.subject_id.in_(task_ids or [-1])),
            )
        )
        .options(selectinload(CaseEvent.actor))
        .order_by(CaseEvent.at, CaseEvent.id)
    )
    return masked_events(db.session.scalars(query), actor)
