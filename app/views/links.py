"""Views for 纵向三级联动: linking a case to its counterpart at the other level."""

from __future__ import annotations

from flask_appbuilder import AppBuilder


def register(appbuilder: AppBuilder) -> None:
    """Add this module's views and menu entries."""
