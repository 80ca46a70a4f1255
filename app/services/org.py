"""Organisation changes: development zones (the only regions added by hand) and region edits."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.domain.enums import RegionLevel
from app.domain.errors import N_, Forbidden, NotFound, ValidationError
from app.extensions import db
from app.models import Department, Region, Staff
from app.services.scope import is_admin
from app.services.seeding import provision_region
from app.services.uow import transaction

ZONE_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{1,11}$")


def add_zone(code: str, name: str, parent_id: int, actor: Staff) -> Region:
    """Add a development zone under a city, with its departments and its copy of the reference catalog."""
    if not is_admin(actor):
        raise Forbidden()
    code, name = (code or "").strip(), (name or "").strip()
    if not ZONE_CODE.match(code):
        raise ValidationError(N_("A region code is 2 to 12 letters, digits or hyphens, such as 150600-01."))
    if not name:
        raise ValidationError(N_("The name is required."))
    if db.session.scalar(select(Region.id).where(Region.code == code)) is not None:
        raise ValidationError(N_("The code %(code)s is already used."), code=code)
    parent = db.session.get(Region, parent_id)
    if parent is None or parent.level != RegionLevel.CITY.value:
        raise ValidationError(N_("A development zone belongs to the city."))
    with transaction():
        zone = Region(code=code, name=name, level=RegionLevel.ZONE.value, parent_id=parent.id, active=True)
        db.session.add(zone)
        db.session.flush()
        provision_region(zone)
    return zone


def update_region(region_id: int, name: str, active: bool, actor: Staff) -> Region:
    """Rename a region or mark it inactive (never deleted: cases and ledgers refer to it)."""
    if not is_admin(actor):
        raise Forbidden()
    region = db.session.get(Region, region_id)
    if region is None:
        raise NotFound()
    if not (name or "").strip():
        raise ValidationError(N_("The name is required."))
    with transaction():
        region.name = name.strip()[:100]
        region.active = bool(active)
    return region


class DepartmentOfAnotherRegion(ValidationError):
    template = N_(
        "%(department)s belongs to %(department_region)s, not to %(region)s: choose that region, or a department "
        "of %(region)s."
    )


def check_placement(region: Region | None, department: Department | None) -> None:
    """A login's department lies in its region: a liaison's scope must not be two regions at once."""
    if department is None:
        return
    if region is None or department.region_id != region.id:
        raise DepartmentOfAnotherRegion(
            department=department.name,
            department_region=department.region.name,
            region=region.name if region is not None else "—",
        )
