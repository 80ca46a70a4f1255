"""The dynamic catalog (代办帮办事项目录清单): each region's own list, and every change to it."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain.enums import FastTrack, ItemType, Stage
from app.models.org import Department, Region, Staff, now


class CatalogItem(Model):
    """One approval item in one region's catalog; `version` grows with every change."""

    __tablename__ = "catalog_item"
    __table_args__ = (UniqueConstraint("region_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    reference_seq: Mapped[int | None] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    item_type: Mapped[str] = mapped_column(String(32), default=ItemType.LICENSE.value)
    stage: Mapped[str] = mapped_column(String(32), default=Stage.OTHER.value)
    legal_limit_days: Mapped[int | None] = mapped_column(Integer)
    promised_limit_days: Mapped[int | None] = mapped_column(Integer)
    allows_incomplete: Mapped[bool] = mapped_column(Boolean, default=False)
    allows_commitment: Mapped[bool] = mapped_column(Boolean, default=False)
    fast_track: Mapped[str] = mapped_column(String(32), default=FastTrack.NONE.value)
    unpublished: Mapped[bool] = mapped_column(Boolean, default=False)
    is_other: Mapped[bool] = mapped_column(Boolean, default=False)
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    region: Mapped[Region] = relationship()
    department: Mapped[Department] = relationship()
    updated_by: Mapped[Staff | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def retired(self) -> bool:
        return self.retired_at is not None

    @property
    def time_limit_days(self) -> int | None:
        """The limit a case is held to: the promised one where the level promised one, else the legal one."""
        return self.promised_limit_days if self.promised_limit_days is not None else self.legal_limit_days

    def __str__(self) -> str:
        return self.name


class CatalogChange(Model):
    """One change of one catalog item: who, when, which field, old → new, and why. Never edited."""

    __tablename__ = "catalog_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("catalog_item.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    field: Mapped[str | None] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(500), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now, index=True)

    item: Mapped[CatalogItem] = relationship()
    actor: Mapped[Staff | None] = relationship()
