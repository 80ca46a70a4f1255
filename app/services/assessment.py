"""Performance assessment (考核): each indicator aggregated in SQL per banner or per department for a period,
the score of app.domain.assessment, the weight sets (kept with their history) and the Excel export.

Every figure has its rows: `indicator_rows` selects with the very conditions the aggregate counts with
(`_case_completed`, `_item_on_time`, `_decision_overdue`, … below), so a figure and the rows behind it
cannot disagree. The number of
queries an assessment runs does not depend on the data (one grouped query per indicator).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, BinaryIO

import xlsxwriter
from sqlalchemy import ColumnElement, and_, case, distinct, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from app.domain.assessment import (
    BY_KEY,
    DEFAULT_WEIGHTS,
    FORM_POINTS,
    INDICATORS,
    KEYS,
    NATIONAL_LABELS,
    ROW_SHEETS,
    SCORES,
    WEIGHTS_SHEET,
    Direction,
    Figures,
    Level,
    Score,
    check_period,
    clean_weights,
    report_months,
    score,
    values_for,
)
from app.domain.coordination import DecisionState
from app.domain.enums import RegionLevel, RoleName
from app.domain.errors import N_, Forbidden, NotFound
from app.domain.ledger import EXCEL_MAX_ROWS
from app.domain.training import AttendanceStatus
from app.domain.workflow import NATIONAL_LEVEL, CaseState, ItemState, Satisfaction
from app.extensions import db
from app.models import (
    AssessmentWeights,
    Case,
    CaseItem,
    Decision,
    Department,
    Evaluation,
    JointReview,
    MonthlyReport,
    Region,
    Staff,
)
from app.models.org import now
from app.models.training import TrainingAttendance, TrainingPlan, TrainingSession
from app.services.clock import local_date, stamp, today
from app.services.ledger import LedgerStats, SheetWriter, cell_formats
from app.services.reports import DEADLINE_DAY, deadline, status_of
from app.services.scope import is_admin, role_names, visible_region_ids
from app.services.uow import transaction
from app.services.urgency import decision_overdue_sql

READERS = frozenset({RoleName.ADMIN.value, RoleName.SUPERVISOR.value})
BANNER_LEVELS = (RegionLevel.BANNER.value, RegionLevel.ZONE.value)
SERVICE_LEVELS = (RegionLevel.CITY.value, *BANNER_LEVELS)
COMPLETED_CASES = (CaseState.COMPLETED.value, CaseState.EVALUATED.value)
DECIDED_ITEMS = (ItemState.APPROVED.value, ItemState.REJECTED.value)
FETCH_CHUNK = 2000
ROWS_LIMIT = 2000  # rows a page shows of one figure; the Excel export has them all
# Words the rows and the export carry, translated where they are shown.
HANDLED, OPEN_AT_END, YES, NO = N_("Handled"), N_("Open at the end"), N_("Yes"), N_("No")
DIRECTION_LABELS = {Direction.HIGHER: N_("Higher is better"), Direction.LOWER: N_("Lower is better")}
NOT_ASSESSED = N_("Not assessed at this level")
DEFAULTS_NAME = N_("Default weights")
REPORT_STATUS = {"on_time": N_("Submitted on time"), "late": N_("Submitted late"), "missing": N_("Not submitted")}


def can_read(actor: Staff | None) -> bool:
    return bool(role_names(actor) & READERS)


def _require_reader(actor: Staff) -> None:
    if not can_read(actor):
        raise Forbidden()


# --- units ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """A banner or a department being assessed."""

    id: int
    name: str
    region: str
    code: str


def department_regions(actor: Staff) -> list[Region]:
    """The levels (city, banners, zones) in the actor's scope whose departments can be assessed."""
    return list(
        db.session.scalars(
            select(Region)
            .where(Region.id.in_(visible_region_ids(actor)), Region.level.in_(SERVICE_LEVELS), Region.active.is_(True))
            .order_by(Region.level != RegionLevel.CITY.value, Region.code)
        )
    )


def units(level: Level, actor: Staff, region_id: int | None = None) -> tuple[list[Unit], Region | None]:
    """The banners in the actor's scope, or the departments of one region of it (default: the actor's)."""
    _require_reader(actor)
    if level is Level.BANNER:
        parent = aliased(Region)
        rows = db.session.execute(
            select(Region.id, Region.name, parent.name, Region.code)
            .outerjoin(parent, parent.id == Region.parent_id)
            .where(Region.id.in_(visible_region_ids(actor)), Region.level.in_(BANNER_LEVELS), Region.active.is_(True))
            .order_by(Region.code)
        )
        return [Unit(unit_id, name, city or "", code) for unit_id, name, city, code in rows], None
    regions = department_regions(actor)
    if region_id is None:
        region = next((r for r in regions if r.id == actor.region_id), regions[0] if regions else None)
    else:
        region = next((r for r in regions if r.id == region_id), None)
    if region is None:
        raise NotFound()
    departments = db.session.scalars(
        select(Department).where(Department.region_id == region.id, Department.active.is_(True)).order_by(Department.id)
    )
    return [Unit(d.id, d.name, region.name, d.kind) for d in departments], region


# --- weights ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeightSet:
    """The weights a score was computed with: a saved set, or the defaults while none is saved."""

    id: int | None
    weights: dict[str, Decimal]
    note: str = ""
    set_by: str = ""
    set_at: dt.datetime | None = None


def _weight_set(row: AssessmentWeights | None) -> WeightSet:
    if row is None:
        return WeightSet(None, dict(DEFAULT_WEIGHTS))
    who = row.created_by
    name = ((who.first_name or "") + (who.last_name or "")) if who is not None else ""
    return WeightSet(row.id, {k: Decimal(getattr(row, k)) for k in KEYS}, row.note, name, row.created_at)


def current_weights() -> WeightSet:
    """The newest saved set (sets are never changed in place), or the defaults."""
    row = db.session.scalar(select(AssessmentWeights).order_by(AssessmentWeights.id.desc()).limit(1))
    return _weight_set(row)


def weights_by_id(weights_id: int | None) -> WeightSet:
    if weights_id is None:
        return current_weights()
    row = db.session.get(AssessmentWeights, weights_id)
    if row is None:
        raise NotFound()
    return _weight_set(row)


def weights_history(actor: Staff) -> list[WeightSet]:
    """Every saved set, newest first (the first is current)."""
    _require_reader(actor)
    rows = db.session.scalars(
        select(AssessmentWeights)
        .options(selectinload(AssessmentWeights.created_by))
        .order_by(AssessmentWeights.id.desc())
    )
    return [_weight_set(r) for r in rows]


def save_weights(raw: Mapping[str, object], note: str, actor: Staff) -> WeightSet:
    """A new current set of weights (admins only); the earlier sets stay as they were."""
    if not is_admin(actor):
        raise Forbidden()
    weights, note = clean_weights(raw, note)
    with transaction():
        row = AssessmentWeights(**weights, note=note, created_by_id=actor.id, created_at=now())
        db.session.add(row)
    return _weight_set(row)


# --- the conditions every figure and its rows share ----------------------------------------------------------


@dataclass(frozen=True)
class Period:
    date_from: dt.date
    date_to: dt.date
    as_of: dt.date  # the day open things are judged on: the period's last day, or today if earlier

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1


def _case_completed(p: Period) -> ColumnElement[bool]:
    return and_(Case.state.in_(COMPLETED_CASES), Case.closed_on.between(p.date_from, p.date_to))


def _case_open_at_end(p: Period) -> ColumnElement[bool]:
    return and_(Case.applied_on <= p.date_to, or_(Case.closed_on.is_(None), Case.closed_on > p.date_to))


def _item_decided(p: Period) -> ColumnElement[bool]:
    return and_(CaseItem.state.in_(DECIDED_ITEMS), CaseItem.closed_on.between(p.date_from, p.date_to))


def _item_open_at_end(p: Period) -> ColumnElement[bool]:
    return and_(CaseItem.accepted_on <= p.date_to, or_(CaseItem.closed_on.is_(None), CaseItem.closed_on > p.date_to))


def _item_with_due(p: Period) -> ColumnElement[bool]:
    return and_(_item_decided(p), CaseItem.due_on.is_not(None))


def _item_on_time(p: Period) -> ColumnElement[bool]:
    return and_(_item_with_due(p), CaseItem.closed_on <= CaseItem.due_on)


def _item_timed(p: Period) -> ColumnElement[bool]:
    return and_(
        _item_decided(p),
        CaseItem.used_days.is_not(None),
        CaseItem.time_limit_days.is_not(None),
        CaseItem.time_limit_days > 0,
    )


def _decision_due(p: Period) -> ColumnElement[bool]:
    """Decisions in play: not cancelled, due by the period's last day, and not carried out before it began."""
    return and_(
        Decision.state != DecisionState.CANCELLED.value,
        Decision.due_on.is_not(None),
        Decision.due_on <= p.as_of,
        or_(Decision.closed_on.is_(None), Decision.closed_on >= p.date_from),
    )


def _decision_overdue(p: Period) -> ColumnElement[bool]:
    """Overdue in the period: open and past the deadline on its last day (the one rule, decision_overdue_sql),
    or carried out after the deadline, within the period or since its last day while past due then."""
    return or_(
        decision_overdue_sql(p.as_of),
        and_(
            Decision.state == DecisionState.DONE.value,
            Decision.due_on.is_not(None),
            Decision.due_on < p.as_of,
            Decision.closed_on > Decision.due_on,
            Decision.closed_on >= p.date_from,
        ),
    )


def _present_in_period(p: Period) -> ColumnElement[bool]:
    return and_(
        TrainingAttendance.status == AttendanceStatus.PRESENT.value,
        TrainingSession.held_on.between(p.date_from, p.date_to),
        Staff.active.is_(True),
    )


def _sum_if(condition: ColumnElement[bool], value: Any = 1) -> Any:
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


# --- the assessment ---------------------------------------------------------------------------------------


@dataclass
class UnitResult:
    unit: Unit
    figures: Figures
    values: dict[str, float | None]
    score: Score
    rank: int | None = None


@dataclass
class Assessment:
    level: Level
    period: Period
    region: Region | None
    weights: WeightSet
    results: list[UnitResult] = field(default_factory=list)

    def applies(self) -> list[Any]:
        return [i for i in INDICATORS if i.applies(self.level)]


def assess(
    level: Level,
    date_from: dt.date,
    date_to: dt.date,
    actor: Staff,
    region_id: int | None = None,
    weights_id: int | None = None,
) -> Assessment:
    """Every unit of the level in the actor's scope with its figures, values, score and rank."""
    _require_reader(actor)
    check_period(date_from, date_to)
    period = Period(date_from, date_to, min(date_to, today()))
    unit_list, region = units(level, actor, region_id)
    weights = weights_by_id(weights_id)
    figures = aggregate(level, [u.id for u in unit_list], period)
    results = []
    for unit in unit_list:
        f = figures[unit.id]
        values = values_for(level, f)
        results.append(UnitResult(unit, f, values, score(values, weights.weights)))
    ranked = sorted((r for r in results if r.score.total is not None), key=lambda r: -(r.score.total or 0))
    for r in ranked:
        r.rank = 1 + sum(1 for other in ranked if (other.score.total or 0) > (r.score.total or 0))
    results.sort(key=lambda r: (r.rank is None, r.rank or 0, r.unit.code, r.unit.id))
    return Assessment(level, period, region, weights, results)


def aggregate(level: Level, ids: list[int], p: Period) -> dict[int, Figures]:
    """The raw figures of each unit, one grouped query per indicator (never one per unit or row)."""
    raw: dict[int, dict[str, Any]] = {i: {"evaluations": {}} for i in ids}
    if not ids:
        return {}
    banner = level is Level.BANNER
    item_key = Case.region_id if banner else CaseItem.department_id

    if banner:
        for key, handled, open_at_end in db.session.execute(
            select(Case.region_id, _sum_if(_case_completed(p)), _sum_if(_case_open_at_end(p)))
            .where(Case.region_id.in_(ids), or_(_case_completed(p), _case_open_at_end(p)))
            .group_by(Case.region_id)
        ):
            raw[key].update(handled=int(handled), open_at_end=int(open_at_end))

    item_columns = [
        _sum_if(_item_with_due(p)),
        _sum_if(_item_on_time(p)),
        _sum_if(_item_timed(p)),
        _sum_if(_item_timed(p), CaseItem.used_days),
        _sum_if(_item_timed(p), CaseItem.time_limit_days),
        _sum_if(_item_decided(p)),
        _sum_if(_item_open_at_end(p)),
    ]
    for key, decided, on_time, timed, used, limit, handled, open_at_end in db.session.execute(
        select(item_key, *item_columns)
        .select_from(CaseItem)
        .join(Case, Case.id == CaseItem.case_id)
        .where(item_key.in_(ids), or_(_item_decided(p), _item_open_at_end(p)))
        .group_by(item_key)
    ):
        raw[key].update(decided=int(decided), on_time=int(on_time), timed=int(timed))
        raw[key].update(used_days=int(used), limit_days=int(limit))
        if not banner:
            raw[key].update(handled=int(handled), open_at_end=int(open_at_end))

    for key, level_value, n in db.session.execute(_evaluation_counts(banner, ids, p)):
        raw[key]["evaluations"][level_value] = int(n)

    decision_key = Department.region_id if banner else Decision.department_id
    for key, due, overdue in db.session.execute(
        select(decision_key, func.count(Decision.id), _sum_if(_decision_overdue(p)))
        .select_from(Decision)
        .join(Department, Department.id == Decision.department_id)
        .where(decision_key.in_(ids), _decision_due(p))
        .group_by(decision_key)
    ):
        raw[key].update(decisions_due=int(due), overdue_decisions=int(overdue))

    if banner:
        months = report_months(p.date_from, p.date_to, today(), DEADLINE_DAY)
        for key in ids:
            raw[key].update(reports_due=len(months), reports_on_time=0)
        for (key, month), first in first_submissions(ids, months).items():
            if status_of(first, month) == "on_time":
                raw[key]["reports_on_time"] += 1

    staff_key = Staff.region_id if banner else Staff.department_id
    for key, hours in db.session.execute(
        select(staff_key, func.sum(TrainingSession.hours))
        .select_from(TrainingAttendance)
        .join(TrainingSession, TrainingSession.id == TrainingAttendance.session_id)
        .join(Staff, Staff.id == TrainingAttendance.staff_id)
        .where(staff_key.in_(ids), _present_in_period(p))
        .group_by(staff_key)
    ):
        raw[key]["training_hours"] = Decimal(str(hours or 0))
    for key, n in db.session.execute(
        select(staff_key, func.count(Staff.id)).where(staff_key.in_(ids), Staff.active.is_(True)).group_by(staff_key)
    ):
        raw[key]["staff"] = int(n)

    return {key: Figures(period_days=p.days, **values) for key, values in raw.items()}


def _evaluation_counts(banner: bool, ids: list[int], p: Period) -> Any:
    in_period = Evaluation.evaluated_on.between(p.date_from, p.date_to)
    if banner:
        return (
            select(Case.region_id, Evaluation.level, func.count(Evaluation.id))
            .join(Case, Case.id == Evaluation.case_id)
            .where(Case.region_id.in_(ids), in_period)
            .group_by(Case.region_id, Evaluation.level)
        )
    # A department's evaluations: those of the cases it had a (not withdrawn) item in, each counted once.
    return (
        select(CaseItem.department_id, Evaluation.level, func.count(distinct(Evaluation.id)))
        .join(CaseItem, CaseItem.case_id == Evaluation.case_id)
        .where(CaseItem.department_id.in_(ids), CaseItem.state != ItemState.WITHDRAWN.value, in_period)
        .group_by(CaseItem.department_id, Evaluation.level)
    )


# --- the rows behind each figure -------------------------------------------------------------------------------


@dataclass
class RowSet:
    """The rows behind one indicator's figure: the sheet layout, the rows, and each row's case (for a link)."""

    key: str
    spec: Any
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    case_ids: list[int | None] = field(default_factory=list)
    truncated: bool = False


Translate = Callable[[str], str]


def indicator_rows(
    key: str, level: Level, unit_list: list[Unit], p: Period, translate: Translate, limit: int | None = None
) -> RowSet:
    """The rows an indicator's figure counts, for the given units (each row names its unit), in one query."""
    result = RowSet(key, ROW_SHEETS.get(key))
    for values, case_id in stream_rows(key, level, unit_list, p, translate, None if limit is None else limit + 1):
        if limit is not None and len(result.rows) == limit:
            result.truncated = True
            break
        result.rows.append(values)
        result.case_ids.append(case_id)
    return result


def stream_rows(
    key: str, level: Level, unit_list: list[Unit], p: Period, translate: Translate, limit: int | None = None
) -> Iterator[tuple[tuple[Any, ...], int | None]]:
    """Each row behind an indicator's figure with its case id, streamed from one query."""
    indicator = BY_KEY.get(key)
    if indicator is None or not indicator.applies(level):
        raise NotFound()
    if key == "monthly_reports":
        report_set = report_rows(unit_list, p, translate)
        yield from zip(report_set.rows, report_set.case_ids, strict=True)
        return
    if not unit_list:
        return
    query, shape = _ROW_BUILDERS[key](level is Level.BANNER, [u.id for u in unit_list], p)
    if limit is not None:
        query = query.limit(limit)
    for row in db.session.execute(query.execution_options(yield_per=FETCH_CHUNK)):
        yield shape(row, translate)


def unit_rows(
    key: str,
    level: Level,
    unit_id: int,
    date_from: dt.date,
    date_to: dt.date,
    actor: Staff,
    translate: Translate,
    weights_id: int | None = None,
) -> tuple[UnitResult, RowSet, Period]:
    """One unit's figure of one indicator and the rows behind it (the unit must lie in the actor's scope)."""
    _require_reader(actor)
    check_period(date_from, date_to)
    region_id = None
    if level is Level.DEPARTMENT:
        department = db.session.get(Department, unit_id)
        if department is None:
            raise NotFound()
        region_id = department.region_id
    unit_list, _ = units(level, actor, region_id)
    unit = next((u for u in unit_list if u.id == unit_id), None)
    if unit is None:
        raise NotFound()
    period = Period(date_from, date_to, min(date_to, today()))
    figures = aggregate(level, [unit.id], period)[unit.id]
    values = values_for(level, figures)
    result = UnitResult(unit, figures, values, score(values, weights_by_id(weights_id).weights))
    return result, indicator_rows(key, level, [unit], period, translate, ROWS_LIMIT), period


def first_submissions(region_ids: list[int], months: list[dt.date]) -> dict[tuple[int, dt.date], dt.datetime]:
    """When each (banner, month) report was first sent: the figure the on-time rule judges, read once for both the
    scores and the report rows."""
    if not region_ids or not months:
        return {}
    query = (
        select(MonthlyReport.region_id, MonthlyReport.month, func.min(MonthlyReport.submitted_at))
        .where(MonthlyReport.region_id.in_(region_ids), MonthlyReport.month.in_(months))
        .group_by(MonthlyReport.region_id, MonthlyReport.month)
    )
    return {(region_id, month): first for region_id, month, first in db.session.execute(query)}


def report_rows(unit_list: list[Unit], p: Period, translate: Translate) -> RowSet:
    """Every (banner, month due) of the period with its first submission and status, missing ones included."""
    result = RowSet("monthly_reports", ROW_SHEETS["monthly_reports"])
    months = report_months(p.date_from, p.date_to, today(), DEADLINE_DAY)
    ids = [u.id for u in unit_list]
    if not months or not ids:
        return result
    first = first_submissions(ids, months)
    for unit in unit_list:
        for month in months:
            submitted = first.get((unit.id, month))
            status = status_of(submitted, month)
            result.rows.append(
                (
                    unit.name,
                    month.strftime("%Y-%m"),
                    deadline(month),
                    local_date(submitted),
                    translate(REPORT_STATUS[status]),
                )
            )
            result.case_ids.append(None)
    return result


def _label(enum: Any, value: str, translate: Translate) -> str:
    try:
        return translate(enum(value).label)
    except ValueError:
        return value


def _flag(condition: ColumnElement[bool]) -> Any:
    """A condition as a 1/0 column (a bare boolean in a select list is not portable)."""
    return case((condition, 1), else_=0)


def _rows_cases_handled(banner: bool, ids: list[int], p: Period) -> tuple[Any, Any]:
    if banner:
        counted = _flag(_case_completed(p)).label("counted")
        query = (
            select(Region.name, Case.number, Case.project_name, Case.applied_on, Case.closed_on, Case.state, counted)
            .add_columns(Case.id)
            .join(Region, Region.id == Case.region_id)
            .where(Case.region_id.in_(ids), or_(_case_completed(p), _case_open_at_end(p)))
            # Never order by a column that may be NULL: PostgreSQL puts NULLs last, SQLite and MariaDB first.
            .order_by(Region.code, counted.desc(), Case.number)
        )
        enum: Any = CaseState
    else:
        counted = _flag(_item_decided(p)).label("counted")
        query = (
            select(Department.name, Case.number, CaseItem.name, CaseItem.accepted_on, CaseItem.closed_on)
            .add_columns(CaseItem.state, counted, Case.id)
            .select_from(CaseItem)
            .join(Case, Case.id == CaseItem.case_id)
            .join(Department, Department.id == CaseItem.department_id)
            .where(CaseItem.department_id.in_(ids), or_(_item_decided(p), _item_open_at_end(p)))
            .order_by(Department.id, counted.desc(), Case.number, CaseItem.id)
        )
        enum = ItemState

    def shape(r: Any, t: Translate) -> Any:
        kind = t(HANDLED) if r[6] else t(OPEN_AT_END)
        return (*r[:5], _label(enum, r[5], t), kind), r[7]

    return query, shape


def _item_rows(banner: bool, ids: list[int], condition: ColumnElement[bool], *columns: Any) -> Any:
    unit = Region.name if banner else Department.name
    key = Case.region_id if banner else CaseItem.department_id
    query = (
        select(unit, Case.number, CaseItem.name, Department.name, *columns, Case.id)
        .select_from(CaseItem)
        .join(Case, Case.id == CaseItem.case_id)
        .join(Department, Department.id == CaseItem.department_id)
    )
    if banner:
        query = query.join(Region, Region.id == Case.region_id)
    first = Region.code if banner else Department.id
    return query.where(key.in_(ids), condition).order_by(first, CaseItem.closed_on, Case.number, CaseItem.id)


def _rows_on_time(banner: bool, ids: list[int], p: Period) -> tuple[Any, Any]:
    on_time = _flag(CaseItem.closed_on <= CaseItem.due_on)
    columns = (CaseItem.accepted_on, CaseItem.due_on, CaseItem.closed_on, on_time)
    query = _item_rows(banner, ids, _item_with_due(p), *columns)
    return query, lambda r, t: ((*r[:7], t(YES) if r[7] else t(NO)), r[8])


def _rows_working_days(banner: bool, ids: list[int], p: Period) -> tuple[Any, Any]:
    columns = (CaseItem.accepted_on, CaseItem.closed_on, CaseItem.used_days, CaseItem.time_limit_days)
    query = _item_rows(banner, ids, _item_timed(p), *columns, CaseItem.paused_days)
    return query, lambda r, t: (tuple(r[:9]), r[9])


def _rows_satisfaction(banner: bool, ids: list[int], p: Period) -> tuple[Any, Any]:
    in_period = Evaluation.evaluated_on.between(p.date_from, p.date_to)
    unit = Region.name if banner else Department.name
    query = select(unit, Case.number, Case.project_name, Evaluation.evaluated_on, Evaluation.level, Case.id)
    if banner:
        query = (
            query.select_from(Evaluation)
            .join(Case, Case.id == Evaluation.case_id)
            .join(Region, Region.id == Case.region_id)
            .where(Case.region_id.in_(ids), in_period)
            .order_by(Region.name, Evaluation.evaluated_on, Case.number)
        )
    else:
        # Once per department and case, however many of the case's items the department had.
        query = (
            query.distinct()
            .select_from(Evaluation)
            .join(Case, Case.id == Evaluation.case_id)
            .join(CaseItem, CaseItem.case_id == Evaluation.case_id)
            .join(Department, Department.id == CaseItem.department_id)
            .where(CaseItem.department_id.in_(ids), CaseItem.state != ItemState.WITHDRAWN.value, in_period)
            .order_by(Department.name, Evaluation.evaluated_on, Case.number)
        )

    def shape(r: Any, t: Translate) -> Any:
        national = NATIONAL_LEVEL[Satisfaction(r[4])] if r[4] in FORM_POINTS else None
        national_label = t(NATIONAL_LABELS[national]) if national else ""
        return (*r[:4], _label(Satisfaction, r[4], t), national_label, FORM_POINTS.get(r[4])), r[5]

    return query, shape


def _rows_decisions(banner: bool, ids: list[int], p: Period) -> tuple[Any, Any]:
    unit = Region.name if banner else Department.name
    key = Department.region_id if banner else Decision.department_id
    overdue = _flag(_decision_overdue(p)).label("overdue")
    query = (
        select(unit, JointReview.held_on, Decision.text, Department.name, Decision.due_on, Decision.state)
        .add_columns(Decision.closed_on, overdue, Decision.case_id)
        .select_from(Decision)
        .join(JointReview, JointReview.id == Decision.review_id)
        .join(Department, Department.id == Decision.department_id)
    )
    if banner:
        query = query.join(Region, Region.id == Department.region_id)
    query = query.where(key.in_(ids), _decision_due(p)).order_by(unit, Decision.due_on, Decision.id)

    def shape(r: Any, t: Translate) -> Any:
        return (*r[:5], _label(DecisionState, r[5], t), r[6], t(YES) if r[7] else t(NO)), r[8]

    return query, shape


def _rows_training(banner: bool, ids: list[int], p: Period) -> tuple[Any, Any]:
    own = aliased(Department)  # the person's department, if any
    unit = Region.name if banner else own.name
    key = Staff.region_id if banner else Staff.department_id
    query = (
        select(unit, Staff.first_name, Staff.last_name, own.name, TrainingSession.held_on, TrainingPlan.title)
        .add_columns(TrainingSession.topic, TrainingSession.hours)
        .select_from(TrainingAttendance)
        .join(TrainingSession, TrainingSession.id == TrainingAttendance.session_id)
        .join(TrainingPlan, TrainingPlan.id == TrainingSession.plan_id)
        .join(Staff, Staff.id == TrainingAttendance.staff_id)
        .outerjoin(own, own.id == Staff.department_id)
    )
    if banner:
        query = query.join(Region, Region.id == Staff.region_id)
    query = query.where(key.in_(ids), _present_in_period(p)).order_by(
        unit, Staff.username, TrainingSession.held_on, TrainingSession.id
    )

    def shape(r: Any, t: Translate) -> Any:
        return (r[0], (r[1] or "") + (r[2] or ""), r[3] or "", r[4], r[5], r[6], float(r[7])), None

    return query, shape


_ROW_BUILDERS: dict[str, Callable[[bool, list[int], Period], tuple[Any, Any]]] = {
    "cases_handled": _rows_cases_handled,
    "on_time_rate": _rows_on_time,
    "working_days": _rows_working_days,
    "satisfaction": _rows_satisfaction,
    "overdue_decisions": _rows_decisions,
    "training_hours": _rows_training,
}


# --- the Excel export ------------------------------------------------------------------------------------


def write_workbook(
    out: str | BinaryIO,
    assessment: Assessment,
    translate: Translate,
    english: bool,
    stamp: Callable[[dt.datetime], str] = stamp,
) -> LedgerStats:
    """考核得分 (every unit: figures, values, score, rank), one sheet per indicator with the rows behind its
    figures, and the weights used: the work ledger's layout, streamed in constant memory."""
    stats = LedgerStats()
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False, "strings_to_numbers": False})
    formats, headers = cell_formats(workbook)
    p = assessment.period
    name = "Performance assessment" if english else "绩效考核"
    where = translate(assessment.level.label)
    if assessment.region is not None:
        where = f"{assessment.region.name} {where}"
    heading = f"{p.date_from.isoformat()} – {p.date_to.isoformat()} {where} {name}"

    def sheet(spec: Any) -> SheetWriter:
        title = f"{heading} · {spec.en if english else spec.zh}"
        return SheetWriter(workbook, spec, title, english, formats, headers, EXCEL_MAX_ROWS, stats)

    writers = [sheet(SCORES)]
    for r in assessment.results:
        f = r.figures
        writers[0].append(
            (
                r.rank,
                r.unit.name,
                r.unit.region,
                r.score.total,
                f.handled,
                f.open_at_end,
                f.decided,
                f.on_time,
                f.used_days,
                f.limit_days,
                f.evaluation_count,
                _rounded(f.mean_points, 2),
                f.decisions_due,
                f.overdue_decisions,
                f.reports_due,
                f.reports_on_time if f.reports_due is not None else None,
                float(f.training_hours),
                f.staff,
                *(_rounded(r.values[key], 1) for key in KEYS),
            )
        )
    writers[0].close()
    unit_list = [r.unit for r in assessment.results]
    for indicator in assessment.applies():
        writer = sheet(ROW_SHEETS[indicator.key])
        for values, _case_id in stream_rows(indicator.key, assessment.level, unit_list, p, translate):
            writer.append(values)
        writer.close()
        writers.append(writer)
    used = sheet(WEIGHTS_SHEET)
    w = assessment.weights
    set_at = stamp(w.set_at) if w.set_at else ""
    for indicator in INDICATORS:
        basis = indicator.basis.get(assessment.level)
        used.append(
            (
                translate(indicator.label),
                translate(DIRECTION_LABELS[indicator.direction]),
                float(w.weights[indicator.key]),
                translate(basis) if basis else translate(NOT_ASSESSED),
                translate(indicator.rule),
                w.set_by or (translate(DEFAULTS_NAME) if w.id is None else ""),
                set_at,
                w.note,
            )
        )
    used.close()
    writers.append(used)
    stats.sheets = [n for writer in writers for n in writer.names]
    workbook.close()
    return stats


def _rounded(value: float | None, places: int) -> float | None:
    return None if value is None else round(value, places)
