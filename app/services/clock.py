"""Today's date as the app sees it: the real date, or the TODAY setting (tests, demos, reruns of a day)."""

from __future__ import annotations

import datetime as dt

from flask import current_app, has_app_context


def today() -> dt.date:
    if has_app_context() and current_app.config.get("TODAY"):
        return dt.date.fromisoformat(str(current_app.config["TODAY"]))
    return dt.date.today()
