"""Applications from outside the window (#12): the government service website, the app, the 12345 hotline;
and the applicant's progress lookup.

Interfaces (the public pages, the 12345 intake and the data API call these):

- `apply_online(values, *, channel="website", channel_ref="", actor=None) -> Case`
  registers an application (Attachment 4) as a case in 已申请 (submitted) with the given channel, after the
  back-office's checks, all fields at once. `values` is a flat mapping (a form's MultiDict or a dict):

    region                          the region's code (its published catalog is what may be asked for)
    enterprise_name*, enterprise_credit_code*, enterprise_address, enterprise_postcode,
    enterprise_legal_representative, enterprise_phone (the legal representative's),
    enterprise_contact_person*, enterprise_contact_phone* (the phone registered for the progress lookup)
    project_name*, project_code, project_address, project_total_investment, project_planned_investment
    (万元), project_fund_source, project_land_nature, project_category (a ProjectCategory value),
    project_main_use_and_scale, project_progress_before
    catalog_item_id                 ids of items of the region's published catalog: a list (dict) or
                                    repeated keys (MultiDict); at least one, or other_text
    other_text                      the other approval asked for (with the catalog's "other" item)
    note                            free text for the agent
  (* required). The online channels get a generated receipt in `case.channel_ref` unless one is given;
  the hotline (channel "hotline") requires `channel_ref`, the 12345 ticket number, unique among hotline
  cases. Without an actor (public page, app) the events are the system's; with one (an agent taking a
  12345 call), the agent's role and region scope are checked as for any application.
  Refusal: `ApplicationRefused` (a ValidationError) whose `problems` maps each field name above (or
  "" for the form as a whole) to the DomainError for that field, to be translated by the caller.
  `NotFound` / `Forbidden` only for an actor outside the region or without the agent role.

- `check_application(values) -> dict[str, DomainError]`: the same per-field problems, registering nothing.
- `regions_taking_applications() -> list[(Region, published item count)]`.

- `progress(number, phone) -> Progress | None`: the case's state and its items for the applicant. None for
  an unknown number and for a wrong phone alike (same answer, compared in constant time). The phone is the
  contact phone submitted with the application, normalised (spaces, dashes, +86 ignored).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.domain.channels import check_phone, new_receipt, normalise_phone, same_phone
from app.domain.errors import N_, DomainError, Forbidden, NotFound, ValidationError
from app.domain.workflow import CaseState, Channel, ItemState
from app.extensions import db
from app.models import Case, CaseItem, CatalogItem, ChannelReference, Project, Region, Staff
from app.services import cases
from app.services.applications import field_problems, refusal, text
from app.services.catalog import published_catalog
from app.services.clock import today

ENTERPRISE_KEYS = cases.ENTERPRISE_FIELDS
# The public form asks the project what the back office does, but whether it is a key project and its leader in
# charge: the service centre decides those.
PROJECT_KEYS = tuple(key for key in cases.PROJECT_FIELDS if key not in ("is_key_project", "leader_in_charge"))
REQUIRED = (
    "enterprise_name",
    "enterprise_credit_code",
    "enterprise_contact_person",
    "enterprise_contact_phone",
    "project_name",
    "project_category",  # no default: an unchosen category was saved as the list's first (重点投资建设项目)
)
PHONE_FIELDS = ("enterprise_phone", "enterprise_contact_phone")


class ApplicationRefused(ValidationError):
    """The application was not registered; `problems` says why, field by field ("" = the form as a whole)."""

    template = N_("The application was not registered: correct the fields marked below.")

    def __init__(self, problems: dict[str, DomainError]) -> None:
        super().__init__()
        self.problems = problems


class NoItemChosen(ValidationError):
    template = N_("Choose at least one approval item, or name the other approval you need.")


class ItemNotPublished(ValidationError):
    template = N_("An item chosen is not in this region's published catalog. Choose from the list.")


class UnknownRegion(ValidationError):
    template = N_("Choose the region where the project is located.")


class TicketRequired(ValidationError):
    template = N_("The 12345 ticket number is required.")


class DuplicateTicket(ValidationError):
    template = N_("12345 ticket %(ticket)s is already registered with case %(case)s.")


class ProjectAlreadyRegistered(ValidationError):
    """For the public: a project code already in the books, without telling whose or which case."""

    template = N_(
        "This project code is already registered with the service centre. "
        "Please contact the service centre to continue the existing application."
    )


# --- applying ---------------------------------------------------------------------------------------------


def _item_ids(values: Mapping[str, Any]) -> tuple[list[int], bool]:
    """The catalog ids asked for, and whether any given was not an id at all."""
    raw: Any = values.getlist("catalog_item_id") if hasattr(values, "getlist") else values.get("catalog_item_id")
    if raw is None:
        raw = []
    elif isinstance(raw, str | int):
        raw = [raw]
    ids, bad = [], False
    for value in raw:
        text = str(value).strip()
        if text.isdigit():
            ids.append(int(text))
        elif text:
            bad = True
    return list(dict.fromkeys(ids)), bad


def application_problems(
    values: Mapping[str, Any], region: Region | None, published: list[CatalogItem]
) -> dict[str, DomainError]:
    """Every field the application would be refused for, all at once (the service's own checks, one by one)."""
    problems = field_problems(values, {"enterprise": ENTERPRISE_KEYS, "project": PROJECT_KEYS}, REQUIRED)
    for name in PHONE_FIELDS:
        if name not in problems and text(values, name).strip():
            error = refusal(lambda n=name: check_phone(text(values, n)))
            if error is not None:
                problems[name] = error
    if region is None:
        problems["region"] = UnknownRegion()
        return problems
    ids, bad = _item_ids(values)
    by_id = {item.id: item for item in published}
    other_text = text(values, "other_text").strip()
    if bad or any(i not in by_id for i in ids):
        problems["catalog_item_id"] = ItemNotPublished()
    elif not ids and not other_text:
        problems["catalog_item_id"] = NoItemChosen()
    elif any(by_id[i].is_other for i in ids) and not other_text:
        problems["other_text"] = ValidationError(N_("Name the other approval the applicant asks for."))
    elif other_text and not any(item.is_other for item in published):
        problems["other_text"] = ValidationError(
            N_("This region's catalog takes no other approvals online: choose from the list.")
        )
    return problems


def check_application(values: Mapping[str, Any]) -> dict[str, DomainError]:
    """What `apply_online` would refuse in these values, field by field, without registering anything."""
    region, published = _region_catalog(values)
    return application_problems(values, region, published)


def _region_catalog(values: Mapping[str, Any]) -> tuple[Region | None, list[CatalogItem]]:
    """The region named by the values and its published catalog (None for an unknown or inactive region)."""
    with contextlib.suppress(NotFound):
        region, published = published_catalog(text(values, "region").strip())
        if region.active:
            return region, published
    return None, []


def apply_online(
    values: Mapping[str, Any],
    *,
    channel: str = Channel.WEBSITE.value,
    channel_ref: str = "",
    actor: Staff | None = None,
) -> Case:
    """Register an application from the website, the app or a 12345 call as a case in 已申请 (see module doc).

    Raises `ApplicationRefused` with per-field problems; `NotFound`/`Forbidden` for an actor outside the region.
    """
    try:
        channel = Channel(channel).value
    except ValueError:
        raise ApplicationRefused({"": ValidationError(N_("Choose the channel the application came by."))}) from None
    region, published = _region_catalog(values)
    problems = application_problems(values, region, published)
    ref = (channel_ref or "").strip()[:40]
    if channel == Channel.HOTLINE.value:
        if not ref:
            problems["channel_ref"] = TicketRequired()
        elif (taken := _ticket_holder(ref)) is not None:
            problems["channel_ref"] = DuplicateTicket(ticket=ref, case=taken)
    if problems or region is None:  # an unknown region is always among the problems
        raise ApplicationRefused(problems or {"region": UnknownRegion()})
    ids, _bad = _item_ids(values)
    other_text = text(values, "other_text").strip()
    if other_text and not any(item.is_other for item in published if item.id in ids):
        ids.append(next(item.id for item in published if item.is_other))  # the text alone asks for "other"
    enterprise = {key: text(values, f"enterprise_{key}") for key in ENTERPRISE_KEYS}
    project = {key: text(values, f"project_{key}") for key in PROJECT_KEYS}
    for attempt in range(3):
        reference = ref or new_receipt(channel, today().strftime("%Y%m%d"))
        try:
            return cases.submit_application(
                region.id,
                enterprise,
                project,
                channel,
                today(),
                ids,
                actor,
                other_items_text=other_text,
                note=text(values, "note"),
                channel_ref=reference,
            )
        except (cases.DuplicateProject, cases.ProjectOfAnotherEnterprise) as error:
            # Staff may see which case holds the code; the public is told only that it is taken.
            raise ApplicationRefused(
                {"project_code": error if actor is not None else ProjectAlreadyRegistered()}
            ) from None
        except (NotFound, Forbidden):
            raise  # an actor outside the region, or not an agent
        except DomainError as error:  # any other rule of the application (a calendar year not known yet, …)
            raise ApplicationRefused({"": error}) from None
        except IntegrityError:
            if ref and (taken := _ticket_holder(ref)) is not None:  # the same ticket entered at the same moment
                raise ApplicationRefused({"channel_ref": DuplicateTicket(ticket=ref, case=taken)}) from None
            # Two online applications drew the same receipt: draw again.
            if attempt == 2:
                raise
    raise ApplicationRefused({"": ValidationError()})  # not reached: the third attempt re-raises


def _ticket_holder(ref: str) -> str | None:
    """The number of the case that claimed a 12345 ticket, if one did."""
    return db.session.scalar(
        select(Case.number)
        .join(ChannelReference, ChannelReference.case_id == Case.id)
        .where(ChannelReference.channel == Channel.HOTLINE.value, ChannelReference.ref == ref)
    )


def regions_taking_applications() -> list[tuple[Region, int]]:
    """Active regions with a published catalog (and how many items it has), by division code."""
    counts = (
        select(CatalogItem.region_id, func.count(CatalogItem.id).label("n"))
        .where(CatalogItem.retired_at.is_(None), CatalogItem.unpublished.is_(False))
        .group_by(CatalogItem.region_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Region, counts.c.n)
        .join(counts, counts.c.region_id == Region.id)
        .where(Region.active.is_(True))
        .order_by(Region.code)
    ).all()
    return [(region, count) for region, count in rows]


# --- progress ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgressItem:
    """One approval of the case as the applicant sees it."""

    name: str
    department: str
    state: str  # the English msgid of the item state's label, translated by the caller
    due_on: dt.date | None


@dataclass(frozen=True)
class Progress:
    """What the applicant may see of a case: nothing else (no notes, no other staff, no ids but the number)."""

    number: str
    state: str  # the English msgid of the case state's label, translated by the caller
    applied_on: dt.date
    agent: str | None  # the agent's display name, once named
    items: tuple[ProgressItem, ...]


def registered_phone(case: Case) -> str:
    """The contact phone submitted with the application (what the applicant registered), else the enterprise's."""
    try:
        submitted = json.loads(case.submitted_data or "{}").get("enterprise") or {}
    except ValueError:
        submitted = {}
    phone = str(submitted.get("contact_phone") or "")
    if not normalise_phone(phone):
        phone = case.project.enterprise.contact_phone or ""
    return phone


def _unknown_phone() -> str:
    """What an unknown number is compared with: read from a record like a known number's (same parsing work)."""
    json.loads('{"enterprise": {"contact_phone": ""}}')
    return "\x00unknown"


def progress(number: str, phone: str) -> Progress | None:
    """The case's progress for the applicant, or None when the number is unknown or the phone is not its own.

    Both refusals are the same None and take the same time: one query of the same shape (the case with its
    enterprise and items joined, so a known number loads nothing more), a phone compared in constant time, and
    every answer held to at least PUBLIC_PROGRESS_MIN_MS (building a known case's objects still costs a fraction
    of a millisecond more than finding none) — so neither the answer nor its timing tells whether a number exists.
    """
    started = time.perf_counter()
    found = _progress(number, phone)
    floor = int(current_app.config.get("PUBLIC_PROGRESS_MIN_MS", 0)) / 1000 if has_app_context() else 0
    rest = floor - (time.perf_counter() - started)
    if rest > 0:
        time.sleep(rest)
    return found


def _progress(number: str, phone: str) -> Progress | None:
    wanted = (number or "").strip().upper()[:32]
    case = (
        db.session.scalars(
            select(Case)
            .where(Case.number == wanted)
            .options(
                joinedload(Case.project).joinedload(Project.enterprise),
                joinedload(Case.items).joinedload(CaseItem.department),
            )
        )
        .unique()
        .first()
    )
    registered = registered_phone(case) if case is not None else _unknown_phone()
    matches = same_phone(registered, phone)
    if case is None or not matches:
        return None
    agent = case.agent
    agent_name = f"{agent.first_name or ''}{agent.last_name or ''}".strip() if agent is not None else ""
    return Progress(
        number=case.number,
        state=CaseState(case.state).label,
        applied_on=case.applied_on,
        agent=agent_name or None,
        items=tuple(
            ProgressItem(
                name=item.name,
                department=item.department.name,
                state=ItemState(item.state).label,
                due_on=item.due_on,
            )
            for item in case.items
        ),
    )
