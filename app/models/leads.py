"""Leads (提前介入): projects followed before they apply, with the items and tasks foreseen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import Date, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.cases import Case
from app.models.catalog import CatalogItem
from app.models.org import Department, Region, Staff, now


class Lead(Model):
    """提前介入: a project landing or about to land, followed before any application exists."""

    __tablename__ = "lead"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    # commerce / finance / development / promotion_event / other (app.domain enum)
    source: Mapped[str] = mapped_column(String(24))
    source_detail: Mapped[str] = mapped_column(String(200), default="")  # e.g. the promotion event's name
    enterprise_name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), default="")
    contact_person: Mapped[str] = mapped_column(String(50), default="")
    contact_phone: Mapped[str] = mapped_column(String(32), default="")
    project_name: Mapped[str] = mapped_column(String(200))
    project_address: Mapped[str] = mapped_column(String(300), default="")
    expected_investment: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # 万元
    expected_landing_on: Mapped[dt.date | None] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="tracking", index=True)
    found_on: Mapped[dt.date] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    abandon_reason: Mapped[str] = mapped_column(Text, default="")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("agency_case.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    region: Mapped[Region] = relationship()
    owner: Mapped[Staff | None] = relationship(foreign_keys=[owner_id])
    case: Mapped[Case | None] = relationship()
    updated_by: Mapped[Staff | None] = relationship(foreign_keys=[updated_by_id])
    expected_items: Mapped[list[LeadItem]] = relationship(back_populates="lead", order_by="LeadItem.id")
    tasks: Mapped[list[LeadTask]] = relationship(back_populates="lead", order_by="(LeadTask.due_on, LeadTask.id)")

    __mapper_args__ = {"version_id_col": version}

    @property
    def ref(self) -> Lead:
        """The lead itself, for a list column rendered as a link to its page."""
        return self

    def __str__(self) -> str:
        return self.project_name


class LeadItem(Model):
    """A catalog item the lead's project is expected to need."""

    __tablename__ = "lead_item"
    __table_args__ = (UniqueConstraint("lead_id", "catalog_item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id"), index=True)
    catalog_item_id: Mapped[int] = mapped_column(ForeignKey("catalog_item.id"), index=True)

    lead: Mapped[Lead] = relationship(back_populates="expected_items")
    catalog_item: Mapped[CatalogItem] = relationship()


class LeadTask(Model):
    """One line of a lead's preparation checklist: what, who (a department and/or a person), by when, done."""

    __tablename__ = "lead_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id"), index=True)
    text: Mapped[str] = mapped_column(String(300))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    owner: Mapped[str] = mapped_column(String(100), default="")
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    done_on: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(500), default="")

    lead: Mapped[Lead] = relationship(back_populates="tasks")
    department: Mapped[Department | None] = relationship()
