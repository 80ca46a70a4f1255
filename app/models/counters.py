"""Number sequences handed out under a row lock: case numbers per region and year (and any other series)."""

from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column


class NumberCounter(Model):
    """The last number given in one series (e.g. ``case:150621:2026``); raised only inside the taker's transaction."""

    __tablename__ = "number_counter"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
