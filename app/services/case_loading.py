"""A case or an item loaded in the actor's scope, or NotFound: where every service acting on a case starts.

Its own module so that the services of a case's parts (materials, links, meetings, write-ups) load cases the
way the case service does without importing it (which creates their rows in turn)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import joinedload, selectinload

from app.domain.errors import NotFound
from app.extensions import db
from app.models import Case, CaseItem, Project, Staff
from app.services.scope import is_liaison_only, visible_region_ids


def load_case(case_id: int, actor: Staff, options: tuple[Any, ...] = ()) -> Case:
    """The case in the actor's regions, or NotFound."""
    case = db.session.get(Case, case_id, options=options)
    if case is None or case.region_id not in visible_region_ids(actor):
        raise NotFound()
    return case


def load_item(item_id: int, actor: Staff) -> CaseItem:
    """The item in the actor's regions (a liaison: of their department), or NotFound."""
    item = db.session.get(CaseItem, item_id)
    if item is None or item.case.region_id not in visible_region_ids(actor):
        raise NotFound()
    if is_liaison_only(actor) and item.department_id != actor.department_id:
        raise NotFound()  # a liaison sees their own department's items only
    return item


def can_open_case(case: Case, actor: Staff) -> bool:
    """Whether the actor may see the case page (liaisons: only if an item of theirs is in it)."""
    if case.region_id not in visible_region_ids(actor):
        return False
    if is_liaison_only(actor):
        return any(item.department_id == actor.department_id for item in case.items)
    return True


CASE_PAGE = (
    joinedload(Case.region),
    joinedload(Case.agent),
    joinedload(Case.evaluation),
    joinedload(Case.project).joinedload(Project.enterprise),
    selectinload(Case.items).selectinload(CaseItem.department),
)


def case_for(case_id: int, actor: Staff) -> Case:
    """The case for its page: with what the page shows of it (three queries, not one per item or panel)."""
    case = load_case(case_id, actor, CASE_PAGE)
    if not can_open_case(case, actor):
        raise NotFound()
    return case
