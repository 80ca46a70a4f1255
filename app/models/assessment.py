"""The weights of the performance assessment (考核): one row per saved set, never updated; the newest is current."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import DateTime, ForeignKey, Numeric, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.org import Staff, now


class AssessmentWeights(Model):
    """A set of indicator weights (together 100) with who saved it, when and why; the history is every row."""

    __tablename__ = "assessment_weights"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One column per indicator of app.domain.assessment.INDICATORS (a test checks they agree).
    cases_handled: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    on_time_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    working_days: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    satisfaction: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    overdue_decisions: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    monthly_reports: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    training_hours: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    note: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now, index=True)

    created_by: Mapped[Staff | None] = relationship()
