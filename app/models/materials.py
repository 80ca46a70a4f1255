"""申报材料: each catalog item's required materials, and each case item's checklist of them."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from app.domain.materials import MaterialForm, MaterialState
from app.models.cases import CaseItem
from app.models.catalog import CatalogItem
from app.models.org import Staff, now


class CatalogMaterial(Model):
    """One material a catalog item requires. Never deleted: a removed one is retired (cases keep their copy).

    Changes are made through the item (`app.services.catalog.set_materials`): the item's version grows and
    its history (CatalogChange, field "materials") keeps the list before and after.
    """

    __tablename__ = "catalog_material"

    id: Mapped[int] = mapped_column(primary_key=True)
    catalog_item_id: Mapped[int] = mapped_column(ForeignKey("catalog_item.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    form: Mapped[str] = mapped_column(String(24), default=MaterialForm.ORIGINAL.value)
    count: Mapped[int] = mapped_column(Integer, default=1)
    notes: Mapped[str] = mapped_column(String(500), default="")
    deferrable: Mapped[bool] = mapped_column(Boolean, default=False)
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)

    catalog_item: Mapped[CatalogItem] = relationship(
        backref=backref("materials", order_by="(CatalogMaterial.position, CatalogMaterial.id)")
    )

    @property
    def active(self) -> bool:
        return self.retired_at is None

    def __str__(self) -> str:
        return self.name


class CaseMaterial(Model):
    """One material on a case item's checklist: a snapshot of the catalog's row, and what became of it."""

    __tablename__ = "case_material"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_item_id: Mapped[int] = mapped_column(ForeignKey("case_item.id"), index=True)
    # None: a material the agent added for this case only.
    catalog_material_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_material.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    form: Mapped[str] = mapped_column(String(24), default=MaterialForm.ORIGINAL.value)
    count: Mapped[int] = mapped_column(Integer, default=1)
    notes: Mapped[str] = mapped_column(String(500), default="")
    deferrable: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default=MaterialState.PENDING.value, index=True)
    received_on: Mapped[dt.date | None] = mapped_column(Date)
    promised_on: Mapped[dt.date | None] = mapped_column(Date)
    returned_on: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(500), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    case_item: Mapped[CaseItem] = relationship(
        backref=backref("materials", order_by="(CaseMaterial.position, CaseMaterial.id)")
    )
    catalog_material: Mapped[CatalogMaterial | None] = relationship()
    updated_by: Mapped[Staff | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        return self.name
