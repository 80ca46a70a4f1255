"""Error pages inside the app's layout (menu, flashed messages), in the user's language."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, g, render_template, request
from flask_babel import lazy_gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError

from app.extensions import db
from app.texts import API_ERRORS

log = logging.getLogger(__name__)

# What each status means to the person who met it, and what they can do next.
PAGES: dict[int, tuple[Any, Any]] = {
    400: (
        lazy_gettext("The request could not be understood"),
        lazy_gettext("A value in the address or the form is not valid. Go back and try again."),
    ),
    403: (
        lazy_gettext("Access denied"),
        lazy_gettext("Your role does not allow this page. Ask an administrator if you need it."),
    ),
    404: (
        lazy_gettext("Page not found"),
        lazy_gettext("The page or record does not exist, or it lies outside your area."),
    ),
    405: (
        lazy_gettext("Not allowed"),
        lazy_gettext("This page cannot be used this way. Go back and use its buttons."),
    ),
    413: (
        lazy_gettext("The file is too large"),
        lazy_gettext("The upload exceeds the size this service accepts. Send a smaller file."),
    ),
    429: (
        lazy_gettext("Too many attempts"),
        lazy_gettext("Wait a minute, then try again."),
    ),
    500: (
        lazy_gettext("Something went wrong"),
        lazy_gettext("The error was recorded. Try again; if it happens again, tell the administrator."),
    ),
}
# A form sent without its (or with an expired) security token: a 400 with its own advice.
CSRF_PAGE = (
    lazy_gettext("The form has expired"),
    lazy_gettext("Reload the page and send the form again."),
)

# The last resort when even the layout cannot be drawn (e.g. the database is down): no menu, both languages.
_BARE = (
    '<!doctype html><html lang="zh"><meta charset="utf-8"><title>{code}</title>'
    '<body style="font-family:sans-serif;margin:3em"><h1>{code}</h1><p>{zh}</p><p>{en}</p>'
    '<p><a href="/">返回首页 · Home</a></p></body></html>'
)


def render_error(code: int, page: tuple[Any, Any] | None = None) -> tuple[str, int]:
    """The error page for a status code, drawn in the app's layout."""
    title, hint = page or PAGES.get(code, PAGES[500] if code >= 500 else PAGES[400])
    appbuilder = current_app.appbuilder
    if "user" not in g:
        # Refused before FAB's own before-request ran (a form's CSRF token, a rate limit): the menu needs the user.
        g.user = current_user
    try:
        html = render_template(
            "errors/error.html",
            base_template=appbuilder.base_template,
            appbuilder=appbuilder,
            code=code,
            title=title,
            hint=hint,
        )
    except Exception:  # the layout needs the database for its menu; it may be what failed
        log.exception("error page %s could not be drawn in the layout", code)
        db.session.rollback()
        html = _BARE.format(code=code, zh=escape("出错了，请返回重试。"), en="Something went wrong; try again.")
    return html, code


def register_error_pages(app: Flask) -> None:
    """Answer 4xx and 5xx with the app's own pages (Werkzeug's are bare English without the menu)."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        if error.code is None or error.code < 400:
            return error
        if request.path.startswith("/api/"):
            # The data API answers in JSON, in the caller's language, even where no API view was reached
            # (an unknown address, a rate limit): the responder its package registers (app.api).
            answer = current_app.extensions.get(API_ERRORS)
            return answer(error.code) if answer is not None else error
        return render_error(error.code, CSRF_PAGE if isinstance(error, CSRFError) else None)

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError) -> Any:
        # The request's transaction may be what failed: roll it back before the menu queries run.
        db.session.rollback()
        return render_error(500)
