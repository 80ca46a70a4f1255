"""Coordination records: joint reviews (会商联审) with their decisions, and escalations (提级协调)."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain.coordination import DecisionState
from app.models.cases import Case, CaseItem
from app.models.org import Department, Region, Staff, now


class JointReview(Model):
    """A joint review meeting of one level (or a 多评合一 / 多图联审 / 联合验收 session on a set of items)."""

    __tablename__ = "joint_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24), default="joint_review")
    held_on: Mapped[dt.date] = mapped_column(Date, index=True)
    convened_by: Mapped[str] = mapped_column(String(16), default="service_dept")
    chair: Mapped[str] = mapped_column(String(50), default="")
    topic: Mapped[str] = mapped_column(String(300))
    stages: Mapped[str] = mapped_column(String(200), default="")  # stage codes, comma-separated
    minutes: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default="preparing", index=True)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    region: Mapped[Region] = relationship()
    updated_by: Mapped[Staff | None] = relationship(foreign_keys=[updated_by_id])
    participants: Mapped[list[ReviewParticipant]] = relationship(back_populates="review")
    subjects: Mapped[list[ReviewSubject]] = relationship(back_populates="review")
    decisions: Mapped[list[Decision]] = relationship(back_populates="review", order_by="Decision.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def ref(self) -> JointReview:
        """The meeting itself, for a list column rendered as a link to its page."""
        return self

    def __str__(self) -> str:
        return self.topic


class ReviewParticipant(Model):
    """A department asked to a joint review, and whether (and by whom) it attended."""

    __tablename__ = "review_participant"
    __table_args__ = (UniqueConstraint("review_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("joint_review.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    attended: Mapped[bool | None] = mapped_column(Boolean)
    attendee: Mapped[str] = mapped_column(String(100), default="")

    review: Mapped[JointReview] = relationship(back_populates="participants")
    department: Mapped[Department] = relationship()


class ReviewSubject(Model):
    """A case (or one of its items) a joint review deals with."""

    __tablename__ = "review_subject"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("joint_review.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("agency_case.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("case_item.id"), index=True)

    review: Mapped[JointReview] = relationship(back_populates="subjects")
    case: Mapped[Case] = relationship()
    item: Mapped[CaseItem | None] = relationship()


class Decision(Model):
    """议定事项: what a joint review decided, who carries it out, by when; tracked to closure like an item."""

    __tablename__ = "review_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("joint_review.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    person: Mapped[str] = mapped_column(String(50), default="")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("agency_case.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("case_item.id"), index=True)
    due_days: Mapped[int | None] = mapped_column(Integer)  # working days from the meeting, when so decided
    due_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    state: Mapped[str] = mapped_column(String(16), default=DecisionState.OPEN.value, index=True)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    close_note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    review: Mapped[JointReview] = relationship(back_populates="decisions")
    department: Mapped[Department] = relationship()
    case: Mapped[Case | None] = relationship()
    item: Mapped[CaseItem | None] = relationship()
    updated_by: Mapped[Staff | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def traffic(self) -> Decision:
        """The decision itself, for the list's light column (rendered from the whole row)."""
        return self

    def __str__(self) -> str:
        return self.text[:60]


class Escalation(Model):
    """A stuck case or item an agent sends up to the next joint review of its level."""

    __tablename__ = "escalation"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("agency_case.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("case_item.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    tried: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default="waiting", index=True)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("joint_review.id"), index=True)
    raised_on: Mapped[dt.date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    case: Mapped[Case] = relationship()
    item: Mapped[CaseItem | None] = relationship()
    review: Mapped[JointReview | None] = relationship()
    created_by: Mapped[Staff | None] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[Staff | None] = relationship(foreign_keys=[updated_by_id])

    __mapper_args__ = {"version_id_col": version}
