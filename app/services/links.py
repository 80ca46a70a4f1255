"""纵向三级联动: linking a case to its counterpart case at the upper or lower service centre."""

from __future__ import annotations

from typing import Any

from app.models import Case, Staff


def for_case(case: Case, actor: Staff) -> Any:
    """What the case page shows about this case's cross-level links."""
    return None


def seed_demo_links() -> int:
    """Demo links between city and banner cases; returns how many were made."""
    return 0
