"""The work ledger as Excel: streamed from the database in one pass, written by XlsxWriter in constant memory.

One ordered query (cases left-joined to their items) feeds the cases, items and overdue sheets at once;
evaluations and the banner × state summary are two small queries. Memory stays flat whatever the size.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

import xlsxwriter
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import aliased

from app.domain.enums import Stage
from app.domain.ledger import (
    CASES,
    CELL_FONT_PT,
    EVALUATIONS,
    EXCEL_MAX_ROWS,
    ITEMS,
    OVERDUE,
    SIDE_MARGIN_IN,
    Kind,
    SheetSpec,
    one_line_chars,
    print_layout,
    row_height,
    text_lines,
)
from app.domain.lights import Light, worst
from app.domain.privacy import mask_phones_in
from app.domain.urgency import Overdue, item_overdue
from app.domain.workdays import WorkdayIndex
from app.domain.workflow import (
    CLOSED_ITEM_VALUES,
    NATIONAL_LEVEL,
    OPEN_CASE_VALUES,
    CaseState,
    Channel,
    ItemState,
    ProjectCategory,
    Satisfaction,
)
from app.extensions import db
from app.models import Case, CaseItem, Department, Evaluation, Region, Staff
from app.services.clock import today
from app.services.lights import LightBook
from app.services.urgency import overdue_counts
from app.services.work_calendar import work_calendar

EXCEL_EPOCH = dt.date(1899, 12, 30).toordinal()
FETCH_CHUNK = 2000
_FILLS = {Light.RED: "#F8CBAD", Light.YELLOW: "#FFE699"}


@dataclass
class LedgerScope:
    """What a ledger covers: regions (already the user's scope), a period, and optionally a list's filters."""

    region_ids: list[int]
    title_region: str
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    case_ids: Select[Any] | None = None  # the case list's current filters, as a subquery of ids
    item_ids: Select[Any] | None = None  # the item list's current filters, as a subquery of ids
    full_phones: bool = False  # agents' ledgers: phone numbers in free text (reasons) left whole


@dataclass
class LedgerStats:
    cases: int = 0
    items: int = 0
    overdue: int = 0
    evaluations: int = 0
    sheets: list[str] = field(default_factory=list)


def _labels(english: bool) -> dict[str, dict[str, str]]:
    from flask_babel import gettext

    def table(enum: Any) -> dict[str, str]:
        return {m.value: (m.label if english else gettext(m.label)) for m in enum}

    return {
        "case_state": table(CaseState),
        "item_state": table(ItemState),
        "stage": table(Stage),
        "channel": table(Channel),
        "category": table(ProjectCategory),
        "level": table(Satisfaction),
        "light": {k: v for k, v in table(Light).items() if k in ("red", "yellow", "green", "paused")},
        "overdue": table(Overdue),
    }


class SheetWriter:
    """One ledger sheet: title, merged two-level header, frozen panes, filters, print setup, row-limit split."""

    def __init__(
        self,
        workbook: xlsxwriter.Workbook,
        spec: SheetSpec,
        title: str,
        english: bool,
        formats: dict[tuple[Kind, Light | None, bool], Any],
        header_formats: dict[str, Any],
        max_rows: int,
        stats: LedgerStats,
    ) -> None:
        self.workbook, self.spec, self.title, self.english = workbook, spec, title, english
        self.formats, self.header_formats, self.stats = formats, header_formats, stats
        self.columns = spec.columns
        self.kinds = [c.kind for c in self.columns]
        self.column_formats = {
            fill: [formats[(c.kind, fill, c.wrap)] for c in self.columns] for fill in (None, Light.YELLOW, Light.RED)
        }
        self.layout = print_layout(spec)
        self.wrapped = [(col, c.width, one_line_chars(c.width)) for col, c in enumerate(self.columns) if c.wrap]
        self.tall_row = -1  # the last row given a height, whose bookkeeping is dropped once it is written
        self.max_rows = max_rows
        self.sink: list[tuple[Any, ...]] | None = None  # the benchmark's floor replays these rows
        self.names: list[str] = []  # this sheet and its continuations, in order
        self.part = 0
        self.sheet: Any = None
        self.row = 0
        self._open()

    def _open(self) -> None:
        if self.sheet is not None:
            self._finish()
        self.part += 1
        name = self.spec.en if self.english else self.spec.zh
        if self.part > 1:
            name = f"{name} ({self.part})"
        sheet = self.workbook.add_worksheet(name)
        self.names.append(name)
        last = len(self.columns) - 1
        sheet.merge_range(0, 0, 0, last, self.title, self.header_formats["title"])
        col = 0
        for group in self.spec.groups:
            label = group.en if self.english else group.zh
            width = len(group.columns)
            if width > 1:
                sheet.merge_range(1, col, 1, col + width - 1, label, self.header_formats["group"])
            else:
                sheet.write_string(1, col, label, self.header_formats["group"])
            col += width
        lines = 1
        for col, column in enumerate(self.columns):
            label = column.en if self.english else column.zh
            sheet.write_string(2, col, label, self.header_formats["head"])
            sheet.set_column(col, col, column.width)
            lines = max(lines, text_lines(label, column.width * 0.9))  # bold is wider
        sheet.set_row(0, 24)
        if lines > 1:
            sheet.set_row(2, row_height(lines))
        sheet.freeze_panes(3, 0)
        _print_setup(sheet, self.title, self.english, rows=(1, 2))
        sheet.set_print_scale(self.layout.scale)
        if self.layout.breaks:
            # Too wide for one readable page: each page holds whole column groups, the key columns repeat,
            # and a row's later groups print on the pages right after it (over, then down).
            sheet.set_v_pagebreaks(list(self.layout.breaks))
            sheet.repeat_columns(0, self.spec.keys - 1)
            sheet.print_across()
        self.sheet = sheet
        self._writers = (sheet._write_string, sheet._write_number, sheet._write_blank)
        self.row = 3

    def _finish(self) -> None:
        last = len(self.columns) - 1
        if self.row > 3:
            self.sheet.autofilter(2, 0, self.row - 1, last)
        # The on-screen title row is not printed: the page header carries it on every page instead.
        self.sheet.print_area(1, 0, max(self.row - 1, 2), last)

    def append(self, values: tuple[Any, ...], light: Light | None = None) -> None:
        if self.row >= self.max_rows:
            self._open()
        if self.sink is not None:
            self.sink.append(values)
        fill = light if light in _FILLS else None
        row, formats = self.row, self.column_formats[fill]
        lines = 1
        for col, width, short in self.wrapped:
            value = values[col]
            if value and (len(value) > short or "\n" in value):  # most values are short: no measuring
                lines = max(lines, text_lines(value, width))
        if lines > 1:
            self.sheet.set_row(row, row_height(lines))
        # XlsxWriter's underscored writers skip the A1-notation decorator of the public ones: this loop is
        # the whole cost of a ledger (pinned XlsxWriter 3.3; tests open every file written).
        write_string, write_number, write_blank = self._writers
        for col, kind in enumerate(self.kinds):
            value = values[col]
            if value is None or value == "":
                write_blank(row, col, None, formats[col])  # a bordered blank: the printed grid stays whole
            elif kind is Kind.TEXT:
                write_string(row, col, value, formats[col])  # text stays text: "=1+1" is never a formula
            elif kind is Kind.DATE:
                write_number(row, col, value.toordinal() - EXCEL_EPOCH, formats[col])
            else:
                write_number(row, col, value, formats[col])
        if self.tall_row == row - 1:
            # Writing this row flushed the previous one to disk: forget its height, or a million tall
            # rows would keep a million entries in memory (constant_memory keeps only cell data flat).
            self.sheet.row_info.pop(row - 1, None)
            self.sheet.row_sizes.pop(row - 1, None)
        if lines > 1:
            self.tall_row = row
        self.row += 1

    def close(self) -> None:
        self._finish()


def _print_setup(sheet: Any, title: str, english: bool, rows: tuple[int, int]) -> None:
    """A4 landscape, header rows repeated, the title in the page header and page numbers in the footer."""
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.set_margins(left=SIDE_MARGIN_IN, right=SIDE_MARGIN_IN, top=0.6, bottom=0.55)
    sheet.repeat_rows(*rows)
    header = title.replace("&", "&&")[:200]  # "&" starts a header code; Excel allows 255 characters
    sheet.set_header(f'&C&"-,Bold"&12{header}', {"margin": 0.25})
    pages = "&A  ·  Page &P of &N" if english else "&A  ·  第 &P 页，共 &N 页"
    sheet.set_footer(f"&C{pages}", {"margin": 0.25})


def cell_formats(workbook: xlsxwriter.Workbook) -> tuple[dict[tuple[Kind, Light | None, bool], Any], dict[str, Any]]:
    """The cell formats (kind × fill × wrap) and header formats every ledger-style workbook shares."""
    base = {"border": 1, "border_color": "#BFBFBF", "valign": "top", "font_size": CELL_FONT_PT}
    number_formats = {Kind.TEXT: None, Kind.DATE: "yyyy-mm-dd", Kind.INT: "0", Kind.AMOUNT: "#,##0.00"}
    formats = {}
    for kind, number_format in number_formats.items():
        for fill in (None, Light.YELLOW, Light.RED):
            for wrap in (False, True):
                spec: dict[str, Any] = dict(base)
                if number_format:
                    spec["num_format"] = number_format
                if fill is not None:
                    spec["bg_color"] = _FILLS[fill]
                if wrap:
                    spec["text_wrap"] = True
                formats[(kind, fill, wrap)] = workbook.add_format(spec)
    head = {
        "bold": True,
        "align": "center",
        "valign": "vcenter",
        "border": 1,
        "text_wrap": True,
        "font_size": CELL_FONT_PT,
    }
    headers = {
        "title": workbook.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"}),
        "group": workbook.add_format({**head, "bg_color": "#BDD7EE"}),
        "head": workbook.add_format({**head, "bg_color": "#DDEBF7"}),
        "cell": workbook.add_format({**base, "num_format": "0"}),
        "total": workbook.add_format({**base, "num_format": "0", "bold": True, "top": 2}),
        "total_label": workbook.add_format({**base, "bold": True, "top": 2}),
        "label": workbook.add_format({**base, "text_wrap": True}),
    }
    return formats, headers


def _with_case_context(query: Select[Any], agent: Any) -> Select[Any]:
    """Join a query on Case to its region and agent (project and enterprise are the case's own snapshot)."""
    return query.join(Region, Region.id == Case.region_id).outerjoin(agent, agent.id == Case.agent_id)


def _joined_rows(scope: LedgerScope) -> Select[Any]:
    agent = aliased(Staff)
    item_join = CaseItem.case_id == Case.id
    if scope.item_ids is not None:
        item_join = and_(item_join, CaseItem.id.in_(scope.item_ids))
    query = select(
        Case.id,
        Case.number,
        Region.name,
        Case.channel,
        Case.applied_on,
        Case.state,
        agent.first_name,
        # The case as submitted: a later correction of the enterprise or project does not rewrite it.
        Case.project_name,
        Case.project_code,
        Case.enterprise_name,
        Case.credit_code,
        Case.total_investment,
        Case.planned_investment,
        Case.project_category,
        Case.is_key_project,
        Case.accepted_on,
        Case.entrusted_on,
        Case.planned_end,
        Case.closed_on,
        Case.close_reason,
        CaseItem.id,
        CaseItem.name,
        Department.name,
        CaseItem.stage,
        CaseItem.state,
        CaseItem.planned_filing_on,
        CaseItem.accepted_on,
        CaseItem.due_on,
        CaseItem.closed_on,
        CaseItem.time_limit_days,
        CaseItem.paused_days,
        CaseItem.paused_since,
    ).select_from(Case)
    query = (
        _with_case_context(query, agent)
        .join(CaseItem, item_join, isouter=scope.item_ids is None)
        .outerjoin(Department, Department.id == CaseItem.department_id)
        .where(*_case_conditions(scope))
        .order_by(Region.code, Case.number, Case.id, CaseItem.position, CaseItem.id)
    )
    return query


def _case_conditions(scope: LedgerScope) -> list[Any]:
    conditions = [Case.region_id.in_(scope.region_ids)]
    if scope.date_to is not None:
        conditions.append(Case.applied_on <= scope.date_to)
    if scope.date_from is not None:
        conditions.append(or_(Case.closed_on.is_(None), Case.closed_on >= scope.date_from))
    if scope.case_ids is not None:
        conditions.append(Case.id.in_(scope.case_ids))
    return conditions


def _stream(query: Select[Any]) -> Iterator[Any]:
    result = db.session.execute(query.execution_options(yield_per=FETCH_CHUNK, stream_results=True))
    try:
        yield from result
    finally:  # an export stopped half-way (its lease lost, an error) closes its server-side cursor too
        result.close()


def count_rows(scope: LedgerScope) -> int:
    """How many item rows a ledger will hold (to decide whether it runs in the background)."""
    return db.session.scalar(select(func.count()).select_from(_joined_rows(scope).order_by(None).subquery())) or 0


def write_ledger(
    out: str | BinaryIO,
    scope: LedgerScope,
    english: bool = False,
    max_rows: int = EXCEL_MAX_ROWS,
    progress: Callable[[int], None] | None = None,
    capture: dict[str, list[tuple[Any, ...]]] | None = None,
    progress_every: int = 5000,
    tmpdir: str | None = None,
) -> LedgerStats:
    """Write the whole ledger workbook to `out` (a path or a binary file object).

    `capture`, for the benchmark only, collects every row written per sheet (it costs memory). `progress` is
    called every `progress_every` item rows; the writer's temporary files go to `tmpdir` (default: the system's).
    """
    options = {"constant_memory": True, "in_memory": False, "strings_to_numbers": False}
    workbook = xlsxwriter.Workbook(out, {**options, "tmpdir": tmpdir} if tmpdir else options)
    try:
        return _fill_ledger(workbook, scope, english, max_rows, progress, capture, progress_every)
    except BaseException:
        _discard(workbook)
        raise


def _discard(workbook: xlsxwriter.Workbook) -> None:
    """Close and delete the temporary files of a workbook abandoned half-way (one per sheet in constant memory)."""
    for worksheet in workbook.worksheets():
        if worksheet.row_data_fh is not None and not worksheet.row_data_fh.closed:
            worksheet.row_data_fh.close()
        if worksheet.row_data_filename:
            Path(worksheet.row_data_filename).unlink(missing_ok=True)


def _fill_ledger(
    workbook: xlsxwriter.Workbook,
    scope: LedgerScope,
    english: bool,
    max_rows: int,
    progress: Callable[[int], None] | None,
    capture: dict[str, list[tuple[Any, ...]]] | None,
    progress_every: int,
) -> LedgerStats:
    on = today()
    calendar = work_calendar()
    book = LightBook(calendar, on, _yellow_days())
    index = WorkdayIndex(calendar, on - dt.timedelta(days=3 * 366), on)
    labels = _labels(english)
    period = _period_text(scope, english)
    scope = replace(scope, title_region=_title_region(scope))
    stats = LedgerStats()
    formats, headers = cell_formats(workbook)

    def sheet(spec: SheetSpec) -> SheetWriter:
        name = "Agency service work ledger" if english else "代办帮办专项工作台账"
        title = f"{scope.title_region} {name} · {spec.en if english else spec.zh} · {period}"
        return SheetWriter(workbook, spec, title, english, formats, headers, max_rows, stats)

    cases_sheet, items_sheet, overdue_sheet = sheet(CASES), sheet(ITEMS), sheet(OVERDUE)
    if capture is not None:
        for writer in (cases_sheet, items_sheet, overdue_sheet):
            writer.sink = capture.setdefault(writer.spec.key, [])
    reason: Callable[[str | None], str] = (lambda text: text or "") if scope.full_phones else mask_phones_in
    current: tuple[Any, ...] | None = None
    case_lights: list[Light] = []
    n_items = n_closed = 0

    def flush_case() -> None:
        if current is None:
            return
        state = current[5]
        light = Light.NONE
        if state in OPEN_CASE_VALUES:
            light = worst([*case_lights, book.light(current[17])])
        cases_sheet.append(
            (
                current[1],
                current[2],
                labels["channel"].get(current[3], current[3]),
                current[4],
                labels["case_state"].get(state, state),
                current[6] or "",
                current[7],
                current[8] or "",
                current[9],
                current[10],
                float(current[11]) if current[11] is not None else None,
                float(current[12]) if current[12] is not None else None,
                labels["category"].get(current[13], current[13]),
                ("Yes" if english else "是") if current[14] else "",
                current[15],
                current[16],
                current[17],
                current[18],
                n_items,
                n_closed,
                labels["light"].get(light.value, ""),
                reason(current[19]),
            ),
            light,
        )
        stats.cases += 1

    for row in _stream(_joined_rows(scope)):
        if current is None or row[0] != current[0]:
            flush_case()
            current, case_lights, n_items, n_closed = row, [], 0, 0
        if row[20] is None:
            continue  # a case without items
        item_state = row[24]
        n_items += 1
        n_closed += item_state in CLOSED_ITEM_VALUES
        light = book.item_values(item_state, row[25], row[27]) if row[5] in OPEN_CASE_VALUES else Light.NONE
        case_lights.append(light)
        used = None
        if row[26] is not None:
            end = row[28] or row[31] or on
            between = index.between(row[26], end)
            used = None if between is None else max(between - (row[30] or 0), 0)
        values = (
            row[1],
            row[2],
            row[7],
            row[9],
            row[6] or "",
            row[21],
            row[22] or "",
            labels["stage"].get(row[23], row[23]),
            labels["item_state"].get(item_state, item_state),
            row[25],
            row[26],
            row[27],
            row[28],
            used,
            row[29],
            row[30] or None,
            labels["light"].get(light.value, ""),
        )
        items_sheet.append(values, light)
        stats.items += 1
        # The overdue sheet follows the one definition (app.domain.urgency), as the summary's SQL does:
        # 超期办理 past the due date (an item paused after it stays overdue), 逾期申报 past the planned filing.
        kind = item_overdue(item_state, row[25], row[27], row[31], on)
        if kind is not None:
            overdue_sheet.append((*values[:-1], labels["overdue"][kind.value]), Light.RED)
            stats.overdue += 1
        if progress is not None and stats.items % progress_every == 0:
            progress(stats.items)
    flush_case()
    for writer in (cases_sheet, items_sheet, overdue_sheet):
        writer.close()
    evaluations_sheet = sheet(EVALUATIONS)
    _write_evaluations(evaluations_sheet, scope, labels, stats)
    summary = _write_summary(workbook, scope, labels, english, period, headers, on)
    writers = (cases_sheet, items_sheet, overdue_sheet, evaluations_sheet)
    stats.sheets = [name for writer in writers for name in writer.names] + [summary]
    _order_sheets(workbook, stats.sheets)
    workbook.close()
    if progress is not None:
        progress(stats.items)
    return stats


def _order_sheets(workbook: xlsxwriter.Workbook, names: list[str]) -> None:
    """Put each sheet's continuations ("事项台账 (2)") right after it, whenever they were added while streaming.

    XlsxWriter has no public way to move a sheet; its sheets are written, and their print titles and filters
    named, in the order of this list and by each sheet's index (pinned XlsxWriter 3.3; tests check the order).
    """
    position = {name: n for n, name in enumerate(names)}
    workbook.worksheets_objs.sort(key=lambda sheet: position[sheet.name])
    for index, sheet in enumerate(workbook.worksheets_objs):
        sheet.index = index


def _write_evaluations(
    writer: SheetWriter, scope: LedgerScope, labels: dict[str, dict[str, str]], stats: LedgerStats
) -> None:
    agent = aliased(Staff)
    query = (
        select(
            Case.number,
            Region.name,
            Case.project_name,
            Case.enterprise_name,
            agent.first_name,
            Evaluation.evaluated_on,
            Evaluation.level,
            Evaluation.comments,
        )
        .select_from(Evaluation)
        .join(Case, Case.id == Evaluation.case_id)
    )
    query = _with_case_context(query, agent).where(*_case_conditions(scope)).order_by(Region.code, Case.number)
    if scope.item_ids is not None:
        query = query.where(Case.id.in_(select(CaseItem.case_id).where(CaseItem.id.in_(scope.item_ids))))
    for number, region, project, enterprise, agent_name, on, level, comments in _stream(query):
        national = NATIONAL_LEVEL.get(Satisfaction(level), "") if level in {s.value for s in Satisfaction} else ""
        writer.append(
            (
                number,
                region,
                project,
                enterprise,
                agent_name or "",
                on,
                labels["level"].get(level, level),
                national,
                comments or "",
            )
        )
        stats.evaluations += 1
    writer.close()


def _write_summary(
    workbook: xlsxwriter.Workbook,
    scope: LedgerScope,
    labels: dict[str, dict[str, str]],
    english: bool,
    period: str,
    headers: dict[str, Any],
    on: dt.date,
) -> str:
    """Cases by region × state and the two overdue figures (超期办理, 逾期申报), each aggregated in SQL."""
    name = "Summary" if english else "汇总"
    sheet = workbook.add_worksheet(name)
    states = [s.value for s in CaseState]
    kinds = (Overdue.HANDLING, Overdue.FILING)
    last = len(states) + 1 + len(kinds)
    what = "case counts by region and state" if english else "代办案件分地区分状态统计"
    title = f"{scope.title_region} {what} · {period}"
    sheet.merge_range(0, 0, 0, last, title, headers["title"])
    sheet.merge_range(1, 1, 1, len(states), "Cases by state" if english else "案件状态", headers["group"])
    sheet.write_string(1, 0, "", headers["group"])
    sheet.write_string(1, len(states) + 1, "Totals" if english else "合计", headers["group"])
    sheet.merge_range(1, len(states) + 2, 1, last, "Overdue items" if english else "超期事项", headers["group"])
    sheet.write_string(2, 0, "Region" if english else "地区", headers["head"])
    for col, state in enumerate(states, start=1):
        sheet.write_string(2, col, labels["case_state"][state], headers["head"])
    sheet.write_string(2, len(states) + 1, "Cases" if english else "案件合计", headers["head"])
    for col, kind in enumerate(kinds, start=len(states) + 2):
        sheet.write_string(2, col, labels["overdue"][kind.value], headers["head"])
    sheet.set_column(0, 0, 12)
    sheet.set_column(1, last, 9)
    sheet.set_row(2, row_height(2))
    sheet.freeze_panes(3, 1)
    _print_setup(sheet, title, english, rows=(1, 2))
    sheet.fit_to_pages(1, 0)  # one page wide, however many states: the region column never separates
    sheet.repeat_columns(0)
    conditions = _case_conditions(scope)
    if scope.item_ids is not None:
        conditions.append(Case.id.in_(select(CaseItem.case_id).where(CaseItem.id.in_(scope.item_ids))))
    counts = db.session.execute(
        select(Region.code, Region.name, Case.state, func.count(Case.id))
        .join(Region, Region.id == Case.region_id)
        .where(*conditions)
        .group_by(Region.code, Region.name, Case.state)
        .order_by(Region.code)
    ).all()
    table: dict[tuple[str, str], dict[str, int]] = {}
    for code, region_name, state, n in counts:
        table.setdefault((code, region_name), {})[state] = n
    overdue = _overdue_by_region(scope, on, kinds)
    row = 3
    totals = [0] * (len(states) + 1 + len(kinds))
    for (code, region_name), by_state in table.items():
        sheet.write_string(row, 0, region_name, headers["label"])
        values = [by_state.get(s, 0) for s in states]
        values += [sum(values), *overdue.get(code, (0,) * len(kinds))]
        for col, value in enumerate(values, start=1):
            sheet.write_number(row, col, value, headers["cell"])
            totals[col - 1] += value
        row += 1
    sheet.write_string(row, 0, "Total" if english else "合计", headers["total_label"])
    for col, value in enumerate(totals, start=1):
        sheet.write_number(row, col, value, headers["total"])
    sheet.print_area(1, 0, row, last)
    return name


def _overdue_by_region(scope: LedgerScope, on: dt.date, kinds: tuple[Overdue, ...]) -> dict[str, tuple[int, ...]]:
    """Per region code, how many of the ledger's items count in each overdue figure on `on` (one query)."""
    query = (
        select(Region.code, *overdue_counts(kinds, on))
        .select_from(CaseItem)
        .join(Case, Case.id == CaseItem.case_id)
        .join(Region, Region.id == Case.region_id)
        .where(*_case_conditions(scope))
        .group_by(Region.code)
    )
    if scope.item_ids is not None:
        query = query.where(CaseItem.id.in_(scope.item_ids))
    return {code: tuple(int(n) for n in ns) for code, *ns in db.session.execute(query)}


def _period_text(scope: LedgerScope, english: bool) -> str:
    """“2026-01-01 至 2026-11-30”, or with no start “截至 2026-11-30” (not “起 至 …”)."""
    end = (scope.date_to or today()).isoformat()
    if scope.date_from is None:
        return f"up to {end}" if english else f"截至 {end}"
    start = scope.date_from.isoformat()
    return f"{start} – {end}" if english else f"{start} 至 {end}"


def _title_region(scope: LedgerScope) -> str:
    """The region a ledger is about: the one region its rows lie in (a list filtered to 达拉特旗 is 达拉特旗's
    ledger, even when a city user exports it), else the user's own."""
    regions = db.session.scalars(
        select(Region.name).where(Region.id.in_(select(Case.region_id).where(*_case_conditions(scope)).distinct()))
        if scope.item_ids is None
        else select(Region.name).where(
            Region.id.in_(
                select(Case.region_id)
                .join(CaseItem, CaseItem.case_id == Case.id)
                .where(*_case_conditions(scope), CaseItem.id.in_(scope.item_ids))
                .distinct()
            )
        )
    ).all()
    return regions[0] if len(regions) == 1 else scope.title_region


def _yellow_days() -> int:
    from flask import current_app

    return current_app.config["TRAFFIC_YELLOW_DAYS"]


def region_scope_for(code: str) -> tuple[Region, list[int]]:
    """A region and every region below it (the city's ledger covers its banners)."""
    region = db.session.scalar(select(Region).where(Region.code == code))
    if region is None:
        from app.domain.errors import NotFound

        raise NotFound()
    edges = db.session.execute(select(Region.id, Region.parent_id)).all()
    ids, frontier = {region.id}, [region.id]
    while frontier:
        parent = frontier.pop()
        for child, parent_id in edges:
            if parent_id == parent and child not in ids:
                ids.add(child)
                frontier.append(child)
    return region, sorted(ids)
