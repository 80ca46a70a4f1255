"""Performance assessment (考核) as data: indicators, their 0–100 normalisation, weights and the score.

Each banner (旗区) or department is assessed for a period on seven indicators. Every indicator turns
its raw figures into a value from 0 to 100 by a rule written here (absolute, never relative to other
units, so a unit's score is the same whoever looks at it); the score is the weighted mean of the values
that exist. An indicator without data for a unit (no evaluation in the period, no report due, a
department's monthly report) is left out and its weight is shared by the others, pro rata.
"""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

from app.domain.enums import LabelledEnum, register_labels
from app.domain.errors import N_, ValidationError
from app.domain.ledger import Column, Group, Kind, SheetSpec
from app.domain.workflow import SATISFACTION_POINTS


class Level(LabelledEnum):
    """What is assessed: banners and districts (旗区), or the departments of one region."""

    BANNER = "banner"
    DEPARTMENT = "department"


class Direction(StrEnum):
    HIGHER = "higher"  # more is better
    LOWER = "lower"  # less is better


class Preset(LabelledEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


# --- satisfaction: the form's three levels on the national five-level 好差评 scale ---------------------

# The national scale, best first, with the points each level is worth (差评 = the last two).
NATIONAL_LABELS: dict[str, str] = {
    "非常满意": N_("Very satisfied"),
    "满意": N_("Satisfied"),
    "基本满意": N_("Basically satisfied"),
    "不满意": N_("Dissatisfied"),
    "非常不满意": N_("Very dissatisfied"),
}
# The Ordos form (Attachment 8: 非常满意 / 满意 / 不满意) mapped as the ledger maps it (workflow.NATIONAL_LEVEL).
FORM_POINTS = SATISFACTION_POINTS

# --- the local targets of the absolute rules (the plan sets no number) -------------------------------------

TRAINING_HOURS_PER_YEAR = Decimal("12")  # hours per person and year that earn the full 100


@dataclass(frozen=True)
class Figures:
    """The raw figures of one unit for one period, as the service aggregates them in SQL."""

    handled: int = 0  # banner: cases completed (办结) in the period; department: items decided in it
    open_at_end: int = 0  # still open on the period's last day (cases, or items filed with the department)
    decided: int = 0  # items decided in the period that have a due date
    on_time: int = 0  # …of which closed on or before their due date
    timed: int = 0  # items decided in the period with working days used and a limit
    used_days: int = 0  # their working days used, summed
    limit_days: int = 0  # their limits, summed
    evaluations: Mapping[str, int] = field(default_factory=dict)  # form level → count
    decisions_due: int = 0  # decisions (议定事项, not cancelled) due by the period's end and open in it
    overdue_decisions: int = 0  # …of which overdue in the period
    reports_due: int | None = None  # None: not assessed (departments)
    reports_on_time: int = 0
    training_hours: Decimal = Decimal(0)
    staff: int = 0
    period_days: int = 1

    @property
    def evaluation_count(self) -> int:
        return sum(n for level, n in self.evaluations.items() if level in FORM_POINTS)

    @property
    def mean_points(self) -> float | None:
        """The evaluations' average on the national scale (5 = 非常满意 … 1 = 非常不满意)."""
        n = self.evaluation_count
        points = sum(FORM_POINTS[level] * k for level, k in self.evaluations.items() if level in FORM_POINTS)
        return points / n if n else None


def _handled(f: Figures) -> float | None:
    total = f.handled + f.open_at_end
    return 100 * f.handled / total if total else None


def _on_time(f: Figures) -> float | None:
    return 100 * f.on_time / f.decided if f.decided else None


def _working_days(f: Figures) -> float | None:
    if not f.limit_days:
        return None
    return min(100.0, max(0.0, 100 * (1 - f.used_days / f.limit_days)))


def _satisfaction(f: Figures) -> float | None:
    mean = f.mean_points
    return None if mean is None else (mean - 1) * 25


def _decisions(f: Figures) -> float | None:
    return 100 * (1 - f.overdue_decisions / f.decisions_due) if f.decisions_due else None


def _reports(f: Figures) -> float | None:
    return 100 * f.reports_on_time / f.reports_due if f.reports_due else None


def training_target(period_days: int) -> Decimal:
    """Hours per person that earn the full 100 in a period of that many days (the yearly target, pro rata)."""
    return TRAINING_HOURS_PER_YEAR * period_days / 365


def hours_per_person(f: Figures) -> Decimal | None:
    return Decimal(f.training_hours) / f.staff if f.staff else None


def _training(f: Figures) -> float | None:
    per_person = hours_per_person(f)
    if per_person is None:
        return None
    return float(min(Decimal(100), 100 * per_person / training_target(f.period_days)))


@dataclass(frozen=True)
class Indicator:
    """One assessed indicator: what is counted (per level), which way is better, how it becomes 0–100."""

    key: str
    label: str
    direction: Direction
    default_weight: int
    basis: Mapping[Level, str]  # what the figure counts, per level it applies to (absent: not assessed)
    rule: str  # how the figure becomes a value from 0 to 100, in words
    normalise: Callable[[Figures], float | None]

    def applies(self, level: Level) -> bool:
        return level in self.basis

    def value(self, figures: Figures) -> float | None:
        return self.normalise(figures)


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "cases_handled",
        N_("Cases handled"),
        Direction.HIGHER,
        15,
        {
            Level.BANNER: N_("Cases completed (办结) in the period, against those still open on its last day."),
            Level.DEPARTMENT: N_(
                "Items approved or refused in the period, against those filed and still open on its last day."
            ),
        },
        N_("Handled ÷ (handled + still open at the end) × 100."),
        _handled,
    ),
    Indicator(
        "on_time_rate",
        N_("On-time rate"),
        Direction.HIGHER,
        25,
        {
            Level.BANNER: N_("Items decided in the period closed on or before their due date."),
            Level.DEPARTMENT: N_("Items decided in the period closed on or before their due date."),
        },
        N_("The rate itself, in per cent."),
        _on_time,
    ),
    Indicator(
        "working_days",
        N_("Working days used against limits"),
        Direction.LOWER,
        15,
        {
            Level.BANNER: N_(
                "Average working days used by the items decided in the period, against their average limit."
            ),
            Level.DEPARTMENT: N_(
                "Average working days used by the items decided in the period, against their average limit."
            ),
        },
        N_("(1 − used ÷ limit) × 100, between 0 and 100: the share of the limit saved."),
        _working_days,
    ),
    Indicator(
        "satisfaction",
        N_("Satisfaction"),
        Direction.HIGHER,
        15,
        {
            Level.BANNER: N_("Evaluations recorded in the period, on the national five-level scale."),
            Level.DEPARTMENT: N_("Evaluations recorded in the period of cases with an item of the department."),
        },
        N_(
            "(average points − 1) × 25: very satisfied 5, satisfied 4, basically satisfied 3, dissatisfied 2, "
            "very dissatisfied 1."
        ),
        _satisfaction,
    ),
    Indicator(
        "overdue_decisions",
        N_("Overdue decisions"),
        Direction.LOWER,
        10,
        {
            Level.BANNER: N_(
                "Decisions of joint reviews for the banner's departments overdue in the period, "
                "of those due by its end."
            ),
            Level.DEPARTMENT: N_(
                "Decisions of joint reviews for the department overdue in the period, of those due by its end."
            ),
        },
        N_("(1 − overdue ÷ due) × 100."),
        _decisions,
    ),
    Indicator(
        "monthly_reports",
        N_("Monthly reports on time"),
        Direction.HIGHER,
        10,
        {Level.BANNER: N_("Monthly reports due in the period (by the 24th) first submitted on time.")},
        N_("On time ÷ due × 100."),
        _reports,
    ),
    Indicator(
        "training_hours",
        N_("Training hours"),
        Direction.HIGHER,
        10,
        {
            Level.BANNER: N_("Hours attended in sessions held in the period, per active member of the banner's staff."),
            Level.DEPARTMENT: N_(
                "Hours attended in sessions held in the period, per active member of the department's staff."
            ),
        },
        N_("Hours per person ÷ target × 100, at most 100; the target is 12 hours a year, pro rata."),
        _training,
    ),
)
BY_KEY: dict[str, Indicator] = {i.key: i for i in INDICATORS}
KEYS: tuple[str, ...] = tuple(BY_KEY)
DEFAULT_WEIGHTS: dict[str, Decimal] = {i.key: Decimal(i.default_weight) for i in INDICATORS}
WEIGHT_TOTAL = Decimal(100)
WEIGHT_PLACES = Decimal("0.01")
NOTE_LIMIT = 500

register_labels(
    [
        (Level.BANNER, N_("Banners and districts")),
        (Level.DEPARTMENT, N_("Departments")),
        (Preset.MONTH, N_("Last full month")),
        (Preset.QUARTER, N_("Last full quarter")),
        (Preset.YEAR, N_("Last full year")),
    ]
)


# --- the score ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One indicator's share of a score: its value, its weight, the weight it ends up with, its points."""

    key: str
    value: float | None
    weight: Decimal
    effective_weight: float  # the weight after the weights of indicators without data are shared out
    points: float | None  # value × effective weight ÷ 100: what it adds to the score


@dataclass(frozen=True)
class Score:
    total: float | None
    parts: tuple[Part, ...]


def score(values: Mapping[str, float | None], weights: Mapping[str, Decimal]) -> Score:
    """The weighted mean of the values that exist (0–100), rounded to one decimal; None without any."""
    present = {k: v for k, v in values.items() if v is not None and weights.get(k, 0) > 0}
    weight_sum = float(sum(weights[k] for k in present))
    parts = []
    for key in KEYS:
        weight = weights.get(key, Decimal(0))
        value = values.get(key)
        effective = float(weight) * 100 / weight_sum if key in present else 0.0
        points = value * effective / 100 if key in present and value is not None else None
        parts.append(Part(key, value, weight, effective, points))
    if not present:
        return Score(None, tuple(parts))
    total = sum(p.points for p in parts if p.points is not None)
    # Half up, as a person rounds; float noise (72.2499999…) is cut first so a hand computation agrees.
    rounded = Decimal(str(round(total, 6))).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return Score(float(rounded), tuple(parts))


def values_for(level: Level, figures: Figures) -> dict[str, float | None]:
    """Each indicator's 0–100 value for a unit of `level` (None: not assessed at this level, or no data)."""
    return {i.key: (i.value(figures) if i.applies(level) else None) for i in INDICATORS}


# --- weights -------------------------------------------------------------------------------------------


class WeightsRefused(ValidationError):
    """A weight set was not saved: `problems` maps each field (an indicator key, "note" or "total") to why."""

    template = N_("The weights were not saved; nothing was changed.")

    def __init__(self, problems: dict[str, tuple[str, dict[str, object]]]) -> None:
        super().__init__()
        self.problems = problems


def weight_text(value: Decimal) -> str:
    """A weight as people write it: 10, 12.5 (never 1E+1 or 10.00)."""
    return f"{value.normalize():f}"


def clean_weights(raw: Mapping[str, object], note: str) -> tuple[dict[str, Decimal], str]:
    """Every weight a number ≥ 0 with at most two decimals, together exactly 100, and a note saying why."""
    problems: dict[str, tuple[str, dict[str, object]]] = {}
    weights: dict[str, Decimal] = {}
    for key in KEYS:
        text = str(raw.get(key) if raw.get(key) is not None else "").strip().replace("，", ".")
        if not text:
            problems[key] = (N_("Give a weight (0 for none)."), {})
            continue
        try:
            value = Decimal(text)
        except InvalidOperation:
            problems[key] = (N_("“%(value)s” is not a number."), {"value": text[:20]})
            continue
        if not value.is_finite():
            problems[key] = (N_("“%(value)s” is not a number."), {"value": text[:20]})
        elif value < 0:
            problems[key] = (N_("A weight cannot be negative."), {})
        elif value > WEIGHT_TOTAL:
            problems[key] = (N_("A weight is at most 100."), {})
        elif value != value.quantize(WEIGHT_PLACES):
            problems[key] = (N_("At most two decimals."), {})
        else:
            weights[key] = value.quantize(WEIGHT_PLACES)
    if len(weights) == len(KEYS):
        total = sum(weights.values())
        if total != WEIGHT_TOTAL:
            problems["total"] = (
                N_("The weights add up to %(total)s; they must add up to 100."),
                {"total": weight_text(total)},
            )
    note = (note or "").strip()
    if not note:
        problems["note"] = (N_("Say why the weights change (a note)."), {})
    elif len(note) > NOTE_LIMIT:
        problems["note"] = (N_("The note is longer than %(n)s characters."), {"n": NOTE_LIMIT})
    if problems:
        raise WeightsRefused(problems)
    return weights, note


# --- periods ------------------------------------------------------------------------------------------


def _month_end(first: dt.date) -> dt.date:
    return first.replace(day=month_calendar.monthrange(first.year, first.month)[1])


def preset_period(preset: Preset, today: dt.date) -> tuple[dt.date, dt.date]:
    """The last full month, quarter or year before `today`."""
    if preset is Preset.YEAR:
        return dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)
    if preset is Preset.QUARTER:
        start_month = 3 * ((today.month - 1) // 3) + 1
        end = dt.date(today.year, start_month, 1) - dt.timedelta(days=1)
        return dt.date(end.year, end.month - 2, 1), end
    end = today.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


MAX_PERIOD_DAYS = 3 * 366


def check_period(date_from: dt.date, date_to: dt.date) -> None:
    if date_to < date_from:
        raise ValidationError(N_("The period ends before it begins."))
    if (date_to - date_from).days >= MAX_PERIOD_DAYS:
        raise ValidationError(N_("A period is at most three years."))


def report_months(date_from: dt.date, date_to: dt.date, today: dt.date, deadline_day: int) -> list[dt.date]:
    """The months (first days) whose report deadline lies in the period and has passed by `today`."""
    months = []
    first = date_from.replace(day=1) - dt.timedelta(days=31)
    first = first.replace(day=1)
    while first <= date_to:
        deadline = first.replace(day=deadline_day)
        if date_from <= deadline <= date_to and deadline < today:
            months.append(first)
        first = _month_end(first) + dt.timedelta(days=1)
    return months


# --- the export's sheets (the work ledger's layout) -------------------------------------------------------

C, G = Column, Group


SCORES = SheetSpec(
    "scores",
    "考核得分",
    "Scores",
    (
        G(
            "考核对象",
            "Assessed",
            (
                C("rank", "名次", "Rank", Kind.INT, 5),
                C("unit", "考核对象", "Unit", width=18, wrap=True),
                C("region", "所属地区", "Region", width=10),
                C("score", "综合得分", "Score", Kind.AMOUNT, 8),
            ),
        ),
        G(
            "指标原始数据",
            "Figures",
            (
                C("handled", "办结数", "Handled", Kind.INT, 7),
                C("open_at_end", "期末在办", "Open at end", Kind.INT, 7),
                C("decided", "办结事项", "Items decided", Kind.INT, 7),
                C("on_time", "按时办结", "On time", Kind.INT, 7),
                C("used_days", "用时合计", "Working days used", Kind.INT, 8),
                C("limit_days", "时限合计", "Limit days", Kind.INT, 8),
                C("evaluations", "评价数", "Evaluations", Kind.INT, 7),
                C("mean_points", "平均分值", "Average points", Kind.AMOUNT, 7),
                C("decisions_due", "到期议定事项", "Decisions due", Kind.INT, 8),
                C("overdue_decisions", "超期议定事项", "Overdue decisions", Kind.INT, 8),
                C("reports_due", "应报月报", "Reports due", Kind.INT, 7),
                C("reports_on_time", "按时报送", "On time", Kind.INT, 7),
                C("training_hours", "培训学时", "Training hours", Kind.AMOUNT, 8),
                C("staff", "在岗人数", "Staff", Kind.INT, 6),
            ),
        ),
        G(
            "指标得分（0–100）",
            "Indicator values (0–100)",
            (
                C("v_cases_handled", "办结率", "Handled", Kind.AMOUNT, 7),
                C("v_on_time_rate", "按时办结率", "On time", Kind.AMOUNT, 7),
                C("v_working_days", "时限压缩", "Days saved", Kind.AMOUNT, 7),
                C("v_satisfaction", "满意度", "Satisfaction", Kind.AMOUNT, 7),
                C("v_overdue_decisions", "议定事项", "Decisions", Kind.AMOUNT, 7),
                C("v_monthly_reports", "月报按时", "Reports", Kind.AMOUNT, 7),
                C("v_training_hours", "培训", "Training", Kind.AMOUNT, 7),
            ),
        ),
    ),
    keys=2,
)

WEIGHTS_SHEET = SheetSpec(
    "weights",
    "权重",
    "Weights",
    (
        G(
            "权重",
            "Weights",
            (
                C("indicator", "指标", "Indicator", width=22, wrap=True),
                C("direction", "方向", "Direction", width=8),
                C("weight", "权重", "Weight", Kind.AMOUNT, 8),
                C("basis", "统计口径", "What is counted", width=40, wrap=True),
                C("rule", "折算规则", "How it becomes 0–100", width=40, wrap=True),
            ),
        ),
        G(
            "版本",
            "Version",
            (
                C("set_by", "设置人", "Set by", width=10),
                C("set_at", "设置时间", "Set at", width=16),
                C("note", "说明", "Note", width=24, wrap=True),
            ),
        ),
    ),
)

_UNIT = C("unit", "考核对象", "Unit", width=16, wrap=True)
_CASE = C("case", "案件编号", "Case no.", width=17)

ROW_SHEETS: dict[str, SheetSpec] = {
    "cases_handled": SheetSpec(
        "rows_cases_handled",
        "办结明细",
        "Handled rows",
        (
            G(
                "办结数",
                "Cases handled",
                (
                    _UNIT,
                    _CASE,
                    C("name", "项目或事项", "Project or item", width=28, wrap=True),
                    C("started_on", "申请或受理日期", "Applied or accepted", Kind.DATE, 11),
                    C("closed_on", "办结日期", "Closed on", Kind.DATE, 11),
                    C("state", "状态", "State", width=10),
                    C("counted", "计入", "Counted as", width=12),
                ),
            ),
        ),
        keys=2,
    ),
    "on_time_rate": SheetSpec(
        "rows_on_time_rate",
        "按时办结明细",
        "On-time rows",
        (
            G(
                "按时办结率",
                "On-time rate",
                (
                    _UNIT,
                    _CASE,
                    C("item", "事项", "Item", width=26, wrap=True),
                    C("department", "办理部门", "Department", width=16, wrap=True),
                    C("accepted_on", "受理日期", "Accepted on", Kind.DATE, 11),
                    C("due_on", "办理期限", "Due on", Kind.DATE, 11),
                    C("closed_on", "办结日期", "Closed on", Kind.DATE, 11),
                    C("on_time", "按时", "On time", width=6),
                ),
            ),
        ),
        keys=2,
    ),
    "working_days": SheetSpec(
        "rows_working_days",
        "办理用时明细",
        "Working-day rows",
        (
            G(
                "办理用时",
                "Working days",
                (
                    _UNIT,
                    _CASE,
                    C("item", "事项", "Item", width=26, wrap=True),
                    C("department", "办理部门", "Department", width=16, wrap=True),
                    C("accepted_on", "受理日期", "Accepted on", Kind.DATE, 11),
                    C("closed_on", "办结日期", "Closed on", Kind.DATE, 11),
                    C("used_days", "用时（工作日）", "Working days used", Kind.INT, 9),
                    C("limit_days", "时限（工作日）", "Limit", Kind.INT, 9),
                    C("paused_days", "暂停（工作日）", "Paused", Kind.INT, 9),
                ),
            ),
        ),
        keys=2,
    ),
    "satisfaction": SheetSpec(
        "rows_satisfaction",
        "评价明细",
        "Evaluation rows",
        (
            G(
                "满意度",
                "Satisfaction",
                (
                    _UNIT,
                    _CASE,
                    C("project", "项目名称", "Project", width=28, wrap=True),
                    C("evaluated_on", "评价日期", "Evaluated on", Kind.DATE, 11),
                    C("level", "评价（表）", "Form level", width=10),
                    C("national", "好差评（五级）", "National scale", width=10),
                    C("points", "分值", "Points", Kind.INT, 6),
                ),
            ),
        ),
        keys=2,
    ),
    "overdue_decisions": SheetSpec(
        "rows_overdue_decisions",
        "议定事项明细",
        "Decision rows",
        (
            G(
                "超期议定事项",
                "Overdue decisions",
                (
                    _UNIT,
                    C("held_on", "会议日期", "Meeting date", Kind.DATE, 11),
                    C("text", "议定内容", "Decision", width=32, wrap=True),
                    C("department", "责任部门", "Responsible department", width=16, wrap=True),
                    C("due_on", "期限", "Deadline", Kind.DATE, 11),
                    C("state", "状态", "State", width=9),
                    C("closed_on", "办结日期", "Closed on", Kind.DATE, 11),
                    C("overdue", "超期", "Overdue", width=6),
                ),
            ),
        ),
    ),
    "monthly_reports": SheetSpec(
        "rows_monthly_reports",
        "月报明细",
        "Monthly report rows",
        (
            G(
                "月报按时报送",
                "Monthly reports",
                (
                    _UNIT,
                    C("month", "月份", "Month", width=9),
                    C("deadline", "报送期限", "Due by", Kind.DATE, 11),
                    C("first_submitted", "首次报送", "First submitted", Kind.DATE, 11),
                    C("status", "状态", "Status", width=10),
                ),
            ),
        ),
    ),
    "training_hours": SheetSpec(
        "rows_training_hours",
        "培训学时明细",
        "Training rows",
        (
            G(
                "培训学时",
                "Training hours",
                (
                    _UNIT,
                    C("person", "姓名", "Full name", width=10),
                    C("department", "部门", "Department", width=16, wrap=True),
                    C("held_on", "日期", "Date", Kind.DATE, 11),
                    C("plan", "培训计划", "Training plan", width=24, wrap=True),
                    C("topic", "主题", "Topic", width=18, wrap=True),
                    C("hours", "学时", "Hours", Kind.AMOUNT, 7),
                ),
            ),
        ),
    ),
}
