"""View registration: menus, FAB views and the public blueprint, all declared here in one place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, g, request
from flask_appbuilder import AppBuilder
from flask_appbuilder.baseviews import BaseModelView
from flask_babel import lazy_gettext

from app.services.calendar import missing_next_year
from app.services.clock import local_date, stamp, today
from app.services.scope import is_admin
from app.views import public
from app.views.base import (
    checked_list_args,
    humanize_columns,
    name_blank_choices,
    out_of_range_argument,
    sortable_columns,
    valid_id,
    without_impossible_ids,
)
from app.views.calendar import CalendarDayView, CalendarYearView, WorkdayCalculatorView
from app.views.cases import (
    CaseItemView,
    CasePageView,
    CaseView,
    EnterpriseView,
    ProjectView,
    WorkQueueView,
)
from app.views.catalog import CatalogChangeView, CatalogItemView
from app.views.coordination import DecisionView, JointReviewView, ReviewPageView
from app.views.exports import LedgerJobView
from app.views.lists import table_rows
from app.views.org import DepartmentView, RegionView
from app.views.reports import MonthlyReportView
from app.views.settings import StepLimitView


def register_views(appbuilder: AppBuilder) -> None:
    """Add every back-office view to FAB, with its menu entry."""
    work = lazy_gettext("Cases")
    appbuilder.add_view(
        WorkQueueView,
        "My cases",
        href="/queue/cases",
        label=lazy_gettext("My cases"),
        icon="fa-briefcase",
        category="Cases",
        category_label=work,
        category_icon="fa-folder-open",
    )
    appbuilder.add_link(
        "My department's items",
        href="/queue/items",
        label=lazy_gettext("My department's open items"),
        icon="fa-inbox",
        category="Cases",
    )
    appbuilder.add_link(
        "New application",
        href="/cases/new",
        label=lazy_gettext("New application"),
        icon="fa-plus",
        category="Cases",
    )
    appbuilder.add_view(CaseView, "All cases", label=lazy_gettext("Cases"), icon="fa-list", category="Cases")
    appbuilder.add_view(CaseItemView, "Case items", label=lazy_gettext("Case items"), icon="fa-tasks", category="Cases")
    appbuilder.add_view(
        EnterpriseView, "Enterprises", label=lazy_gettext("Enterprises"), icon="fa-industry", category="Cases"
    )
    appbuilder.add_view(ProjectView, "Projects", label=lazy_gettext("Projects"), icon="fa-cubes", category="Cases")
    appbuilder.add_view_no_menu(CasePageView)
    appbuilder.add_view_no_menu(LedgerJobView)
    appbuilder.add_view(
        MonthlyReportView,
        "Monthly reports",
        label=lazy_gettext("Monthly reports"),
        icon="fa-calendar-o",
        category="Cases",
    )
    organisation = lazy_gettext("Organisation")
    appbuilder.add_view(
        RegionView,
        "Regions",
        label=lazy_gettext("Regions"),
        icon="fa-map",
        category="Organisation",
        category_label=organisation,
        category_icon="fa-sitemap",
    )
    appbuilder.add_view(
        DepartmentView, "Departments", label=lazy_gettext("Departments"), icon="fa-building", category="Organisation"
    )
    catalog = lazy_gettext("Catalog")
    appbuilder.add_view(
        CatalogItemView,
        "Catalog items",
        label=lazy_gettext("Catalog items"),
        icon="fa-list-ol",
        category="Catalog",
        category_label=catalog,
        category_icon="fa-book",
    )
    appbuilder.add_view(
        CatalogChangeView,
        "Catalog history",
        label=lazy_gettext("Catalog history"),
        icon="fa-history",
        category="Catalog",
    )
    calendar = lazy_gettext("Calendar")
    appbuilder.add_view(
        WorkdayCalculatorView,
        "Working-day calculator",
        label=lazy_gettext("Working-day calculator"),
        icon="fa-calculator",
        category="Calendar",
        category_label=calendar,
        category_icon="fa-calendar",
    )
    appbuilder.add_view(
        CalendarYearView,
        "Holiday schedules",
        label=lazy_gettext("Holiday schedules"),
        icon="fa-calendar-check-o",
        category="Calendar",
    )
    appbuilder.add_view(
        CalendarDayView,
        "Entered calendar days",
        label=lazy_gettext("Entered calendar days"),
        icon="fa-calendar-plus-o",
        category="Calendar",
    )
    appbuilder.add_view(
        StepLimitView,
        "Agency step limits",
        label=lazy_gettext("Agency step limits"),
        icon="fa-hourglass-half",
        category="Calendar",
    )
    # 会商联审: meetings, their decisions, and the escalations waiting for them.
    coordination = lazy_gettext("Joint reviews")
    appbuilder.add_view(
        JointReviewView,
        "Joint reviews",
        label=lazy_gettext("Meetings"),
        icon="fa-users",
        category="Coordination",
        category_label=coordination,
        category_icon="fa-handshake-o",
    )
    appbuilder.add_view(
        DecisionView, "Decisions", label=lazy_gettext("Decisions"), icon="fa-check-square-o", category="Coordination"
    )
    appbuilder.add_link(
        "Escalations",
        href="/reviews/escalations",
        label=lazy_gettext("Escalations waiting"),
        icon="fa-level-up",
        category="Coordination",
    )
    appbuilder.add_view_no_menu(ReviewPageView)

    # 培训 (training plans, sessions, attendance, hours) and 联络员覆盖 (liaison coverage).
    from app.views.coverage import CoverageView
    from app.views.training import TrainingHoursView, TrainingPlanView

    appbuilder.add_view(
        TrainingPlanView,
        "Training plans",
        label=lazy_gettext("Training plans"),
        icon="fa-graduation-cap",
        category="Training",
        category_label=lazy_gettext("Training"),
        category_icon="fa-graduation-cap",
    )
    appbuilder.add_view(
        TrainingHoursView,
        "Training hours",
        href="/training/hours/",
        label=lazy_gettext("Training hours"),
        icon="fa-clock-o",
        category="Training",
    )
    appbuilder.add_view(
        CoverageView,
        "Liaison coverage",
        href="/organisation/coverage/",
        label=lazy_gettext("Liaison coverage"),
        icon="fa-id-badge",
        category="Organisation",
    )

    # 纵向三级联动, 提前介入, 典型案例: each module adds its own views and menu entries.
    from app.views import leads, links, typical

    links.register(appbuilder)
    leads.register(appbuilder)
    typical.register(appbuilder)

    # Channels and paper (#12): materials checklists, printable forms, the 12345 intake (the data API beside the
    # views is registered by the app factory).
    from app.views import channels, materials, paper

    materials.register(appbuilder)
    paper.register(appbuilder)
    channels.register(appbuilder)

    # Dashboards, chart views, the pivot explorer and performance assessment (考核).
    from app.views import assessment, dashboards, pivot

    dashboards.register(appbuilder)
    pivot.register(appbuilder)
    assessment.register(appbuilder)


def register_public(app: Flask) -> None:
    app.register_blueprint(public.bp)
    from app.views import channels

    channels.register_public(app)  # online application and progress lookup (#12)
    # Browsers ask for /favicon.ico on their own: answered as a static file, it can never render a page that
    # would consume the next page's flashed messages or race its session cookie.
    icon = Path(app.static_folder or "", "favicon.svg").read_bytes()  # tiny: kept in memory, no file handle
    app.add_url_rule(
        "/favicon.ico",
        "favicon",
        lambda: Response(icon, mimetype="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}),
    )


def guard_actions(app: Flask) -> None:
    """Close holes of FAB 5.3's generic routes before they run.

    Its file download crashed with a 500 on any name; an unknown action name crashed too (`None.func`);
    and an action loads its rows
    without the view's row scope (FAB-NOTES). Unknown names now get 404, and a known action on a
    view with a row scope must find its row inside that scope. List arguments (page, page size, sort,
    filters) and ids are checked for every view here, once, rather than in each view.
    """

    views = {type(v).__name__: v for v in app.appbuilder.baseviews}
    model_views = {name: v for name, v in views.items() if isinstance(v, BaseModelView)}
    for view in model_views.values():
        view.order_columns = sortable_columns(view, type(view).order_columns)
        humanize_columns(view)
        name_blank_choices(view)

    @app.before_request
    def refuse_nul_characters() -> None:
        """A NUL character is nothing anyone types, and PostgreSQL refuses it in any string: a bad request (400)
        on every page and form, public or not, before a query could fail with a 500. (The data API refuses it
        itself, field by field, in JSON.)"""
        if request.path.startswith("/api/"):
            return
        given = (*request.args.listvalues(), *request.form.listvalues())
        if "\x00" in request.path or any("\x00" in value for values in given for value in values):
            abort(400)

    @app.before_request
    def check_arguments() -> None:
        """Ids past 32 bits are no record: 404 in the path or the query string, an empty choice in a form (which then
        says what to choose); dates no calendar holds in a query string and malformed list arguments are a bad request
        (400) — all before any query."""
        endpoint = request.endpoint or ""
        view = views.get(endpoint.split(".")[0])
        if view is None:
            return
        for value in (request.view_args or {}).values():
            if isinstance(value, int) and not valid_id(value):
                abort(404)
        if not request.path.startswith("/api/"):  # the data API checks its fields itself, in its JSON answers
            problem = out_of_range_argument(request.args)
            if problem is not None:
                abort(problem)
            form = without_impossible_ids(request.form)
            if form is not None:
                request.form = form
        pk = (request.view_args or {}).get("pk")
        if pk is not None and isinstance(view, BaseModelView) and not valid_id(pk):
            abort(404)
        args = checked_list_args(model_views.get(type(view).__name__), model_views)
        if args is not None:
            request.args = args  # page sizes capped; FAB reads them from here

    @app.before_request
    def check_action() -> None:
        endpoint = request.endpoint or ""
        view = views.get(endpoint.split(".")[0])
        if endpoint.endswith(".download") and hasattr(view, "datamodel"):
            abort(404)  # FAB's file-column download: no model of ours has a file column (and it crashed)
        if not endpoint.endswith((".action", ".action_post")):
            return
        name = (request.view_args or {}).get("name") or request.form.get("action")
        if view is None or name not in getattr(view, "actions", {}):
            abort(404)
        pks = [(request.view_args or {}).get("pk")] if endpoint.endswith(".action") else request.form.getlist("rowid")
        for pk in pks:
            if pk is not None and (not valid_id(pk) or view.datamodel.get(pk, view._base_filters) is None):
                abort(404)


def register_context(app: Flask) -> None:
    """Template globals every page may use."""
    import json

    app.jinja_env.filters["fromjson"] = json.loads
    app.jinja_env.filters["stamp"] = stamp  # every stored time on a page: the service's zone, to the minute
    app.jinja_env.filters["local_date"] = local_date
    app.jinja_env.globals["table_rows"] = table_rows  # a list page's rows in one call (widgets/list.html)

    @app.context_processor
    def calendar_warning() -> dict[str, Any]:
        user = getattr(g, "user", None)
        if user is None or not getattr(user, "is_authenticated", False):
            return {}
        # Everyone whose dates it leaves pending is told (admins with the link to enter it), once a page.
        year = missing_next_year(today(), app.config["CALENDAR_WARN_FROM_MONTH"])
        return {"calendar_warning": year, "calendar_admin": bool(year) and is_admin(user)}
