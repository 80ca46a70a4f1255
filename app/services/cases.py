"""Agency cases: application, entrustment, plan, parallel approvals, completion, termination, evaluation.

Every state change goes through `move_case` / `move_item`, along the rows of `app.domain.workflow`,
inside one transaction, and leaves an immutable CaseEvent.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import and_, func, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import selectinload

from app.domain import visibility
from app.domain.codes import validate_credit_code, validate_project_code
from app.domain.engine import Step, actions_for
from app.domain.enums import RoleName
from app.domain.errors import N_, Forbidden, NotFound, ValidationError
from app.domain.lights import urgency_key
from app.domain.privacy import mask_phones_in
from app.domain.urgency import case_deadline, due_pending, item_deadline
from app.domain.workflow import (
    ACTION_LABELS,
    CASE_TRANSITIONS,
    ITEM_TRANSITIONS,
    NEED_CHECKS,
    OPEN_CASE_VALUES,
    OPEN_ITEM_VALUES,
    PAUSED_ITEM_VALUES,
    PLAN_CASE_VALUES,
    CaseState,
    Channel,
    ItemState,
    ProjectCategory,
    Transition,
)
from app.extensions import db
from app.models import (
    Case,
    CaseEvent,
    CaseItem,
    CatalogItem,
    ChannelReference,
    Decision,
    Enterprise,
    Project,
    Region,
    Staff,
)
from app.services import counters, engine, leads
from app.services.case_loading import case_for, load_case, load_item
from app.services.clock import today
from app.services.deadlines import Deadlines
from app.services.engine import check_date, check_version, committing, record_event, touch
from app.services.entries import ReadEvent, masked_events
from app.services.lights import LightBook, light_book
from app.services.scope import is_liaison_only, role_names, sees_full_phones, visible_region_ids
from app.services.uow import transaction
from app.services.urgency import agent_desk_sql, item_deadline_sql, open_item_summaries


class InvalidTransition(ValidationError):
    template = N_("“%(action)s” is not possible while the case is “%(state)s”.")


class InvalidItemTransition(ValidationError):
    template = N_("“%(action)s” is not possible while the item is “%(state)s”.")


# --- access ----------------------------------------------------------------------------------------------


def _case_event(case: Case, actor: Staff | None, action: str, *, item: CaseItem | None = None, **fields: Any) -> None:
    """A timeline entry of a case (or of one of its items) that is not a state move."""
    subject, subject_id = ("item", item.id) if item is not None else ("case", case.id)
    record_event(subject, subject_id, action, actor, case_id=case.id, item_id=item.id if item else None, **fields)


def _require_open(case: Case, message: str) -> None:
    """Closed cases (办结, 回访, 终止, 不予受理) are read-only."""
    if case.state not in OPEN_CASE_VALUES:
        raise ValidationError(message)


# --- enterprises, projects, applications --------------------------------------------------------------

# What an application (Attachment 4) says of the enterprise and of the project: the back office and the public
# channels read the same fields.
ENTERPRISE_FIELDS = (
    "name",
    "credit_code",
    "address",
    "postcode",
    "legal_representative",
    "phone",
    "contact_person",
    "contact_phone",
)
PROJECT_FIELDS = (
    "name",
    "address",
    "code",
    "total_investment",
    "planned_investment",
    "fund_source",
    "land_nature",
    "is_key_project",
    "category",
    "main_use_and_scale",
    "leader_in_charge",
    "progress_before",
)


def _text(values: dict[str, Any], key: str, limit: int) -> str:
    value = values.get(key)
    return str(value).strip()[:limit] if value is not None else ""


def clean_enterprise(values: dict[str, Any]) -> dict[str, Any]:
    """Enterprise fields checked: name required, GB 32100 credit code, 6-digit postcode."""
    cleaned = {key: _text(values, key, 300) for key in ENTERPRISE_FIELDS}
    if not cleaned["name"]:
        raise ValidationError(N_("The enterprise name is required."))
    cleaned["name"] = cleaned["name"][:200]
    cleaned["credit_code"] = validate_credit_code(cleaned["credit_code"])
    if cleaned["postcode"] and not (len(cleaned["postcode"]) == 6 and cleaned["postcode"].isdigit()):
        raise ValidationError(N_("A postcode has 6 digits."))
    for key in ("legal_representative", "contact_person"):
        cleaned[key] = cleaned[key][:50]
    for key in ("phone", "contact_phone"):
        cleaned[key] = cleaned[key][:32]
    return cleaned


def _amount(values: dict[str, Any], key: str) -> Decimal | None:
    raw = values.get(key)
    if raw is None or str(raw).strip() == "":
        return None
    try:
        amount = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValidationError(N_("“%(value)s” is not an amount in 万元."), value=raw) from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise ValidationError(N_("“%(value)s” is not an amount in 万元."), value=raw)
    return amount.quantize(Decimal("0.01"))


def clean_project(values: dict[str, Any]) -> dict[str, Any]:
    """Project fields checked: name, code shape, amounts in 万元 (this year's within the total), category."""
    cleaned: dict[str, Any] = {key: _text(values, key, 300) for key in PROJECT_FIELDS}
    if not cleaned["name"]:
        raise ValidationError(N_("The project name is required."))
    cleaned["name"] = cleaned["name"][:200]
    cleaned["code"] = validate_project_code(cleaned["code"]) if cleaned["code"] else None
    cleaned["total_investment"] = _amount(values, "total_investment")
    cleaned["planned_investment"] = _amount(values, "planned_investment")
    total, planned = cleaned["total_investment"], cleaned["planned_investment"]
    if total is not None and planned is not None and planned > total:
        raise ValidationError(N_("This year's planned investment cannot exceed the total investment."))
    cleaned["is_key_project"] = bool(values.get("is_key_project"))
    try:
        cleaned["category"] = ProjectCategory(values.get("category") or "other").value
    except ValueError:
        raise ValidationError(N_("Choose a project category from the list.")) from None
    for key in ("main_use_and_scale", "progress_before"):
        cleaned[key] = str(values.get(key) or "").strip()[:4000]
    for key in ("fund_source", "land_nature"):
        cleaned[key] = cleaned[key][:100]
    cleaned["leader_in_charge"] = cleaned["leader_in_charge"][:50]
    return cleaned


def _case_number(region: Region, year: int) -> str:
    """The region's next case number of the year (150621-2026-0042), gap-free even when applications arrive together."""
    prefix = f"{region.code}-{year}-"

    def used() -> int:
        numbers = db.session.scalars(select(Case.number).where(Case.number.like(prefix + "%")))
        return max((int(n[len(prefix) :]) for n in numbers if n[len(prefix) :].isdigit()), default=0)

    return f"{prefix}{counters.next_value(f'case:{region.code}:{year}', used):04d}"


def submit_application(
    region_id: int,
    enterprise: dict[str, Any],
    project: dict[str, Any],
    channel: str,
    applied_on: dt.date,
    catalog_item_ids: list[int],
    actor: Staff | None,
    other_items_text: str = "",
    note: str = "",
    lead_id: int | None = None,
    channel_ref: str = "",
    then: Callable[[Case], None] | None = None,
) -> Case:
    """Register an application (Attachment 4): enterprise (reused by credit code), project, case and its items.

    With `lead_id`, the application comes from a tracked lead (提前介入), which is converted in the same transaction.
    Without an actor the applicant applied through a public channel (`app.services.channels.apply_online`, which
    checks the region's published catalog first): its events are the system's, and a registered enterprise's
    record is not rewritten from a public page (the case keeps what was submitted). `channel_ref` is the
    channel's own reference (12345 ticket, online receipt). `then` runs on the new case inside the same
    transaction (answering a cross-level link request with the case registered for it): its refusal rolls back all.
    """
    if actor is not None:
        if RoleName.AGENT.value not in role_names(actor):
            raise Forbidden()
        if region_id not in visible_region_ids(actor):
            raise NotFound()
    lead = leads.convertible_lead(lead_id, actor, region_id, applied_on) if lead_id and actor is not None else None
    region = db.session.get(Region, region_id)
    try:
        channel = Channel(channel).value
    except ValueError:
        raise ValidationError(N_("Choose the channel the application came by.")) from None
    check_date(applied_on)
    enterprise_values = clean_enterprise(enterprise)
    project_values = clean_project(project)
    with transaction():
        company = db.session.scalar(
            select(Enterprise).where(
                Enterprise.region_id == region_id, Enterprise.credit_code == enterprise_values["credit_code"]
            )
        )
        if company is None:
            company = Enterprise(region_id=region_id, **enterprise_values)
            db.session.add(company)
            db.session.flush()
        elif actor is not None:
            # The applicant's latest data; earlier cases keep what they were submitted with.
            _correct(company, {k: v for k, v in enterprise_values.items() if v}, actor, "enterprise")
        venture = _project_for(region_id, company, project_values, actor)
        case = Case(
            number=_case_number(region, applied_on.year),
            region_id=region_id,
            project_id=venture.id,
            channel=channel,
            channel_ref=(channel_ref or "").strip()[:40],
            state=CaseState.SUBMITTED.value,
            applied_on=applied_on,
            request_note=(note or "").strip()[:4000],
            created_by_id=actor.id if actor is not None else None,
            enterprise_name=enterprise_values["name"],
            credit_code=enterprise_values["credit_code"],
            project_name=project_values["name"],
            project_code=project_values["code"],
            total_investment=project_values["total_investment"],
            planned_investment=project_values["planned_investment"],
            project_category=project_values["category"],
            is_key_project=project_values["is_key_project"],
            submitted_data=json.dumps(
                {"enterprise": enterprise_values, "project": project_values}, ensure_ascii=False, default=str
            ),
        )
        touch(case, actor)
        db.session.add(case)
        db.session.flush()
        if case.channel_ref:
            # The channel's reference is claimed once (primary key): a second case with the same 12345 ticket,
            # however close behind, fails here at flush and the caller says which case holds it.
            db.session.add(ChannelReference(channel=channel, ref=case.channel_ref, case_id=case.id))
            db.session.flush()
        case.step_due_on = Deadlines().step_due(case)
        _case_event(
            case, actor, "submit", to_state=CaseState.SUBMITTED.value, on_date=applied_on, note=case.request_note
        )
        _add_items(case, catalog_item_ids, other_items_text, actor)
        if lead is not None:
            leads.mark_converted(lead, case, actor)
        if then is not None:
            then(case)
    return case


class DuplicateProject(ValidationError):
    template = N_(
        "The project code %(code)s is already registered with case %(case)s (%(state)s), which is still open."
    )


class ProjectOfAnotherEnterprise(ValidationError):
    template = N_("The project code %(code)s is registered to %(enterprise)s (case %(case)s), not to this applicant.")


def _project_for(region_id: int, company: Enterprise, values: dict[str, Any], actor: Staff | None) -> Project:
    """The project applied for: a code registered before is the same project (one record, its cases listed).

    Staff correct a registered project with what the applicant brings; a public application (no staff actor) does
    not: its data stays with its own case (as submitted) until an agent takes it up.
    """
    existing = None
    if values["code"]:
        existing = db.session.scalar(
            select(Project).where(Project.region_id == region_id, Project.code == values["code"])
        )
    if existing is None:
        venture = Project(region_id=region_id, enterprise_id=company.id, **values)
        db.session.add(venture)
        db.session.flush()
        return venture
    earlier = db.session.scalars(select(Case).where(Case.project_id == existing.id).order_by(Case.id.desc())).first()
    if existing.enterprise_id != company.id:
        raise ProjectOfAnotherEnterprise(
            code=values["code"], enterprise=existing.enterprise.name, case=earlier.number if earlier else "—"
        )
    open_case = db.session.scalars(
        select(Case).where(Case.project_id == existing.id, Case.state.in_(sorted(OPEN_CASE_VALUES)))
    ).first()
    if open_case is not None:
        raise DuplicateProject(code=values["code"], case=open_case.number, state=CaseState(open_case.state).label)
    if actor is not None:
        _correct(existing, values, actor, "project")
    return existing


def project_cases(project_id: int, actor: Staff) -> list[Case]:
    """Every case of a project in the actor's scope, newest first (a liaison's: those with an item of theirs)."""
    query = select(Case).where(Case.project_id == project_id, Case.region_id.in_(visible_region_ids(actor)))
    if is_liaison_only(actor):
        theirs = select(CaseItem.id).where(CaseItem.case_id == Case.id, CaseItem.department_id == actor.department_id)
        query = query.where(theirs.exists())
    return list(db.session.scalars(query.order_by(Case.applied_on.desc(), Case.id.desc())))


def submitted_as(case: Case) -> dict[str, Any]:
    """The applicant and project as the case was submitted with (today's record fills what was not kept)."""
    try:
        data = json.loads(case.submitted_data or "{}")
    except ValueError:
        data = {}
    company, venture = case.project.enterprise, case.project
    enterprise = {key: getattr(company, key) for key in ENTERPRISE_FIELDS} | (data.get("enterprise") or {})
    project = {key: getattr(venture, key) for key in PROJECT_FIELDS} | (data.get("project") or {})
    changed = any(str(enterprise[k] or "") != str(getattr(company, k) or "") for k in ENTERPRISE_FIELDS) or any(
        str(project[k] or "") != str(getattr(venture, k) or "") for k in ("name", "code", "address")
    )
    return {"enterprise": enterprise, "project": project, "changed_since": changed}


def _add_items(case: Case, catalog_item_ids: list[int], other_text: str, actor: Staff) -> list[CaseItem]:
    ids = list(dict.fromkeys(int(i) for i in catalog_item_ids))
    catalog = {
        c.id: c
        for c in db.session.scalars(
            select(CatalogItem).where(CatalogItem.id.in_(ids), CatalogItem.region_id == case.region_id)
        )
    }
    missing = [i for i in ids if i not in catalog or catalog[i].retired]
    if missing:
        raise ValidationError(N_("An item chosen is not in use in this region's catalog."))
    present = {item.catalog_item_id for item in case.items if item.state != ItemState.WITHDRAWN.value}
    added = []
    other_text = (other_text or "").strip()
    # 顺序 is the case's own 1…n (catalog order for the items added together, after those already there),
    # not the catalog's numbers (14, 25).
    last = max((item.position for item in case.items), default=0)
    for catalog_id in sorted(ids, key=lambda i: (catalog[i].seq, i)):
        entry = catalog[catalog_id]
        if catalog_id in present:
            continue
        name = entry.name
        if entry.is_other:
            if not other_text:
                raise ValidationError(N_("Name the other approval the applicant asks for."))
            name = f"其它：{other_text}"[:200]
            case.other_items_text = other_text[:500]
        item = CaseItem(
            case_id=case.id,
            catalog_item_id=entry.id,
            catalog_version=entry.version,
            name=name,
            department_id=entry.department_id,
            stage=entry.stage,
            time_limit_days=entry.time_limit_days,
            state=ItemState.PLANNED.value,
            position=last + len(added) + 1,
            allows_incomplete=entry.allows_incomplete,
            allows_commitment=entry.allows_commitment,
        )
        touch(item, actor)
        db.session.add(item)
        added.append(item)
    db.session.flush()
    from app.services.materials import create_checklist  # materials read cases: imported when first used

    for item in added:
        create_checklist(item)  # 申报材料: the catalog's materials become the item's checklist
        _case_event(case, actor, "add_item", item=item, to_state=ItemState.PLANNED.value, note=item.name)
    db.session.expire(case, ["items"])
    return added


def choose_items(
    case_id: int,
    catalog_item_ids: list[int],
    other_text: str,
    actor: Staff,
    expected_version: int | None = None,
) -> list[CaseItem]:
    """Add items to an open case (new ones start as planned); removing goes through `withdraw`."""
    case = load_case(case_id, actor)
    check_version(case, expected_version)
    if RoleName.AGENT.value not in role_names(actor):
        raise Forbidden()
    _require_open(case, N_("Items can be added only to an open case."))
    with committing(case):
        added = _add_items(case, catalog_item_ids, other_text, actor)
        touch(case, actor)
    return added


def assign_agent(case_id: int, agent_id: int, actor: Staff, expected_version: int | None = None) -> Case:
    """Name the agent who runs the case (an agent of the case's region)."""
    case = load_case(case_id, actor)
    check_version(case, expected_version)
    if not role_names(actor) & {RoleName.AGENT.value, RoleName.SUPERVISOR.value}:
        raise Forbidden()
    _require_open(case, N_("The agent of a closed case cannot change."))
    agent = db.session.get(Staff, agent_id)
    if agent is None or agent.region_id != case.region_id or RoleName.AGENT.value not in role_names(agent):
        raise ValidationError(N_("Choose an agent of the case's own service centre."))
    with committing(case):
        case.agent_id = agent.id
        touch(case, actor)
        _case_event(case, actor, "assign_agent", note=(agent.first_name + agent.last_name).strip(), on_date=today())
    return case


@dataclass(frozen=True)
class PlanLine:
    item_id: int
    position: int
    planned_filing_on: dt.date | None


def plan_schedule(
    case_id: int,
    lines: list[PlanLine],
    actor: Staff,
    planned_end: dt.date | None = None,
    expected_version: int | None = None,
    on: dt.date | None = None,
) -> Case:
    """The service plan: order of the items and their planned filing dates; items of a stage run in parallel."""
    case = load_case(case_id, actor)
    check_version(case, expected_version)
    if RoleName.AGENT.value not in role_names(actor):
        raise Forbidden()
    _require_open(case, N_("The plan of a closed case cannot change."))
    if case.state not in PLAN_CASE_VALUES:
        raise ValidationError(N_("The service plan is written once the entrustment is signed."))
    by_id = {item.id: item for item in case.items}
    with committing(case):
        for line in lines:
            item = by_id.get(line.item_id)
            if item is None:
                raise NotFound()
            if line.planned_filing_on and line.planned_filing_on < case.applied_on:
                raise ValidationError(
                    N_("A planned filing date cannot be before the application (%(on)s)."),
                    on=case.applied_on.isoformat(),
                )
            if (item.position, item.planned_filing_on) != (line.position, line.planned_filing_on):
                item.position = line.position
                item.planned_filing_on = line.planned_filing_on
                touch(item, actor)
        case.planned_end_estimated = planned_end is None
        case.planned_end = planned_end or Deadlines().estimated_end(case)
        touch(case, actor)
        _case_event(case, actor, "plan_schedule", on_date=on or today(), note=_schedule_summary(case))
    return case


def _schedule_summary(case: Case) -> str:
    return visibility.plan_summary(
        (item.name, item.planned_filing_on) for item in case.items if item.state != ItemState.WITHDRAWN.value
    )[:4000]


# --- the two machines -----------------------------------------------------------------------------------


def _case_invalid(action: str, state: str) -> ValidationError:
    return InvalidTransition(action=ACTION_LABELS.get(action, action), state=CaseState(state).label)


def _item_invalid(action: str, state: str) -> ValidationError:
    return InvalidItemTransition(action=ACTION_LABELS.get(action, action), state=ItemState(state).label)


def _item_earliest(item: CaseItem) -> dt.date | None:
    return item.paused_since or item.accepted_on or item.filed_on or item.case.applied_on


engine.register(
    engine.Machine(
        subject="case",
        labels=ACTION_LABELS,
        states=CaseState,
        table=CASE_TRANSITIONS,
        load=load_case,
        need_checks=NEED_CHECKS,
        invalid=_case_invalid,
        earliest=lambda case: case.applied_on,
        case_id=lambda case: case.id,
        related=lambda case, machine: list(case.items) if machine == "item" else [],
        context=Deadlines,
        after=lambda case, context: context.keep_case(case),
    )
)
engine.register(
    engine.Machine(
        subject="item",
        labels=ACTION_LABELS,
        states=ItemState,
        table=ITEM_TRANSITIONS,
        load=load_item,
        need_checks=NEED_CHECKS,
        invalid=_item_invalid,
        earliest=_item_earliest,
        case_id=lambda item: item.case_id,
        item_id=lambda item: item.id,
        related=lambda item, machine: [item.case] if machine == "case" else [],
        context=Deadlines,
    )
)


def move_case(
    case_id: int,
    action: str,
    actor: Staff,
    on: dt.date | None = None,
    *,
    note: str = "",
    expected_version: int | None = None,
    materials_note: str = "",
    archived: bool = False,
    level: str = "",
) -> Case:
    """Take `action` on a case along the workflow rows; refuses with a named reason, changing nothing.

    Completion and termination check the materials checklist's rows (every received original returned);
    `materials_note` is the agent's own note about the return, kept with the case.
    """
    values = {
        "materials_note": materials_note,
        "archived": archived,
        "level": level,
    }
    return engine.move("case", case_id, action, actor, Step(on or today(), note, values), expected_version)


# Named verbs for the views and API: one line each, all through move_case.
def accept_case(case_id: int, actor: Staff, on: dt.date | None = None, **kw: Any) -> Case:
    return move_case(case_id, "accept", actor, on, **kw)


def refuse_case(case_id: int, actor: Staff, reason: str, on: dt.date | None = None, **kw: Any) -> Case:
    return move_case(case_id, "refuse", actor, on, note=reason, **kw)


def entrust_case(case_id: int, actor: Staff, on: dt.date | None = None, **kw: Any) -> Case:
    return move_case(case_id, "entrust", actor, on, **kw)


def fix_plan(case_id: int, actor: Staff, on: dt.date | None = None, **kw: Any) -> Case:
    return move_case(case_id, "plan", actor, on, **kw)


def complete_case(case_id: int, actor: Staff, on: dt.date | None = None, **kw: Any) -> Case:
    return move_case(case_id, "complete", actor, on, **kw)


def terminate_case(case_id: int, actor: Staff, reason: str, on: dt.date | None = None, **kw: Any) -> Case:
    return move_case(case_id, "terminate", actor, on, note=reason, **kw)


def evaluate_case(case_id: int, actor: Staff, level: str, comments: str = "", **kw: Any) -> Case:
    return move_case(case_id, "evaluate", actor, note=comments, level=level, **kw)


def move_item(
    item_id: int,
    action: str,
    actor: Staff,
    on: dt.date | None = None,
    *,
    note: str = "",
    expected_version: int | None = None,
    incomplete: bool = False,
    promised_on: dt.date | None = None,
    commitment: bool = False,
) -> CaseItem:
    """Take `action` on a case item (accept, review, approve, ask for supplement, …) with a date and a note."""
    values = {"incomplete": incomplete, "promised_on": promised_on, "commitment": commitment}
    return engine.move("item", item_id, action, actor, Step(on or today(), note, values), expected_version)


def accept_item(item_id: int, actor: Staff, on: dt.date | None = None, **kw: Any) -> CaseItem:
    return move_item(item_id, "accept", actor, on, **kw)


def approve_item(item_id: int, actor: Staff, on: dt.date | None = None, **kw: Any) -> CaseItem:
    return move_item(item_id, "approve", actor, on, **kw)


def request_supplement(item_id: int, actor: Staff, note: str, on: dt.date | None = None, **kw: Any) -> CaseItem:
    return move_item(item_id, "request_supplement", actor, on, note=note, **kw)


def resubmit_item(item_id: int, actor: Staff, on: dt.date | None = None, **kw: Any) -> CaseItem:
    return move_item(item_id, "resubmit", actor, on, **kw)


# --- reading ----------------------------------------------------------------------------------------------


def timeline(case_id: int, actor: Staff) -> list[Any]:
    """The case's events, oldest first; a liaison reads them in the scope of their lists (`_liaison_timeline`)."""
    case = case_for(case_id, actor)
    query = (
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id)
        .options(selectinload(CaseEvent.actor), selectinload(CaseEvent.item))
        .order_by(CaseEvent.at, CaseEvent.id)
    )
    events = list(db.session.scalars(query))
    if is_liaison_only(actor):
        events = _liaison_timeline(case, events, actor)
    return masked_events(events, actor)


def _liaison_timeline(case: Case, events: list[CaseEvent], actor: Staff) -> list[ReadEvent]:
    """Their items' (and those items' materials') and their decisions' entries and the case's own; no note naming
    another department's item."""
    mine = {i.id for i in case.items if i.department_id == actor.department_id}
    own = {i.name for i in case.items if i.id in mine}
    others = {i.name for i in case.items if i.id not in mine}
    decisions = set(
        db.session.scalars(
            select(Decision.id).where(Decision.case_id == case.id, Decision.department_id == actor.department_id)
        )
    )
    shown = []
    for event in events:
        if event.subject_type in ("item", "material"):
            keep = event.item_id in mine
        elif event.subject_type == "decision":
            keep = event.subject_id in decisions
        else:
            keep = event.subject_type == "case" and event.action not in visibility.HIDDEN_CASE_ACTIONS
        if keep:
            shown.append(ReadEvent(event, visibility.liaison_note(event.action, event.note, own, others)))
    return shown


def note_for(case: Case, actor: Staff, note: str | None) -> str:
    """A case-level text (a close reason, an evaluation's comments, an item's note) as the actor may read it: phones
    in it under the fields' rule (whole only for agents of the case's own region)."""
    text = private_text(case, actor, note)
    if not text or not is_liaison_only(actor):
        return text
    own = [i.name for i in case.items if i.department_id == actor.department_id]
    others = [i.name for i in case.items if i.department_id != actor.department_id]
    return visibility.liaison_note("", text, own, others)


def private_text(case: Case, actor: Staff, text: str | None) -> str:
    """Free text of a case with its phone numbers masked unless the actor is an agent of the case's region."""
    if sees_full_phones(actor) and case.region_id in visible_region_ids(actor):
        return text or ""
    return mask_phones_in(text)


def region_agents(region_id: int) -> list[Staff]:
    """The active agents of a region (who may run its cases), in one query."""
    query = (
        select(Staff)
        .join(Staff.roles)
        .where(Staff.region_id == region_id, Staff.active.is_(True), Role.name == RoleName.AGENT.value)
    )
    return list(db.session.scalars(query.order_by(Staff.id)))


@dataclass
class CaseAccess:
    """What the actor may do on a case page: the steps offered are exactly the steps the services accept."""

    case_actions: list[Transition]
    item_actions: dict[int, list[Transition]]
    can_assign_agent: bool
    can_edit_plan: bool
    can_add_items: bool


def case_access(case: Case, actor: Staff) -> CaseAccess:
    """The steps and edits offered to `actor` on `case` (closed cases are read-only)."""
    roles = role_names(actor)
    is_open = case.state in OPEN_CASE_VALUES
    plans = case.state in PLAN_CASE_VALUES
    items = [i for i in case.items if not is_liaison_only(actor) or i.department_id == actor.department_id]
    return CaseAccess(
        case_actions=engine.offered("case", case, actor),
        item_actions={i.id: engine.offered("item", i, actor) for i in items},
        can_assign_agent=is_open and bool(roles & {RoleName.AGENT.value, RoleName.SUPERVISOR.value}),
        can_edit_plan=plans and RoleName.AGENT.value in roles,
        can_add_items=is_open and RoleName.AGENT.value in roles,
    )


# --- enterprise and project corrections ------------------------------------------------------------------


def update_enterprise(enterprise_id: int, values: dict[str, Any], actor: Staff) -> Enterprise:
    """Correct an enterprise's registration data (same checks as at application)."""
    if RoleName.AGENT.value not in role_names(actor):
        raise Forbidden()
    company = db.session.get(Enterprise, enterprise_id)
    if company is None or company.region_id not in visible_region_ids(actor):
        raise NotFound()
    cleaned = clean_enterprise(values)
    clash = db.session.scalar(
        select(Enterprise.id).where(
            Enterprise.region_id == company.region_id,
            Enterprise.credit_code == cleaned["credit_code"],
            Enterprise.id != company.id,
        )
    )
    if clash is not None:
        raise ValidationError(
            N_("Another enterprise already has the credit code %(code)s."), code=cleaned["credit_code"]
        )
    with transaction():
        _correct(company, cleaned, actor, "enterprise")
    return company


def _correct(record: Enterprise | Project, values: dict[str, Any], actor: Staff, subject: str) -> list[str]:
    """Write corrected fields and keep the change in the record's history (old → new, who, when)."""
    changes = []
    for key, value in values.items():
        old = getattr(record, key)
        if (str(old) if old is not None else "") != (str(value) if value is not None else ""):
            changes.append(
                f"{key}: {old if old not in (None, '') else '—'} → {value if value not in (None, '') else '—'}"
            )
            setattr(record, key, value)
    if changes:
        db.session.flush()
        record_event(subject, record.id, "edit", actor, on_date=today(), note="; ".join(changes)[:4000])
    return changes


def history(subject: str, record_id: int, actor: Staff | None) -> list[Any]:
    """The timeline of an enterprise or a project: its corrections, oldest first, phones as the reader sees them."""
    return masked_events(
        list(
            db.session.scalars(
                select(CaseEvent)
                .where(CaseEvent.subject_type == subject, CaseEvent.subject_id == record_id)
                .order_by(CaseEvent.at, CaseEvent.id)
            )
        ),
        actor,
    )


def update_project(project_id: int, values: dict[str, Any], actor: Staff) -> Project:
    """Correct a project's data (same checks as at application)."""
    if RoleName.AGENT.value not in role_names(actor):
        raise Forbidden()
    venture = db.session.get(Project, project_id)
    if venture is None or venture.region_id not in visible_region_ids(actor):
        raise NotFound()
    cleaned = clean_project(values)
    if cleaned["code"]:
        clash = db.session.scalar(
            select(Project.id).where(
                Project.region_id == venture.region_id, Project.code == cleaned["code"], Project.id != venture.id
            )
        )
        if clash is not None:
            raise ValidationError(N_("Another project already has the project code %(code)s."), code=cleaned["code"])
    with transaction():
        _correct(venture, cleaned, actor, "project")
    return venture


# --- work queues -----------------------------------------------------------------------------------------


@dataclass
class QueueRow:
    """One line of a work queue: the record, how urgent it is, and what the user can do next."""

    record: Any
    light: Any
    deadline: dt.date | None
    actions: list[Transition]
    pending: bool = False  # the due date waits for a year's holiday schedule (shown 待定, not blank)


class Queue(list[QueueRow]):
    """The first rows of a work queue, most urgent first, and how many it holds in all."""

    def __init__(self, rows: list[QueueRow], total: int) -> None:
        super().__init__(rows)
        self.total = total


def department_queue(actor: Staff, limit: int | None = None, book: LightBook | None = None) -> Queue:
    """A liaison's landing page: their department's open items of cases under way, most urgent first.

    Ranked in SQL, only the first `limit` rows read (as plain columns: what a row shows, the case's project
    and applicant as submitted, as the lists show them). An item's light only worsens as its deadline nears,
    so "red, yellow, green, then paused, then no deadline; the earliest deadline first" is an ORDER BY on
    (paused, no deadline, deadline) with the light book's own deadline rule (`item_deadline_sql`).
    """
    if actor.department_id is None:
        return Queue([], 0)
    scope = and_(
        CaseItem.department_id == actor.department_id,
        Case.region_id.in_(visible_region_ids(actor)),
        CaseItem.state.in_(OPEN_ITEM_VALUES),
        Case.state.in_([CaseState.PLANNED.value, CaseState.IN_PROGRESS.value]),
    )
    deadline = item_deadline_sql()
    paused = CaseItem.state.in_(sorted(PAUSED_ITEM_VALUES))
    query = (
        select(
            CaseItem.id,
            CaseItem.case_id,
            Case.number.label("case_number"),
            Case.project_name,
            Case.enterprise_name,
            CaseItem.name,
            CaseItem.state,
            CaseItem.version,
            CaseItem.planned_filing_on,
            CaseItem.due_on,
            CaseItem.time_limit_days,
            CaseItem.allows_incomplete,
            CaseItem.allows_commitment,
        )
        .join(Case, CaseItem.case_id == Case.id)
        .where(scope)
        .order_by(sql_case((paused, 1), (deadline.is_(None), 2), else_=0), deadline.is_(None), deadline, CaseItem.id)
        .limit(limit)
    )
    book = book or light_book()
    roles = role_names(actor)
    # Plain rows, not records: the queue holds items of cases at work only, which is what their rows' guard asks.
    rows = [
        QueueRow(
            row,
            book.item_values(row.state, row.planned_filing_on, row.due_on),
            item_deadline(row.state, row.planned_filing_on, row.due_on),
            actions_for(ITEM_TRANSITIONS, row.state, roles),
            due_pending(row.state, row.due_on, row.time_limit_days),
        )
        for row in db.session.execute(query)
    ]
    if limit is None or len(rows) < limit:
        return Queue(rows, len(rows))
    total = select(func.count(CaseItem.id)).join(Case, CaseItem.case_id == Case.id).where(scope)
    return Queue(rows, db.session.scalar(total) or 0)


def agent_queue(actor: Staff, limit: int | None = None, book: LightBook | None = None) -> Queue:
    """An agent's landing page: open cases they run, plus new applications nobody took yet, most urgent first.

    Read as plain columns like `department_queue`: the cases, then one line per case summing up its open items
    (the earliest deadline of those whose clock runs, the earliest of all, whether any is paused): what the light
    and the ranking need, without reading every item (`LightBook.case_summary`).
    """
    scope = and_(
        Case.region_id.in_(visible_region_ids(actor)),
        Case.state.in_(OPEN_CASE_VALUES),
        agent_desk_sql(actor.id),
    )
    cases = db.session.execute(
        select(
            Case.id,
            Case.number,
            Case.state,
            Case.agent_id,
            Case.version,
            Case.project_name,
            Case.enterprise_name,
            Case.step_due_on,
            Case.planned_end,
        ).where(scope)
    ).all()
    summaries = open_item_summaries(select(Case.id).where(scope))
    book = book or light_book()
    ranked = []
    for case in cases:
        running, earliest, any_paused = summaries.get(case.id, (None, None, False))
        light = book.case_summary(case.state, case.step_due_on, case.planned_end, running, any_paused)
        # The earliest of the case's own deadline (accept, sign, plan, planned end) and its open items'.
        deadlines = [earliest, case_deadline(case.state, case.step_due_on, case.planned_end)]
        deadline_on = min((d for d in deadlines if d), default=None)
        ranked.append(((*urgency_key(light, deadline_on), case.id), case, light, deadline_on))
    ranked.sort(key=lambda entry: entry[0])  # red, yellow, green, paused, none; the earliest deadline first
    roles = role_names(actor)
    # Plain rows, not records: no case row has a guard (tests/unit/test_workflow_rows.py says so), so roles decide.
    rows = [
        QueueRow(case, light, deadline_on, actions_for(CASE_TRANSITIONS, case.state, roles))
        for _, case, light, deadline_on in ranked[:limit]
    ]
    return Queue(rows, len(ranked))
