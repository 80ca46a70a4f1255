"""Timeline and history entries as one reader may read them: the entry itself, with the note they may see.

Cases, items, enterprises, projects and leads keep immutable entries whose notes are free text — a correction
"contact_phone: 13904770004 → 13912345678", a reason, a plan. The phone rule of the records (full for agents,
masked for everyone else, masked for readers through a cross-level link) applies to those notes as well.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.domain.privacy import mask_phones_in
from app.models import Staff
from app.services.scope import readable_text, sees_full_phones


class ReadEvent:
    """A timeline entry as one reader sees it: the event itself, with the note they may read."""

    def __init__(self, event: Any, note: str) -> None:
        self.event, self.note = event, note

    def __getattr__(self, name: str) -> Any:
        return getattr(self.event, name)


def masked_events(events: Iterable[Any], actor: Staff | None) -> list[Any]:
    """Entries with their notes under the records' phone rule for `actor` (unchanged for agents)."""
    if sees_full_phones(actor):
        return list(events)
    return [ReadEvent(getattr(e, "event", e), readable_text(actor, e.note)) for e in events]


def masked_for_everyone(events: Iterable[Any]) -> list[ReadEvent]:
    """Entries with every phone in their notes masked, whoever reads (a case read through a link)."""
    return [ReadEvent(getattr(e, "event", e), mask_phones_in(e.note)) for e in events]
