"""What the case and item lists can be searched by: SQL criteria per filter, and the choices of each dropdown.

Every criterion is a boolean SQL expression over `Case` or `CaseItem` (sub-selects, never joins, so the same
criterion works on the list's query, its count and the ledger export's id query). A value that is not one of
the offered choices is ignored rather than matching nothing: a stale bookmark shows the unfiltered list.
Dropdown choices are read within the user's scope only, never a whole table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum

from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import ColumnElement, and_, exists, or_, select

from app.domain.enums import LabelledEnum, RoleName
from app.domain.workflow import OPEN_CASE_VALUES, PAUSED_ITEM_VALUES
from app.extensions import db
from app.models import Case, CaseItem, Department, Enterprise, Project, Region, Staff
from app.services.lights import light_book
from app.services.urgency import case_deadline_sql, item_deadline_sql

# A search box takes a few words, not a document; longer input is cut rather than sent to LIKE.
MAX_TEXT = 60


class WarningLevel(StrEnum):
    """The 预警 filter: overdue, due soon, or either."""

    RED = "red"
    YELLOW = "yellow"
    ANY = "any"


def _text(value: str | None) -> str:
    return (value or "").strip()[:MAX_TEXT]


def form_id(value: str | None) -> int | None:
    """A record id typed or posted as text, or None when it is not one (letters, empty, past 64 bits)."""
    raw = (value or "").strip()
    # A bigger number would overflow the database driver's integer.
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None


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
    """The one search box: case number, enterprise name, credit code or project code."""
    text = _text(value)
    if not text:
        return None
    return or_(
        *_like(text, Case.number, Case.enterprise_name, Case.credit_code, Case.project_code),
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


def _warning_days() -> tuple[dt.date, dt.date] | None:
    book = light_book()
    return book.today, book.boundary


def item_warning(value: str | None) -> ColumnElement[bool] | None:
    """Items whose light is red, yellow, or either."""
    if value not in {w.value for w in WarningLevel}:
        return None
    today, boundary = _warning_days()
    red = _item_deadline_before(today)
    if value == WarningLevel.RED:
        return red
    soon = _item_deadline_before(boundary)
    return soon if value == WarningLevel.ANY else and_(soon, ~red)


def case_warning(value: str | None) -> ColumnElement[bool] | None:
    """Cases whose light (their worst open item, or their planned end) is red, yellow, or either."""
    if value not in {w.value for w in WarningLevel}:
        return None
    today, boundary = _warning_days()
    red = _case_deadline_before(today)
    if value == WarningLevel.RED:
        return red
    soon = _case_deadline_before(boundary)
    return soon if value == WarningLevel.ANY else and_(soon, ~red)


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
