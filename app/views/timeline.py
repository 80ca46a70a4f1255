"""A case's timeline in words: each entry's step and states, read from the engine machine of the record it is about.

A new kind of tracked record names its labels and states where it registers its machine; nothing here changes.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext

from app.domain.workflow import CaseState, ItemState
from app.services.engine import MACHINES

_WORDS: dict[str, tuple[dict[str, str], Any]] = {}  # by subject, made once the machines are all registered


def case_step_labels() -> dict[str, str]:
    """Every step a case's own timeline may hold: the case's and items' moves, and those other records write there."""
    labels = dict(MACHINES["case"].labels)
    for machine in MACHINES.values():
        labels.update(machine.case_labels)
    return labels


def _words(subject: str) -> tuple[dict[str, str], Any]:
    """(step labels, state enum) of a subject; a subject without a machine reads as the case's own entries."""
    if len(_WORDS) != len(MACHINES) + 1:  # machines register at import: rebuilt only if one came later
        on_case = case_step_labels()
        _WORDS.clear()
        for name, machine in MACHINES.items():
            _WORDS[name] = (on_case if name in ("case", "item") else dict(machine.labels), machine.states)
        _WORDS[""] = (dict(MACHINES["case"].labels), MACHINES["case"].states)
    return _WORDS.get(subject) or _WORDS[""]


def event_step(event: Any) -> str:
    """A timeline entry's step, translated from the table of the record it is about."""
    labels = _words(event.subject_type)[0]
    return gettext(labels[event.action]) if event.action in labels else event.action


def event_state(event: Any, value: str | None) -> str:
    """A state named in a timeline entry, translated by the kind of record that was in it."""
    if not value:
        return ""
    states = _words(event.subject_type)[1]
    try:
        return gettext(states(value).label)
    except (ValueError, TypeError):
        return value


def state_label(value: str | None, is_item: Any = None) -> str:
    """A case or item state's translated label (timeline rows hold the raw state)."""
    if not value:
        return ""
    try:
        return gettext((ItemState if is_item else CaseState)(value).label)
    except ValueError:
        return value
