"""Numbers and keys handed out under concurrency: number series under a row lock, channel references claimed once."""

from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column


class NumberCounter(Model):
    """The last number given in one series (e.g. ``case:150621:2026``); raised only inside the taker's transaction."""

    __tablename__ = "number_counter"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class ChannelReference(Model):
    """A channel's own reference (12345 ticket, online receipt) claimed by one case: the unique key two
    concurrent submissions of the same ticket meet on (a check before inserting let both through)."""

    __tablename__ = "channel_reference"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    ref: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("agency_case.id"), index=True)
