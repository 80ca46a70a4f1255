"""The pivot explorer (透视分析) as data: its declared dimensions and measures, and how a table's totals combine.

A supervisor picks a row dimension, optionally a column dimension, and one measure. Nothing else reaches the
SQL: a key that is not declared here is refused. Each measure counts one grain (cases or items); each
dimension says which grains it can split. State and the acceptance and closure months are the case's for a
case measure and the item's (部门受理, 办结) for an item measure; the month of application is always the case's.

A measure is computed from additive parts summed by one GROUP BY (a count, a numerator and denominator, a
sum of scores and their number), so every total of the table is exact: it combines the summed parts, never
averages of averages. The median's parts are the middle values of each cell, row, column and of the whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from app.domain.errors import N_, ValidationError
from app.domain.workflow import SATISFACTION_POINTS


class Grain(StrEnum):
    """What a measure counts: cases, or the items inside them."""

    CASE = "case"
    ITEM = "item"


BOTH = frozenset({Grain.CASE, Grain.ITEM})
ITEMS_ONLY = frozenset({Grain.ITEM})


@dataclass(frozen=True)
class Dimension:
    """A way to split the table: its key (in the query string), its label, and the grains it applies to.

    `case_filter` / `item_filter` name the filter of the case list / item list that selects one of its values
    (None: that list cannot be filtered by it, and a cell split by it is not a link).
    """

    key: str
    label: str
    grains: frozenset[Grain]
    case_filter: str | None = None
    item_filter: str | None = None
    month: bool = False

    def list_filter(self, grain: Grain) -> str | None:
        return self.case_filter if grain is Grain.CASE else self.item_filter


@dataclass(frozen=True)
class Measure:
    """A figure of each cell: its key, label, grain, unit, and whether a cell opens the list of its rows."""

    key: str
    label: str
    grain: Grain
    unit: str  # "count", "percent", "days" or "score"
    note: str = ""
    linked: bool = False


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("region", N_("Region"), BOTH, case_filter="region", item_filter="region"),
    Dimension("department", N_("Department"), ITEMS_ONLY, item_filter="department"),
    Dimension("stage", N_("Stage"), ITEMS_ONLY, item_filter="stage"),
    Dimension("catalog_item", N_("Catalog item"), ITEMS_ONLY),
    Dimension("channel", N_("Channel"), BOTH, case_filter="channel"),
    Dimension("state", N_("State"), BOTH, case_filter="state", item_filter="state"),
    Dimension("applied_month", N_("Month of application"), BOTH, case_filter="applied_on", month=True),
    Dimension("accepted_month", N_("Month of acceptance"), BOTH, item_filter="accepted_on", month=True),
    Dimension("closed_month", N_("Month of closure"), BOTH, item_filter="closed_on", month=True),
    Dimension("agent", N_("Agent"), BOTH, case_filter="agent"),
)

MEASURES: tuple[Measure, ...] = (
    Measure("cases", N_("Cases"), Grain.CASE, "count", linked=True),
    Measure("items", N_("Items"), Grain.ITEM, "count", linked=True),
    Measure(
        "overdue",
        N_("Overdue handling"),
        Grain.ITEM,
        "count",
        N_("Items past their due date today (超期办理), counted as the ledger counts them."),
    ),
    Measure(
        "late_filing",
        N_("Late filing"),
        Grain.ITEM,
        "count",
        N_("Items not filed by their planned filing date (逾期申报)."),
    ),
    Measure(
        "on_time_rate",
        N_("On-time rate"),
        Grain.ITEM,
        "percent",
        N_("Items the department closed on or before their due date, of the items it closed (with a due date)."),
    ),
    Measure(
        "median_days",
        N_("Median working days"),
        Grain.ITEM,
        "days",
        N_("Working days the department took (acceptance to closure, less pauses), middle value of closed items."),
    ),
    Measure(
        "satisfaction",
        N_("Satisfaction"),
        Grain.CASE,
        "score",
        N_("Average evaluation on the national five-level scale (非常满意 5 … 非常不满意 1), of evaluated cases."),
    ),
)

DIMENSION_BY_KEY: dict[str, Dimension] = {d.key: d for d in DIMENSIONS}
MEASURE_BY_KEY: dict[str, Measure] = {m.key: m for m in MEASURES}

# The date a period filter applies to: the same dates as the month dimensions (case's or item's by grain).
PERIOD_BASES: tuple[str, ...] = ("applied_month", "accepted_month", "closed_month")

# The satisfaction measure scores each evaluation on the national five-level scale (defined once, in workflow).
SATISFACTION_SCORE = SATISFACTION_POINTS

# The totals of a table: a cell, the total of its row, of its column, and of everything.
LEVELS: tuple[str, ...] = ("cell", "row", "col", "all")


class PivotRefused(ValidationError):
    """A pivot request that names something the explorer does not offer."""

    template = N_("This table cannot be built.")


class UnknownDimension(PivotRefused):
    template = N_("“%(key)s” is not one of the pivot's dimensions.")


class UnknownMeasure(PivotRefused):
    template = N_("“%(key)s” is not one of the pivot's measures.")


class UnknownPeriodBasis(PivotRefused):
    template = N_("“%(key)s” is not a date the period can apply to.")


class SameDimension(PivotRefused):
    template = N_("Rows and columns need two different dimensions.")


class GrainMismatch(PivotRefused):
    template = N_("%(dimension)s splits items, not cases: choose an item measure to split %(measure)s by it.")


class PeriodReversed(PivotRefused):
    template = N_("The period ends before it begins.")


@dataclass(frozen=True)
class PivotRequest:
    """A checked pivot request: declared keys only."""

    rows: Dimension
    columns: Dimension | None
    measure: Measure
    region_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    period_basis: Dimension = DIMENSION_BY_KEY["applied_month"]

    @property
    def grain(self) -> Grain:
        return self.measure.grain

    @property
    def dimensions(self) -> tuple[Dimension, ...]:
        return (self.rows,) if self.columns is None else (self.rows, self.columns)


def check_request(
    rows: str,
    columns: str | None,
    measure: str,
    region_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    period_basis: str = "applied_month",
) -> PivotRequest:
    """The request with each key looked up in the declared lists; PivotRefused says what does not fit."""
    found_measure = MEASURE_BY_KEY.get(measure)
    if found_measure is None:
        raise UnknownMeasure(key=measure[:40])
    found: list[Dimension] = []
    for key in (rows, columns):
        if key is None:
            continue
        dimension = DIMENSION_BY_KEY.get(key)
        if dimension is None:
            raise UnknownDimension(key=key[:40])
        if found_measure.grain not in dimension.grains:
            raise GrainMismatch(dimension=dimension.label, measure=found_measure.label)
        found.append(dimension)
    if columns is not None and rows == columns:
        raise SameDimension()
    if period_basis not in PERIOD_BASES:
        raise UnknownPeriodBasis(key=period_basis[:40])
    if date_from and date_to and date_to < date_from:
        raise PeriodReversed()
    return PivotRequest(
        rows=found[0],
        columns=found[1] if len(found) > 1 else None,
        measure=found_measure,
        region_id=region_id,
        date_from=date_from,
        date_to=date_to,
        period_basis=DIMENSION_BY_KEY[period_basis],
    )


def part_names(measure: Measure) -> tuple[str, ...]:
    """The additive parts the SQL returns per cell for a measure."""
    if measure.key == "on_time_rate":
        return ("on_time", "closed")
    if measure.key == "satisfaction":
        return ("score_sum", "scored")
    if measure.key == "median_days":
        return tuple(f"{level}_{part}" for level in LEVELS for part in ("sum", "n"))
    return ("n",)


def measure_value(measure: Measure, parts: Mapping[str, float], level: str = "cell") -> float | int | None:
    """A measure's value from its (summed) parts; None where nothing was there to measure."""
    if measure.key == "on_time_rate":
        closed = parts.get("closed", 0)
        return round(100 * parts.get("on_time", 0) / closed, 1) if closed else None
    if measure.key == "satisfaction":
        scored = parts.get("scored", 0)
        return round(parts.get("score_sum", 0) / scored, 2) if scored else None
    if measure.key == "median_days":
        n = parts.get(f"{level}_n", 0)
        return round(parts.get(f"{level}_sum", 0) / n, 1) if n else None
    return int(parts.get("n", 0))


def add_parts(total: dict[str, float], parts: Mapping[str, float]) -> None:
    """Add one cell's parts into a running total (a row's, a column's, the table's)."""
    for name, value in parts.items():
        total[name] = total.get(name, 0) + (value or 0)


def month_bounds(key: int) -> tuple[dt.date, dt.date]:
    """The first day of a month bucket (yyyymm) and the first day of the next."""
    year, month = divmod(key, 100)
    first = dt.date(year, month, 1)
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return first, following


def month_label(key: int) -> str:
    year, month = divmod(key, 100)
    return f"{year:04d}-{month:02d}"
