"""The landing page: a visitor sees the sign-in link; a signed-in user lands on their role's dashboard."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_appbuilder import IndexView, expose

from app.services.roles import role_label


class HomeView(IndexView):
    """Index page: the dashboard of the user's role (`app.views.dashboards`), or the way in for a visitor."""

    index_template = "index.html"

    @expose("/")
    def index(self) -> Any:
        from app.views.dashboards import render_dashboard

        user = g.user if g.user is not None and g.user.is_authenticated else None
        if user is not None and self.appbuilder.sm.has_access("can_dashboard", "DashboardView"):
            return render_dashboard(self)
        roles = [role_label(r.name) for r in user.roles] if user else []
        return self.render_template(self.index_template, appbuilder=self.appbuilder, user=user, roles=roles)
