"""Monthly reports (月报): one per region and month, as submitted and approved."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Date, DateTime, ForeignKey, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.org import Region, Staff, now


class MonthlyReport(Model):
    """One submitted version of a banner's monthly progress report; a resubmission adds a version."""

    __tablename__ = "monthly_report"
    __table_args__ = (UniqueConstraint("region_id", "month", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    month: Mapped[dt.date] = mapped_column(Date, index=True)
    version: Mapped[int] = mapped_column(Integer)
    figures: Mapped[str] = mapped_column(Text)
    problems: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))

    region: Mapped[Region] = relationship()
    submitted_by: Mapped[Staff | None] = relationship()
