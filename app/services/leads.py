"""提前介入: leads followed before an application exists, and their conversion into a case."""

from __future__ import annotations

from typing import Any

from app.models import Case, Staff


def for_case(case: Case, actor: Staff) -> Any:
    """The lead a case was converted from, for the case page."""
    return None


def seed_demo_leads() -> int:
    """Demo leads in every state; returns how many were made."""
    return 0
