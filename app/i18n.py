"""Translation helpers: FAB's own strings its zh catalog lacks, and the English catalog filler.

FAB 5.3 ships a zh catalog from 2015 with strings missing; listing them here puts them in our
catalog (extracted by `make babel-extract`) so that they are translated too.
"""

from __future__ import annotations

import sys
from typing import Any

from flask import Flask
from flask.globals import _cv_app
from flask_babel import get_translations, lazy_gettext
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

FAB_MESSAGES = [
    lazy_gettext("Database Error"),
    lazy_gettext("Not a valid choice"),
    lazy_gettext(
        "Must have at least two capital letters, one special character, two digits, three lower case letters "
        "and a minimal length of 10."
    ),
    lazy_gettext("Contains (insensitive)"),
    lazy_gettext("Start with"),
    lazy_gettext("In"),
    lazy_gettext("Not In"),
    lazy_gettext("Either select a role or a group"),
    lazy_gettext("List Groups"),
    lazy_gettext("Edit User Information"),
    lazy_gettext("User information changed"),
    lazy_gettext("Groups"),
    lazy_gettext("The user's password for authentication"),
    lazy_gettext("It's not a good policy to remove a user, just make it inactive"),
    lazy_gettext("User(s) exists in the role, cannot delete"),
    lazy_gettext("Show Group"),
    lazy_gettext("Add Group"),
    lazy_gettext("Edit Group"),
    lazy_gettext("User(s) exists in the group, cannot delete"),
    lazy_gettext("Add"),
    lazy_gettext("Edit"),
    lazy_gettext("Show"),
    lazy_gettext("Delete"),
    lazy_gettext("Are you sure you want to delete this item?"),
    lazy_gettext("Sign In with "),
    lazy_gettext("Enter your OpenID Username"),
    lazy_gettext("OpenID"),
]


def fill_english(path: str) -> int:
    """Give every message of the English catalog its msgid as translation (our msgids are English)."""
    from babel.messages.pofile import read_po, write_po

    with open(path, "rb") as handle:
        catalog = read_po(handle)
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            if not all(message.string):
                message.string = tuple(message.id[:1] + message.id[1:] * (len(message.string) - 1))
                filled += 1
        elif not message.string:
            message.string = message.id
            filled += 1
        message.flags.discard("fuzzy")
    with open(path, "wb") as handle:
        write_po(handle, catalog, width=120, omit_header=False)
    return filled


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "fill-english":
        print(f"{fill_english(sys.argv[2])} English messages filled")
    else:
        sys.exit("usage: python -m app.i18n fill-english PATH")


# --- templates' `_()` without the lookups --------------------------------------------------------------------


def _translate(string: str) -> str:
    """The current locale's translation of a message, found once per request and locale, not once per call.

    Flask-Babel looks the locale and the catalog up through several context proxies on every call: a page
    translates 100 to 150 messages, which cost more than some of its SQL. The catalog found first is kept on
    Flask-Babel's own per-request namespace next to the locale it is for; `force_locale` (and `refresh`) change
    that locale object, and the next call looks the catalog up again.
    """
    app_context = _cv_app.get(None)
    space = getattr(app_context.g, "_flask_babel", None) if app_context is not None else None
    locale = getattr(space, "babel_locale", None)
    if locale is None:  # first message of the request, or outside one: Flask-Babel's own way
        return get_translations().ugettext(string)
    kept = space.__dict__.get("catalog")
    if kept is None or kept[0] is not locale:
        kept = space.catalog = (locale, get_translations())
    return kept[1].ugettext(string)


@pass_context
def _template_gettext(context: Context, string: str, **variables: Any) -> str:
    """Jinja's new-style gettext (escaping, `%(name)s` formatting) over `_translate`."""
    translated = _translate(string)
    if context.eval_ctx.autoescape:
        # Our own catalog's text, as Jinja does; the variables are escaped by `%`.
        translated = Markup(translated)  # noqa: S704  # nosec B704
    return translated % variables


def install_template_gettext(app: Flask) -> None:
    """Templates' `_()` and `gettext()` through `_translate` (after Flask-Babel installed its own)."""
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext)
