"""What the pages and the data API both say: a domain error and a stored state in the user's language, a
login's name, and where the API's JSON error answer is registered. Shared by `app.views` and `app.api`, which
import neither each other."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext

from app.domain.errors import DomainError

API_ERRORS = "api.errors"  # app.extensions key: the data API's JSON answer for a status code


def enum_label(enum: Any) -> Callable[[Any], str]:
    """A formatter showing a stored value as its translated label (a value the enum no longer knows as it is)."""

    def format_value(value: Any) -> str:
        try:
            return gettext(enum(value).label) if value else ""
        except ValueError:
            return value or ""

    return format_value


def full_name(user: Any) -> str:
    """A login's one 姓名 (older logins may still carry FAB's split first and last names)."""
    first, last = (user.first_name or "").strip(), (user.last_name or "").strip()
    if first and last and (first + last).isascii():
        return f"{first} {last}"
    return first + last


def translated_params(params: dict[str, Any]) -> dict[str, Any]:
    # Labels passed as parameters (a state, an action) are msgids too; data such as names has no entry.
    return {k: gettext(v) if isinstance(v, str) and v else v for k, v in params.items()}


def error_text(error: DomainError) -> str:
    """The domain error in the user's language."""
    return gettext(error.template, **translated_params(error.params))
