"""代办时限: the working days the agency has for its own steps, set by administrators."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext

from app.domain.urgency import DEFAULT_STEP_LIMITS
from app.domain.workflow import ACTION_LABELS, STEP_ENDING, STEP_LIMIT_STATES
from app.services import deadlines
from app.views.base import actor, run_service

# The step each limited state waits for (its button in the case page).


class StepLimitView(BaseView):
    """The three agency step limits with their local defaults; a change moves the limits of open cases."""

    route_base = "/settings/step-limits"
    default_view = "overview"
    base_permissions = ["can_overview", "can_save"]

    @expose("/")
    @has_access
    def overview(self) -> Any:  # not "limits": FAB reserves that name for rate limits
        current = deadlines.step_limits()
        rows = [
            (state, ACTION_LABELS[STEP_ENDING[state]], current[state.value], DEFAULT_STEP_LIMITS[state])
            for state in STEP_LIMIT_STATES
        ]
        return self.render_template("settings/step_limits.html", title=gettext("Agency step limits"), rows=rows)

    @expose("/<state>", methods=["POST"])
    @has_access
    @permission_name("save")
    def save(self, state: str) -> Any:
        raw = request.form.get("working_days", "").strip()
        days = int(raw) if raw.isdigit() and len(raw) <= 3 else -1
        changed: list[int] = []
        if run_service(lambda: changed.append(deadlines.set_step_limit(state, days, actor()))):
            flash(gettext("Limit saved; %(n)s open case(s) got a new deadline.", n=changed[0]), "success")
        return redirect(url_for(".overview"))
