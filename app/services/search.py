"""What the case and item lists can be searched by: SQL criteria per filter, and the choices of each dropdown.

Every criterion is a boolean SQL expression over `Case` or `CaseItem` (sub-selects, never joins, so the same
criterion works on the list's query, its count and the ledger export's id query). A value that is not one of
the offered choices is ignored rather than matching nothing: a stale bookmark shows the unfiltered list.
Dropdown choices are read within the user's scope only, never a whole table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from enum import StrEnum

from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import ColumnElement, and_, exists, or_, select

from app.domain.enums import LabelledEnum, RoleName
from app.domain.urgency import Overdue
from app.domain.workflow import OPEN_CASE_VALUES, OPEN_ITEM_VALUES, PAUSED_ITEM_VALUES, Satisfaction
from app.extensions import db
from app.models import (
    Case,
    CaseItem,
    CatalogItem,
    Decision,
    Department,
    Enterprise,
    Evaluation,
    Project,
    Region,
    Staff,
)
from app.services.clock import today
from app.services.lights import light_book
from app.services.urgency import agent_desk_sql, case_deadline_sql, case_overdue_sql, item_deadline_sql

# A search box takes a few words, not a document; longer input is cut rather than sent to LIKE.
MAX_TEXT = 60


class WarningLevel(StrEnum):
    """The 预警 filter: overdue, due soon, either, due by the end of this week, or the clock paused."""

    RED = "red"
    YELLOW = "yellow"
    ANY = "any"
    WEEK = "week"
    PAUSED = "paused"


def _text(value: str | None) -> str:
    return (value or "").strip()[:MAX_TEXT]


MAX_ID = 2**31 - 1


def form_id(value: str | None) -> int | None:
    """A record id typed or posted as text, or None when it is not one (letters, empty, past 64 bits)."""
    raw = (value or "").strip()
    # Ids are 32-bit integers on every engine: a bigger number matches no row, and PostgreSQL would raise on it.
    number = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None
    return number if number is not None and number <= MAX_ID else None


def enum_is(column: ColumnElement[str], enum: type[LabelledEnum], value: str | None) -> ColumnElement[bool] | None:
    """`column` equals one of the enum's codes; anything else is no criterion."""
    return column == value if value in {m.value for m in enum} else None


def id_is(column: ColumnElement[int], value: str | None) -> ColumnElement[bool] | None:
    number = form_id(value)
    return None if number is None else column == number


# --- free text -------------------------------------------------------------------------------------------


def _projects(*criteria: ColumnElement[bool]) -> ColumnElement[bool]:
    """Cases whose project (or its enterprise) meets any of the criteria today."""
    matching = select(Project.id).join(Enterprise, Project.enterprise_id == Enterprise.id).where(or_(*criteria))
    return Case.project_id.in_(matching)


def _like(text: str, *columns: ColumnElement[str]) -> list[ColumnElement[bool]]:
    return [column.icontains(text, autoescape=True) for column in columns]


# A case is found both by what it was submitted as (the snapshot on the case, as the ledger shows it) and by
# what its enterprise and project are called today (after a rename or a corrected code).


def enterprise_matches(value: str | None) -> ColumnElement[bool] | None:
    """Enterprise name or unified social credit code contains the text."""
    text = _text(value)
    if not text:
        return None
    return or_(
        *_like(text, Case.enterprise_name, Case.credit_code),
        _projects(*_like(text, Enterprise.name, Enterprise.credit_code)),
    )


def project_matches(value: str | None) -> ColumnElement[bool] | None:
    """Project name or project code contains the text."""
    text = _text(value)
    if not text:
        return None
    return or_(*_like(text, Case.project_name, Case.project_code), _projects(*_like(text, Project.name, Project.code)))


def case_matches(value: str | None) -> ColumnElement[bool] | None:
    """The one search box: case number, enterprise name, credit code, project code or channel reference (12345
    ticket, online receipt)."""
    text = _text(value)
    if not text:
        return None
    return or_(
        *_like(text, Case.number, Case.enterprise_name, Case.credit_code, Case.project_code, Case.channel_ref),
        _projects(*_like(text, Enterprise.name, Enterprise.credit_code, Project.code)),
    )


def item_matches(value: str | None) -> ColumnElement[bool] | None:
    """The item list's search box: the item's name, or anything the case search box finds."""
    text = _text(value)
    if not text:
        return None
    return or_(CaseItem.name.icontains(text, autoescape=True), in_cases(case_matches(text)))


def in_cases(criterion: ColumnElement[bool] | None) -> ColumnElement[bool] | None:
    """A case criterion applied to items: items of the cases that meet it."""
    return None if criterion is None else CaseItem.case_id.in_(select(Case.id).where(criterion))


# --- 预警 (traffic lights in SQL) -------------------------------------------------------------------------
#
# The lights of services.lights.LightBook, with the deadlines of app.services.urgency (the one definition):
# a paused item shows no light; a case takes the worst of its items and of its own deadline (agency step
# or planned end). Red: the deadline has passed. Yellow: fewer than the yellow working days are left.


def _item_deadline_before(day: dt.date) -> ColumnElement[bool]:
    deadline = item_deadline_sql()
    return and_(CaseItem.state.not_in(sorted(PAUSED_ITEM_VALUES)), deadline.is_not(None), deadline < day)


def _case_deadline_before(day: dt.date) -> ColumnElement[bool]:
    deadline = case_deadline_sql()
    # Correlated: one index probe on case_item.case_id per case.
    late_item = exists().where(CaseItem.case_id == Case.id, _item_deadline_before(day))
    return and_(Case.state.in_(sorted(OPEN_CASE_VALUES)), or_(and_(deadline.is_not(None), deadline < day), late_item))


def week_end(day: dt.date) -> dt.date:
    """The Sunday of `day`'s week: "due this week" means a deadline from today to that day."""
    return day + dt.timedelta(days=6 - day.weekday())


def _warning(
    value: str | None, before: Callable[[dt.date], ColumnElement[bool]], paused: Callable[[], ColumnElement[bool]]
) -> ColumnElement[bool] | None:
    if value not in {w.value for w in WarningLevel}:
        return None
    if value == WarningLevel.PAUSED:
        return paused()
    on = today()
    red = before(on)
    if value == WarningLevel.RED:
        return red
    # Yellow: fewer than the yellow working days left (the light book's boundary); this week: by Sunday.
    boundary = week_end(on) + dt.timedelta(days=1) if value == WarningLevel.WEEK else light_book().boundary
    soon = before(boundary)
    return soon if value == WarningLevel.ANY else and_(soon, ~red)


def _item_paused() -> ColumnElement[bool]:
    return CaseItem.state.in_(sorted(PAUSED_ITEM_VALUES))


def _case_paused() -> ColumnElement[bool]:
    """Open cases with an item whose clock stands still (waiting for the applicant's materials)."""
    return and_(Case.state.in_(sorted(OPEN_CASE_VALUES)), exists().where(CaseItem.case_id == Case.id, _item_paused()))


def item_warning(value: str | None) -> ColumnElement[bool] | None:
    """Items whose light is red, yellow, or either; due by Sunday (not yet red); or paused."""
    return _warning(value, _item_deadline_before, _item_paused)


def on_desk(value: str | None) -> ColumnElement[bool] | None:
    """Cases on an agent's desk (theirs and the new applications nobody has taken)."""
    number = form_id(value)
    return None if number is None else agent_desk_sql(number)


def decision_on_desk(value: str | None) -> ColumnElement[bool] | None:
    """Decisions about the cases on an agent's desk."""
    number = form_id(value)
    return None if number is None else Decision.case_id.in_(select(Case.id).where(agent_desk_sql(number)))


def case_warning(value: str | None) -> ColumnElement[bool] | None:
    """Cases whose light (their worst open item, or their own deadline) is red, yellow, or either; due by
    Sunday (not yet red); or waiting on a paused item."""
    return _warning(value, _case_deadline_before, _case_paused)


# --- what the dashboards count (each figure's value links to its list filtered by these) -------------------

# A case counts as completed in the month it closed as 办结 or 已回访 (the monthly report's rule).
DONE_CASE_VALUES = ("completed", "evaluated")
CASE_OVERDUE_KINDS = (Overdue.AGENCY_STEP, Overdue.CASE_END)


class ItemProgress(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


def month_span(value: str | None) -> tuple[dt.date, dt.date] | None:
    """The first and last day of a month typed as YYYY-MM; None for anything else."""
    text = _text(value)
    try:
        first = dt.date.fromisoformat(f"{text}-01") if len(text) == 7 else None
    except ValueError:
        return None
    if first is None:
        return None
    following = (first + dt.timedelta(days=31)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def applied_in(value: str | None) -> ColumnElement[bool] | None:
    """Cases applied for in the month (YYYY-MM)."""
    span = month_span(value)
    return None if span is None else Case.applied_on.between(*span)


def completed_in(value: str | None) -> ColumnElement[bool] | None:
    """Cases completed (办结, then perhaps 已回访) in the month (YYYY-MM)."""
    span = month_span(value)
    return None if span is None else and_(Case.state.in_(DONE_CASE_VALUES), Case.closed_on.between(*span))


def case_overdue(value: str | None) -> ColumnElement[bool] | None:
    """Cases past their own deadline today: an agency step (accept, sign, plan) or the planned end."""
    kind = next((k for k in CASE_OVERDUE_KINDS if k.value == value), None)
    return None if kind is None else case_overdue_sql(kind, today())


def evaluated_as(value: str | None) -> ColumnElement[bool] | None:
    """Cases the applicant evaluated at that level (非常满意 / 满意 / 不满意)."""
    if value not in {s.value for s in Satisfaction}:
        return None
    return Case.id.in_(select(Evaluation.case_id).where(Evaluation.level == value))


def item_progress(value: str | None) -> ColumnElement[bool] | None:
    """Items still open (to be filed, with the department or paused), or closed."""
    if value == ItemProgress.OPEN:
        return CaseItem.state.in_(sorted(OPEN_ITEM_VALUES))
    if value == ItemProgress.CLOSED:
        return CaseItem.state.not_in(sorted(OPEN_ITEM_VALUES))
    return None


def item_catalog_retired(value: str | None) -> ColumnElement[bool] | None:
    """Items whose catalog entry has since been retired ("1")."""
    if value != "1":
        return None
    return CaseItem.catalog_item_id.in_(select(CatalogItem.id).where(CatalogItem.retired_at.is_not(None)))


# --- dropdown choices, within the user's scope -----------------------------------------------------------


def region_choices(region_ids: Iterable[int]) -> list[tuple[str, str]]:
    ids = list(region_ids)
    rows = db.session.execute(select(Region.id, Region.name).where(Region.id.in_(ids)).order_by(Region.code))
    return [(str(i), name) for i, name in rows]


def department_choices(department_ids: Iterable[int]) -> list[tuple[str, str]]:
    """Departments by name; with several regions in scope the region is named too (each banner has a 水利局)."""
    ids = list(department_ids)
    rows = db.session.execute(
        select(Department.id, Department.name, Region.name, Region.id)
        .join(Region, Department.region_id == Region.id)
        .where(Department.id.in_(ids))
        .order_by(Region.code, Department.name)
    ).all()
    several = len({row[3] for row in rows}) > 1
    return [(str(i), f"{region} · {name}" if several else name) for i, name, region, _ in rows]


def agent_choices(region_ids: Iterable[int]) -> list[tuple[str, str, bool]]:
    """Staff with the agent role in the regions: (id, name, active)."""
    ids = list(region_ids)
    rows = db.session.execute(
        select(Staff.id, Staff.first_name, Staff.last_name, Staff.active)
        .join(Staff.roles)
        .where(Role.name == RoleName.AGENT.value, Staff.region_id.in_(ids))
        .order_by(Staff.active.desc(), Staff.first_name, Staff.last_name, Staff.id)
    )
    return [(str(i), f"{first or ''}{last or ''}", bool(active)) for i, first, last, active in rows]
