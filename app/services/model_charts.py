"""Aggregates behind the chart views over models: the catalog, cases, joint reviews and training plans.

Every figure is a GROUP BY in SQL within the actor's row scope (regions; decisions: the departments the actor
may see, as the decisions list). A page costs the same few queries whatever the number of rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, literal_column, select

from app.domain.coordination import DecisionState, ReviewState
from app.domain.training import AttendanceStatus
from app.domain.workflow import OPEN_CASE_VALUES, CaseState
from app.extensions import db
from app.models import (
    Case,
    CatalogItem,
    Decision,
    Department,
    JointReview,
    Region,
    Staff,
    TrainingAttendance,
    TrainingPlan,
    TrainingSession,
)
from app.services.clock import today
from app.services.pivot import month_key
from app.services.scope import visible_department_ids, visible_region_ids
from app.services.search import WarningLevel, case_warning
from app.services.urgency import decision_overdue_sql

ONE, ZERO = literal_column("1"), literal_column("0")
# Bands of the limit a case is held to (the promised limit, else the legal one), in working days.
LIMIT_BANDS: tuple[tuple[int, int | None], ...] = ((0, 5), (6, 10), (11, 20), (21, 30), (31, 60), (61, None))


def _count_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, ONE), else_=ZERO)), 0)


def last_months(on: dt.date, n: int = 12) -> list[int]:
    """The n months (yyyymm) ending with the month of `on`, oldest first."""
    keys, year, month = [], on.year, on.month
    for _ in range(n):
        keys.append(year * 100 + month)
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return keys[::-1]


def _month_window(months: list[int]) -> tuple[dt.date, dt.date]:
    first = dt.date(months[0] // 100, months[0] % 100, 1)
    last_year, last_month = divmod(months[-1], 100)
    following = dt.date(last_year + last_month // 12, last_month % 12 + 1, 1)
    return first, following


def scope_regions(actor: Staff, region_id: int | None) -> tuple[list[int], int | None]:
    """The regions a page covers: the actor's, or one of them when asked (a region outside is ignored)."""
    regions = visible_region_ids(actor)
    if region_id is not None and region_id in regions:
        return [region_id], region_id
    return regions, None


def region_names(region_ids: list[int]) -> list[tuple[int, str]]:
    return [
        (i, name)
        for i, name in db.session.execute(
            select(Region.id, Region.name).where(Region.id.in_(region_ids)).order_by(Region.code)
        )
    ]


# --- catalog ---------------------------------------------------------------------------------------------


@dataclass
class CatalogFigures:
    """Items in force (not retired) of the catalogs in scope."""

    by_stage: dict[str, int] = field(default_factory=dict)
    by_type: dict[str, int] = field(default_factory=dict)
    by_department: list[tuple[str, int]] = field(default_factory=list)  # department kind, items
    by_region: list[tuple[int, str, int]] = field(default_factory=list)
    limits_by_stage: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)  # legal, promised
    limit_bands: list[int] = field(default_factory=list)  # items per LIMIT_BANDS entry
    no_limit: int = 0


def catalog_figures(actor: Staff, region_id: int | None = None) -> CatalogFigures:
    regions, _ = scope_regions(actor, region_id)
    in_force = and_(CatalogItem.region_id.in_(regions), CatalogItem.retired_at.is_(None))
    figures = CatalogFigures()
    for stage, n, legal, promised in db.session.execute(
        select(
            CatalogItem.stage,
            func.count(CatalogItem.id),
            func.avg(CatalogItem.legal_limit_days),
            func.avg(CatalogItem.promised_limit_days),
        )
        .where(in_force)
        .group_by(CatalogItem.stage)
    ):
        figures.by_stage[stage] = n
        figures.limits_by_stage[stage] = (_round(legal), _round(promised))
    figures.by_type = dict(
        db.session.execute(
            select(CatalogItem.item_type, func.count(CatalogItem.id)).where(in_force).group_by(CatalogItem.item_type)
        ).all()
    )
    figures.by_department = [
        (kind, n)
        for kind, n in db.session.execute(
            select(Department.kind, func.count(CatalogItem.id))
            .select_from(CatalogItem)
            .join(Department, Department.id == CatalogItem.department_id)
            .where(in_force)
            .group_by(Department.kind)
            .order_by(func.count(CatalogItem.id).desc(), Department.kind)
        )
    ]
    figures.by_region = [
        (i, name, n)
        for i, name, n in db.session.execute(
            select(Region.id, Region.name, func.count(CatalogItem.id))
            .select_from(CatalogItem)
            .join(Region, Region.id == CatalogItem.region_id)
            .where(in_force)
            .group_by(Region.id, Region.name, Region.code)
            .order_by(Region.code)
        )
    ]
    held_to = func.coalesce(CatalogItem.promised_limit_days, CatalogItem.legal_limit_days)
    bands = [_count_if(and_(held_to >= low, held_to <= (high or 10**6))) for low, high in LIMIT_BANDS]
    *counts, missing = db.session.execute(select(*bands, _count_if(held_to.is_(None))).where(in_force)).one()
    figures.limit_bands = [int(n) for n in counts]
    figures.no_limit = int(missing)
    return figures


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


# --- cases -----------------------------------------------------------------------------------------------


@dataclass
class CaseFigures:
    by_state: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)
    by_region: list[tuple[int, str, int, int]] = field(default_factory=list)  # id, name, open, closed
    months: list[int] = field(default_factory=list)
    applied: dict[int, int] = field(default_factory=dict)
    completed: dict[int, int] = field(default_factory=dict)
    lights: dict[str, int] = field(default_factory=dict)  # red, yellow, green: open cases by their light


def case_figures(actor: Staff, region_id: int | None = None, on: dt.date | None = None) -> CaseFigures:
    on = on or today()
    regions, _ = scope_regions(actor, region_id)
    scoped = Case.region_id.in_(regions)
    figures = CaseFigures(months=last_months(on))
    figures.by_state = dict(
        db.session.execute(select(Case.state, func.count(Case.id)).where(scoped).group_by(Case.state)).all()
    )
    figures.by_channel = dict(
        db.session.execute(select(Case.channel, func.count(Case.id)).where(scoped).group_by(Case.channel)).all()
    )
    is_open = Case.state.in_(sorted(OPEN_CASE_VALUES))
    figures.by_region = [
        (i, name, int(n_open), int(n) - int(n_open))
        for i, name, n, n_open in db.session.execute(
            select(Region.id, Region.name, func.count(Case.id), _count_if(is_open))
            .select_from(Case)
            .join(Region, Region.id == Case.region_id)
            .where(scoped)
            .group_by(Region.id, Region.name, Region.code)
            .order_by(Region.code)
        )
    ]
    first, following = _month_window(figures.months)
    applied_month = month_key(Case.applied_on)
    figures.applied = dict(
        db.session.execute(
            select(applied_month, func.count(Case.id))
            .where(scoped, Case.applied_on >= first, Case.applied_on < following)
            .group_by(applied_month)
        ).all()
    )
    closed_month = month_key(Case.closed_on)
    done = (CaseState.COMPLETED.value, CaseState.EVALUATED.value)
    figures.completed = dict(
        db.session.execute(
            select(closed_month, func.count(Case.id))
            .where(scoped, Case.state.in_(done), Case.closed_on >= first, Case.closed_on < following)
            .group_by(closed_month)
        ).all()
    )
    red, yellow, n_open = db.session.execute(
        select(
            _count_if(case_warning(WarningLevel.RED.value)),
            _count_if(case_warning(WarningLevel.YELLOW.value)),
            func.count(Case.id),
        ).where(scoped, is_open)
    ).one()
    figures.lights = {"red": int(red), "yellow": int(yellow), "green": int(n_open) - int(red) - int(yellow)}
    return figures


# --- joint reviews -----------------------------------------------------------------------------------------


@dataclass
class ReviewFigures:
    months: list[int] = field(default_factory=list)
    meetings: dict[int, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    # Per month of the meeting: decisions carried out, open and on time, open and overdue.
    decisions: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)  # done, open, overdue (of open), cancelled
    by_department: list[tuple[str, int, int, int]] = field(default_factory=list)  # kind, done, open on time, overdue


def review_figures(actor: Staff, region_id: int | None = None, on: dt.date | None = None) -> ReviewFigures:
    on = on or today()
    regions, chosen = scope_regions(actor, region_id)
    figures = ReviewFigures(months=last_months(on))
    first, following = _month_window(figures.months)
    held_month = month_key(JointReview.held_on)
    meetings = and_(JointReview.region_id.in_(regions), JointReview.held_on >= first, JointReview.held_on < following)
    figures.meetings = dict(
        db.session.execute(select(held_month, func.count(JointReview.id)).where(meetings).group_by(held_month)).all()
    )
    figures.by_kind = dict(
        db.session.execute(
            select(JointReview.kind, func.count(JointReview.id))
            .where(meetings, JointReview.state != ReviewState.CANCELLED.value)
            .group_by(JointReview.kind)
        ).all()
    )
    # Decisions as the decisions list shows them: of the departments the actor may see.
    departments = visible_department_ids(actor)
    decided = [Decision.department_id.in_(departments)]
    if chosen is not None:
        decided.append(JointReview.region_id == chosen)
    overdue = decision_overdue_sql(on)
    is_done = Decision.state == DecisionState.DONE.value
    is_open = Decision.state == DecisionState.OPEN.value
    parts = (_count_if(is_done), _count_if(and_(is_open, ~overdue)), _count_if(overdue))
    figures.decisions = {
        month: (int(d), int(o), int(late))
        for month, d, o, late in db.session.execute(
            select(held_month, *parts)
            .select_from(Decision)
            .join(JointReview, JointReview.id == Decision.review_id)
            .where(*decided, JointReview.held_on >= first, JointReview.held_on < following)
            .group_by(held_month)
        )
    }
    done, open_, late, cancelled = db.session.execute(
        select(
            _count_if(is_done),
            _count_if(is_open),
            _count_if(overdue),
            _count_if(Decision.state == DecisionState.CANCELLED.value),
        )
        .select_from(Decision)
        .join(JointReview, JointReview.id == Decision.review_id)
        .where(*decided)
    ).one()
    figures.totals = {"done": int(done), "open": int(open_), "overdue": int(late), "cancelled": int(cancelled)}
    figures.by_department = [
        (kind, int(d), int(o), int(x))
        for kind, d, o, x in db.session.execute(
            select(Department.kind, *parts)
            .select_from(Decision)
            .join(Department, Department.id == Decision.department_id)
            .join(JointReview, JointReview.id == Decision.review_id)
            .where(*decided, Decision.state != DecisionState.CANCELLED.value)
            .group_by(Department.kind)
            .order_by(Department.kind)
        )
    ]
    return figures


# --- training ----------------------------------------------------------------------------------------------


@dataclass
class TrainingRegion:
    region_id: int
    name: str
    planned_hours: Decimal
    held_hours: Decimal
    present: int
    recorded: int

    @property
    def attendance_rate(self) -> float | None:
        """Present of the attendance recorded (absent and excused count as not attending), in per cent."""
        return round(100 * self.present / self.recorded, 1) if self.recorded else None


@dataclass
class TrainingFigures:
    year: int
    regions: list[TrainingRegion] = field(default_factory=list)
    hours_by_month: dict[int, Decimal] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)


def training_figures(actor: Staff, year: int, region_id: int | None = None) -> TrainingFigures:
    regions, _ = scope_regions(actor, region_id)
    plans = and_(TrainingPlan.region_id.in_(regions), TrainingPlan.year == year)
    figures = TrainingFigures(year=year)
    planned = dict(
        db.session.execute(
            select(TrainingPlan.region_id, func.sum(TrainingPlan.hours)).where(plans).group_by(TrainingPlan.region_id)
        ).all()
    )
    held = dict(
        db.session.execute(
            select(TrainingPlan.region_id, func.sum(TrainingSession.hours))
            .select_from(TrainingSession)
            .join(TrainingPlan, TrainingPlan.id == TrainingSession.plan_id)
            .where(plans)
            .group_by(TrainingPlan.region_id)
        ).all()
    )
    attendance = {
        region: (int(present), int(recorded))
        for region, present, recorded in db.session.execute(
            select(
                TrainingPlan.region_id,
                _count_if(TrainingAttendance.status == AttendanceStatus.PRESENT.value),
                func.count(TrainingAttendance.id),
            )
            .select_from(TrainingAttendance)
            .join(TrainingSession, TrainingSession.id == TrainingAttendance.session_id)
            .join(TrainingPlan, TrainingPlan.id == TrainingSession.plan_id)
            .where(plans)
            .group_by(TrainingPlan.region_id)
        )
    }
    for i, name in region_names(regions):
        if i in planned or i in held or i in attendance:
            present, recorded = attendance.get(i, (0, 0))
            figures.regions.append(
                TrainingRegion(i, name, Decimal(planned.get(i) or 0), Decimal(held.get(i) or 0), present, recorded)
            )
    session_month = month_key(TrainingSession.held_on)
    figures.hours_by_month = {
        month: Decimal(hours or 0)
        for month, hours in db.session.execute(
            select(session_month, func.sum(TrainingSession.hours))
            .select_from(TrainingSession)
            .join(TrainingPlan, TrainingPlan.id == TrainingSession.plan_id)
            .where(plans)
            .group_by(session_month)
        )
    }
    figures.statuses = dict(
        db.session.execute(
            select(TrainingAttendance.status, func.count(TrainingAttendance.id))
            .select_from(TrainingAttendance)
            .join(TrainingSession, TrainingSession.id == TrainingAttendance.session_id)
            .join(TrainingPlan, TrainingPlan.id == TrainingSession.plan_id)
            .where(plans)
            .group_by(TrainingAttendance.status)
        ).all()
    )
    return figures
