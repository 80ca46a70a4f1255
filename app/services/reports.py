"""Monthly progress reports: each banner reports to the city by the 24th; every version is kept."""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
import io
import json
from dataclasses import dataclass
from typing import Any

import xlsxwriter
from sqlalchemy import func, or_, select

from app.domain.enums import RegionLevel, RoleName
from app.domain.errors import N_, Forbidden, NotFound, ValidationError
from app.domain.urgency import Overdue
from app.domain.workflow import Satisfaction
from app.extensions import db
from app.models import Case, CaseItem, Evaluation, MonthlyReport, Region, Staff
from app.models.org import now
from app.services import counters
from app.services.clock import local_date, local_time, on_today, today
from app.services.scope import role_names, visible_region_ids
from app.services.uow import transaction
from app.services.urgency import overdue_counts

DEADLINE_DAY = 24
FIGURES = (
    ("new", N_("New applications")),
    ("in_progress", N_("Cases in progress at month end")),
    ("completed", N_("Completed")),
    ("terminated", N_("Terminated")),
    ("overdue_handling", N_("Overdue handling")),  # 超期办理: app.domain.urgency, the ledger's figures too
    ("late_filing", N_("Late filing")),  # 逾期申报
    ("evaluations", N_("Evaluations")),
    ("very_satisfied", N_("Very satisfied")),
    ("satisfied", N_("Satisfied")),
    ("dissatisfied", N_("Dissatisfied")),
)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(first: dt.date) -> dt.date:
    return first.replace(day=month_calendar.monthrange(first.year, first.month)[1])


def deadline(first: dt.date) -> dt.date:
    return first.replace(day=DEADLINE_DAY)


def month_figures(region_id: int, first: dt.date) -> dict[str, int]:
    """The month's figures of a region, built from the ledger's data.

    The two overdue figures are counted on the report's day (today, or the month's last day once it is
    over) by the one definition of app.domain.urgency, so a report agrees with the ledger of that day.
    """
    last = month_end(first)
    cutoff = min(last, today())

    def count(*conditions: Any) -> int:
        return db.session.scalar(select(func.count(Case.id)).where(Case.region_id == region_id, *conditions)) or 0

    figures = {
        "new": count(Case.applied_on.between(first, last)),
        "in_progress": count(
            Case.applied_on <= last,
            Case.state != "refused",
            or_(Case.closed_on.is_(None), Case.closed_on > last),
        ),
        "completed": count(Case.state.in_(["completed", "evaluated"]), Case.closed_on.between(first, last)),
        "terminated": count(Case.state == "terminated", Case.closed_on.between(first, last)),
    }
    kinds = {"overdue_handling": Overdue.HANDLING, "late_filing": Overdue.FILING}
    overdue = db.session.execute(
        select(*overdue_counts(tuple(kinds.values()), cutoff))
        .select_from(CaseItem)
        .join(Case, Case.id == CaseItem.case_id)
        .where(Case.region_id == region_id)
    ).one()
    figures.update({key: int(n) for key, n in zip(kinds, overdue, strict=True)})
    levels = dict(
        db.session.execute(
            select(Evaluation.level, func.count(Evaluation.id))
            .join(Case, Case.id == Evaluation.case_id)
            .where(Case.region_id == region_id, Evaluation.evaluated_on.between(first, last))
            .group_by(Evaluation.level)
        ).all()
    )
    figures["evaluations"] = sum(levels.values())
    for level in Satisfaction:
        figures[level.value] = levels.get(level.value, 0)
    return figures


def _reporting_region(region_id: int, actor: Staff) -> Region:
    region = db.session.get(Region, region_id)
    if region is None or region_id not in visible_region_ids(actor):
        raise NotFound()
    if region.level not in (RegionLevel.BANNER.value, RegionLevel.ZONE.value):
        raise ValidationError(N_("Monthly reports are submitted by banners and districts."))
    return region


def submit_report(region_id: int, first: dt.date, problems: str, actor: Staff) -> MonthlyReport:
    """Submit (or resubmit, as a new version) a banner's report for a month; figures come from the ledger."""
    if not role_names(actor) & {RoleName.AGENT.value, RoleName.SUPERVISOR.value}:
        raise Forbidden()
    region = _reporting_region(region_id, actor)
    first = month_start(first)
    if first > today():
        raise ValidationError(N_("A month that has not begun cannot be reported."))
    with transaction():

        def used() -> int:
            return (
                db.session.scalar(
                    select(func.max(MonthlyReport.version)).where(
                        MonthlyReport.region_id == region.id, MonthlyReport.month == first
                    )
                )
                or 0
            )

        # Two submissions at once (two agents of a banner) used to take the same max+1 and fail on the key.
        version = counters.next_value(f"report:{region.code}:{first:%Y-%m}", used)
        report = MonthlyReport(
            region_id=region.id,
            month=first,
            version=version,
            figures=json.dumps(month_figures(region.id, first)),
            problems=(problems or "").strip()[:4000],
            submitted_at=_now(),
            submitted_by_id=actor.id,
        )
        db.session.add(report)
    return report


def _now() -> dt.datetime:
    """Submission time; follows the TODAY setting (tests, demos) while keeping the clock's time of day."""
    return on_today(now())


def versions(region_id: int, first: dt.date, actor: Staff) -> list[MonthlyReport]:
    region = _reporting_region(region_id, actor)
    query = (
        select(MonthlyReport)
        .where(MonthlyReport.region_id == region.id, MonthlyReport.month == month_start(first))
        .order_by(MonthlyReport.version.desc())
    )
    return list(db.session.scalars(query))


@dataclass
class BannerStatus:
    region: Region
    status: str  # "on_time", "late" or "missing"
    first_submitted: dt.datetime | None
    latest: MonthlyReport | None


def status_of(first_submitted: dt.datetime | None, first: dt.date) -> str:
    """On time when the first submission came on or before the 24th; late after it; missing without one."""
    if first_submitted is None:
        return "missing"
    return "on_time" if local_date(first_submitted) <= deadline(first) else "late"


def board(city_id: int, first: dt.date, actor: Staff) -> list[BannerStatus]:
    """Each banner under the city with its status for the month, for the city supervisor."""
    if city_id not in visible_region_ids(actor):
        raise NotFound()
    first = month_start(first)
    banners = db.session.scalars(
        select(Region)
        .where(Region.parent_id == city_id, Region.level.in_([RegionLevel.BANNER.value, RegionLevel.ZONE.value]))
        .order_by(Region.code)
    ).all()
    reports = db.session.scalars(
        select(MonthlyReport)
        .where(MonthlyReport.month == first, MonthlyReport.region_id.in_([b.id for b in banners]))
        .order_by(MonthlyReport.version)
    ).all()
    by_region: dict[int, list[MonthlyReport]] = {}
    for report in reports:
        by_region.setdefault(report.region_id, []).append(report)
    rows = []
    for banner in banners:
        mine = by_region.get(banner.id, [])
        first_at = mine[0].submitted_at if mine else None
        rows.append(BannerStatus(banner, status_of(first_at, first), first_at, mine[-1] if mine else None))
    return rows


def report_for(report_id: int, actor: Staff) -> MonthlyReport:
    report = db.session.get(MonthlyReport, report_id)
    if report is None or report.region_id not in visible_region_ids(actor):
        raise NotFound()
    return report


def report_workbook(
    reports: list[tuple[Region, MonthlyReport | None, str]], first: dt.date, labels: dict[str, str], title: str
) -> bytes:
    """One sheet: a row per banner report (one row for a single report, all banners for the roll-up)."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(labels["sheet"])
    bold = workbook.add_format({"bold": True, "font_size": 14})
    head = workbook.add_format({"bold": True, "border": 1, "bg_color": "#DDEBF7", "text_wrap": True, "align": "center"})
    cell = workbook.add_format({"border": 1, "text_wrap": True, "valign": "top"})
    stamp = workbook.add_format({"border": 1, "num_format": "yyyy-mm-dd hh:mm", "valign": "top"})
    columns = [labels["region"], labels["status"], labels["submitted_at"], labels["version"]]
    columns += [labels[key] for key, _ in FIGURES] + [labels["problems"]]
    sheet.merge_range(0, 0, 0, len(columns) - 1, title, bold)
    for col, name in enumerate(columns):
        sheet.write_string(1, col, name, head)
    sheet.set_column(0, 0, 14)
    sheet.set_column(1, len(columns) - 2, 10)
    sheet.set_column(len(columns) - 1, len(columns) - 1, 50)
    sheet.freeze_panes(2, 1)
    sheet.set_landscape()
    sheet.set_paper(9)
    for row, (region, report, status) in enumerate(reports, start=2):
        sheet.write_string(row, 0, region.name, cell)
        sheet.write_string(row, 1, labels[status], cell)
        if report is None:
            for col in range(2, len(columns)):
                sheet.write_blank(row, col, None, cell)
            continue
        sheet.write_datetime(row, 2, local_time(report.submitted_at), stamp)
        sheet.write_number(row, 3, report.version, cell)
        figures = json.loads(report.figures)
        for col, (key, _) in enumerate(FIGURES, start=4):
            if key in figures:
                sheet.write_number(row, col, figures[key], cell)
            else:  # a report submitted before this figure existed: blank, not a made-up zero
                sheet.write_blank(row, col, None, cell)
        sheet.write_string(row, len(columns) - 1, report.problems, cell)
    workbook.close()
    return buffer.getvalue()
