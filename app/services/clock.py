"""The app's clock: today's date and every shown time in the service's zone (BABEL_DEFAULT_TIMEZONE).

Timestamps are stored naive in the server's own clock (`models.org.now`, FAB's `datetime.now()`), which is
UTC on a production server. One rule for showing them: `local_time` turns a stored timestamp into the
service's zone, and every page, paper, export and message goes through it (or the `stamp` filter).
Today's date is the service's date, not the server's: at 07:00 in Ordos a UTC server still says yesterday.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_ZONE = "Asia/Shanghai"


def zone() -> ZoneInfo:
    """The service's time zone."""
    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE") if has_app_context() else None
    return ZoneInfo(name or DEFAULT_ZONE)


def today() -> dt.date:
    """Today in the service's zone, or the TODAY setting (tests, demos, reruns of a day)."""
    if has_app_context() and current_app.config.get("TODAY"):
        return dt.date.fromisoformat(str(current_app.config["TODAY"]))
    return dt.datetime.now(zone()).date()


def local_time(value: dt.datetime) -> dt.datetime:
    """A stored timestamp as wall-clock time in the service's zone (naive)."""
    return value.astimezone(zone()).replace(tzinfo=None)


def local_date(value: dt.datetime | None) -> dt.date | None:
    """The service's date of a stored timestamp (a report sent at 01:00 in Ordos counts on that day)."""
    return local_time(value).date() if value is not None else None


def stamp(value: dt.datetime | None) -> str:
    """A stored timestamp as every screen, paper and sheet writes it: local, to the minute."""
    return local_time(value).strftime("%Y-%m-%d %H:%M") if value is not None else ""


def on_today(moment: dt.datetime) -> dt.datetime:
    """A stored timestamp moved by whole days so that its local date is today() (TODAY setting)."""
    return moment + (today() - local_time(moment).date())
