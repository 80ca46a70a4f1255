"""The special work ledger (专项工作台账): its sheets, column groups, cell kinds and printed pages, as data."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

EXCEL_MAX_ROWS = 1_048_576

# The printed ledger: A4 landscape, cells in 10 pt, never printed smaller than 7 pt (a scale of 70 %).
PAPER_WIDTH_IN = 297 / 25.4
SIDE_MARGIN_IN = 0.35
CELL_FONT_PT = 10
MIN_PRINTED_PT = 7
MIN_PRINT_SCALE = -(-MIN_PRINTED_PT * 100 // CELL_FONT_PT)  # 70
# Spreadsheet programs measure columns with slightly different font metrics: keep 4 % of the width spare
# so a page packed here is not broken again by LibreOffice or Excel.
PRINT_WIDTH_SPARE = 0.92
# Wrapped text sets its row's height here (LibreOffice does not grow rows on opening a file): a 10 pt
# Chinese character is 13.3 px wide, a Latin one about 6; a line of 10 pt text takes 13.5 pt.
WIDE_CHAR_PX = 13.4
NARROW_CHAR_PX = 6.2
LINE_PT = 13.5
CELL_PADDING_PX = 6
# Characters that make a spreadsheet treat text as a formula (CSV/formula injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Kind(StrEnum):
    TEXT = "text"
    DATE = "date"
    INT = "int"
    AMOUNT = "amount"


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    kind: Kind = Kind.TEXT
    width: float = 12
    wrap: bool = False  # long names wrap inside the column instead of being clipped


@dataclass(frozen=True)
class Group:
    zh: str
    en: str
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class SheetSpec:
    key: str
    zh: str
    en: str
    groups: tuple[Group, ...]
    keys: int = 1  # leading columns that identify a row, repeated on every printed page of a wide sheet

    @property
    def columns(self) -> tuple[Column, ...]:
        return tuple(c for g in self.groups for c in g.columns)


def one_line_chars(width: float) -> int:
    """Any text up to this many characters fits one line of a column `width` characters wide."""
    return int((column_pixels(width) - CELL_PADDING_PX) // WIDE_CHAR_PX)


def text_lines(text: str, width: float) -> int:
    """How many lines `text` wraps to in a column `width` characters wide (an estimate that errs long)."""
    room = column_pixels(width) - CELL_PADDING_PX
    if len(text) * WIDE_CHAR_PX <= room and "\n" not in text:
        return 1  # fits even if every character is wide: the common case, decided without measuring
    lines = 0
    for part in text.split("\n"):
        wide = (len(part.encode("utf-8")) - len(part)) // 2  # CJK characters take three bytes, Latin one
        pixels = wide * WIDE_CHAR_PX + (len(part) - wide) * NARROW_CHAR_PX
        lines += max(1, -int(-pixels * 1.08 // room))  # 8 % for words that wrap early
    return lines


def row_height(lines: int) -> float:
    """The row height in points that shows `lines` lines of 10 pt text."""
    return round(LINE_PT * lines + 1, 1)


def column_pixels(width: float) -> int:
    """A column's width in pixels as Excel computes it from its width in characters (Calibri 11)."""
    return int(width * 12 + 0.5) if width < 1 else int(width * 7 + 0.5) + 5


@dataclass(frozen=True)
class PrintLayout:
    """How a sheet prints: a fixed scale and the columns where a new page begins (the key columns repeat)."""

    scale: int
    breaks: tuple[int, ...]

    @property
    def pages_wide(self) -> int:
        return len(self.breaks) + 1

    def page_columns(self, n_columns: int) -> list[tuple[int, int]]:
        """First and last column index of each printed page, before the repeated key columns."""
        starts = (0, *self.breaks)
        ends = (*(b - 1 for b in self.breaks), n_columns - 1)
        return list(zip(starts, ends, strict=True))


def printable_pixels(scale: int) -> float:
    """The column pixels one page holds at `scale` percent."""
    width_pt = (PAPER_WIDTH_IN - 2 * SIDE_MARGIN_IN) * 72 * PRINT_WIDTH_SPARE
    return width_pt / 0.75 * 100 / scale  # a pixel is 0.75 pt at 100 %


def print_layout(spec: SheetSpec) -> PrintLayout:
    """Pack whole column groups onto pages at the smallest readable scale, then print as large as they allow.

    A sheet that fits one page wide prints one page wide; a wider one is split between its column groups,
    each later page repeating the key columns, so no text is printed below MIN_PRINTED_PT.
    """
    widths = [column_pixels(c.width) for c in spec.columns]
    keys = sum(widths[: spec.keys])
    budget = printable_pixels(MIN_PRINT_SCALE)
    breaks: list[int] = []
    pages: list[int] = []
    start = used = 0
    for group in spec.groups:
        span = sum(widths[start : start + len(group.columns)])
        if start and used + span > budget:
            pages.append(used)
            breaks.append(start)
            used = keys
        used += span
        start += len(group.columns)
    pages.append(used)
    widest = max(pages)
    if widest > budget:
        raise ValueError(f"a column group of sheet {spec.key} does not fit one page at {MIN_PRINT_SCALE} %")
    scale = min(100, int(100 * printable_pixels(100) / widest))
    return PrintLayout(scale, tuple(breaks))


C, G = Column, Group

CASE_COLUMNS = (
    G(
        "基本情况",
        "Case",
        (
            C("number", "案件编号", "Case no.", width=17),
            C("region", "地区", "Region", width=8, wrap=True),
            C("channel", "申请渠道", "Channel", width=8, wrap=True),
            C("applied_on", "申请日期", "Applied on", Kind.DATE, 10),
            C("state", "状态", "State", width=8, wrap=True),
            C("agent", "代办员", "Agent", width=8, wrap=True),
        ),
    ),
    G(
        "项目情况",
        "Project",
        (
            C("project", "项目名称", "Project", width=22, wrap=True),
            C("project_code", "项目编码", "Project code", width=13, wrap=True),
            C("enterprise", "项目单位", "Enterprise", width=20, wrap=True),
            C("credit_code", "统一社会信用代码", "Credit code", width=19),
            C("total_investment", "总投资（万元）", "Total investment (10k yuan)", Kind.AMOUNT, 11),
            C("planned_investment", "当年计划投资（万元）", "This year (10k yuan)", Kind.AMOUNT, 11),
            C("category", "项目类别", "Category", width=10, wrap=True),
            C("key_project", "重点项目", "Key project", width=6),
        ),
    ),
    G(
        "办理情况",
        "Handling",
        (
            C("accepted_on", "受理日期", "Accepted on", Kind.DATE, 10),
            C("entrusted_on", "签约日期", "Entrusted on", Kind.DATE, 10),
            C("planned_end", "计划办结", "Planned end", Kind.DATE, 10),
            C("closed_on", "办结/终止日期", "Closed on", Kind.DATE, 10),
            C("items", "事项数", "Items", Kind.INT, 6),
            C("items_closed", "已办结事项", "Items closed", Kind.INT, 7),
            C("light", "预警", "Urgency", width=8, wrap=True),
            C("close_reason", "终止/不予受理原因", "Reason", width=24, wrap=True),
        ),
    ),
)

ITEM_COLUMNS = (
    G(
        "案件",
        "Case",
        (
            C("number", "案件编号", "Case no.", width=17),
            C("region", "地区", "Region", width=8, wrap=True),
            C("project", "项目名称", "Project", width=19, wrap=True),
            C("enterprise", "项目单位", "Enterprise", width=17, wrap=True),
            C("agent", "代办员", "Agent", width=7, wrap=True),
        ),
    ),
    G(
        "审批事项",
        "Approval item",
        (
            C("item", "事项名称", "Item", width=20, wrap=True),
            C("department", "承办部门", "Department", width=12, wrap=True),
            C("stage", "所属阶段", "Stage", width=10, wrap=True),
            C("state", "办理状态", "State", width=9, wrap=True),
        ),
    ),
    G(
        "办理时间",
        "Dates",
        (
            C("planned_filing_on", "计划申报", "Planned filing", Kind.DATE, 10),
            C("accepted_on", "受理日期", "Accepted on", Kind.DATE, 10),
            C("due_on", "办理期限", "Due on", Kind.DATE, 10),
            C("closed_on", "办结日期", "Closed on", Kind.DATE, 10),
        ),
    ),
    G(
        "时限（工作日）",
        "Working days",
        (
            C("days_used", "已用", "Used", Kind.INT, 5),
            C("limit", "时限", "Limit", Kind.INT, 5),
            C("paused_days", "暂停", "Paused", Kind.INT, 5),
        ),
    ),
    G("预警", "Urgency", (C("light", "预警", "Urgency", width=7, wrap=True),)),
)

EVALUATION_COLUMNS = (
    G(
        "案件",
        "Case",
        (
            C("number", "案件编号", "Case no.", width=17),
            C("region", "地区", "Region", width=8, wrap=True),
            C("project", "项目名称", "Project", width=24, wrap=True),
            C("enterprise", "项目单位", "Enterprise", width=22, wrap=True),
            C("agent", "代办员", "Agent", width=8, wrap=True),
        ),
    ),
    G(
        "评价",
        "Evaluation",
        (
            C("evaluated_on", "评价日期", "Evaluated on", Kind.DATE, 10),
            C("level", "评价（三级）", "Level", width=9, wrap=True),
            C("national", "好差评（五级）", "National scale", width=10, wrap=True),
            C("comments", "意见建议", "Comments", width=40, wrap=True),
        ),
    ),
)

CASES = SheetSpec("cases", "案件台账", "Cases", CASE_COLUMNS)
ITEMS = SheetSpec("items", "事项台账", "Items", ITEM_COLUMNS)
# The overdue sheet lists both figures of app.domain.urgency, each row saying which one it counts in.
OVERDUE_COLUMNS = (
    *ITEM_COLUMNS[:-1],
    G("超期类型", "Overdue", (C("overdue_kind", "超期类型", "Kind", width=8, wrap=True),)),
)
OVERDUE = SheetSpec("overdue", "超期事项", "Overdue", OVERDUE_COLUMNS)
EVALUATIONS = SheetSpec("evaluations", "服务评价", "Evaluations", EVALUATION_COLUMNS)
