"""Training plans (培训计划): attendance statuses, limits, and the sheets of the training ledger (培训台账)."""

from __future__ import annotations

from decimal import Decimal

from app.domain.enums import LabelledEnum, register_labels
from app.domain.errors import N_
from app.domain.ledger import Column, Group, Kind, SheetSpec


class AttendanceStatus(LabelledEnum):
    PRESENT = "present"
    ABSENT = "absent"
    EXCUSED = "excused"


register_labels(
    [
        (AttendanceStatus.PRESENT, N_("Present")),
        (AttendanceStatus.ABSENT, N_("Absent")),
        (AttendanceStatus.EXCUSED, N_("Excused")),
    ]
)

STATUS_VALUES = frozenset(s.value for s in AttendanceStatus)
# A plan's total hours and a session's: one decimal, as the column stores them.
MAX_PLAN_HOURS = Decimal("9999.9")
MAX_SESSION_HOURS = Decimal("24")
FIRST_YEAR, LAST_YEAR = 2000, 2100

C, G = Column, Group

PLANS = SheetSpec(
    "training_plans",
    "培训计划",
    "Plans",
    (
        G(
            "培训计划",
            "Plan",
            (
                C("region", "地区", "Region", width=10, wrap=True),
                C("year", "年度", "Year", Kind.INT, 6),
                C("title", "培训名称", "Title", width=24, wrap=True),
                C("starts_on", "开始日期", "Starts on", Kind.DATE, 10),
                C("ends_on", "结束日期", "Ends on", Kind.DATE, 10),
                C("organiser", "主办单位", "Organiser", width=16, wrap=True),
                C("audience", "培训对象", "Audience", width=16, wrap=True),
                C("trainer", "授课人", "Trainer", width=10, wrap=True),
                C("hours", "计划学时", "Planned hours", Kind.AMOUNT, 8),
            ),
        ),
        G(
            "实施情况",
            "Held",
            (
                C("sessions", "场次", "Sessions", Kind.INT, 6),
                C("session_hours", "已授学时", "Hours held", Kind.AMOUNT, 8),
                C("content", "培训内容", "Content", width=30, wrap=True),
            ),
        ),
    ),
)

SESSIONS = SheetSpec(
    "training_sessions",
    "培训场次",
    "Sessions",
    (
        G(
            "场次",
            "Session",
            (
                C("region", "地区", "Region", width=10, wrap=True),
                C("title", "培训名称", "Plan", width=24, wrap=True),
                C("held_on", "日期", "Date", Kind.DATE, 10),
                C("topic", "专题", "Topic", width=24, wrap=True),
                C("hours", "学时", "Hours", Kind.AMOUNT, 7),
            ),
        ),
        G(
            "出勤",
            "Attendance",
            (
                C("present", "出席", "Present", Kind.INT, 6),
                C("absent", "缺席", "Absent", Kind.INT, 6),
                C("excused", "请假", "Excused", Kind.INT, 6),
            ),
        ),
    ),
)

ATTENDANCE = SheetSpec(
    "training_attendance",
    "参训记录",
    "Attendance",
    (
        G(
            "场次",
            "Session",
            (
                C("region", "地区", "Region", width=10, wrap=True),
                C("title", "培训名称", "Plan", width=24, wrap=True),
                C("held_on", "日期", "Date", Kind.DATE, 10),
                C("topic", "专题", "Topic", width=20, wrap=True),
            ),
        ),
        G(
            "人员",
            "Staff",
            (
                C("name", "姓名", "Name", width=9, wrap=True),
                C("department", "部门", "Department", width=18, wrap=True),
                C("status", "出勤", "Status", width=7),
                C("hours", "计入学时", "Hours credited", Kind.AMOUNT, 8),
            ),
        ),
    ),
)

HOURS = SheetSpec(
    "training_hours",
    "学时统计",
    "Hours",
    (
        G(
            "人员",
            "Staff",
            (
                C("region", "地区", "Region", width=10, wrap=True),
                C("name", "姓名", "Name", width=9, wrap=True),
                C("department", "部门", "Department", width=20, wrap=True),
            ),
        ),
        G(
            "学时",
            "Hours",
            (
                C("sessions", "参训场次", "Sessions attended", Kind.INT, 8),
                C("hours", "学时合计", "Hours", Kind.AMOUNT, 8),
                C("untrained", "本年未参训", "No training this year", width=9),
            ),
        ),
    ),
)

SHEETS = (PLANS, SESSIONS, ATTENDANCE, HOURS)
