"""典型案例: write-ups of cases drafted by agents and decided by the city service bureau."""

from __future__ import annotations

from typing import Any

from app.models import Case, Staff


def for_case(case: Case, actor: Staff) -> Any:
    """The typical-case write-ups about a case, for the case page."""
    return None


def seed_demo_typical() -> int:
    """Demo write-ups (accepted, returned, submitted, draft); returns how many were made."""
    return 0
