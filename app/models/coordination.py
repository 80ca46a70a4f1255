"""Coordination records: joint reviews (会商联审) with their decisions and escalations, and training plans."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

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
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)
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


class TrainingPlan(Model):
    """培训计划: one training of a level in a year (title, dates, organiser, audience, hours, content, trainer)."""

    __tablename__ = "training_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    organiser: Mapped[str] = mapped_column(String(100), default="")
    audience: Mapped[str] = mapped_column(String(200), default="")
    hours: Mapped[Decimal | None] = mapped_column(Numeric(6, 1))
    content: Mapped[str] = mapped_column(Text, default="")
    trainer: Mapped[str] = mapped_column(String(100), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)

    region: Mapped[Region] = relationship()
    sessions: Mapped[list[TrainingSession]] = relationship(back_populates="plan", order_by="TrainingSession.held_on")

    def __str__(self) -> str:
        return self.title


class TrainingSession(Model):
    """One session of a training plan, with its own date and hours."""

    __tablename__ = "training_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("training_plan.id"), index=True)
    held_on: Mapped[dt.date] = mapped_column(Date)
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 1))
    topic: Mapped[str] = mapped_column(String(200), default="")

    plan: Mapped[TrainingPlan] = relationship(back_populates="sessions")
    attendance: Mapped[list[TrainingAttendance]] = relationship(back_populates="session")


class TrainingAttendance(Model):
    """Whether one staff member attended one session: present, absent or excused."""

    __tablename__ = "training_attendance"
    __table_args__ = (UniqueConstraint("session_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_session.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)

    session: Mapped[TrainingSession] = relationship(back_populates="attendance")
    staff: Mapped[Staff] = relationship()
