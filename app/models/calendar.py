"""Entered working-day calendar: single-day overrides and whole years entered from the State Council notice."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.org import Staff, now


class CalendarDay(Model):
    """A day whose status an administrator entered: a holiday or a (make-up) working day."""

    __tablename__ = "calendar_day"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    entered_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)

    entered_by: Mapped[Staff | None] = relationship()


class CalendarYear(Model):
    """A year whose whole schedule has been entered and confirmed; from then on the year computes."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(300), default="")
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    confirmed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)

    confirmed_by: Mapped[Staff | None] = relationship()
