"""Typical cases (典型案例): write-ups of finished cases, each submission kept as a version."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.cases import Case
from app.models.org import Region, Staff, now


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
