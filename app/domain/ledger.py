"""The special work ledger (专项工作台账): its sheets, column groups and cell kinds, as data."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

EXCEL_MAX_ROWS = 1_048_576
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

    @property
    def columns(self) -> tuple[Column, ...]:
        return tuple(c for g in self.groups for c in g.columns)


C, G = Column, Group

CASE_COLUMNS = (
    G(
        "基本情况",
        "Case",
        (
            C("number", "案件编号", "Case no.", width=18),
            C("region", "地区", "Region", width=10),
            C("channel", "申请渠道", "Channel", width=10),
            C("applied_on", "申请日期", "Applied on", Kind.DATE, 11),
            C("state", "状态", "State", width=9),
            C("agent", "代办员", "Agent", width=12),
        ),
    ),
    G(
        "项目情况",
        "Project",
        (
            C("project", "项目名称", "Project", width=30),
            C("project_code", "项目编码", "Project code", width=26),
            C("enterprise", "项目单位", "Enterprise", width=28),
            C("credit_code", "统一社会信用代码", "Credit code", width=20),
            C("total_investment", "总投资（万元）", "Total investment (10k yuan)", Kind.AMOUNT, 12),
            C("planned_investment", "当年计划投资（万元）", "This year (10k yuan)", Kind.AMOUNT, 12),
            C("category", "项目类别", "Category", width=14),
            C("key_project", "重点项目", "Key project", width=8),
        ),
    ),
    G(
        "办理情况",
        "Handling",
        (
            C("accepted_on", "受理日期", "Accepted on", Kind.DATE, 11),
            C("entrusted_on", "签约日期", "Entrusted on", Kind.DATE, 11),
            C("planned_end", "计划办结", "Planned end", Kind.DATE, 11),
            C("closed_on", "办结/终止日期", "Closed on", Kind.DATE, 11),
            C("items", "事项数", "Items", Kind.INT, 7),
            C("items_closed", "已办结事项", "Items closed", Kind.INT, 9),
            C("light", "预警", "Urgency", width=8),
            C("close_reason", "终止/不予受理原因", "Reason", width=24),
        ),
    ),
)

ITEM_COLUMNS = (
    G(
        "案件",
        "Case",
        (
            C("number", "案件编号", "Case no.", width=18),
            C("region", "地区", "Region", width=10),
            C("project", "项目名称", "Project", width=28),
            C("enterprise", "项目单位", "Enterprise", width=26),
            C("agent", "代办员", "Agent", width=10),
        ),
    ),
    G(
        "审批事项",
        "Approval item",
        (
            C("item", "事项名称", "Item", width=32),
            C("department", "承办部门", "Department", width=20),
            C("stage", "所属阶段", "Stage", width=14),
            C("state", "办理状态", "State", width=10),
        ),
    ),
    G(
        "办理时间",
        "Dates",
        (
            C("planned_filing_on", "计划申报", "Planned filing", Kind.DATE, 11),
            C("accepted_on", "受理日期", "Accepted on", Kind.DATE, 11),
            C("due_on", "办理期限", "Due on", Kind.DATE, 11),
            C("closed_on", "办结日期", "Closed on", Kind.DATE, 11),
        ),
    ),
    G(
        "时限（工作日）",
        "Working days",
        (
            C("days_used", "已用", "Used", Kind.INT, 7),
            C("limit", "时限", "Limit", Kind.INT, 7),
            C("paused_days", "暂停", "Paused", Kind.INT, 7),
        ),
    ),
    G("预警", "Urgency", (C("light", "预警", "Urgency", width=8),)),
)

EVALUATION_COLUMNS = (
    G(
        "案件",
        "Case",
        (
            C("number", "案件编号", "Case no.", width=18),
            C("region", "地区", "Region", width=10),
            C("project", "项目名称", "Project", width=30),
            C("enterprise", "项目单位", "Enterprise", width=28),
            C("agent", "代办员", "Agent", width=12),
        ),
    ),
    G(
        "评价",
        "Evaluation",
        (
            C("evaluated_on", "评价日期", "Evaluated on", Kind.DATE, 11),
            C("level", "评价（三级）", "Level", width=10),
            C("national", "好差评（五级）", "National scale", width=12),
            C("comments", "意见建议", "Comments", width=40),
        ),
    ),
)

CASES = SheetSpec("cases", "案件台账", "Cases", CASE_COLUMNS)
ITEMS = SheetSpec("items", "事项台账", "Items", ITEM_COLUMNS)
OVERDUE = SheetSpec("overdue", "超期事项", "Overdue", ITEM_COLUMNS)
EVALUATIONS = SheetSpec("evaluations", "服务评价", "Evaluations", EVALUATION_COLUMNS)
