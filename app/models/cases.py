"""Enterprises, projects and agency cases with their items, pauses, events, step limits and evaluation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain.workflow import CaseState, ItemState
from app.models.catalog import CatalogItem
from app.models.org import Department, Region, Staff, now


class Enterprise(Model):
    """项目单位: the applicant enterprise, identified by its unified social credit code."""

    __tablename__ = "enterprise"
    __table_args__ = (UniqueConstraint("region_id", "credit_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18))
    address: Mapped[str] = mapped_column(String(300), default="")
    postcode: Mapped[str] = mapped_column(String(6), default="")
    legal_representative: Mapped[str] = mapped_column(String(50), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    contact_person: Mapped[str] = mapped_column(String(50), default="")
    contact_phone: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)

    region: Mapped[Region] = relationship()

    def __str__(self) -> str:
        return self.name


class Project(Model):
    """An investment project, with every field of the application form (Attachment 4)."""

    __tablename__ = "project"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    code: Mapped[str | None] = mapped_column(String(24), index=True)
    total_investment: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    planned_investment: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    fund_source: Mapped[str] = mapped_column(String(100), default="")
    land_nature: Mapped[str] = mapped_column(String(100), default="")
    is_key_project: Mapped[bool] = mapped_column(Boolean, default=False)
    category: Mapped[str] = mapped_column(String(32), default="other")
    main_use_and_scale: Mapped[str] = mapped_column(Text, default="")
    leader_in_charge: Mapped[str] = mapped_column(String(50), default="")
    progress_before: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)

    region: Mapped[Region] = relationship()
    enterprise: Mapped[Enterprise] = relationship()

    def __str__(self) -> str:
        return self.name


class Case(Model):
    """One project's agency service at one service centre; its state moves only along the workflow table."""

    __tablename__ = "agency_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    # The channel's own reference: the 12345 ticket number, the online application's receipt (#12).
    channel_ref: Mapped[str] = mapped_column(String(40), default="")
    state: Mapped[str] = mapped_column(String(16), default=CaseState.SUBMITTED.value, index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), index=True)
    applied_on: Mapped[dt.date] = mapped_column(Date)
    accepted_on: Mapped[dt.date | None] = mapped_column(Date)
    entrusted_on: Mapped[dt.date | None] = mapped_column(Date)
    planned_on: Mapped[dt.date | None] = mapped_column(Date)
    planned_end: Mapped[dt.date | None] = mapped_column(Date)
    # True when the agent left the planned end to be estimated: it follows the calendar then.
    planned_end_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    # The limit of the agency's own current step (accept, sign, plan); see app.domain.urgency.
    step_due_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    other_items_text: Mapped[str] = mapped_column(String(500), default="")
    request_note: Mapped[str] = mapped_column(Text, default="")
    close_reason: Mapped[str] = mapped_column(Text, default="")
    materials_returned: Mapped[bool] = mapped_column(Boolean, default=False)
    materials_note: Mapped[str] = mapped_column(String(500), default="")
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # The applicant and project as submitted: later corrections of the enterprise or project do not
    # rewrite what a case (and its ledger row) said at the time.
    enterprise_name: Mapped[str] = mapped_column(String(200), default="")
    credit_code: Mapped[str] = mapped_column(String(18), default="", index=True)
    project_name: Mapped[str] = mapped_column(String(200), default="")
    project_code: Mapped[str | None] = mapped_column(String(24), index=True)
    total_investment: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    planned_investment: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    project_category: Mapped[str] = mapped_column(String(32), default="other")
    is_key_project: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_data: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    region: Mapped[Region] = relationship()
    project: Mapped[Project] = relationship()
    agent: Mapped[Staff | None] = relationship(foreign_keys=[agent_id])
    updated_by: Mapped[Staff | None] = relationship(foreign_keys=[updated_by_id])
    items: Mapped[list[CaseItem]] = relationship(
        back_populates="case", order_by="(CaseItem.position, CaseItem.id)", foreign_keys="CaseItem.case_id"
    )
    evaluation: Mapped[Evaluation | None] = relationship(back_populates="case", uselist=False)

    __mapper_args__ = {"version_id_col": version}

    @property
    def traffic(self) -> Case:
        """The case itself, for list columns that render from the whole row (light, link)."""
        return self

    @property
    def ref(self) -> Case:
        """The case itself, rendered as a link to its page."""
        return self

    @property
    def applicant(self) -> Case:
        """The case itself, rendered as its project and enterprise as submitted."""
        return self

    def __str__(self) -> str:
        return self.number


class CaseItem(Model):
    """One catalog item inside a case, handled by one department of the case's region."""

    __tablename__ = "case_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("agency_case.id"), index=True)
    catalog_item_id: Mapped[int] = mapped_column(ForeignKey("catalog_item.id"), index=True)
    catalog_version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    stage: Mapped[str] = mapped_column(String(32))
    time_limit_days: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default=ItemState.PLANNED.value, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    planned_filing_on: Mapped[dt.date | None] = mapped_column(Date)
    filed_on: Mapped[dt.date | None] = mapped_column(Date)
    accepted_on: Mapped[dt.date | None] = mapped_column(Date)
    due_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    paused_since: Mapped[dt.date | None] = mapped_column(Date)
    paused_days: Mapped[int] = mapped_column(Integer, default=0)
    # Working days the department took: acceptance to closure, less the days the clock stood still
    # (None while open, or while a length is unknown); what dashboards and assessment aggregate in SQL.
    used_days: Mapped[int | None] = mapped_column(Integer)
    incomplete_acceptance: Mapped[bool] = mapped_column(Boolean, default=False)
    materials_promised_on: Mapped[dt.date | None] = mapped_column(Date)
    commitment: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the catalog item allowed in the version the case was planned with.
    allows_incomplete: Mapped[bool] = mapped_column(Boolean, default=False)
    allows_commitment: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(String(500), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    case: Mapped[Case] = relationship(back_populates="items", foreign_keys=[case_id])
    catalog_item: Mapped[CatalogItem] = relationship()
    department: Mapped[Department] = relationship()
    updated_by: Mapped[Staff | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def traffic(self) -> CaseItem:
        """The item itself, for list columns that render from the whole row (light, link)."""
        return self

    def __str__(self) -> str:
        return self.name


class ItemPause(Model):
    """A stretch when the clock of an item stood still (supplement or rectification with the applicant)."""

    __tablename__ = "item_pause"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("case_item.id"), index=True)
    reason: Mapped[str] = mapped_column(String(16))
    paused_on: Mapped[dt.date] = mapped_column(Date)
    resumed_on: Mapped[dt.date | None] = mapped_column(Date)
    working_days: Mapped[int | None] = mapped_column(Integer)


class CaseEvent(Model):
    """An immutable timeline entry of any tracked record (its subject): who did what, when, from which state to which.

    `case_id` groups the entries of a case and its items into the case's timeline; other subjects
    (an enterprise, a project) have timelines of their own.
    """

    __tablename__ = "case_event"
    __table_args__ = (Index("ix_case_event_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(Integer)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("agency_case.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("case_item.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    on_date: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=now, index=True)

    case: Mapped[Case | None] = relationship()
    item: Mapped[CaseItem | None] = relationship()
    actor: Mapped[Staff | None] = relationship()


class StepLimit(Model):
    """代办时限: working days the agency has for one of its own steps (accept, sign, plan); set by admins."""

    __tablename__ = "step_limit"

    state: Mapped[str] = mapped_column(String(16), primary_key=True)
    working_days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))


class Evaluation(Model):
    """The applicant's follow-up evaluation (Attachment 8): once per case."""

    __tablename__ = "evaluation"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("agency_case.id"), unique=True)
    level: Mapped[str] = mapped_column(String(16))
    comments: Mapped[str] = mapped_column(Text, default="")
    evaluated_on: Mapped[dt.date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)

    case: Mapped[Case] = relationship(back_populates="evaluation")
