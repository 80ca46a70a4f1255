"""Row-level scope: which regions (and departments) an actor may see and change."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import has_request_context, request
from sqlalchemy import select

from app.domain.enums import RegionLevel, RoleName
from app.domain.privacy import mask_phones_in
from app.extensions import db
from app.models import Region, Staff


def role_names(actor: Staff | None) -> set[str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return set()
    return {role.name for role in actor.roles}


def is_admin(actor: Staff | None) -> bool:
    return RoleName.ADMIN.value in role_names(actor)


def is_liaison_only(actor: Staff | None) -> bool:
    """A department liaison and nothing else: sees only the items (and decisions) of their own department."""
    return role_names(actor) == {RoleName.LIAISON.value}


def _descendants(root_id: int, edges: Iterable[tuple[int, int | None]]) -> set[int]:
    children: dict[int | None, list[int]] = {}
    for region_id, parent_id in edges:
        children.setdefault(parent_id, []).append(region_id)
    found, stack = set(), [root_id]
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(children.get(current, []))
    return found


_REGIONS_KEY = "bangninban.regions"


def _regions() -> list[Any]:
    """The region tree as (id, parent, level) rows, read once per request: a page checks its scope many times."""
    if not has_request_context():
        return list(db.session.execute(select(Region.id, Region.parent_id, Region.level)).all())
    if _REGIONS_KEY not in request.environ:
        request.environ[_REGIONS_KEY] = list(db.session.execute(select(Region.id, Region.parent_id, Region.level)))
    return request.environ[_REGIONS_KEY]


def _region_edges() -> list[tuple[int, int | None]]:
    return [(region_id, parent_id) for region_id, parent_id, _ in _regions()]


def visible_region_ids(actor: Staff | None) -> list[int]:
    """Admins see every region; a supervisor their region and those below it; other staff their own region."""
    edges = _region_edges()
    if is_admin(actor):
        return sorted(region_id for region_id, _ in edges)
    if actor is None or actor.region_id is None:
        return []
    if RoleName.SUPERVISOR.value in role_names(actor):
        return sorted(_descendants(actor.region_id, edges))
    return [actor.region_id]


def city_region_ids(actor: Staff | None) -> list[int]:
    """The regions of the actor's city (the city and everything under it); above a city, all below the actor."""
    if actor is None or actor.region_id is None:
        return []
    rows = _regions()
    parent = {region_id: parent_id for region_id, parent_id, _ in rows}
    level = {region_id: region_level for region_id, _, region_level in rows}
    node: int | None = actor.region_id
    while node is not None and level.get(node) != RegionLevel.CITY.value:
        node = parent.get(node)
    root = actor.region_id if node is None else node
    return sorted(_descendants(root, [(region_id, parent_id) for region_id, parent_id, _ in rows]))


def can_see_region(actor: Staff | None, region_id: int) -> bool:
    return region_id in visible_region_ids(actor)


def visible_department_ids(actor: Staff | None) -> list[int]:
    """Departments whose case items the actor may list: a liaison's own, else every one in their regions."""
    from app.models import Department

    if is_liaison_only(actor):
        return [actor.department_id] if actor.department_id else []
    regions = visible_region_ids(actor)
    return list(db.session.scalars(select(Department.id).where(Department.region_id.in_(regions))))


def sees_full_phones(actor: Staff | None) -> bool:
    """Agents call applicants and need their numbers in full; every other role sees them masked (PIPL)."""
    return RoleName.AGENT.value in role_names(actor)


def readable_text(actor: Staff | None, text: str | None) -> str:
    """Free text (history, timeline notes, reasons) under the same rule as the phone fields themselves."""
    return (text or "") if sees_full_phones(actor) else mask_phones_in(text)
