"""Cheap parts for pages with many rows: labels, URLs and step buttons made once per page, not once per row.

A 200-row queue called `url_for`, `gettext` and a Jinja macro several times per row; here each is done
once per page (or once per kind of step button) and the rows only fill in their ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import get_template_attribute, url_for
from flask_babel import gettext
from markupsafe import Markup

from app.domain.engine import Transition
from app.domain.enums import LabelledEnum

_MARKER = 2_000_000_011  # an id no table reaches; replaced by each row's own


def labels(enum: Iterable[LabelledEnum]) -> dict[str, str]:
    """Each value's translated label, for a page that shows one per row."""
    return {member.value: gettext(member.label) for member in enum}


def translated(texts: dict[str, str]) -> dict[str, str]:
    return {key: gettext(text) for key, text in texts.items()}


def url_with_id(endpoint: str, key: str, **values: Any) -> Callable[[int], str]:
    """`url_for(endpoint, key=id, **values)` for many ids at the cost of one `url_for` (ids are integers)."""
    head, tail = url_for(endpoint, **{key: _MARKER}, **values).split(str(_MARKER))
    return lambda record_id: f"{head}{int(record_id)}{tail}"


def steps_url(endpoint: str, key: str) -> Callable[[int], str]:
    """A record's step URL up to the step's name (`…/<id>/`); the step modal appends the button's action."""
    probe = "step-name"
    make = url_with_id(endpoint, key, action=probe)
    return lambda record_id: make(record_id).removesuffix(probe)


class StepChips:
    """The queues' step buttons (`step_chip` in cases/_macros.html), each kind rendered once per page.

    A chip says only which step it is; the row around it carries the record's step URL, version and name
    (`data-steps`, `data-version`, `data-subject`), read by the one step modal of the page.
    """

    def __init__(self, action_labels: dict[str, str]) -> None:
        self.macro = get_template_attribute("cases/_macros.html", "step_chip")
        self.action_labels = action_labels
        self.made: dict[tuple[Any, ...], Markup] = {}

    def __call__(self, step: Transition, incomplete: bool = False, commitment: bool = False) -> Markup:
        accept = step.action == "accept"
        key = (step.action, step.needs, accept and incomplete, accept and commitment)
        chip = self.made.get(key)
        if chip is None:
            chip = self.made[key] = self.macro(step, self.action_labels[step.action], *key[2:])
        return chip
