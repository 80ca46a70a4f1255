"""How one value shows in a list cell or a page: urgency lights, badges, masked phones, case links, dates.

Stored states show through `app.texts.enum_label`, the one formatter the views and the API share."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import g, url_for
from flask_babel import get_locale, gettext
from markupsafe import Markup

from app.domain.lights import Light
from app.domain.privacy import mask_phone
from app.services.lights import LightBook, light_book
from app.services.scope import sees_full_phones


def phone(value: str | None) -> str:
    return (value or "") if sees_full_phones(g.user) else mask_phone(value)


def lights() -> LightBook:
    """One light book per request: the calendar is loaded once however many rows are shown."""
    if "light_book" not in g:
        g.light_book = light_book()
    return g.light_book


_BADGES: dict[tuple[str, Light], Markup] = {}  # one per language and light: a list shows hundreds


def light_badge(light: Light) -> Markup:
    key = (str(get_locale()), light)
    badge = _BADGES.get(key)
    if badge is None:
        css = {"red": "danger", "yellow": "warning", "green": "success", "paused": "default"}.get(light.value, "")
        badge = Markup('<span class="label label-{} light-{}">{}</span>').format(css, light.value, gettext(light.label))
        _BADGES[key] = badge if css else Markup("")
    return _BADGES[key]


def pending_badge() -> Markup:
    """待定, with why: a due date waiting for the holiday schedule of the year it falls in."""
    why = gettext(
        "The holiday schedule of the year the limit runs into has not been entered yet; the date follows once it is."
    )
    return Markup('<span class="label label-warning pending" title="{}">{}</span>').format(why, gettext("Pending"))


def date_cell(value: dt.date | None) -> Markup | str:
    return Markup('<span class="date">{}</span>').format(value.isoformat()) if value else ""


def case_link(case: Any) -> Markup:
    return Markup('<a class="case-no" href="{}">{}</a>').format(
        url_for("CasePageView.case", case_id=case.id), case.number
    )
