"""Liaison coverage (联络员覆盖): the plan wants every approval department at every level to name a liaison.

An approval department is one whose kind the plan lists as such (`role_in_plan` of seeds/departments.csv,
kept as `Department.is_approval`); a liaison is an active login with the Liaison role in that department.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import contains_eager

from app.domain.enums import RoleName
from app.extensions import db
from app.models import Department, Region, Staff
from app.services.scope import visible_region_ids
from app.services.seeding import SERVICE_LEVELS


@dataclass
class DepartmentCoverage:
    department: Department
    liaisons: list[str] = field(default_factory=list)

    @property
    def covered(self) -> bool:
        return bool(self.liaisons)


@dataclass
class RegionCoverage:
    region: Region
    departments: list[DepartmentCoverage]

    @property
    def gaps(self) -> list[DepartmentCoverage]:
        return [d for d in self.departments if not d.covered]


def _is_liaison() -> object:
    return and_(Staff.active.is_(True), Staff.roles.any(Role.name == RoleName.LIAISON.value))


def _approval_departments(actor: Staff | None) -> object:
    return and_(
        Department.is_approval.is_(True),
        Department.active.is_(True),
        Department.region_id.in_(visible_region_ids(actor)),
        Region.active.is_(True),
        Region.level.in_(SERVICE_LEVELS),
    )


def coverage(actor: Staff | None) -> list[RegionCoverage]:
    """Per region in the actor's scope, each approval department with the names of its active liaisons."""
    departments = db.session.scalars(
        select(Department)
        .join(Region, Region.id == Department.region_id)
        .options(contains_eager(Department.region))
        .where(_approval_departments(actor))
        .order_by(Region.code, Department.name)
    ).all()
    names: dict[int, list[str]] = {}
    if departments:
        for department_id, first, last in db.session.execute(
            select(Staff.department_id, Staff.first_name, Staff.last_name)
            .where(Staff.department_id.in_([d.id for d in departments]), _is_liaison())
            .order_by(Staff.username)
        ):
            names.setdefault(department_id, []).append((first or "") + (last or ""))
    by_region: dict[int, RegionCoverage] = {}
    for department in departments:
        entry = by_region.setdefault(department.region_id, RegionCoverage(department.region, []))
        entry.departments.append(DepartmentCoverage(department, names.get(department.id, [])))
    return list(by_region.values())


def gap_count(actor: Staff | None) -> int:
    """How many approval departments in the actor's scope have no active liaison (one query)."""
    liaison = exists().where(Staff.department_id == Department.id, _is_liaison())
    return (
        db.session.scalar(
            select(func.count(Department.id))
            .join(Region, Region.id == Department.region_id)
            .where(_approval_departments(actor), ~liaison)
        )
        or 0
    )
