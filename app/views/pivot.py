"""统计分析: the pivot explorer (透视分析) and the chart views over the catalog, cases, joint reviews and training.

Both are pages of supervisors (and admins) over their own area. The pivot reads only declared dimensions and
measures from its query string (anything else: 400 with the form and a message); each of its cells opens the
case or item list behind it where that list can be filtered the same way. Charts render with the app's own
Apache ECharts (app/views/charts.py), each with the table of its numbers.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from flask import Response, abort, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext, lazy_gettext

from app.domain.coordination import ReviewKind
from app.domain.enums import ItemType, Stage
from app.domain.errors import N_, DomainError
from app.domain.pivot import (
    DIMENSIONS,
    MEASURES,
    PERIOD_BASES,
    Dimension,
    Grain,
    PivotRefused,
    PivotRequest,
    check_request,
)
from app.domain.training import AttendanceStatus
from app.domain.workflow import CaseState, Channel
from app.services import model_charts
from app.services.clock import today
from app.services.pivot import (
    Header,
    PivotTable,
    build_pivot,
    dimension_labels,
    month_range,
    write_pivot_excel,
)
from app.services.search import form_id, region_choices
from app.views.base import actor, error_text, scoped_regions
from app.views.charts import LIGHT_COLOURS, PALETTE, Chart, Series

MAX_CHART_SERIES = 12
# Series beyond the shared palette's eight (nine case states): more colours that read neither as late nor as fine.
SERIES_COLOURS: tuple[str, ...] = (*PALETTE, "#8c6d31", "#b39ddb", "#4a7c8c", "#d4b483")


class RegionOutsideScope(PivotRefused):
    template = N_("The chosen region is not in your area.")


class BadDate(PivotRefused):
    template = N_("The date format is not valid.")


# --- reading the form ----------------------------------------------------------------------------------------


def _date(raw: str | None) -> dt.date | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise BadDate() from None


def read_request(args: Any) -> PivotRequest:
    """The pivot request of a query string, checked against the declared lists and the user's regions."""
    region_text = (args.get("region") or "").strip()
    region_id = form_id(region_text)
    if region_text and (region_id is None or region_id not in scoped_regions()):
        raise RegionOutsideScope()
    return check_request(
        rows=args.get("rows") or "region",
        columns=args.get("columns") or None,
        measure=args.get("measure") or "cases",
        region_id=region_id,
        date_from=_date(args.get("from")),
        date_to=_date(args.get("to")),
        period_basis=args.get("on") or "applied_month",
    )


# --- labels, numbers and links --------------------------------------------------------------------------------


def header_label(dimension: Dimension | None, header: Header | None) -> str:
    """A row or column header in the user's language."""
    if dimension is None or header is None:
        return ""
    if header.value is None:
        return gettext("(no date yet)") if dimension.month else gettext("(not set)")
    if dimension.key in ("stage", "channel", "state"):
        return gettext(header.label)
    return header.label


def number_text(value: float | int | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "count":
        return str(int(value))
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "score":
        return f"{value:.2f}"
    return f"{value:.1f}"


def list_url(request_: PivotRequest, coordinates: list[tuple[Dimension, Any]]) -> str | None:
    """The case or item list filtered to one cell (or total) of the table; None where no such filter exists."""
    if not request_.measure.linked:
        return None
    grain = request_.grain
    args: dict[str, str] = {}
    ranges: dict[str, list[dt.date | None]] = {}

    def narrow(column: str, low: dt.date | None, high: dt.date | None) -> None:
        current = ranges.setdefault(column, [None, None])
        if low is not None:
            current[0] = low if current[0] is None else max(current[0], low)
        if high is not None:
            current[1] = high if current[1] is None else min(current[1], high)

    if request_.region_id is not None:
        args["_flt_0_region"] = str(request_.region_id)
    if request_.date_from or request_.date_to:
        column = request_.period_basis.list_filter(grain)
        if column is None:
            return None
        narrow(column, request_.date_from, request_.date_to)
    for dimension, value in coordinates:
        name = dimension.list_filter(grain)
        if name is None or value is None:
            return None
        if dimension.month:
            narrow(name, *month_range(int(value)))
        else:
            args[f"_flt_0_{name}"] = str(value)
    for column, (low, high) in ranges.items():
        # FAB's date filters are strict (greater than / smaller than): one day either side of the range.
        if low is not None:
            args[f"_flt_1_{column}"] = (low - dt.timedelta(days=1)).isoformat()
        if high is not None:
            args[f"_flt_2_{column}"] = (high + dt.timedelta(days=1)).isoformat()
    return url_for("CaseView.list" if grain is Grain.CASE else "CaseItemView.list", **args)


def pivot_chart(table: PivotTable) -> Chart:
    """The table as a chart: rows are the categories, each column a series (stacked for counts)."""
    request_ = table.request
    measure = request_.measure
    categories = [header_label(request_.rows, row) for row in table.rows]
    series = []
    columns = table.columns[:MAX_CHART_SERIES]
    for index, column in enumerate(columns):
        urls, values = [], []
        for row in table.rows:
            coordinates = [(request_.rows, row.value)]
            if table.has_columns:
                coordinates.append((request_.columns, column.value))
            values.append(table.value(row.value, column.value))
            urls.append(list_url(request_, coordinates))
        if table.has_columns:
            name, colour = header_label(request_.columns, column), SERIES_COLOURS[index % len(SERIES_COLOURS)]
        else:
            name, colour = gettext(measure.label), _measure_colour(measure.key)
        stack = "all" if measure.unit == "count" and table.has_columns else None
        series.append(Series(name, values, colour, urls=urls, stack=stack))
    kind = "hbar" if len(categories) > 12 and not request_.rows.month else "bar"
    note = ""
    if len(table.columns) > MAX_CHART_SERIES:
        note = gettext("The chart shows the first %(n)s columns; the table shows them all.", n=MAX_CHART_SERIES)
    # No axis unit: the measure's name says it (a unit above a vertical axis is cut off by the chart's margin).
    return Chart("pivot", gettext(measure.label), categories, series, kind=kind, note=note)


def _measure_colour(key: str) -> str:
    if key in ("overdue", "late_filing"):
        return LIGHT_COLOURS["red"]
    if key == "on_time_rate":
        return LIGHT_COLOURS["green"]
    return PALETTE[0]


def _form_values(args: Any) -> dict[str, str]:
    keys = ("rows", "columns", "measure", "region", "from", "to", "on")
    values = {key: (args.get(key) or "")[:40] for key in keys}
    values["rows"] = values["rows"] or "region"
    values["measure"] = values["measure"] or "cases"
    values["on"] = values["on"] or "applied_month"
    return values


def _title(request_: PivotRequest) -> str:
    what = gettext(request_.measure.label)
    by = gettext(request_.rows.label)
    if request_.columns is not None:
        by = f"{by} × {gettext(request_.columns.label)}"
    return gettext("%(measure)s by %(dimensions)s", measure=what, dimensions=by)


class PivotView(BaseView):
    """透视分析: rows × columns of declared dimensions, one measure, its chart, and the same table in Excel."""

    route_base = "/analysis/pivot"
    default_view = "pivot"
    base_permissions = ["can_pivot", "can_excel"]

    def _page(self, values: dict[str, str], error: str | None = None, table: PivotTable | None = None) -> Any:
        cells: dict[tuple[Any, Any], str | None] = {}
        totals: dict[str, Any] = {}
        if table is not None:
            request_ = table.request
            for row in table.rows:
                for column in table.columns:
                    coordinates = [(request_.rows, row.value)]
                    if table.has_columns:
                        coordinates.append((request_.columns, column.value))
                    cells[(row.value, column.value)] = list_url(request_, coordinates)
                totals[("row", row.value)] = list_url(request_, [(request_.rows, row.value)])
            for column in table.columns:
                if table.has_columns:
                    totals[("col", column.value)] = list_url(request_, [(request_.columns, column.value)])
            totals["all"] = list_url(request_, [])
        response = self.render_template(
            "pivot/pivot.html",
            title=gettext("Pivot explorer"),
            values=values,
            error=error,
            table=table,
            figure=pivot_chart(table) if table is not None and table.rows else None,
            heading=_title(table.request) if table is not None else "",
            urls=cells,
            total_urls=totals,
            dimensions=DIMENSIONS,
            measures=MEASURES,
            period_bases=[d for d in DIMENSIONS if d.key in PERIOD_BASES],
            regions=region_choices(scoped_regions()),
            header_label=header_label,
            number_text=number_text,
            Grain=Grain,
        )
        return (response, 400) if error else response

    @expose("/")
    @has_access
    def pivot(self) -> Any:
        values = _form_values(request.args)
        try:
            request_ = read_request(request.args)
        except DomainError as refusal:
            return self._page(values, error_text(refusal))
        return self._page(values, table=build_pivot(request_, actor(), dimension_labels))

    @expose("/excel")
    @has_access
    @permission_name("excel")
    def excel(self) -> Any:
        values = _form_values(request.args)
        try:
            request_ = read_request(request.args)
        except DomainError as refusal:
            return self._page(values, error_text(refusal))
        table = build_pivot(request_, actor(), dimension_labels)
        user = actor()
        where = user.region.name if user.region else gettext("All regions")
        texts = {
            "sheet": gettext("Pivot"),
            "rows": gettext(request_.rows.label),
            "columns": gettext(request_.columns.label) if request_.columns else "",
            "measure": gettext(request_.measure.label),
            "total": gettext("Total"),
        }
        title = f"{where} · {_title(request_)} · {today().isoformat()}"
        buffer = io.BytesIO()
        write_pivot_excel(buffer, table, title, texts, header_label)
        return Response(
            buffer.getvalue(),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="pivot-{today().isoformat()}.xlsx"'},
        )


# --- chart views over models ------------------------------------------------------------------------------

SUBJECTS: tuple[tuple[str, str], ...] = (
    ("cases", N_("Cases")),
    ("catalog", N_("Catalog")),
    ("reviews", N_("Joint reviews")),
    ("training", N_("Training")),
)


def _month_text(key: int) -> str:
    return f"{key // 100:04d}-{key % 100:02d}"


def _months_args(column: str, key: int) -> dict[str, str]:
    first, last = month_range(key)
    return {
        f"_flt_1_{column}": (first - dt.timedelta(days=1)).isoformat(),
        f"_flt_2_{column}": (last + dt.timedelta(days=1)).isoformat(),
    }


def _region_arg(region_id: int | None) -> dict[str, str]:
    return {"_flt_0_region": str(region_id)} if region_id is not None else {}


def case_charts(figures: model_charts.CaseFigures, region_id: int | None) -> list[Chart]:
    """Cases: by state, urgency of open cases, per month, per region, by channel; each value opens its list."""
    where = _region_arg(region_id)
    states = [s for s in CaseState]
    by_state = Chart(
        "cases-state",
        gettext("Cases by state"),
        [gettext(s.label) for s in states],
        [
            Series(
                gettext("Cases"),
                [figures.by_state.get(s.value, 0) for s in states],
                PALETTE[0],
                urls=[url_for("CaseView.list", _flt_0_state=s.value, **where) for s in states],
            )
        ],
        kind="hbar",  # nine states: every name stays readable, in English too
    )
    light_keys = ("red", "yellow", "green")
    light_names = {"red": gettext("Overdue"), "yellow": gettext("Due soon"), "green": gettext("On time")}
    lights = Chart(
        "cases-lights",
        gettext("Open cases by urgency"),
        [light_names[k] for k in light_keys],
        [
            Series(
                gettext("Open cases"),
                [figures.lights.get(k, 0) for k in light_keys],
                colors=[LIGHT_COLOURS[k] for k in light_keys],
                urls=[
                    url_for("CaseView.list", _flt_0_warning="red", **where),
                    url_for("CaseView.list", _flt_0_warning="yellow", **where),
                    None,
                ],
            )
        ],
        kind="pie",
        note=gettext("A case takes the light of its most urgent item or of its own deadline."),
    )
    months = figures.months
    monthly = Chart(
        "cases-months",
        gettext("Applications and completions per month"),
        [_month_text(m) for m in months],
        [
            Series(
                gettext("Applications"),
                [figures.applied.get(m, 0) for m in months],
                PALETTE[0],
                urls=[url_for("CaseView.list", **_months_args("applied_on", m), **where) for m in months],
            ),
            Series(gettext("Completed"), [figures.completed.get(m, 0) for m in months], LIGHT_COLOURS["green"]),
        ],
        kind="line",
    )
    regions = Chart(
        "cases-regions",
        gettext("Cases per region"),
        [name for _, name, _, _ in figures.by_region],
        [
            Series(gettext("Still open"), [n for _, _, n, _ in figures.by_region], PALETTE[0], stack="cases"),
            Series(gettext("Ended"), [n for _, _, _, n in figures.by_region], PALETTE[3], stack="cases"),
        ],
        kind="hbar",
        note=gettext("Ended: completed, evaluated, terminated or refused."),
    )
    channels = [c for c in Channel]
    by_channel = Chart(
        "cases-channel",
        gettext("Cases by channel"),
        [gettext(c.label) for c in channels],
        [
            Series(
                gettext("Cases"),
                [figures.by_channel.get(c.value, 0) for c in channels],
                urls=[url_for("CaseView.list", _flt_0_channel=c.value, **where) for c in channels],
                colors=[PALETTE[i % len(PALETTE)] for i in range(len(channels))],
            )
        ],
        kind="pie",
    )
    return [by_state, lights, monthly, regions, by_channel]


def catalog_charts(figures: model_charts.CatalogFigures) -> list[Chart]:
    """The catalogs in force: items per stage, type, department and region; their time limits."""
    stages = [s for s in Stage]
    per_stage = Chart(
        "catalog-stage",
        gettext("Catalog items per stage"),
        [gettext(s.label) for s in stages],
        [Series(gettext("Items"), [figures.by_stage.get(s.value, 0) for s in stages], PALETTE[0])],
        kind="hbar",
    )
    types = [t for t in ItemType]
    per_type = Chart(
        "catalog-type",
        gettext("Catalog items per type"),
        [gettext(t.label) for t in types],
        [
            Series(
                gettext("Items"),
                [figures.by_type.get(t.value, 0) for t in types],
                colors=[PALETTE[i % len(PALETTE)] for i in range(len(types))],
            )
        ],
        kind="pie",
    )
    per_department = Chart(
        "catalog-department",
        gettext("Catalog items per department"),
        [kind for kind, _ in figures.by_department],
        [Series(gettext("Items"), [n for _, n in figures.by_department], PALETTE[1])],
        kind="hbar",
    )
    limits = Chart(
        "catalog-limits",
        gettext("Average time limits per stage (working days)"),
        [gettext(s.label) for s in stages],
        [
            Series(gettext("Legal limit"), [figures.limits_by_stage.get(s.value, (None, None))[0] for s in stages]),
            Series(
                gettext("Promised limit"),
                [figures.limits_by_stage.get(s.value, (None, None))[1] for s in stages],
                LIGHT_COLOURS["green"],
            ),
        ],
        kind="hbar",
        note=gettext(
            "Average over the items that have such a limit; a promised limit shorter than the legal one "
            "is the level's commitment."
        ),
    )
    band_names = [
        gettext("%(low)s–%(high)s days", low=low, high=high) if high else gettext("over %(n)s days", n=low - 1)
        for low, high in model_charts.LIMIT_BANDS
    ] + [gettext("No limit")]
    bands = Chart(
        "catalog-bands",
        gettext("Items by the limit cases are held to"),
        band_names,
        [Series(gettext("Items"), [*figures.limit_bands, figures.no_limit], PALETTE[2])],
        note=gettext("The promised limit where the level promised one, else the legal limit (working days)."),
    )
    regions = Chart(
        "catalog-regions",
        gettext("Catalog items per region"),
        [name for _, name, _ in figures.by_region],
        [Series(gettext("Items"), [n for _, _, n in figures.by_region], PALETTE[0])],
        kind="hbar",
    )
    return [per_stage, per_type, per_department, limits, bands, regions]


def review_charts(figures: model_charts.ReviewFigures, region_id: int | None) -> list[Chart]:
    """Joint reviews: meetings per month, decisions done / open / overdue per month and department."""
    months = figures.months
    labels = [_month_text(m) for m in months]
    meetings = Chart(
        "reviews-months",
        gettext("Joint review meetings per month"),
        labels,
        [
            Series(
                gettext("Meetings"),
                [figures.meetings.get(m, 0) for m in months],
                PALETTE[0],
                urls=[url_for("JointReviewView.list", **_months_args("held_on", m)) for m in months]
                if region_id is None
                else None,
            )
        ],
        note=gettext("Every meeting dated in the month, whatever its state."),
    )
    done, on_time, late = gettext("Carried out"), gettext("Open, on time"), gettext("Open, overdue")
    decisions = Chart(
        "reviews-decisions",
        gettext("Decisions per month of their meeting"),
        labels,
        [
            Series(done, [figures.decisions.get(m, (0, 0, 0))[0] for m in months], PALETTE[0], stack="d"),
            Series(
                on_time, [figures.decisions.get(m, (0, 0, 0))[1] for m in months], LIGHT_COLOURS["green"], stack="d"
            ),
            Series(late, [figures.decisions.get(m, (0, 0, 0))[2] for m in months], LIGHT_COLOURS["red"], stack="d"),
        ],
    )
    totals = figures.totals
    on_time_total = totals.get("open", 0) - totals.get("overdue", 0)
    overdue_args = {"_flt_3_state": "open", "_flt_2_due_on": today().isoformat()}
    state = Chart(
        "reviews-state",
        gettext("Decisions by state"),
        [done, on_time, late, gettext("Cancelled")],
        [
            Series(
                gettext("Decisions"),
                [totals.get("done", 0), on_time_total, totals.get("overdue", 0), totals.get("cancelled", 0)],
                colors=[PALETTE[0], LIGHT_COLOURS["green"], LIGHT_COLOURS["red"], PALETTE[5]],
                urls=[
                    url_for("DecisionView.list", _flt_3_state="done"),
                    None,
                    url_for("DecisionView.list", **overdue_args),
                    url_for("DecisionView.list", _flt_3_state="cancelled"),
                ]
                if region_id is None
                else None,
            )
        ],
        kind="pie",
    )
    departments = Chart(
        "reviews-departments",
        gettext("Decisions per responsible department"),
        [kind for kind, *_ in figures.by_department],
        [
            Series(done, [d for _, d, _, _ in figures.by_department], PALETTE[0], stack="d"),
            Series(on_time, [o for _, _, o, _ in figures.by_department], LIGHT_COLOURS["green"], stack="d"),
            Series(late, [x for _, _, _, x in figures.by_department], LIGHT_COLOURS["red"], stack="d"),
        ],
        kind="hbar",
    )
    kinds = [k for k in ReviewKind]
    by_kind = Chart(
        "reviews-kind",
        gettext("Meetings by kind"),
        [gettext(k.label) for k in kinds],
        [
            Series(
                gettext("Meetings"),
                [figures.by_kind.get(k.value, 0) for k in kinds],
                colors=[PALETTE[i % len(PALETTE)] for i in range(len(kinds))],
            )
        ],
        kind="pie",
        note=gettext("The last twelve months, cancelled meetings left out."),
    )
    return [meetings, decisions, state, departments, by_kind]


def training_charts(figures: model_charts.TrainingFigures) -> list[Chart]:
    """Training plans of a year: hours planned and held per region, attendance rate, hours per month."""
    names = [r.name for r in figures.regions]
    hours = Chart(
        "training-hours",
        gettext("Training hours per region"),
        names,
        [
            Series(gettext("Planned hours"), [r.planned_hours for r in figures.regions], PALETTE[3]),
            Series(gettext("Hours held"), [r.held_hours for r in figures.regions], PALETTE[0]),
        ],
        kind="hbar",
    )
    rate = Chart(
        "training-rate",
        gettext("Attendance rate per region (%)"),
        names,
        [Series(gettext("Attendance rate"), [r.attendance_rate for r in figures.regions], LIGHT_COLOURS["green"])],
        kind="hbar",
        note=gettext("Present, of the attendance recorded (absent and excused count as not attending)."),
    )
    months = [figures.year * 100 + m for m in range(1, 13)]
    monthly = Chart(
        "training-months",
        gettext("Hours held per month"),
        [_month_text(m) for m in months],
        [Series(gettext("Hours held"), [figures.hours_by_month.get(m, 0) for m in months], PALETTE[0])],
    )
    statuses = [s for s in AttendanceStatus]
    colours = {"present": LIGHT_COLOURS["green"], "absent": LIGHT_COLOURS["red"], "excused": PALETTE[5]}
    attendance = Chart(
        "training-status",
        gettext("Attendance recorded"),
        [gettext(s.label) for s in statuses],
        [
            Series(
                gettext("Attendance"),
                [figures.statuses.get(s.value, 0) for s in statuses],
                colors=[colours[s.value] for s in statuses],
            )
        ],
        kind="pie",
    )
    return [hours, rate, monthly, attendance]


class ChartsView(BaseView):
    """统计图表: one page per subject (cases, catalog, joint reviews, training), within the user's area."""

    route_base = "/analysis/charts"
    default_view = "charts"
    base_permissions = ["can_charts"]

    @expose("/")
    @has_access
    @permission_name("charts")
    def index(self) -> Any:
        return redirect(url_for(".charts", subject="cases"))

    @expose("/<subject>")
    @has_access
    def charts(self, subject: str = "cases") -> Any:
        if subject not in dict(SUBJECTS):
            abort(404)
        user = actor()
        _, region_id = model_charts.scope_regions(user, form_id(request.args.get("region")))
        year = request.args.get("year", type=int) or today().year
        if not 2000 <= year <= 2100:
            year = today().year
        if subject == "cases":
            charts = case_charts(model_charts.case_figures(user, region_id), region_id)
        elif subject == "catalog":
            charts = catalog_charts(model_charts.catalog_figures(user, region_id))
        elif subject == "reviews":
            charts = review_charts(model_charts.review_figures(user, region_id), region_id)
        else:
            charts = training_charts(model_charts.training_figures(user, year, region_id))
        return self.render_template(
            "pivot/charts.html",
            title=gettext("Charts"),
            subject=subject,
            subjects=SUBJECTS,
            charts=charts,
            regions=region_choices(scoped_regions()),
            region_id=region_id,
            year=year,
        )


def register(appbuilder: AppBuilder) -> None:
    """Add this module's views and menu entries."""
    appbuilder.add_view(
        ChartsView,
        "Charts",
        href="/analysis/charts/cases",
        label=lazy_gettext("Charts"),
        icon="fa-bar-chart",
        category="Analysis",
        category_label=lazy_gettext("Analysis"),
        category_icon="fa-line-chart",
    )
    appbuilder.add_view(
        PivotView,
        "Pivot explorer",
        href="/analysis/pivot/",
        label=lazy_gettext("Pivot explorer"),
        icon="fa-table",
        category="Analysis",
    )
