"""Landing dashboards by role and the navbar's to-do count.

Signed-in users land on their role's dashboard (`HomeView` renders it at `/`; `/dashboard/` is the same page).
Every figure comes from one SQL aggregate of `app.services.dashboards`, and each value links to the list
filtered by the very criterion that counted it: a value of N opens a list of N rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import current_app, g, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterGreater, FilterSmaller
from flask_babel import gettext

from app.domain.coordination import DecisionState
from app.domain.errors import N_
from app.domain.lights import Light
from app.domain.urgency import Overdue
from app.domain.workflow import CaseState, ItemState, Satisfaction
from app.services import dashboards as service
from app.services.clock import today
from app.services.dashboards import Board, Figure, Scope
from app.services.roles import role_label
from app.services.search import ItemProgress, WarningLevel
from app.texts import enum_label
from app.views.base import actor, full_name, scoped_regions
from app.views.cells import light_badge, lights
from app.views.charts import LIGHT_COLOURS, PALETTE, Chart, Series
from app.views.reports import STATUS_LABELS

# Case states keep one colour on every figure; none of them is a light's colour (those mean urgency).
STATE_COLOURS: dict[str, str] = {
    CaseState.SUBMITTED.value: "#c7d9ec",
    CaseState.ACCEPTED.value: "#8fb4d9",
    CaseState.ENTRUSTED.value: "#5bc0de",
    CaseState.PLANNED.value: "#1b6d85",
    CaseState.IN_PROGRESS.value: "#337ab7",
    CaseState.COMPLETED.value: "#2c4f75",
    CaseState.EVALUATED.value: "#6f5499",
    CaseState.REFUSED.value: "#b7a6d6",
    CaseState.TERMINATED.value: "#a3a3a3",
}
SATISFACTION_COLOURS: dict[str, str] = {
    Satisfaction.VERY_SATISFIED.value: PALETTE[2],
    Satisfaction.SATISFIED.value: PALETTE[0],
    Satisfaction.DISSATISFIED.value: PALETTE[4],
}
# 按时报送 / 逾期报送 / 未报送: on time, late, missing read as the lights do.
REPORT_COLOURS = {"on_time": LIGHT_COLOURS["green"], "late": LIGHT_COLOURS["yellow"], "missing": LIGHT_COLOURS["red"]}
FIGURE_COLOURS = {
    Figure.OVERDUE: LIGHT_COLOURS["red"],
    Figure.WEEK: LIGHT_COLOURS["yellow"],
    Figure.PAUSED: LIGHT_COLOURS["paused"],
    Figure.STALLED: LIGHT_COLOURS["red"],
    Figure.DECISIONS: PALETTE[0],
}
FIGURE_LABELS = {
    Figure.OVERDUE: N_("Overdue"),
    Figure.WEEK: N_("Due this week"),
    Figure.PAUSED: N_("Waiting for the applicant"),
    Figure.STALLED: N_("Stalled before the plan"),
    Figure.DECISIONS: N_("Open decisions"),
}
FIGURE_HINTS = {
    Figure.OVERDUE: N_("Past their deadline (red light)."),
    Figure.WEEK: N_("Deadline from today to Sunday, not yet overdue."),
    Figure.PAUSED: N_("The clock stands still until the applicant's materials come back."),
    Figure.STALLED: N_("Accepting, signing or fixing the plan took longer than the agency's own limit."),
    Figure.DECISIONS: N_("Decisions of joint reviews your department carries out."),
}


# --- links to the lists behind each value -----------------------------------------------------------------

_case_state = enum_label(CaseState)


def _filter_arg(view_name: str, column: str, kind: type) -> str:
    """FAB's query-string name of a list's built-in filter (`_flt_<index>_<column>`), looked up on the view."""
    view = next(v for v in current_app.appbuilder.baseviews if type(v).__name__ == view_name)
    filters = view._filters.get_search_filters()[column]
    return f"_flt_{[type(f) for f in filters].index(kind)}_{column}"


def _url(endpoint: str, pairs: list[tuple[str, Any]]) -> str:
    return f"{url_for(endpoint)}?{urlencode([(k, str(v)) for k, v in pairs])}"


def case_list(**filters: Any) -> str:
    """The case list with declared filters (`_flt_0_<name>`) applied."""
    return _url("CaseView.list", [(f"_flt_0_{k}", v) for k, v in filters.items()])


def item_list(*extra: tuple[str, Any], **filters: Any) -> str:
    """The item list with declared filters, then FAB's own (`extra`: query-string name and value)."""
    return _url("CaseItemView.list", [*((f"_flt_0_{k}", v) for k, v in filters.items()), *extra])


def decision_list(overdue: bool = False, desk: int | None = None) -> str:
    pairs: list[tuple[str, Any]] = [(_filter_arg("DecisionView", "state", FilterEqual), DecisionState.OPEN.value)]
    if desk is not None:
        pairs.append(("_flt_0_desk", desk))
    if overdue:
        pairs.append((_filter_arg("DecisionView", "due_on", FilterSmaller), today().isoformat()))
    return _url("DecisionView.list", pairs)


# --- supervisor ------------------------------------------------------------------------------------------


def _regions_by(rows: list[service.RegionCount]) -> tuple[list[tuple[int, str]], dict[tuple[int, str], int]]:
    regions: list[tuple[int, str]] = []
    counts: dict[tuple[int, str], int] = {}
    for row in rows:
        if not regions or regions[-1][0] != row.region_id:
            regions.append((row.region_id, row.region))
        counts[(row.region_id, row.key)] = row.n
    return regions, counts


def cases_chart(scope: Scope) -> Chart:
    regions, counts = _regions_by(service.cases_by_region_state(scope))
    states = [s.value for s in CaseState if any((r, s.value) in counts for r, _ in regions)]
    return Chart(
        "cases-by-region",
        gettext("Cases by region and state"),
        [name for _, name in regions],
        [
            Series(
                _case_state(state),
                [counts.get((rid, state)) for rid, _ in regions],
                STATE_COLOURS.get(state),
                urls=[case_list(region=rid, state=state) if (rid, state) in counts else None for rid, _ in regions],
                stack="cases",
            )
            for state in states
        ],
        unit=gettext("cases"),
    )


def flow_chart(scope: Scope) -> Chart:
    months = service.monthly_flow(scope)
    labels = [m.label for m in months]
    return Chart(
        "monthly-flow",
        gettext("New and completed cases per month"),
        labels,
        [
            Series(
                gettext("New applications"),
                [m.new for m in months],
                PALETTE[1],
                [case_list(applied_in=x) for x in labels],
            ),
            Series(
                gettext("Completed"),
                [m.completed for m in months],
                PALETTE[2],
                [case_list(completed_in=x) for x in labels],
            ),
        ],
        unit=gettext("cases"),
        note=gettext("The last 12 months; a case counts as completed in the month it was completed."),
    )


def _department_name(row: service.DepartmentLoad, several: bool) -> str:
    """A department's name, with its region when several are shown and the name does not say it already."""
    if several and not row.department.startswith(row.region):
        return f"{row.region} · {row.department}"
    return row.department


def department_chart(scope: Scope) -> Chart:
    rows = service.department_load(scope)
    several = len(set(scope.region_ids)) > 1
    open_items = item_list(progress=ItemProgress.OPEN.value)
    return Chart(
        "department-load",
        gettext("Open items by department and their overdue share"),
        [f"{_department_name(r, several)} ({r.share:.0%})" for r in rows],
        [
            Series(
                gettext("Open items"),
                [r.open for r in rows],
                PALETTE[0],
                [f"{open_items}&_flt_0_department={r.department_id}" for r in rows],
            ),
            Series(
                gettext(Light.RED.label),
                [r.overdue for r in rows],
                LIGHT_COLOURS["red"],
                [item_list(department=r.department_id, warning=WarningLevel.RED.value) for r in rows],
            ),
        ],
        kind="hbar",
        unit=gettext("items"),
        note=gettext("The %(n)s departments with the most overdue items; the share overdue in brackets.", n=len(rows)),
    )


def working_days_chart(scope: Scope) -> Chart:
    rows = service.working_days(scope)
    name_is = _filter_arg("CaseItemView", "name", FilterEqual)
    measured = (_filter_arg("CaseItemView", "used_days", FilterGreater), -1)
    days_are = _filter_arg("CaseItemView", "used_days", FilterEqual)
    return Chart(
        "working-days",
        gettext("Working days used per catalog item against its limit"),
        [r.name for r in rows],
        [
            Series(
                gettext("Median"),
                [r.median for r in rows],
                PALETTE[0],
                [item_list((name_is, r.name), measured) for r in rows],
            ),
            Series(
                gettext("Worst"),
                [r.worst for r in rows],
                PALETTE[3],
                [item_list((name_is, r.name), (days_are, r.worst)) for r in rows],
                colors=[
                    LIGHT_COLOURS["red"] if r.limit is not None and r.worst > r.limit else PALETTE[3] for r in rows
                ],
            ),
            Series(gettext("Time limit"), [r.limit for r in rows], PALETTE[5]),
        ],
        kind="hbar",
        unit=gettext("working days"),
        note=gettext("Closed items; a worst case past the limit is red."),
    )


def satisfaction_chart(scope: Scope) -> Chart:
    regions, counts = _regions_by(service.satisfaction_by_region(scope))
    categories = []
    for rid, name in regions:
        total = sum(counts.get((rid, s.value), 0) for s in Satisfaction)
        content = total - counts.get((rid, Satisfaction.DISSATISFIED.value), 0)
        categories.append(gettext("%(region)s (%(rate)s satisfied)", region=name, rate=f"{content / total:.0%}"))
    return Chart(
        "satisfaction",
        gettext("Satisfaction per region"),
        categories,
        [
            Series(
                gettext(level.label),
                [counts.get((rid, level.value)) for rid, _ in regions],
                SATISFACTION_COLOURS[level.value],
                [case_list(region=rid, evaluation=level.value) for rid, _ in regions],
                stack="evaluations",
            )
            for level in Satisfaction
        ],
        kind="hbar",
        unit=gettext("evaluations"),
    )


def coordination_chart(scope: Scope) -> Chart:
    c = service.coordination(scope)
    return Chart(
        "coordination",
        gettext("Open decisions and escalations"),
        [gettext("Open decisions"), gettext("of which overdue"), gettext("Escalations waiting")],
        [
            Series(
                gettext("Number"),
                [c.open_decisions, c.overdue_decisions, c.waiting_escalations],
                PALETTE[0],
                [decision_list(), decision_list(overdue=True), url_for("ReviewPageView.escalations")],
                colors=[PALETTE[0], LIGHT_COLOURS["red"], PALETTE[1]],
            )
        ],
    )


def training_chart(scope: Scope) -> Chart:
    year = today().year
    rows = service.training_hours(scope, year)
    return Chart(
        "training-hours",
        gettext("Training hours per region in %(year)s", year=year),
        [r.region for r in rows],
        [
            Series(
                gettext("Hours attended"),
                [r.hours for r in rows],
                PALETTE[6],
                [url_for("TrainingHoursView.hours", year=year, region=r.region_id) for r in rows],
            )
        ],
        kind="hbar",
        unit=gettext("hours"),
        note=gettext("Hours of the sessions each member of staff attended, summed per region."),
    )


def coverage_chart() -> Chart:
    rows = service.coverage_by_region(actor())
    page = url_for("CoverageView.coverage")
    return Chart(
        "coverage",
        gettext("Liaison coverage gaps"),
        [r.region for r in rows],
        [
            Series(
                gettext("With a liaison"),
                [r.covered for r in rows],
                PALETTE[0],
                [f"{page}#region-{r.code}" for r in rows],
                stack="departments",
            ),
            Series(
                gettext("No liaison"),
                [r.gaps for r in rows],
                LIGHT_COLOURS["red"],
                [f"{page}#region-{r.code}" for r in rows],
                stack="departments",
            ),
        ],
        kind="hbar",
        unit=gettext("approval departments"),
    )


def reports_chart() -> Chart:
    result = service.report_statuses(actor())
    month = result.first.strftime("%Y-%m")
    url = url_for("MonthlyReportView.board" if result.city else "MonthlyReportView.month", month=month)
    return Chart(
        "monthly-reports",
        gettext("Monthly reports for %(month)s", month=month),
        [gettext(STATUS_LABELS[s]) for s in service.REPORT_STATUSES],
        [
            Series(
                gettext("Banners"),
                [result.count(s) for s in service.REPORT_STATUSES],
                urls=[url] * len(service.REPORT_STATUSES),
                colors=[REPORT_COLOURS[s] for s in service.REPORT_STATUSES],
            )
        ],
        unit=gettext("banners"),
        note=gettext("Due by the 24th of the following month."),
    )


def supervisor_charts(scope: Scope) -> list[Chart]:
    return [
        cases_chart(scope),
        flow_chart(scope),
        department_chart(scope),
        working_days_chart(scope),
        satisfaction_chart(scope),
        coordination_chart(scope),
        training_chart(scope),
        coverage_chart(),
        reports_chart(),
    ]


# --- agent, liaison, admin: counts with links and their first rows ----------------------------------------


class Tile:
    """A count that links to its list, with the first rows behind it."""

    def __init__(self, figure: Figure, n: int, url: str, rows: list[Any]) -> None:
        self.figure, self.n, self.url, self.rows = figure, n, url, rows
        self.key = figure.value
        self.label = gettext(FIGURE_LABELS[figure])
        self.hint = gettext(FIGURE_HINTS[figure])
        self.colour = FIGURE_COLOURS[figure]


def agent_tiles(scope: Scope) -> list[Tile]:
    counts = service.agent_counts(scope)
    urls = {
        Figure.OVERDUE: case_list(desk=scope.staff_id, warning=WarningLevel.RED.value),
        Figure.WEEK: case_list(desk=scope.staff_id, warning=WarningLevel.WEEK.value),
        Figure.PAUSED: case_list(desk=scope.staff_id, warning=WarningLevel.PAUSED.value),
        Figure.STALLED: case_list(desk=scope.staff_id, overdue=Overdue.AGENCY_STEP.value),
    }
    # The first rows are read even when the count is 0: the page's queries never depend on the data.
    return [Tile(f, counts[f], urls[f], service.agent_rows(scope, f)) for f in urls]


def liaison_tiles(scope: Scope) -> list[Tile]:
    counts = service.liaison_counts(scope)
    tiles = [
        Tile(
            f,
            counts[f],
            item_list(warning=service.WARNING_OF[f].value),
            service.liaison_rows(scope, f),
        )
        for f in service.LIAISON_ITEM_FIGURES
    ]
    decisions = counts[Figure.DECISIONS]
    tiles.append(Tile(Figure.DECISIONS, decisions, decision_list(), service.decision_rows(scope)))
    return tiles


YEAR_SOURCES = {
    "builtin": N_("Built in (chinesecalendar)"),
    "entered": N_("Entered"),
    "missing": N_("Not entered yet"),
}


# --- the page ---------------------------------------------------------------------------------------------


def _header(user: Any) -> dict[str, Any]:
    return {
        "user_name": full_name(user),
        "roles": [gettext(role_label(r.name)) for r in user.roles],
        "region": user.region.name if user.region else "",
        "department": user.department.name if user.department else "",
    }


def render_dashboard(view: BaseView) -> Any:
    """The signed-in user's dashboard, rendered by `view` (the landing page or DashboardView)."""
    user = actor()
    board = service.board_for(user) or Board.LIAISON
    scope = service.scope_of(user, scoped_regions())
    context: dict[str, Any] = {"board": board.value, "today": today(), **_header(user)}
    if board is Board.SUPERVISOR:
        context["charts"] = supervisor_charts(scope)
    elif board is Board.AGENT:
        context.update(tiles=agent_tiles(scope), book=lights())
    elif board is Board.LIAISON:
        context.update(tiles=liaison_tiles(scope), book=lights(), ItemState=ItemState)
    else:
        health = service.data_health(user, scope)
        context.update(health=health, year_sources=YEAR_SOURCES, retired_url=_retired_url())
    return view.render_template(
        f"dashboards/{board.value}.html",
        title=gettext("Dashboard"),
        light_badge=light_badge,
        **context,
    )


def _retired_url() -> str:
    return item_list(progress=ItemProgress.OPEN.value, retired="1")


class DashboardView(BaseView):
    """The landing dashboard of the user's role (also at `/`, where signed-in users land)."""

    route_base = "/dashboard"
    default_view = "dashboard"
    base_permissions = ["can_dashboard"]

    @expose("/")
    @has_access
    def dashboard(self) -> Any:
        return render_dashboard(self)


# --- the navbar's to-do count -----------------------------------------------------------------------------

TODO_ENDPOINTS = {Board.AGENT: "WorkQueueView.cases", Board.LIAISON: "WorkQueueView.items"}
TODO_KEY = "bangninban.todo_badge"


@dataclass(frozen=True)
class TodoLine:
    """One figure of the to-do menu: its count and the list of exactly the rows it counts."""

    key: str
    label: str
    n: int
    url: str


class TodoBadge:
    """Overdue + due this week + open decisions (computed once a request); each line opens its own rows."""

    def __init__(self, todo: service.Todo, lines: list[TodoLine], url: str) -> None:
        self.overdue, self.week, self.decisions, self.total = todo.overdue, todo.week, todo.decisions, todo.total
        self.lines, self.url = lines, url


def _todo_lines(todo: service.Todo, board: Board, scope: Scope) -> list[TodoLine]:
    """Where each figure of the count leads: the same rows the count holds, for the board that counted them."""
    if board is Board.LIAISON:
        overdue, week = item_list(warning=WarningLevel.RED.value), item_list(warning=WarningLevel.WEEK.value)
        decisions = decision_list()
    elif board is Board.AGENT:
        overdue = case_list(desk=scope.staff_id, warning=WarningLevel.RED.value)
        week = case_list(desk=scope.staff_id, warning=WarningLevel.WEEK.value)
        decisions = decision_list(desk=scope.staff_id)
    else:
        overdue, week = case_list(warning=WarningLevel.RED.value), case_list(warning=WarningLevel.WEEK.value)
        decisions = decision_list()
    return [
        TodoLine("overdue", gettext("Overdue"), todo.overdue, overdue),
        TodoLine("week", gettext("Due this week"), todo.week, week),
        TodoLine("decisions", gettext("Open decisions"), todo.decisions, decisions),
    ]


def todo_badge(appbuilder: AppBuilder) -> TodoBadge | None:
    """The signed-in user's to-do count (two queries: the scope, then one row of counts), cached per request.

    Kept in the request's environ, not in `g`: `g` lives as long as the app context, which tests and CLI tasks
    share between requests (and users).
    """
    if TODO_KEY in request.environ:
        return request.environ[TODO_KEY]
    badge = None
    user = getattr(g, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        board = service.board_for(user)
        if board is not None and appbuilder.sm.has_access("can_dashboard", "DashboardView"):
            scope = service.scope_of(user, scoped_regions())
            todo = service.todo(scope, board)
            endpoint = TODO_ENDPOINTS.get(board)
            url = url_for(endpoint) if endpoint else url_for("DashboardView.dashboard")
            badge = TodoBadge(todo, _todo_lines(todo, board, scope), url)
    request.environ[TODO_KEY] = badge
    return badge


def register(appbuilder: AppBuilder) -> None:
    """Add this module's views and menu entries."""
    appbuilder.add_view_no_menu(DashboardView)
    app = current_app._get_current_object()  # registration runs inside create_app's app context

    @app.context_processor
    def todo_context() -> dict[str, Any]:
        return {"todo_badge": lambda: todo_badge(appbuilder)}
