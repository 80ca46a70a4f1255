"""Training (代办员培训): yearly plans, their sessions and who attended."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import Date, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.org import Region, Staff, now


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
