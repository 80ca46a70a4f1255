"""The landing page after login: who you are, where you work, and where to go."""

from __future__ import annotations

from typing import Any

from flask import g, redirect, url_for
from flask_appbuilder import IndexView, expose

from app.domain.enums import RoleName
from app.services.coverage import gap_count
from app.services.roles import role_label


class HomeView(IndexView):
    """Index page: the user's role and region, and the entry points of their work."""

    index_template = "index.html"

    @expose("/")
    def index(self) -> Any:
        user = g.user if g.user is not None and g.user.is_authenticated else None
        # Agents and liaisons land on their work queue; the index stays one click away in the menu.
        names = {r.name for r in user.roles} if user else set()
        if names == {RoleName.LIAISON.value}:
            return redirect(url_for("WorkQueueView.items"))
        if names == {RoleName.AGENT.value}:
            return redirect(url_for("WorkQueueView.cases"))
        roles = [role_label(r.name) for r in user.roles] if user else []
        # The plan wants a liaison in every approval department: whoever may read coverage sees the gaps here.
        gaps = gap_count(user) if user and self.appbuilder.sm.has_access("can_coverage", "CoverageView") else None
        return self.render_template(
            self.index_template, appbuilder=self.appbuilder, user=user, roles=roles, coverage_gaps=gaps
        )
