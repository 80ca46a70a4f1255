"""Monthly progress reports: a banner previews and submits; the city sees who is on time, late or missing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext
from sqlalchemy import select

from app.domain.errors import N_, DomainError, NotFound
from app.extensions import db
from app.models import Region
from app.services import reports
from app.services.clock import today
from app.views.base import actor, flash_error

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATUS_LABELS = {"on_time": N_("Submitted on time"), "late": N_("Submitted late"), "missing": N_("Not submitted")}


def _month() -> dt.date:
    raw = request.values.get("month", "")
    try:
        return dt.date.fromisoformat(raw + "-01") if len(raw) == 7 else reports.month_start(today())
    except ValueError:
        return reports.month_start(today())


def _labels() -> dict[str, str]:
    labels = {key: gettext(label) for key, label in reports.FIGURES}
    labels.update({key: gettext(label) for key, label in STATUS_LABELS.items()})
    labels.update(
        sheet=gettext("Monthly report"),
        region=gettext("Region"),
        status=gettext("Status"),
        submitted_at=gettext("Submitted at"),
        version=gettext("Version"),
        problems=gettext("Notable problems"),
    )
    return labels


def _city() -> Region:
    """The city whose banners the board shows: the user's own, or the first city for an admin."""
    user = actor()
    if user.region is not None and user.region.level == "city":
        return user.region
    city = db.session.scalar(select(Region).where(Region.level == "city").order_by(Region.code))
    if city is None:
        abort(404)
    return city


def _xlsx(data: bytes, name: str) -> Response:
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


class MonthlyReportView(BaseView):
    """A banner's monthly report page and the city's board of all banners."""

    route_base = "/reports"
    default_view = "month"
    base_permissions = ["can_month", "can_submit", "can_board", "can_download", "can_rollup"]

    @expose("/")
    @has_access
    def month(self) -> Any:
        user = actor()
        first = _month()
        if user.region is None or user.region.level not in ("banner", "zone"):
            return redirect(url_for(".board", month=first.strftime("%Y-%m")))
        try:
            history = reports.versions(user.region_id, first, user)
        except DomainError as error:
            flash_error(error)
            history = []
        return self.render_template(
            "reports/month.html",
            title=gettext("Monthly progress report"),
            region=user.region,
            first=first,
            deadline=reports.deadline(first),
            figures=reports.month_figures(user.region_id, first),
            as_of=min(reports.month_end(first), today()),
            labels=_labels(),
            keys=[key for key, _ in reports.FIGURES],
            history=history,
            status=reports.status_of(history[-1].submitted_at if history else None, first),
        )

    @expose("/submit", methods=["POST"])
    @has_access
    def submit(self) -> Any:
        user = actor()
        first = _month()
        try:
            report = reports.submit_report(user.region_id or 0, first, request.form.get("problems", ""), user)
        except DomainError as error:
            flash_error(error)
        else:
            flash(
                gettext(
                    "Report for %(month)s submitted (version %(v)s).", month=first.strftime("%Y-%m"), v=report.version
                ),
                "success",
            )
        return redirect(url_for(".month", month=first.strftime("%Y-%m")))

    @staticmethod
    def _board() -> tuple[Region, dt.date, list[reports.BannerStatus]]:
        first, city = _month(), _city()
        try:
            return city, first, reports.board(city.id, first, actor())
        except NotFound:
            abort(404)

    @expose("/board")
    @has_access
    def board(self) -> Any:
        city, first, rows = self._board()
        return self.render_template(
            "reports/board.html",
            title=gettext("Monthly reports of the banners"),
            city=city,
            first=first,
            deadline=reports.deadline(first),
            rows=rows,
            labels=_labels(),
        )

    @expose("/<int:report_id>/download")
    @has_access
    def download(self, report_id: int) -> Any:
        try:
            report = reports.report_for(report_id, actor())
        except NotFound:
            abort(404)
        first_at = reports.versions(report.region_id, report.month, actor())[-1].submitted_at
        status = reports.status_of(first_at, report.month)
        month = report.month.strftime("%Y-%m")
        title = f"{report.region.name} {month} {gettext('Monthly progress report')} (v{report.version})"
        data = reports.report_workbook([(report.region, report, status)], report.month, _labels(), title)
        return _xlsx(data, f"report-{report.region.code}-{report.month.strftime('%Y-%m')}-v{report.version}.xlsx")

    @expose("/rollup")
    @has_access
    def rollup(self) -> Any:
        city, first, rows = self._board()
        title = f"{city.name} {first.strftime('%Y-%m')} {gettext('Monthly reports of the banners')}"
        data = reports.report_workbook([(r.region, r.latest, r.status) for r in rows], first, _labels(), title)
        return _xlsx(data, f"reports-{city.code}-{first.strftime('%Y-%m')}.xlsx")
