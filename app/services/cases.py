"""Agency cases: application, entrustment, plan, parallel approvals, completion, termination, evaluation.

Every state change goes through `move_case` / `move_item`, along the rows of `app.domain.workflow`,
inside one transaction, and leaves an immutable CaseEvent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.domain.codes import validate_credit_code, validate_project_code
from app.domain.enums import RoleName
from app.domain.errors import N_, Forbidden, NotFound, StaleRecord, UnknownCalendarYear, ValidationError
from app.domain.lights import urgency_key
from app.domain.workdays import WorkCalendar
from app.domain.workflow import (
    ACTION_LABELS,
    CASE_TRANSITIONS,
    ITEM_TRANSITIONS,
    ITEM_WORK_CASE_VALUES,
    NEED_MESSAGES,
    OPEN_CASE_STATES,
    OPEN_CASE_VALUES,
    OPEN_ITEM_STATES,
    OPEN_ITEM_VALUES,
    PLAN_CASE_VALUES,
    CaseState,
    Channel,
    ItemState,
    Need,
    ProjectCategory,
    Satisfaction,
    Transition,
    actions_for,
    find_transition,
)
from app.extensions import db
from app.models import (
    Case,
    CaseEvent,
    CaseItem,
    CatalogItem,
    Enterprise,
    Evaluation,
    ItemPause,
    Project,
    Region,
    Staff,
)
from app.models.org import now
from app.services.calendar import work_calendar
from app.services.clock import today
from app.services.lights import light_book
from app.services.scope import role_names, visible_region_ids
from app.services.uow import transaction


class InvalidTransition(ValidationError):
    template = N_("“%(action)s” is not possible while the case is “%(state)s”.")


class InvalidItemTransition(ValidationError):
    template = N_("“%(action)s” is not possible while the item is “%(state)s”.")


# --- access ----------------------------------------------------------------------------------------------


def _load_case(case_id: int, actor: Staff) -> Case:
    case = db.session.get(Case, case_id)
    if case is None or case.region_id not in visible_region_ids(actor):
        raise NotFound()
    return case


def _load_item(item_id: int, actor: Staff) -> CaseItem:
    item = db.session.get(CaseItem, item_id)
    if item is None or item.case.region_id not in visible_region_ids(actor):
        raise NotFound()
    if _is_liaison_only(actor) and item.department_id != actor.department_id:
        raise NotFound()  # a liaison sees their own department's items only
    return item


def _is_liaison_only(actor: Staff) -> bool:
    return role_names(actor) == {RoleName.LIAISON.value}


def can_open_case(case: Case, actor: Staff) -> bool:
    """Whether the actor may see the case page (liaisons: only if an item of theirs is in it)."""
    if case.region_id not in visible_region_ids(actor):
        return False
    if _is_liaison_only(actor):
        return any(item.department_id == actor.department_id for item in case.items)
    return True


def _check_version(record: Case | CaseItem, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != record.version:
        raise _stale(record)


def _stale(record: Case | CaseItem) -> StaleRecord:
    db.session.refresh(record)
    who = record.updated_by.username if record.updated_by else "?"
    return StaleRecord(who=who, when=record.updated_at.strftime("%Y-%m-%d %H:%M:%S"))


class _committing:
    """A transaction that turns a lost race on a versioned row into the same StaleRecord as a stale form."""

    def __init__(self, record: Case | CaseItem) -> None:
        self.record = record
        self.inner = transaction()

    def __enter__(self) -> None:
        self.inner.__enter__()

    def __exit__(self, kind: Any, error: Any, trace: Any) -> bool:
        try:
            self.inner.__exit__(kind, error, trace)
        except StaleDataError:
            raise _stale(self.record) from None
        if kind is None:
            return False
        if isinstance(error, StaleDataError):
            raise _stale(self.record) from None
        return False


def _event(case: Case, actor: Staff, action: str, *, item: CaseItem | None = None, **fields: Any) -> None:
    db.session.add(
        CaseEvent(
            case_id=case.id, item_id=item.id if item else None, action=action, actor_id=actor.id, at=now(), **fields
        )
    )


def _touch(record: Case | CaseItem, actor: Staff) -> None:
    record.updated_by_id = actor.id
    record.updated_at = now()


def _check_date(on: dt.date, *, not_before: dt.date | None = None) -> dt.date:
    if on > today():
        raise ValidationError(N_("The date %(on)s lies in the future."), on=on.isoformat())
    if not_before is not None and on < not_before:
        raise ValidationError(
            N_("The date %(on)s is before %(before)s, the date of the previous step."),
            on=on.isoformat(),
            before=not_before.isoformat(),
        )
    return on


# --- enterprises, projects, applications --------------------------------------------------------------

_ENTERPRISE_FIELDS = (
    "name",
    "credit_code",
    "address",
    "postcode",
    "legal_representative",
    "phone",
    "contact_person",
    "contact_phone",
)
_PROJECT_FIELDS = (
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
    cleaned = {key: _text(values, key, 300) for key in _ENTERPRISE_FIELDS}
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
    cleaned: dict[str, Any] = {key: _text(values, key, 300) for key in _PROJECT_FIELDS}
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
    prefix = f"{region.code}-{year}-"
    count = db.session.scalar(select(func.count(Case.id)).where(Case.number.like(prefix + "%")))
    return f"{prefix}{count + 1:04d}"


def submit_application(
    region_id: int,
    enterprise: dict[str, Any],
    project: dict[str, Any],
    channel: str,
    applied_on: dt.date,
    catalog_item_ids: list[int],
    actor: Staff,
    other_items_text: str = "",
    note: str = "",
) -> Case:
    """Register an application (Attachment 4): enterprise (reused by credit code), project, case and its items."""
    if RoleName.AGENT.value not in role_names(actor):
        raise Forbidden()
    if region_id not in visible_region_ids(actor):
        raise NotFound()
    region = db.session.get(Region, region_id)
    try:
        channel = Channel(channel).value
    except ValueError:
        raise ValidationError(N_("Choose the channel the application came by.")) from None
    _check_date(applied_on)
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
        else:
            for key, value in enterprise_values.items():
                if value:
                    setattr(company, key, value)
        db.session.flush()
        venture = Project(region_id=region_id, enterprise_id=company.id, **project_values)
        db.session.add(venture)
        db.session.flush()
        case = Case(
            number=_case_number(region, applied_on.year),
            region_id=region_id,
            project_id=venture.id,
            channel=channel,
            state=CaseState.SUBMITTED.value,
            applied_on=applied_on,
            request_note=(note or "").strip()[:4000],
            created_by_id=actor.id,
        )
        _touch(case, actor)
        db.session.add(case)
        db.session.flush()
        _event(case, actor, "submit", to_state=CaseState.SUBMITTED.value, on_date=applied_on, note=case.request_note)
        _add_items(case, catalog_item_ids, other_items_text, actor)
    return case


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
    for catalog_id in ids:
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
            position=entry.seq,
        )
        _touch(item, actor)
        db.session.add(item)
        added.append(item)
    db.session.flush()
    for item in added:
        _event(case, actor, "add_item", item=item, to_state=ItemState.PLANNED.value, note=item.name)
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
    case = _load_case(case_id, actor)
    _check_version(case, expected_version)
    if RoleName.AGENT.value not in role_names(actor):
        raise Forbidden()
    if case.state not in OPEN_CASE_STATES:
        raise ValidationError(N_("Items can be added only to an open case."))
    with _committing(case):
        added = _add_items(case, catalog_item_ids, other_text, actor)
        _touch(case, actor)
    return added


def assign_agent(case_id: int, agent_id: int, actor: Staff, expected_version: int | None = None) -> Case:
    """Name the agent who runs the case (an agent of the case's region)."""
    case = _load_case(case_id, actor)
    _check_version(case, expected_version)
    if not role_names(actor) & {RoleName.AGENT.value, RoleName.SUPERVISOR.value}:
        raise Forbidden()
    agent = db.session.get(Staff, agent_id)
    if agent is None or agent.region_id != case.region_id or RoleName.AGENT.value not in role_names(agent):
        raise ValidationError(N_("Choose an agent of the case's own service centre."))
    with _committing(case):
        case.agent_id = agent.id
        _touch(case, actor)
        _event(case, actor, "assign_agent", note=agent.first_name + agent.last_name, on_date=today())
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
) -> Case:
    """The service plan: order of the items and their planned filing dates; items of a stage run in parallel."""
    case = _load_case(case_id, actor)
    _check_version(case, expected_version)
    if RoleName.AGENT.value not in role_names(actor):
        raise Forbidden()
    if case.state not in OPEN_CASE_STATES:
        raise ValidationError(N_("The plan of a closed case cannot change."))
    by_id = {item.id: item for item in case.items}
    with _committing(case):
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
                _touch(item, actor)
        case.planned_end = planned_end or _estimated_end(case)
        _touch(case, actor)
        _event(case, actor, "plan_schedule", on_date=today(), note=_schedule_summary(case))
    return case


def _estimated_end(case: Case) -> dt.date | None:
    """The latest planned filing date plus that item's limit, when the calendar can tell."""
    calendar = work_calendar()
    ends = []
    for item in case.items:
        if item.state in (ItemState.WITHDRAWN.value,) or item.planned_filing_on is None:
            continue
        try:
            ends.append(calendar.add_working_days(item.planned_filing_on, item.time_limit_days or 0))
        except UnknownCalendarYear:
            return None
    return max(ends) if ends else None


def _schedule_summary(case: Case) -> str:
    return "; ".join(
        f"{item.name}: {item.planned_filing_on.isoformat() if item.planned_filing_on else '-'}"
        for item in case.items
        if item.state != ItemState.WITHDRAWN.value
    )[:4000]


# --- case transitions ---------------------------------------------------------------------------------


def _transition(table: tuple[Transition, ...], state: str, action: str, actor: Staff) -> Transition:
    transition = find_transition(table, state, action)
    if transition is None:
        if table is CASE_TRANSITIONS:
            raise InvalidTransition(action=ACTION_LABELS.get(action, action), state=CaseState(state).label)
        raise InvalidItemTransition(action=ACTION_LABELS.get(action, action), state=ItemState(state).label)
    if not {r.value for r in transition.roles} & role_names(actor):
        raise Forbidden()
    return transition


def _need(need: Need, **params: Any) -> ValidationError:
    return ValidationError(NEED_MESSAGES[need], **params)


def move_case(
    case_id: int,
    action: str,
    actor: Staff,
    on: dt.date | None = None,
    *,
    note: str = "",
    expected_version: int | None = None,
    materials_returned: bool = False,
    materials_note: str = "",
    archived: bool = False,
    level: str = "",
) -> Case:
    """Take `action` on a case along the workflow table; refuses with a named reason, changing nothing."""
    case = _load_case(case_id, actor)
    _check_version(case, expected_version)
    transition = _transition(CASE_TRANSITIONS, case.state, action, actor)
    on = _check_date(on or today(), not_before=case.applied_on)
    note = (note or "").strip()
    for need in transition.needs:
        _check_case_need(case, need, note=note, materials_returned=materials_returned, archived=archived, level=level)
    with _committing(case):
        before = case.state
        case.state = transition.next_state
        _apply_case_effects(case, action, on, note, materials_returned, materials_note, archived, level, actor)
        _touch(case, actor)
        _event(case, actor, action, from_state=before, to_state=case.state, on_date=on, note=note)
    return case


def _check_case_need(
    case: Case, need: Need, *, note: str, materials_returned: bool, archived: bool, level: str
) -> None:
    live_items = [i for i in case.items if i.state != ItemState.WITHDRAWN.value]
    if need is Need.AGENT and case.agent_id is None:
        raise _need(need)
    if need is Need.ITEMS and not live_items:
        raise _need(need)
    if need is Need.SCHEDULE and any(i.planned_filing_on is None for i in live_items if i.state == "planned"):
        raise _need(need)
    if need is Need.ITEMS_CLOSED:
        still_open = [i for i in case.items if i.state in OPEN_ITEM_STATES]
        if still_open:
            raise _need(need, n=len(still_open))
    if need is Need.REASON and not note:
        raise _need(need)
    if need is Need.MATERIALS_RETURNED and not materials_returned:
        raise _need(need)
    if need is Need.ARCHIVED and not archived:
        raise _need(need)
    if need is Need.EVALUATION:
        try:
            Satisfaction(level)
        except ValueError:
            raise _need(need) from None
        if case.evaluation is not None:
            raise ValidationError(N_("This case has been evaluated already."))


def _apply_case_effects(
    case: Case,
    action: str,
    on: dt.date,
    note: str,
    materials_returned: bool,
    materials_note: str,
    archived: bool,
    level: str,
    actor: Staff,
) -> None:
    if action == "accept":
        case.accepted_on = on
        if case.agent_id is None:
            case.agent_id = actor.id  # the accepting agent runs the case until someone else is named
    elif action == "entrust":
        case.entrusted_on = on
    elif action == "plan":
        case.planned_on = on
        case.planned_end = case.planned_end or _estimated_end(case)
    elif action in ("refuse", "terminate"):
        case.close_reason = note[:4000]
        case.closed_on = on
        case.materials_returned = materials_returned
        case.materials_note = (materials_note or "").strip()[:500]
        if action == "terminate":
            for item in case.items:
                if item.state in (ItemState.PLANNED.value, ItemState.PREPARING.value):
                    item.state = ItemState.WITHDRAWN.value
                    item.closed_on = on
                    _touch(item, actor)
                    _event(
                        case,
                        actor,
                        "withdraw",
                        item=item,
                        from_state="planned",
                        to_state="withdrawn",
                        on_date=on,
                        note=note,
                    )
    elif action == "complete":
        case.closed_on = on
        case.materials_returned = True
        case.materials_note = (materials_note or "").strip()[:500]
        case.archived = archived
    elif action == "evaluate":
        db.session.add(
            Evaluation(case_id=case.id, level=level, comments=note[:4000], evaluated_on=on, recorded_by_id=actor.id)
        )


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


# --- item transitions -----------------------------------------------------------------------------------


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
    item = _load_item(item_id, actor)
    _check_version(item, expected_version)
    transition = _transition(ITEM_TRANSITIONS, item.state, action, actor)
    case = item.case
    if case.state not in (CaseState.PLANNED.value, CaseState.IN_PROGRESS.value) and action != "withdraw":
        raise ValidationError(N_("The case's service plan is not fixed yet, or the case is closed."))
    if case.state not in OPEN_CASE_STATES:
        raise ValidationError(N_("The case is closed."))
    note = (note or "").strip()
    if Need.NOTE in transition.needs and not note:
        raise _need(Need.NOTE)
    previous = item.paused_since or item.accepted_on or item.filed_on or case.applied_on
    on = _check_date(on or today(), not_before=previous)
    if action == "accept" and incomplete and promised_on is None:
        raise _need(Need.PROMISED_DATE)
    with _committing(item):
        before = item.state
        item.state = transition.next_state
        _apply_item_effects(item, action, on, note, incomplete, promised_on, commitment)
        _touch(item, actor)
        _event(case, actor, action, item=item, from_state=before, to_state=item.state, on_date=on, note=note)
        if case.state == CaseState.PLANNED.value and action != "withdraw":
            case.state = CaseState.IN_PROGRESS.value
            _touch(case, actor)
            _event(case, actor, "start", from_state="planned", to_state=case.state, on_date=on, note=item.name)
    return item


def _apply_item_effects(
    item: CaseItem,
    action: str,
    on: dt.date,
    note: str,
    incomplete: bool,
    promised_on: dt.date | None,
    commitment: bool,
) -> None:
    if note:
        item.note = note[:500]
    if action == "prepare":
        item.filed_on = None
    elif action == "accept":
        item.filed_on = item.filed_on or on
        item.accepted_on = on
        item.incomplete_acceptance = incomplete
        item.materials_promised_on = promised_on if incomplete else None
        item.commitment = commitment
        item.due_on = _due(item)
    elif action in ("request_supplement", "request_rectification"):
        item.paused_since = on
        item.due_on = None  # the clock stands still until the applicant answers
        db.session.add(ItemPause(item_id=item.id, reason=item.state, paused_on=on))
    elif action == "resubmit":
        pause = db.session.scalar(select(ItemPause).where(ItemPause.item_id == item.id, ItemPause.resumed_on.is_(None)))
        try:
            days = work_calendar().working_days_between(item.paused_since, on)
        except UnknownCalendarYear:
            days = (on - item.paused_since).days  # upper bound until the year is entered; recomputed then
        if pause is not None:
            pause.resumed_on = on
            pause.working_days = days
        item.paused_days += days
        item.paused_since = None
        item.due_on = _due(item)
    elif action in ("approve", "reject", "withdraw"):
        item.closed_on = on


def _due(item: CaseItem, calendar: WorkCalendar | None = None) -> dt.date | None:
    """Acceptance date + the item's limit + the working days the clock was paused.

    None while the limit runs into a year whose holiday schedule nobody entered: the fact of acceptance
    is still recorded, and `recompute_due_dates` fills the date in once the year is entered.
    """
    if item.accepted_on is None or item.time_limit_days is None:
        return None
    try:
        return (calendar or work_calendar()).add_working_days(item.accepted_on, item.time_limit_days + item.paused_days)
    except UnknownCalendarYear:
        return None


def recompute_due_dates() -> int:
    """Fill in due dates that could not be computed before a year's schedule was entered; returns how many."""
    calendar = work_calendar()
    waiting = db.session.scalars(
        select(CaseItem).where(
            CaseItem.due_on.is_(None),
            CaseItem.accepted_on.is_not(None),
            CaseItem.time_limit_days.is_not(None),
            CaseItem.paused_since.is_(None),
            CaseItem.state.in_(OPEN_ITEM_VALUES),
        )
    )
    count = 0
    for item in waiting:
        item.due_on = _due(item, calendar)
        count += item.due_on is not None
    return count


def accept_item(item_id: int, actor: Staff, on: dt.date | None = None, **kw: Any) -> CaseItem:
    return move_item(item_id, "accept", actor, on, **kw)


def approve_item(item_id: int, actor: Staff, on: dt.date | None = None, **kw: Any) -> CaseItem:
    return move_item(item_id, "approve", actor, on, **kw)


def request_supplement(item_id: int, actor: Staff, note: str, on: dt.date | None = None, **kw: Any) -> CaseItem:
    return move_item(item_id, "request_supplement", actor, on, note=note, **kw)


def resubmit_item(item_id: int, actor: Staff, on: dt.date | None = None, **kw: Any) -> CaseItem:
    return move_item(item_id, "resubmit", actor, on, **kw)


# --- reading ----------------------------------------------------------------------------------------------


def timeline(case_id: int, actor: Staff) -> list[CaseEvent]:
    """The case's events, oldest first (a liaison sees the case's own events and their items' only)."""
    case = _load_case(case_id, actor)
    query = select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.at, CaseEvent.id)
    events = list(db.session.scalars(query))
    if _is_liaison_only(actor):
        mine = {i.id for i in case.items if i.department_id == actor.department_id}
        events = [e for e in events if e.item_id is None or e.item_id in mine]
    return events


def case_for(case_id: int, actor: Staff) -> Case:
    case = _load_case(case_id, actor)
    if not can_open_case(case, actor):
        raise NotFound()
    return case


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
    works = case.state in ITEM_WORK_CASE_VALUES
    plans = case.state in PLAN_CASE_VALUES
    items = [i for i in case.items if not _is_liaison_only(actor) or i.department_id == actor.department_id]
    return CaseAccess(
        case_actions=actions_for(CASE_TRANSITIONS, case.state, roles),
        item_actions={
            i.id: [
                t for t in actions_for(ITEM_TRANSITIONS, i.state, roles) if works or (plans and t.action == "withdraw")
            ]
            for i in items
        },
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
        for key, value in cleaned.items():
            setattr(company, key, value)
    return company


def update_project(project_id: int, values: dict[str, Any], actor: Staff) -> Project:
    """Correct a project's data (same checks as at application)."""
    if RoleName.AGENT.value not in role_names(actor):
        raise Forbidden()
    venture = db.session.get(Project, project_id)
    if venture is None or venture.region_id not in visible_region_ids(actor):
        raise NotFound()
    cleaned = clean_project(values)
    with transaction():
        for key, value in cleaned.items():
            setattr(venture, key, value)
    return venture


# --- work queues -----------------------------------------------------------------------------------------


@dataclass
class QueueRow:
    """One line of a work queue: the record, how urgent it is, and what the user can do next."""

    record: Any
    light: Any
    deadline: dt.date | None
    actions: list[Transition]


def department_queue(actor: Staff) -> list[QueueRow]:
    """A liaison's landing page: their department's open items of cases under way, most urgent first."""
    if actor.department_id is None:
        return []
    query = (
        select(CaseItem)
        .join(Case, CaseItem.case_id == Case.id)
        .where(
            CaseItem.department_id == actor.department_id,
            Case.region_id.in_(visible_region_ids(actor)),
            CaseItem.state.in_(OPEN_ITEM_VALUES),
            Case.state.in_([CaseState.PLANNED.value, CaseState.IN_PROGRESS.value]),
        )
        .options(selectinload(CaseItem.case).selectinload(Case.project).selectinload(Project.enterprise))
    )
    book = light_book()
    roles = role_names(actor)
    rows = [
        QueueRow(item, book.item(item), book.deadline(item), actions_for(ITEM_TRANSITIONS, item.state, roles))
        for item in db.session.scalars(query)
    ]
    rows.sort(key=lambda row: urgency_key(row.light, row.deadline))
    return rows


def agent_queue(actor: Staff) -> list[QueueRow]:
    """An agent's landing page: open cases they run, plus new applications nobody took yet, most urgent first."""
    query = (
        select(Case)
        .where(
            Case.region_id.in_(visible_region_ids(actor)),
            Case.state.in_(OPEN_CASE_VALUES),
            # Their own cases, and new applications nobody has taken (accepting names the agent).
            or_(Case.agent_id == actor.id, and_(Case.agent_id.is_(None), Case.state == CaseState.SUBMITTED.value)),
        )
        .options(selectinload(Case.items), selectinload(Case.project).selectinload(Project.enterprise))
    )
    book = light_book()
    roles = role_names(actor)
    rows = []
    for case in db.session.scalars(query):
        deadlines = [book.deadline(i) for i in case.items if book.deadline(i) and i.state in OPEN_ITEM_VALUES]
        deadline = min(deadlines, default=case.planned_end)
        rows.append(QueueRow(case, book.case(case), deadline, actions_for(CASE_TRANSITIONS, case.state, roles)))
    rows.sort(key=lambda row: urgency_key(row.light, row.deadline))
    return rows
