"""Cases, items and decisions a page at a time, in the reader's scope (the data API's staff resources).

The scope is the views' own: cases of the reader's regions (a liaison's: those holding an item of their
department), items of the departments `visible_department_ids` names, decisions likewise; single records load
through the same loaders the case page, the item moves and the liaison's queue use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from app.domain.engine import Transition
from app.extensions import db
from app.models import Case, CaseItem, Decision, JointReview, Region, Staff
from app.services import cases as case_service
from app.services import coordination, engine
from app.services.case_loading import case_for
from app.services.scope import is_liaison_only, visible_department_ids, visible_region_ids


@dataclass(frozen=True)
class Page:
    """One page of rows and how many rows there are in all."""

    rows: list[Any]
    total: int


def _page(query: Any, order: tuple[Any, ...], page: int, page_size: int) -> Page:
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(db.session.scalars(query.order_by(*order).limit(page_size).offset((page - 1) * page_size)))
    return Page(rows, total)


def case_page(actor: Staff, *, state: str | None, region_code: str | None, page: int, page_size: int) -> Page:
    """Cases of the reader's regions, newest application first (a liaison: cases with an item of theirs)."""
    query = (
        select(Case)
        .where(Case.region_id.in_(visible_region_ids(actor)))
        .options(joinedload(Case.region), joinedload(Case.agent))
    )
    if is_liaison_only(actor):
        theirs = select(CaseItem.id).where(CaseItem.case_id == Case.id, CaseItem.department_id == actor.department_id)
        query = query.where(theirs.exists())
    if state:
        query = query.where(Case.state == state)
    if region_code:
        query = query.where(Case.region_id.in_(select(Region.id).where(Region.code == region_code)))
    return _page(query, (Case.applied_on.desc(), Case.id.desc()), page, page_size)


@dataclass(frozen=True)
class CaseView:
    """A case as one reader sees it: the items shown to them, the steps offered on each, the close reason."""

    case: Case
    items: list[CaseItem]
    item_actions: dict[int, list[Transition]]
    close_reason: str


def case_detail(case_id: int, actor: Staff) -> CaseView:
    """The case with the items the reader may see (a liaison: their department's), as the case page shows it."""
    case = case_for(case_id, actor)
    access = case_service.case_access(case, actor)
    items = [item for item in case.items if item.id in access.item_actions]
    return CaseView(case, items, access.item_actions, case_service.note_for(case, actor, case.close_reason))


def _item_scope(actor: Staff) -> list[Any]:
    return [
        CaseItem.case_id.in_(select(Case.id).where(Case.region_id.in_(visible_region_ids(actor)))),
        CaseItem.department_id.in_(visible_department_ids(actor)),
    ]


def item_page(actor: Staff, *, state: str | None, case_id: int | None, page: int, page_size: int) -> Page:
    """Items of the reader's regions and departments (the item list's scope), by case and position."""
    query = (
        select(CaseItem).where(*_item_scope(actor)).options(joinedload(CaseItem.case), joinedload(CaseItem.department))
    )
    if state:
        query = query.where(CaseItem.state == state)
    if case_id:
        query = query.where(CaseItem.case_id == case_id)
    return _page(query, (CaseItem.case_id.desc(), CaseItem.position, CaseItem.id), page, page_size)


def item_detail(item_id: int, actor: Staff) -> tuple[CaseItem, list[Transition]]:
    """An item through the item moves' own loader (NotFound out of scope), with the steps offered on it."""
    item = engine.MACHINES["item"].load(item_id, actor)
    access = case_service.case_access(item.case, actor)
    return item, access.item_actions.get(item.id, [])


def decision_page(actor: Staff, *, state: str | None, page: int, page_size: int) -> Page:
    """Decisions of the reader's departments (a liaison: their own department's), newest first."""
    query = (
        select(Decision)
        .join(JointReview, JointReview.id == Decision.review_id)
        .where(
            Decision.department_id.in_(visible_department_ids(actor)),
            JointReview.region_id.in_(visible_region_ids(actor)),
        )
        .options(selectinload(Decision.review), selectinload(Decision.case), selectinload(Decision.department))
    )
    if state:
        query = query.where(Decision.state == state)
    return _page(query, (Decision.id.desc(),), page, page_size)


def decision_detail(decision_id: int, actor: Staff) -> tuple[Decision, list[Transition]]:
    """A decision through the coordination service's loader, with the steps offered to the reader."""
    decision = coordination.load_decision(decision_id, actor)
    return decision, coordination.decision_actions(decision, actor)
