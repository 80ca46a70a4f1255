"""Landing dashboards by role and the navbar's to-do count: each figure one SQL aggregate in the actor's scope.

Nothing is counted in Python from loaded rows: every figure is one GROUP BY (or one row of sums) whatever
the size of the data, so a dashboard runs the same number of queries for ten cases as for a hundred
thousand. The criteria are the list filters' own (`app.services.search`, built on the one urgency
definition of `app.services.urgency`), so a figure's value and the list it links to always agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, extract, false, func, select
from sqlalchemy.orm import aliased

from app.domain.coordination import DecisionState, EscalationState
from app.domain.enums import RegionLevel, RoleName
from app.domain.training import AttendanceStatus
from app.domain.urgency import Overdue
from app.domain.workdays import BUILTIN_YEARS
from app.domain.workflow import OPEN_ITEM_VALUES, PAUSED_ITEM_VALUES
from app.extensions import db
from app.models import (
    CalendarYear,
    Case,
    CaseItem,
    Decision,
    Department,
    Escalation,
    Evaluation,
    Region,
    Staff,
    TrainingAttendance,
    TrainingPlan,
    TrainingSession,
)
from app.services import coverage, reports, search
from app.services.clock import today
from app.services.scope import is_liaison_only, role_names, visible_region_ids
from app.services.seeding import SERVICE_LEVELS
from app.services.urgency import agent_desk_sql, case_deadline_sql, decision_overdue_sql, item_deadline_sql

TOP_ROWS = 5  # the short lists under an agent's or a liaison's counts
DEPARTMENT_BARS = 15  # departments shown on the supervisor's load figure, the most overdue first


class Board(StrEnum):
    """Which landing dashboard a user gets (the first of their roles in this order)."""

    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    AGENT = "agent"
    LIAISON = "liaison"


_BOARD_OF_ROLE = (
    (RoleName.ADMIN, Board.ADMIN),
    (RoleName.SUPERVISOR, Board.SUPERVISOR),
    (RoleName.AGENT, Board.AGENT),
    (RoleName.LIAISON, Board.LIAISON),
)


def board_for(actor: Staff | None) -> Board | None:
    roles = role_names(actor)
    return next((board for role, board in _BOARD_OF_ROLE if role.value in roles), None)


@dataclass(frozen=True)
class Scope:
    """Whose rows a dashboard counts: the actor's regions and, for a liaison, only their department."""

    staff_id: int
    region_ids: tuple[int, ...]
    liaison: bool
    department_id: int | None


def scope_of(actor: Staff, region_ids: Iterable[int] | None = None) -> Scope:
    """The actor's scope (regions as `services.scope` says; pass them when already read in this request)."""
    regions = tuple(visible_region_ids(actor) if region_ids is None else region_ids)
    return Scope(actor.id, regions, is_liaison_only(actor), actor.department_id)


def _department_in(column: Any, scope: Scope) -> ColumnElement[bool]:
    """The departments whose items and decisions the actor may list (`scope.visible_department_ids`)."""
    if scope.liaison:
        return column == scope.department_id if scope.department_id is not None else false()
    # Correlated (one primary-key probe per row): SQLite otherwise walks the department index for every id.
    department = aliased(Department)  # never correlated with a Department the outer query joins
    return exists().where(department.id == column, department.region_id.in_(scope.region_ids))


def _cases(scope: Scope) -> ColumnElement[bool]:
    return Case.region_id.in_(scope.region_ids)


def _items(scope: Scope) -> ColumnElement[bool]:
    """The item list's row scope (its case's region and the item's department); the query joins Case."""
    return and_(_cases(scope), _department_in(CaseItem.department_id, scope))


def _decisions(scope: Scope) -> ColumnElement[bool]:
    return _department_in(Decision.department_id, scope)


def _count_if(criterion: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((criterion, 1), else_=0)), 0)


def _count(model_id: Any, *criteria: ColumnElement[bool]) -> Any:
    return select(func.count(model_id)).where(*criteria).scalar_subquery()


# --- supervisor ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionCount:
    """A count of one region under one key (a case state, an evaluation level)."""

    region_id: int
    region: str
    key: str
    n: int


def cases_by_region_state(scope: Scope) -> list[RegionCount]:
    """Cases per region and state, regions in code order."""
    rows = db.session.execute(
        select(Region.id, Region.name, Case.state, func.count(Case.id))
        .join(Region, Region.id == Case.region_id)
        .where(_cases(scope))
        .group_by(Region.id, Region.name, Region.code, Case.state)
        .order_by(Region.code, Case.state)
    )
    return [RegionCount(rid, name, state, int(n)) for rid, name, state, n in rows]


@dataclass(frozen=True)
class MonthFlow:
    first: dt.date
    new: int
    completed: int

    @property
    def label(self) -> str:
        return self.first.strftime("%Y-%m")


def months_back(on: dt.date, months: int) -> list[dt.date]:
    """The first days of the `months` months up to and including `on`'s month, oldest first."""
    year, month = on.year, on.month
    firsts = []
    for _ in range(months):
        firsts.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return firsts[::-1]


def _per_month(column: Any, firsts: list[dt.date], *criteria: ColumnElement[bool]) -> dict[tuple[int, int], int]:
    year, month = extract("year", column), extract("month", column)
    last = (firsts[-1] + dt.timedelta(days=31)).replace(day=1) - dt.timedelta(days=1)
    rows = db.session.execute(
        select(year, month, func.count(Case.id)).where(column.between(firsts[0], last), *criteria).group_by(year, month)
    )
    return {(int(y), int(m)): int(n) for y, m, n in rows}


def monthly_flow(scope: Scope, months: int = 12) -> list[MonthFlow]:
    """New applications and completed cases per month over the last `months` months (this one included)."""
    firsts = months_back(today(), months)
    new = _per_month(Case.applied_on, firsts, _cases(scope))
    done = _per_month(Case.closed_on, firsts, _cases(scope), Case.state.in_(search.DONE_CASE_VALUES))
    return [
        MonthFlow(first, new.get((first.year, first.month), 0), done.get((first.year, first.month), 0))
        for first in firsts
    ]


@dataclass(frozen=True)
class DepartmentLoad:
    department_id: int
    department: str
    region: str
    open: int
    overdue: int

    @property
    def share(self) -> float:
        """Overdue items as a share of the open ones (0 to 1)."""
        return self.overdue / self.open if self.open else 0.0


def department_load(scope: Scope, limit: int = DEPARTMENT_BARS) -> list[DepartmentLoad]:
    """Open items per department and how many of them are overdue (red), the most overdue first."""
    per_department = (
        select(
            CaseItem.department_id.label("department_id"),
            func.count(CaseItem.id).label("open"),
            _count_if(search.item_warning(search.WarningLevel.RED)).label("overdue"),
        )
        .join(Case, Case.id == CaseItem.case_id)
        .where(_items(scope), search.item_progress(search.ItemProgress.OPEN))
        .group_by(CaseItem.department_id)
        .subquery()
    )
    # Counted first, named after: joined in the same GROUP BY, SQLite drove the count from the departments.
    rows = db.session.execute(
        select(Department.id, Department.name, Region.name, per_department.c.open, per_department.c.overdue)
        .select_from(per_department)
        .join(Department, Department.id == per_department.c.department_id)
        .join(Region, Region.id == Department.region_id)
        .order_by(per_department.c.overdue.desc(), per_department.c.open.desc(), Region.code, Department.name)
        .limit(limit)
    )
    return [DepartmentLoad(did, name, region, int(n), int(late)) for did, name, region, n, late in rows]


@dataclass(frozen=True)
class ItemDays:
    """Working days used by the closed items of one catalog item: how many, the median, the worst, the limit."""

    name: str
    n: int
    median: float
    worst: int
    limit: int | None


def working_days(scope: Scope) -> list[ItemDays]:
    """Per catalog item (by name), the median and the worst working days used against the limit.

    The median is computed per group in the same query with window functions (all three databases have
    them; none but PostgreSQL has a portable percentile): the middle row, or the mean of the two middle rows.
    """
    measured = (
        select(
            CaseItem.name.label("name"),
            CaseItem.used_days.label("days"),
            CaseItem.time_limit_days.label("limit"),
            func.row_number().over(partition_by=CaseItem.name, order_by=CaseItem.used_days).label("rn"),
            func.count(CaseItem.id).over(partition_by=CaseItem.name).label("n"),
        )
        .join(Case, Case.id == CaseItem.case_id)
        .where(_items(scope), CaseItem.used_days.is_not(None))
        .subquery()
    )
    middle = and_(2 * measured.c.rn >= measured.c.n, 2 * measured.c.rn <= measured.c.n + 2)
    rows = db.session.execute(
        select(
            measured.c.name,
            func.max(measured.c.n),
            func.avg(case((middle, measured.c.days), else_=None)),
            func.max(measured.c.days),
            func.max(measured.c.limit),
        )
        .group_by(measured.c.name)
        .order_by(measured.c.name)
    )
    return [
        ItemDays(name, int(n), round(float(median), 1), int(worst), None if limit is None else int(limit))
        for name, n, median, worst, limit in rows
    ]


def satisfaction_by_region(scope: Scope) -> list[RegionCount]:
    """Evaluations (非常满意 / 满意 / 不满意) per region."""
    rows = db.session.execute(
        select(Region.id, Region.name, Evaluation.level, func.count(Evaluation.id))
        .join(Case, Case.id == Evaluation.case_id)
        .join(Region, Region.id == Case.region_id)
        .where(_cases(scope))
        .group_by(Region.id, Region.name, Region.code, Evaluation.level)
        .order_by(Region.code, Evaluation.level)
    )
    return [RegionCount(rid, name, level, int(n)) for rid, name, level, n in rows]


@dataclass(frozen=True)
class Coordination:
    open_decisions: int
    overdue_decisions: int
    waiting_escalations: int


def coordination(scope: Scope) -> Coordination:
    """Open decisions of the departments in scope, those past their deadline, and escalations waiting."""
    on = today()
    row = db.session.execute(
        select(
            _count(Decision.id, _decisions(scope), Decision.state == DecisionState.OPEN.value),
            _count(Decision.id, _decisions(scope), decision_overdue_sql(on)),
            _count(
                Escalation.id,
                Escalation.state == EscalationState.WAITING.value,
                Escalation.region_id.in_(scope.region_ids),
            ),
        )
    ).one()
    return Coordination(*(int(n or 0) for n in row))


@dataclass(frozen=True)
class RegionHours:
    region_id: int
    region: str
    hours: float
    staff: int
    trained: int


def training_hours(scope: Scope, year: int) -> list[RegionHours]:
    """Per service region in scope, the training hours its active staff attended in the year's plans.

    The same rows as 培训学时 (`services.training.hours_by_person`) summed per region: present only,
    plans of the year, active staff of the region.
    """
    present = (
        select(TrainingAttendance.staff_id.label("staff_id"), func.sum(TrainingSession.hours).label("hours"))
        .join(TrainingSession, TrainingSession.id == TrainingAttendance.session_id)
        .join(TrainingPlan, TrainingPlan.id == TrainingSession.plan_id)
        .where(TrainingPlan.year == year, TrainingAttendance.status == AttendanceStatus.PRESENT.value)
        .group_by(TrainingAttendance.staff_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Region.id,
            Region.name,
            func.coalesce(func.sum(present.c.hours), 0),
            func.count(Staff.id),
            func.count(present.c.staff_id),
        )
        .select_from(Region)
        .outerjoin(Staff, and_(Staff.region_id == Region.id, Staff.active.is_(True)))
        .outerjoin(present, present.c.staff_id == Staff.id)
        .where(Region.id.in_(scope.region_ids), Region.level.in_(SERVICE_LEVELS), Region.active.is_(True))
        .group_by(Region.id, Region.name, Region.code)
        .order_by(Region.code)
    )
    return [RegionHours(rid, name, float(hours), int(n), int(t)) for rid, name, hours, n, t in rows]


@dataclass(frozen=True)
class RegionCoverage:
    code: str
    region: str
    covered: int
    gaps: int


def coverage_by_region(actor: Staff) -> list[RegionCoverage]:
    """Approval departments with and without a liaison, per region (`services.coverage`, two queries)."""
    return [
        RegionCoverage(r.region.code, r.region.name, len(r.departments) - len(r.gaps), len(r.gaps))
        for r in coverage.coverage(actor)
    ]


@dataclass(frozen=True)
class ReportStatus:
    """Monthly reports of one month: which banners reported on time, late, or not at all."""

    first: dt.date
    city: bool  # True: the city's board of its banners; False: the actor's own banner
    statuses: dict[str, list[str]] = field(default_factory=dict)  # status → region names

    def count(self, status: str) -> int:
        return len(self.statuses.get(status, []))


REPORT_STATUSES = ("on_time", "late", "missing")


def last_month(on: dt.date) -> dt.date:
    return months_back(on, 2)[0]


def report_statuses(actor: Staff) -> ReportStatus:
    """Last month's monthly reports by the rule of `services.reports` (on time by the 24th, late, missing)."""
    first = last_month(today())
    result = ReportStatus(first, True, {s: [] for s in REPORT_STATUSES})
    region = actor.region
    if region is not None and region.level in (RegionLevel.BANNER.value, RegionLevel.ZONE.value):
        history = reports.versions(region.id, first, actor)
        submitted = history[-1].submitted_at if history else None
        result.statuses[reports.status_of(submitted, first)].append(region.name)
        return ReportStatus(first, False, result.statuses)
    if region is not None and region.level == RegionLevel.CITY.value:
        city_id: int | None = region.id
    else:
        city_id = db.session.scalar(
            select(Region.id).where(Region.level == RegionLevel.CITY.value).order_by(Region.code)
        )
    if city_id is None or city_id not in visible_region_ids(actor):
        return result
    for row in reports.board(city_id, first, actor):
        result.statuses[row.status].append(row.region.name)
    return result


# --- agent and liaison: counts that link to their lists, and the top rows ---------------------------------


class Figure(StrEnum):
    OVERDUE = "overdue"
    WEEK = "week"
    PAUSED = "paused"
    STALLED = "stalled"
    DECISIONS = "decisions"


# The 预警 value of the lists' filter each figure counts (stalled: the case list's "own deadline passed").
WARNING_OF: dict[Figure, search.WarningLevel] = {
    Figure.OVERDUE: search.WarningLevel.RED,
    Figure.WEEK: search.WarningLevel.WEEK,
    Figure.PAUSED: search.WarningLevel.PAUSED,
}


def _case_criterion(figure: Figure) -> Any:
    if figure is Figure.STALLED:
        return search.case_overdue(Overdue.AGENCY_STEP.value)
    return search.case_warning(WARNING_OF[figure])


def _item_criterion(figure: Figure) -> Any:
    return search.item_warning(WARNING_OF[figure])


AGENT_FIGURES = (Figure.OVERDUE, Figure.WEEK, Figure.PAUSED, Figure.STALLED)
LIAISON_ITEM_FIGURES = (Figure.OVERDUE, Figure.WEEK, Figure.PAUSED)


def _mine(scope: Scope) -> ColumnElement[bool]:
    """The agent's desk, as their queue shows it: their cases and the new applications nobody has taken."""
    return and_(_cases(scope), agent_desk_sql(scope.staff_id))


def agent_counts(scope: Scope) -> dict[Figure, int]:
    """The agent's own cases: overdue (red), due by Sunday, waiting for the applicant, stalled before the plan."""
    row = db.session.execute(
        select(*(_count_if(_case_criterion(f)) for f in AGENT_FIGURES)).select_from(Case).where(_mine(scope))
    ).one()
    return {f: int(n) for f, n in zip(AGENT_FIGURES, row, strict=True)}


@dataclass(frozen=True)
class CaseRow:
    id: int
    number: str
    project: str
    state: str
    deadline: dt.date | None


def _case_next_deadline() -> Any:
    """A case's nearest deadline: its own (agency step or planned end) or its open, running items'."""
    items = (
        select(func.min(item_deadline_sql()))
        .where(CaseItem.case_id == Case.id, CaseItem.state.not_in(sorted(PAUSED_ITEM_VALUES)))
        .correlate(Case)
        .scalar_subquery()
    )
    own = case_deadline_sql()
    return case((own.is_(None), items), (items.is_(None), own), (items < own, items), else_=own)


def agent_rows(scope: Scope, figure: Figure, limit: int = TOP_ROWS) -> list[CaseRow]:
    """The first cases of one of the agent's figures, nearest deadline first."""
    deadline = _case_next_deadline()
    rows = db.session.execute(
        select(Case.id, Case.number, Case.project_name, Case.state, deadline)
        .where(_mine(scope), _case_criterion(figure))
        .order_by(deadline.is_(None), deadline, Case.id)
        .limit(limit)
    )
    return [CaseRow(*row) for row in rows]


def liaison_counts(scope: Scope) -> dict[Figure, int]:
    """The department's items overdue (red), due by Sunday, paused; and its open decisions."""
    decisions = _count(Decision.id, _decisions(scope), Decision.state == DecisionState.OPEN.value)
    row = db.session.execute(
        select(*(_count_if(_item_criterion(f)) for f in LIAISON_ITEM_FIGURES), decisions)
        .select_from(CaseItem)
        .join(Case, Case.id == CaseItem.case_id)
        .where(_items(scope))
    ).one()
    return {f: int(n or 0) for f, n in zip((*LIAISON_ITEM_FIGURES, Figure.DECISIONS), row, strict=True)}


@dataclass(frozen=True)
class ItemRow:
    id: int
    case_id: int
    case_number: str
    name: str
    state: str
    deadline: dt.date | None


def liaison_rows(scope: Scope, figure: Figure, limit: int = TOP_ROWS) -> list[ItemRow]:
    """The first items of one of the department's figures, nearest deadline first."""
    deadline = item_deadline_sql()
    rows = db.session.execute(
        select(CaseItem.id, CaseItem.case_id, Case.number, CaseItem.name, CaseItem.state, deadline)
        .join(Case, Case.id == CaseItem.case_id)
        .where(_items(scope), _item_criterion(figure))
        .order_by(deadline.is_(None), deadline, CaseItem.id)
        .limit(limit)
    )
    return [ItemRow(*row) for row in rows]


@dataclass(frozen=True)
class DecisionRow:
    id: int
    review_id: int
    text: str
    due_on: dt.date | None


def decision_rows(scope: Scope, limit: int = TOP_ROWS) -> list[DecisionRow]:
    """The department's first open decisions, nearest deadline first."""
    rows = db.session.execute(
        select(Decision.id, Decision.review_id, Decision.text, Decision.due_on)
        .where(_decisions(scope), Decision.state == DecisionState.OPEN.value)
        .order_by(Decision.due_on.is_(None), Decision.due_on, Decision.id)
        .limit(limit)
    )
    return [DecisionRow(*row) for row in rows]


# --- admin: data health ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataHealth:
    years: list[tuple[int, str]]  # this year and next: "builtin", "entered" or "missing"
    coverage_gaps: int
    retired_open_items: int  # open items whose catalog entry has been retired


def data_health(actor: Staff, scope: Scope) -> DataHealth:
    """What an administrator must keep right: the calendar years, liaison gaps, retired entries still in use."""
    this_year = today().year
    years = (this_year, this_year + 1)
    entered = set(db.session.scalars(select(CalendarYear.year).where(CalendarYear.year.in_(years))))
    retired = db.session.scalar(
        select(func.count(CaseItem.id))
        .join(Case, Case.id == CaseItem.case_id)
        .where(
            _items(scope),
            CaseItem.state.in_(sorted(OPEN_ITEM_VALUES)),
            search.item_catalog_retired("1"),
        )
    )
    statuses = [(y, "entered" if y in entered else "builtin" if y in BUILTIN_YEARS else "missing") for y in years]
    return DataHealth(statuses, coverage.gap_count(actor), int(retired or 0))


# --- the navbar's to-do count -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Todo:
    overdue: int
    week: int
    decisions: int

    @property
    def total(self) -> int:
        return self.overdue + self.week + self.decisions


# Every page's navbar asks for the count: its query is built once per user and day, then reused (building
# the SQL expression cost more than running it). The key holds all it depends on; a new day starts afresh.
_TODO_QUERIES: dict[tuple[Board, Scope, dt.date], Any] = {}
TODO_QUERIES_KEPT = 512


def todo(scope: Scope, board: Board) -> Todo:
    """Overdue + due by Sunday + open decisions, in one query: an agent's own cases (and decisions about
    them), a liaison's department's items and decisions, a supervisor's (or admin's) cases in scope."""
    key = (board, scope, today())
    query = _TODO_QUERIES.get(key)
    if query is None:
        if len(_TODO_QUERIES) >= TODO_QUERIES_KEPT:
            _TODO_QUERIES.clear()
        query = _TODO_QUERIES[key] = _todo_query(scope, board)
    return Todo(*(int(n or 0) for n in db.session.execute(query).one()))


def _todo_query(scope: Scope, board: Board) -> Any:
    open_decision = Decision.state == DecisionState.OPEN.value
    if board is Board.LIAISON:

        def counted(figure: Figure) -> Any:
            return (
                select(func.count(CaseItem.id))
                .join(Case, Case.id == CaseItem.case_id)
                .where(_items(scope), _item_criterion(figure))
                .scalar_subquery()
            )

        decisions = _count(Decision.id, _decisions(scope), open_decision)
    else:
        cases = _mine(scope) if board is Board.AGENT else _cases(scope)

        def counted(figure: Figure) -> Any:
            return _count(Case.id, cases, _case_criterion(figure))

        if board is Board.AGENT:
            decisions = _count(Decision.id, open_decision, Decision.case_id.in_(select(Case.id).where(cases)))
        else:
            decisions = _count(Decision.id, _decisions(scope), open_decision)
    return select(counted(Figure.OVERDUE), counted(Figure.WEEK), decisions)
