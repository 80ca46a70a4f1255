"""The pivot explorer's table: one GROUP BY over cases or items, built only from declared dimensions and measures.

Row scope applies as in the case and item lists (the actor's regions; at item grain also the departments the
actor may see). Months are `extract(year) * 100 + extract(month)`, which SQLAlchemy writes for each dialect
(SQLite, PostgreSQL, MariaDB). The median uses window functions in the same single query: each value knows its
rank and its group's size within its cell, row, column and the whole table, and the GROUP BY sums the middle
values of each. Overdue is the one definition of `app.services.urgency`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, and_, case, cast, extract, func, literal_column, select

from app.domain.enums import Stage
from app.domain.pivot import (
    LEVELS,
    SATISFACTION_SCORE,
    Dimension,
    Grain,
    PivotRequest,
    add_parts,
    measure_value,
    month_bounds,
    month_label,
    part_names,
)
from app.domain.urgency import Overdue
from app.domain.workflow import CaseState, Channel, ItemState
from app.extensions import db
from app.models import Case, CaseItem, CatalogItem, Department, Evaluation, Region, Staff
from app.services.clock import today
from app.services.scope import visible_department_ids, visible_region_ids
from app.services.urgency import overdue_counts

NOT_SET = object()  # the key of a dimension value that is missing (no agent, no date yet)


def month_key(column: Any) -> ColumnElement[int]:
    """A date's month as yyyymm, portable: SQLAlchemy writes extract() as each dialect needs (strftime on SQLite).

    Constants are literal SQL, not parameters, so the GROUP BY repeats the select's expression exactly.
    """
    return cast(extract("year", column) * literal_column("100") + extract("month", column), Integer)


def _date_column(dimension: Dimension, grain: Grain) -> Any:
    if dimension.key == "applied_month":
        return Case.applied_on
    if dimension.key == "accepted_month":
        return Case.accepted_on if grain is Grain.CASE else CaseItem.accepted_on
    return Case.closed_on if grain is Grain.CASE else CaseItem.closed_on


def dimension_sql(dimension: Dimension, grain: Grain) -> ColumnElement[Any]:
    """The SQL expression a declared dimension groups by, at the measure's grain."""
    if dimension.month:
        return month_key(_date_column(dimension, grain))
    columns: dict[str, Any] = {
        "region": Case.region_id,
        "department": CaseItem.department_id,
        "stage": CaseItem.stage,
        "catalog_item": CaseItem.catalog_item_id,
        "channel": Case.channel,
        "state": Case.state if grain is Grain.CASE else CaseItem.state,
        "agent": Case.agent_id,
    }
    return columns[dimension.key]


def _parts_sql(request: PivotRequest, on: dt.date) -> list[ColumnElement[Any]]:
    """The additive parts of the measure, as aggregates of one GROUP BY (median excepted: see `_median`)."""
    key = request.measure.key
    if key == "cases":
        return [func.count(Case.id).label("n")]
    if key == "items":
        return [func.count(CaseItem.id).label("n")]
    if key == "overdue":
        return [overdue_counts((Overdue.HANDLING,), on)[0].label("n")]
    if key == "late_filing":
        return [overdue_counts((Overdue.FILING,), on)[0].label("n")]
    if key == "on_time_rate":
        closed = and_(CaseItem.closed_on.is_not(None), CaseItem.due_on.is_not(None))
        one, zero = literal_column("1"), literal_column("0")
        return [
            func.sum(case((and_(closed, CaseItem.closed_on <= CaseItem.due_on), one), else_=zero)).label("on_time"),
            func.sum(case((closed, one), else_=zero)).label("closed"),
        ]
    if key == "satisfaction":
        score = case(
            *((Evaluation.level == level, literal_column(str(points))) for level, points in SATISFACTION_SCORE.items()),
            else_=None,
        )
        return [func.sum(score).label("score_sum"), func.count(score).label("scored")]
    raise ValueError(key)  # a declared measure without SQL: a programming error, never user input


def _conditions(request: PivotRequest, actor: Any) -> list[ColumnElement[bool]]:
    """Row scope, the region filter and the period, at the request's grain."""
    regions = visible_region_ids(actor)
    conditions: list[ColumnElement[bool]] = [Case.region_id.in_(regions)]
    if request.grain is Grain.ITEM:
        conditions.append(CaseItem.department_id.in_(visible_department_ids(actor)))
    if request.region_id is not None:
        conditions.append(Case.region_id == request.region_id)
    dated = _date_column(request.period_basis, request.grain)
    if request.date_from is not None:
        conditions.append(dated >= request.date_from)
    if request.date_to is not None:
        conditions.append(dated <= request.date_to)
    return conditions


def _from(query: Select[Any], request: PivotRequest) -> Select[Any]:
    if request.grain is Grain.ITEM:
        return query.select_from(CaseItem).join(Case, Case.id == CaseItem.case_id)
    query = query.select_from(Case)
    if request.measure.key == "satisfaction":
        query = query.outerjoin(Evaluation, Evaluation.case_id == Case.id)
    return query


def pivot_select(request: PivotRequest, actor: Any, on: dt.date | None = None) -> Select[Any]:
    """The one SELECT … GROUP BY of a request: columns r, (c,) then the measure's parts."""
    on = on or today()
    dims = [dimension_sql(d, request.grain) for d in request.dimensions]
    keys = [d.label(name) for d, name in zip(dims, ("r", "c"), strict=False)]
    if request.measure.key == "median_days":
        return _median(request, actor, dims)
    query = _from(select(*keys, *_parts_sql(request, on)), request)
    return query.where(*_conditions(request, actor)).group_by(*dims)


def _median(request: PivotRequest, actor: Any, dims: list[ColumnElement[Any]]) -> Select[Any]:
    """Medians of used working days per cell, row, column and in all, in one query.

    Inside: each closed item's value with its rank and its group's size over four partitions. Outside: one
    GROUP BY per cell sums the values in the middle of each partition (one value when the size is odd, two
    when even), so each cell carries its share of its row's, its column's and the table's middle values.
    A value without a number (an open item) is counted by no part: its size is 0 and its value NULL.
    """
    value = CaseItem.used_days
    # Items without a value (still open) rank apart, so that each value's rank and size count values only and
    # a group with none still shows (as "—"); where NULLs sort differs by dialect, it cannot matter.
    unmeasured = case((value.is_(None), literal_column("1")), else_=literal_column("0"))
    partitions = {"cell": dims, "row": dims[:1], "col": dims[1:], "all": []}
    windows = []
    for level in LEVELS:
        by = [*partitions[level], unmeasured]
        windows.append(func.row_number().over(partition_by=by, order_by=value).label(f"rn_{level}"))
        windows.append(func.count(value).over(partition_by=by).label(f"n_{level}"))
    names = ("r", "c")
    inner = _from(
        select(*(d.label(name) for d, name in zip(dims, names, strict=False)), value.label("v"), *windows), request
    )
    inner_q = inner.where(*_conditions(request, actor)).subquery("ranked")
    two = literal_column("2")
    parts = []
    for level in LEVELS:
        rank, size = inner_q.c[f"rn_{level}"], inner_q.c[f"n_{level}"]
        middle = and_(two * rank >= size, two * rank <= size + two)
        parts.append(func.sum(case((middle, inner_q.c.v), else_=None)).label(f"{level}_sum"))
        parts.append(func.count(case((middle, inner_q.c.v), else_=None)).label(f"{level}_n"))
    keys = [inner_q.c[name] for name in names[: len(dims)]]
    return select(*keys, *parts).group_by(*keys)


# --- the table --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    """One row or column of the table: the raw value (None: not set), its label and its order."""

    value: Any
    label: str
    order: tuple[Any, ...]


@dataclass
class PivotTable:
    """The computed table: headers, cell values, the totals of each row and column, and the grand total."""

    request: PivotRequest
    rows: list[Header]
    columns: list[Header]  # one header with value NOT_SET… when there is no column dimension: see `has_columns`
    cells: dict[tuple[Any, Any], float | int | None] = field(default_factory=dict)
    row_totals: dict[Any, float | int | None] = field(default_factory=dict)
    column_totals: dict[Any, float | int | None] = field(default_factory=dict)
    total: float | int | None = None

    @property
    def has_columns(self) -> bool:
        return self.request.columns is not None

    def value(self, row: Any, column: Any) -> float | int | None:
        found = self.cells.get((row, column))
        if found is None and self.request.measure.unit == "count":
            return 0
        return found


def build_pivot(request: PivotRequest, actor: Any, labels: Any, on: dt.date | None = None) -> PivotTable:
    """Run the request's one GROUP BY and shape its rows into a table with exact totals.

    `labels(dimension, grain, values)` names each value ({value: (order, label)}); see `dimension_labels`.
    """
    width = len(request.dimensions)
    names = part_names(request.measure)
    cells: dict[tuple[Any, Any], dict[str, float]] = {}
    for row in db.session.execute(pivot_select(request, actor, on)):
        values = tuple(row)
        r = values[0]
        c = values[1] if width > 1 else None
        cells[(r, c)] = {name: float(v or 0) for name, v in zip(names, values[width:], strict=True)}
    row_parts: dict[Any, dict[str, float]] = {}
    col_parts: dict[Any, dict[str, float]] = {}
    all_parts: dict[str, float] = {}
    for (r, c), parts in cells.items():
        add_parts(row_parts.setdefault(r, {}), parts)
        add_parts(col_parts.setdefault(c, {}), parts)
        add_parts(all_parts, parts)
    row_headers = _headers(request.rows, request.grain, {r for r, _ in cells}, labels)
    col_headers = (
        _headers(request.columns, request.grain, {c for _, c in cells}, labels)
        if request.columns is not None
        else [Header(None, "", ())]
    )
    measure = request.measure
    return PivotTable(
        request=request,
        rows=row_headers,
        columns=col_headers,
        cells={key: measure_value(measure, parts, "cell") for key, parts in cells.items()},
        row_totals={r: measure_value(measure, parts, "row") for r, parts in row_parts.items()},
        column_totals={c: measure_value(measure, parts, "col") for c, parts in col_parts.items()},
        total=measure_value(measure, all_parts, "all") if cells else (0 if measure.unit == "count" else None),
    )


def _headers(dimension: Dimension, grain: Grain, values: set[Any], labels: Any) -> list[Header]:
    named = labels(dimension, grain, {v for v in values if v is not None})
    headers = [Header(v, named[v][1], (0, *named[v][0])) for v in values if v is not None]
    if None in values:
        headers.append(Header(None, "", (1,)))
    return sorted(headers, key=lambda h: h.order)


def dimension_labels(dimension: Dimension, grain: Grain, values: set[Any]) -> dict[Any, tuple[tuple[Any, ...], str]]:
    """Each value's sort order and label (English label msgids for enums; the caller translates them).

    One small query for the names of regions, departments, catalog items or agents found in the table.
    """
    if not values:
        return {}
    key = dimension.key
    if dimension.month:
        return {v: ((int(v),), month_label(int(v))) for v in values}
    if key in ("stage", "channel", "state"):
        enum: Any = {"stage": Stage, "channel": Channel}.get(key) or (CaseState if grain is Grain.CASE else ItemState)
        order = {m.value: i for i, m in enumerate(enum)}
        return {v: ((order.get(v, len(order)), str(v)), enum(v).label if v in order else str(v)) for v in values}
    if key == "region":
        rows = db.session.execute(select(Region.id, Region.code, Region.name).where(Region.id.in_(values)))
        return {i: ((code,), name) for i, code, name in rows}
    if key == "department":
        rows = db.session.execute(
            select(Department.id, Department.name, Region.code, Region.name)
            .join(Region, Region.id == Department.region_id)
            .where(Department.id.in_(values))
        ).all()
        several = len({row[2] for row in rows}) > 1

        def named(name: str, region: str) -> str:
            # 达拉特旗水利局 already says where it is; a bare 水利局 gets its region in front.
            return f"{region} · {name}" if several and not name.startswith(region) else name

        return {i: ((code, name), named(name, region)) for i, name, code, region in rows}
    if key == "catalog_item":
        rows = db.session.execute(
            select(CatalogItem.id, CatalogItem.seq, CatalogItem.name, Region.code, Region.name)
            .join(Region, Region.id == CatalogItem.region_id)
            .where(CatalogItem.id.in_(values))
        ).all()
        several = len({row[3] for row in rows}) > 1
        return {i: ((code, seq), f"{region} · {name}" if several else name) for i, seq, name, code, region in rows}
    if key == "agent":
        rows = db.session.execute(select(Staff.id, Staff.first_name, Staff.last_name).where(Staff.id.in_(values))).all()
        return {i: ((f"{first or ''}{last or ''}", i), f"{first or ''}{last or ''}") for i, first, last in rows}
    raise ValueError(key)


# --- Excel ------------------------------------------------------------------------------------------------

_NUMBER_FORMATS = {"count": "0", "percent": '0.0"%"', "days": "0.0", "score": "0.00"}


def write_pivot_excel(out: Any, table: PivotTable, title: str, texts: dict[str, str], header_label: Any) -> None:
    """The table as a sheet: pandas writes the body through XlsxWriter, in the ledger's cell formats.

    Strings are never formulas, numbers or links (a department named "=1+1" stays that text): XlsxWriter's
    `strings_to_*` options are off. `texts` holds the sheet's words in the user's language (sheet, rows,
    columns, measure, total); `header_label(dimension, header)` names one row or column.
    """
    import pandas as pd

    from app.services.ledger import cell_formats

    request = table.request
    columns = table.columns
    headings = [texts["rows"]]
    headings += [header_label(request.columns, c) for c in columns] if table.has_columns else [texts["measure"]]
    if table.has_columns:
        headings.append(texts["total"])
    records = []
    for row in table.rows:
        values = [table.value(row.value, c.value) for c in columns]
        if table.has_columns:
            values.append(table.row_totals.get(row.value))
        records.append([header_label(request.rows, row), *values])
    totals = [table.column_totals.get(c.value) for c in columns] if table.has_columns else []
    records.append([texts["total"], *totals, table.total])
    frame = pd.DataFrame(records, columns=list(range(len(headings))))
    first_body, last_row, last_col = 3, 3 + len(records) - 1, len(headings) - 1
    options = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    with pd.ExcelWriter(out, engine="xlsxwriter", engine_kwargs={"options": options}) as writer:
        frame.to_excel(writer, sheet_name=texts["sheet"], startrow=first_body, header=False, index=False)
        workbook, sheet = writer.book, writer.sheets[texts["sheet"]]
        _, headers = cell_formats(workbook)
        base = {"border": 1, "border_color": "#BFBFBF", "num_format": _NUMBER_FORMATS[request.measure.unit]}
        number = workbook.add_format(base)
        total = workbook.add_format({**base, "bold": True})
        total_row = workbook.add_format({**base, "bold": True, "top": 2})
        sheet.merge_range(0, 0, 0, last_col, title, headers["title"])
        sheet.write_string(1, 0, "", headers["group"])
        if table.has_columns and last_col > 2:
            sheet.merge_range(1, 1, 1, last_col - 1, texts["columns"], headers["group"])
        else:
            sheet.write_string(1, 1, texts["columns"] if table.has_columns else "", headers["group"])
        if table.has_columns:
            sheet.write_string(1, last_col, "", headers["group"])
        for col, heading in enumerate(headings):
            sheet.write_string(2, col, str(heading), headers["head"])
        # pandas wrote the body without formats: the column and row formats below give it the ledger's look.
        sheet.set_column(0, 0, 26, headers["label"])
        sheet.set_column(1, last_col, 11, number)
        if table.has_columns:
            sheet.set_column(last_col, last_col, 11, total)
        sheet.set_row(last_row, None, total_row)
        sheet.write_string(last_row, 0, texts["total"], headers["total_label"])
        sheet.freeze_panes(first_body, 1)
        sheet.set_landscape()
        sheet.set_paper(9)  # A4
        sheet.repeat_rows(1, 2)
        sheet.fit_to_pages(1, 0)
        sheet.set_header('&C&"-,Bold"&12' + title.replace("&", "&&")[:200])


def month_range(key: int) -> tuple[dt.date, dt.date]:
    """The first and last day of a month bucket."""
    first, following = month_bounds(key)
    return first, following - dt.timedelta(days=1)
