"""Liaison coverage (联络员覆盖): each approval department of each region with its liaisons, gaps first seen."""

from __future__ import annotations

from typing import Any

from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext

from app.services import coverage
from app.views.base import actor


class CoverageView(BaseView):
    """Per region in the user's scope: approval departments, their active liaisons, and those with none."""

    route_base = "/organisation/coverage"
    default_view = "coverage"
    base_permissions = ["can_coverage"]

    @expose("/")
    @has_access
    def coverage(self) -> Any:
        regions = coverage.coverage(actor())
        return self.render_template(
            "org/coverage.html",
            title=gettext("Liaison coverage"),
            regions=regions,
            gaps=sum(len(r.gaps) for r in regions),
            departments=sum(len(r.departments) for r in regions),
        )
