"""Views for 典型案例: write-ups of cases, submitted to the city bureau."""

from __future__ import annotations

from flask_appbuilder import AppBuilder


def register(appbuilder: AppBuilder) -> None:
    """Add this module's views and menu entries."""
