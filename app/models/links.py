"""Cross-level case links (纵向三级联动): one case asks another region's to work alongside it."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.cases import Case
from app.models.org import Region, Staff, now


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
