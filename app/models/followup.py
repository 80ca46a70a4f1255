"""Follow-through records: cross-level case links (纵向三级联动), leads (提前介入) and typical cases (典型案例)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import Date, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.cases import Case
from app.models.catalog import CatalogItem
from app.models.org import Department, Region, Staff, now


class CaseLink(Model):
    """A case linked to its counterpart at the upper or lower service centre (or an external party by name).

    One row per link, seen from both sides, from the request to its answer and its end; nothing is deleted (who
    asked, who answered, when, why). The counterpart case is set only when the region asked accepts.
    """

    __tablename__ = "case_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("agency_case.id"), index=True)
    # The counterpart case in this system (city ↔ banner), chosen by the region asked when it accepts; empty
    # while the request waits, and for an external party.
    counterpart_case_id: Mapped[int | None] = mapped_column(ForeignKey("agency_case.id"), index=True)
    # The region asked (directly above or below the case's region); empty for an external party.
    target_region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    # What the requester typed: the project as the other level knows it (code or name), their case number if known.
    project_reference: Mapped[str] = mapped_column(String(200), default="")
    counterpart_hint: Mapped[str] = mapped_column(String(32), default="")
    # The autonomous region (or another outside centre), named in text.
    external_party: Mapped[str] = mapped_column(String(200), default="")
    external_reference: Mapped[str] = mapped_column(String(100), default="")
    external_state: Mapped[str] = mapped_column(String(200), default="")
    # Where the counterpart sits seen from `case`: "upper" or "lower".
    direction: Mapped[str] = mapped_column(String(8))
    purpose: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default="requested", index=True)
    requested_on: Mapped[dt.date | None] = mapped_column(Date)
    linked_on: Mapped[dt.date | None] = mapped_column(Date)  # when it became active
    # The answer of the region asked: when, by whom, and its note (the reason of a refusal).
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    answer: Mapped[str] = mapped_column(Text, default="")
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    end_reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    case: Mapped[Case] = relationship(foreign_keys=[case_id])
    counterpart: Mapped[Case | None] = relationship(foreign_keys=[counterpart_case_id])
    target_region: Mapped[Region | None] = relationship(foreign_keys=[target_region_id])
    created_by: Mapped[Staff | None] = relationship(foreign_keys=[created_by_id])
    decided_by: Mapped[Staff | None] = relationship(foreign_keys=[decided_by_id])
    updated_by: Mapped[Staff | None] = relationship(foreign_keys=[updated_by_id])

    __mapper_args__ = {"version_id_col": version}


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


class TypicalCase(Model):
    """典型案例: a write-up of a case, drafted by an agent, submitted to the city bureau, accepted or returned."""

    __tablename__ = "typical_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("agency_case.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    # draft → submitted → accepted | returned (→ submitted again); app.domain transition table
    state: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    submitted_on: Mapped[dt.date | None] = mapped_column(Date)
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    review_comment: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    region: Mapped[Region] = relationship()
    case: Mapped[Case] = relationship()
    created_by: Mapped[Staff | None] = relationship(foreign_keys=[created_by_id])
    decided_by: Mapped[Staff | None] = relationship(foreign_keys=[decided_by_id])
    updated_by: Mapped[Staff | None] = relationship(foreign_keys=[updated_by_id])
    versions: Mapped[list[TypicalCaseVersion]] = relationship(
        back_populates="typical_case", order_by="TypicalCaseVersion.number"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def ref(self) -> TypicalCase:
        """The write-up itself, for a list column rendered as a link to its page."""
        return self

    def __str__(self) -> str:
        return self.title


class TypicalCaseVersion(Model):
    """One kept version of a typical case's text; a returned write-up is revised as a new version."""

    __tablename__ = "typical_case_version"
    __table_args__ = (UniqueConstraint("typical_case_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    typical_case_id: Mapped[int] = mapped_column(ForeignKey("typical_case.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    written_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    written_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    # What the city said about this version when it was decided (returned or accepted).
    outcome: Mapped[str] = mapped_column(String(16), default="")
    comment: Mapped[str] = mapped_column(Text, default="")

    typical_case: Mapped[TypicalCase] = relationship(back_populates="versions")
    written_by: Mapped[Staff | None] = relationship()
