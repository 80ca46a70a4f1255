"""Views for 提前介入: leads, their checklist and their conversion into a case."""

from __future__ import annotations

from flask_appbuilder import AppBuilder


def register(appbuilder: AppBuilder) -> None:
    """Add this module's views and menu entries."""
