"""Organisation: regions (自治区 → 市 → 旗区 / 开发区), their departments, and staff logins."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Boolean, DateTime, ForeignKey, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from app.domain.enums import RegionLevel


class Region(Model):
    """An administrative region, identified by its division code (开发区: a code the admin assigns)."""

    __tablename__ = "region"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[Region | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Region]] = relationship(back_populates="parent")

    @property
    def level_enum(self) -> RegionLevel:
        return RegionLevel(self.level)

    def __str__(self) -> str:
        return self.name


class Department(Model):
    """An approval or member department at one region (达拉特旗水利局 is not 市水利局)."""

    __tablename__ = "department"
    __table_args__ = (UniqueConstraint("region_id", "name"), UniqueConstraint("region_id", "kind"))

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    role_in_plan: Mapped[str] = mapped_column(String(200), default="")
    is_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    region: Mapped[Region] = relationship()

    def __str__(self) -> str:
        return self.name


class Staff(User):
    """A login of the back-office, tied to a region and, for liaisons, to a department."""

    __tablename__ = "ab_user"

    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    last_failed_login: Mapped[dt.datetime | None] = mapped_column(DateTime)

    region: Mapped[Region | None] = relationship(foreign_keys=[region_id])
    department: Mapped[Department | None] = relationship(foreign_keys=[department_id])


# Liaisons often have no e-mail address: FAB's column is NOT NULL, ours is optional (migration a3f7c1e9b2d4).
Staff.__table__.c.email.nullable = True


# How many active logins a department has (the plan: every approval department names a liaison).
# A correlated count, so a list of departments costs one query, not one per row.
Department.staff_count = column_property(
    select(func.count(Staff.id))
    .where(Staff.department_id == Department.id, Staff.active.is_(True))
    .correlate_except(Staff)
    .scalar_subquery()
)


def now() -> dt.datetime:
    """Naive local wall-clock time, as every timestamp column stores it."""
    return dt.datetime.now()
