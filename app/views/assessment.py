"""Performance assessment (考核): the scores page with every figure opening its rows, the Excel export, and the
administrators' weights page with the history of every set."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import get_locale, gettext, lazy_gettext

from app.domain.assessment import (
    BY_KEY,
    INDICATORS,
    KEYS,
    TRAINING_HOURS_PER_YEAR,
    Level,
    Preset,
    WeightsRefused,
    preset_period,
    training_target,
    weight_text,
)
from app.domain.errors import DomainError, NotFound
from app.services import assessment
from app.services.clock import stamp, today
from app.services.scope import is_admin
from app.views.base import actor, error_text, flash_error, valid_id
from app.views.charts import Chart, Series

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _date(name: str) -> dt.date | None:
    raw = (request.args.get(name) or "").strip()
    try:
        return dt.date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        return None


def _period() -> tuple[dt.date, dt.date, str]:
    """The period asked for: from/to dates, else a preset (default: the last full month)."""
    date_from, date_to = _date("from"), _date("to")
    if date_from and date_to:
        return date_from, date_to, ""
    if request.args.get("from") or request.args.get("to"):
        flash(gettext("Give both dates of the period as YYYY-MM-DD; the last full month is shown."), "warning")
    try:
        preset = Preset(request.args.get("preset") or Preset.MONTH.value)
    except ValueError:
        preset = Preset.MONTH
    date_from, date_to = preset_period(preset, today())
    return date_from, date_to, preset.value


def _level() -> Level:
    try:
        return Level(request.args.get("level") or Level.BANNER.value)
    except ValueError:
        return Level.BANNER


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if valid_id(raw) else None


class AssessmentView(BaseView):
    """考核: scores per banner or department for a period, the rows behind each figure, export, weights."""

    route_base = "/assessment"
    default_view = "scores"
    base_permissions = ["can_scores", "can_rows", "can_export", "can_weights"]

    def _assess(self) -> tuple[assessment.Assessment, str]:
        date_from, date_to, preset = _period()
        level = _level()
        region_id, weights_id = _int_arg("region"), _int_arg("weights")
        try:
            return assessment.assess(level, date_from, date_to, actor(), region_id, weights_id), preset
        except NotFound:
            abort(404)
        except DomainError as error:
            flash_error(error)
            date_from, date_to = preset_period(Preset.MONTH, today())
            return assessment.assess(level, date_from, date_to, actor(), region_id, weights_id), Preset.MONTH.value

    @expose("/")
    @has_access
    def scores(self) -> Any:
        result, preset = self._assess()
        args = _query(result)
        scored = [r for r in result.results if r.score.total is not None]
        chart = Chart(
            "assessment-scores",
            gettext("Score"),
            [r.unit.name for r in scored],
            [Series(gettext("Score"), [r.score.total for r in scored], urls=[f"#unit-{r.unit.id}" for r in scored])],
            kind="hbar",
            unit=gettext("points"),
        )
        return self.render_template(
            "assessment/scores.html",
            title=gettext("Performance assessment"),
            a=result,
            args=args,
            preset=preset,
            presets=list(Preset),
            levels=list(Level),
            regions=assessment.department_regions(actor()) if result.level is Level.DEPARTMENT else [],
            indicators=result.applies(),
            all_indicators=INDICATORS,
            score_chart=chart,
            chart_height=40 + 28 * len(scored),
            admin=is_admin(actor()),
            target=training_target(result.period.days),
            yearly_target=TRAINING_HOURS_PER_YEAR,
            wt=weight_text,
            stamp=stamp,
        )

    @expose("/rows")
    @has_access
    def rows(self) -> Any:
        date_from, date_to, _preset = _period()
        level, key, unit_id = _level(), request.args.get("indicator", ""), _int_arg("unit")
        if key not in BY_KEY or unit_id is None:
            abort(404)
        try:
            unit_result, row_set, period = assessment.unit_rows(
                key, level, unit_id, date_from, date_to, actor(), gettext, _int_arg("weights")
            )
        except NotFound:
            abort(404)
        except DomainError as error:
            flash_error(error)
            return redirect(url_for(".scores", level=level.value))
        english = str(get_locale()) == "en"
        columns = [c.en if english else c.zh for c in row_set.spec.columns]
        return self.render_template(
            "assessment/rows.html",
            title=gettext(BY_KEY[key].label),
            indicator=BY_KEY[key],
            level=level,
            unit=unit_result,
            period=period,
            row_set=row_set,
            columns=columns,
            kinds=[c.kind.value for c in row_set.spec.columns],
            back=url_for(
                ".scores",
                level=level.value,
                **{"from": date_from.isoformat(), "to": date_to.isoformat()},
                **({"region": request.args["region"]} if request.args.get("region") else {}),
            ),
            limit=assessment.ROWS_LIMIT,
        )

    @expose("/export")
    @has_access
    def export(self) -> Any:
        result, _preset = self._assess()
        buffer = io.BytesIO()
        assessment.write_workbook(buffer, result, gettext, english=str(get_locale()) == "en", stamp=stamp)
        p = result.period
        name = f"assessment-{result.level.value}-{p.date_from.isoformat()}-{p.date_to.isoformat()}.xlsx"
        return Response(
            buffer.getvalue(), mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )

    @expose("/weights", methods=["GET", "POST"])
    @has_access
    def weights(self) -> Any:
        """Administrators set a new weight set with a note; every earlier set stays in the history."""
        values: dict[str, str] = {}
        problems: dict[str, str] = {}
        if request.method == "POST":
            values = {key: request.form.get(key, "") for key in (*KEYS, "note")}
            try:
                assessment.save_weights(values, values["note"], actor())
            except WeightsRefused as error:
                flash(error_text(error), "danger")
                problems = {field: gettext(template, **params) for field, (template, params) in error.problems.items()}
            except DomainError as error:
                flash_error(error)
            else:
                flash(gettext("The new weights apply from now on; the earlier ones stay in the history."), "success")
                return redirect(url_for(".weights"))
        current = assessment.current_weights()
        if not values:
            values = {key: weight_text(current.weights[key]) for key in KEYS}
        return self.render_template(
            "assessment/weights.html",
            title=gettext("Assessment weights"),
            indicators=INDICATORS,
            values=values,
            problems=problems,
            current=current,
            history=assessment.weights_history(actor()),
            wt=weight_text,
            stamp=stamp,
            defaults=" / ".join(weight_text(current.weights[key]) for key in KEYS),
        )


def _query(result: assessment.Assessment) -> dict[str, str]:
    """The query arguments that reproduce this assessment (period, level, region, weight set)."""
    args = {
        "level": result.level.value,
        "from": result.period.date_from.isoformat(),
        "to": result.period.date_to.isoformat(),
    }
    if result.region is not None:
        args["region"] = str(result.region.id)
    if result.weights.id is not None and request.args.get("weights"):
        args["weights"] = str(result.weights.id)
    return args


def register(appbuilder: AppBuilder) -> None:
    """Add this module's views and menu entries."""
    appbuilder.add_view(
        AssessmentView,
        "Assessment",
        href="/assessment/",
        label=lazy_gettext("Performance assessment"),
        icon="fa-trophy",
        category="Analysis",
        category_label=lazy_gettext("Analysis"),
        category_icon="fa-bar-chart",
    )
    appbuilder.add_link(
        "Assessment weights",
        href="/assessment/weights",
        label=lazy_gettext("Assessment weights"),
        icon="fa-balance-scale",
        category="Analysis",
    )
