"""What a liaison may read of a case's timeline: the rules as data and pure functions (no Flask, no database).

A liaison (联络员) lists only their own department's items, decisions of their department, no escalations,
links, leads or write-ups. The case timeline follows the same scope: entries about other departments'
items and decisions are left out, and a case-level note that names another department's item is cut to
what concerns their own (the service plan's lines) or not shown.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from app.domain.links import CASE_EVENT_ACTIONS as LINK_CASE_ACTIONS

# Timeline subjects a liaison sees only when the record is theirs; the others (escalations, links, leads,
# write-ups, …) not at all.
OWN_SUBJECTS = frozenset({"item", "decision"})
# Case-level entries written by the features liaisons have no part in (links, leads, typical cases).
HIDDEN_CASE_ACTIONS = frozenset({*LINK_CASE_ACTIONS, "from_lead", "typical_accepted"})
# The case-level entry whose note is the service plan, one line per item.
PLAN_ACTION = "plan_schedule"
PLAN_SEPARATOR = "; "


def plan_line(name: str, planned_filing_on: dt.date | None) -> str:
    """One item's line of the service plan's summary: “name: YYYY-MM-DD” (or “-” without a date)."""
    return f"{name}: {planned_filing_on.isoformat() if planned_filing_on else '-'}"


def plan_summary(lines: Iterable[tuple[str, dt.date | None]]) -> str:
    return PLAN_SEPARATOR.join(plan_line(name, on) for name, on in lines)


def plan_lines_about(note: str, names: Iterable[str]) -> str:
    """The lines of a plan summary about the named items only, in the order the plan lists them."""
    found: list[tuple[int, str]] = []
    for name in set(names):
        pattern = rf"(?:^|{re.escape(PLAN_SEPARATOR)})({re.escape(name)}: (?:\d{{4}}-\d{{2}}-\d{{2}}|-))"
        found.extend((match.start(1), match.group(1)) for match in re.finditer(pattern, note))
    return PLAN_SEPARATOR.join(line for _, line in sorted(found))


def names_any(note: str, names: Iterable[str]) -> bool:
    return any(name and name in note for name in names)


def liaison_note(action: str, note: str, own: Iterable[str], others: Iterable[str]) -> str:
    """A case-level note as a liaison reads it: the plan's lines about their items; nothing that names others."""
    own, others = set(own), set(others) - set(own)
    if action == PLAN_ACTION:
        return plan_lines_about(note or "", own)
    return "" if names_any(note or "", others) else (note or "")
