"""会商联审 as rows: joint review meetings, their decisions (议定事项) and the escalations that feed them.

The same vocabulary as cases and items (`app.domain.engine`): each row names who may take it, what must
be filled first, its guard and its effect; `app.services.engine` moves them all.
"""

from __future__ import annotations

from typing import Any

from app.domain.engine import SYSTEM, Context, Follow, Guard, Step, Transition
from app.domain.enums import LabelledEnum, RoleName, register_labels
from app.domain.errors import N_, DomainError, ValidationError
from app.domain.ledger import Column, Group, Kind, SheetSpec


class ReviewKind(LabelledEnum):
    JOINT_REVIEW = "joint_review"
    MULTI_ASSESSMENT = "multi_assessment"
    MULTI_DRAWING = "multi_drawing"
    JOINT_ACCEPTANCE = "joint_acceptance"


class ConvenedBy(LabelledEnum):
    SERVICE_DEPT = "service_dept"
    GOVERNMENT = "government"


class ReviewState(LabelledEnum):
    PREPARING = "preparing"
    HELD = "held"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class DecisionState(LabelledEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class EscalationState(LabelledEnum):
    WAITING = "waiting"
    TAKEN = "taken"
    WITHDRAWN = "withdrawn"


# The member departments of a joint review named by the plan (Attachment 1), as department kinds.
REVIEW_DEPARTMENT_KINDS: tuple[str, ...] = (
    "统战部门",
    "国安部门",
    "发改部门",
    "自然资源部门",
    "住建部门",
    "工业和信息化部门",
    "生态环境部门",
    "林业和草原部门",
    "水利部门",
    "应急管理部门",
    "农牧部门",
    "能源部门",
    "交通部门",
    "气象部门",
    "电业部门",
)

CONVENERS = frozenset({RoleName.SUPERVISOR, RoleName.AGENT})
DECISION_KEEPERS = frozenset({RoleName.SUPERVISOR, RoleName.AGENT, RoleName.LIAISON})
AGENT = frozenset({RoleName.AGENT})


class Need(LabelledEnum):
    REASON = "reason"
    NOTE = "note"
    MINUTES = "minutes"
    ATTENDANCE = "attendance"


NEED_MESSAGES = {
    Need.REASON: N_("Give the reason."),
    Need.NOTE: N_("Say what was done (a note)."),
    Need.MINUTES: N_("Write the minutes before issuing them."),
    Need.ATTENDANCE: N_("Record which departments attended before marking the meeting as held."),
}


def _unmet(need: Need) -> ValidationError:
    return ValidationError(NEED_MESSAGES[need])


NEED_CHECKS: dict[Any, Guard] = {
    Need.REASON: lambda record, step: None if step.note else _unmet(Need.REASON),
    Need.NOTE: lambda record, step: None if step.note else _unmet(Need.NOTE),
    Need.MINUTES: lambda review, step: None if (review.minutes or "").strip() else _unmet(Need.MINUTES),
    Need.ATTENDANCE: lambda review, step: (
        None
        if review.participants and all(p.attended is not None for p in review.participants)
        else _unmet(Need.ATTENDANCE)
    ),
}


def meeting_date_reached(review: Any, step: Step) -> DomainError | None:
    """A meeting is held on or after its date, never before."""
    if step.on < review.held_on:
        return ValidationError(
            N_("The meeting is planned for %(day)s; it cannot have been held before."), day=str(review.held_on)
        )
    return None


def _hold(review: Any, step: Step, context: Context) -> None:
    review.held_on = step.on


def _cancel_review(review: Any, step: Step, context: Context) -> None:
    review.cancel_reason = step.note[:4000]


def _close_decision(decision: Any, step: Step, context: Context) -> None:
    decision.closed_on = step.on
    decision.close_note = step.note[:4000]


def _take_up(escalation: Any, step: Step, context: Context) -> None:
    escalation.review_id = step.get("review_id")


def _release(escalation: Any, step: Step, context: Context) -> None:
    # Back on the waiting list for the next meeting; the cancelled meeting keeps its own record of it.
    escalation.review_id = None


# A cancelled meeting gives the escalations it had taken up back to the waiting list.
RELEASE_ESCALATIONS = Follow("escalation", "release")


REVIEW_TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        ReviewState.PREPARING,
        "hold",
        ReviewState.HELD,
        CONVENERS,
        (Need.ATTENDANCE,),
        guard=meeting_date_reached,
        effect=_hold,
    ),
    Transition(ReviewState.HELD, "publish", ReviewState.PUBLISHED, CONVENERS, (Need.MINUTES,)),
    *(
        Transition(
            state,
            "cancel",
            ReviewState.CANCELLED,
            CONVENERS,
            (Need.REASON,),
            effect=_cancel_review,
            follows=(RELEASE_ESCALATIONS,),
        )
        for state in (ReviewState.PREPARING, ReviewState.HELD)
    ),
)

DECISION_TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        DecisionState.OPEN, "fulfil", DecisionState.DONE, DECISION_KEEPERS, (Need.NOTE,), effect=_close_decision
    ),
    Transition(DecisionState.OPEN, "drop", DecisionState.CANCELLED, CONVENERS, (Need.REASON,), effect=_close_decision),
)

ESCALATION_TRANSITIONS: tuple[Transition, ...] = (
    Transition(EscalationState.WAITING, "take_up", EscalationState.TAKEN, CONVENERS, effect=_take_up),
    Transition(EscalationState.WAITING, "withdraw", EscalationState.WITHDRAWN, AGENT, (Need.REASON,)),
    Transition(EscalationState.TAKEN, "release", EscalationState.WAITING, frozenset({SYSTEM}), effect=_release),
)

ACTION_LABELS: dict[str, str] = {
    "hold": N_("Mark as held"),
    "publish": N_("Issue the minutes"),
    "cancel": N_("Cancel the meeting"),
    "fulfil": N_("Mark as carried out"),
    "drop": N_("Cancel the decision"),
    "take_up": N_("Take up in a meeting"),
    "withdraw": N_("Withdraw the escalation"),
    "release": N_("Back to waiting (meeting cancelled)"),
    "reschedule": N_("Meeting rescheduled"),
    # Timeline entries that are not state moves.
    "plan_review": N_("Meeting planned"),
    "decide": N_("Decision recorded"),
    "escalate": N_("Escalated to joint review"),
    "attendance": N_("Attendance recorded"),
    "minutes": N_("Minutes written"),
}


register_labels(
    [
        (ReviewKind.JOINT_REVIEW, N_("Joint review (会商联审)")),
        (ReviewKind.MULTI_ASSESSMENT, N_("Multiple assessments in one (多评合一)")),
        (ReviewKind.MULTI_DRAWING, N_("Joint drawing review (多图联审)")),
        (ReviewKind.JOINT_ACCEPTANCE, N_("Joint acceptance (联合验收)")),
        (ConvenedBy.SERVICE_DEPT, N_("Government service department")),
        (ConvenedBy.GOVERNMENT, N_("People's government of the level")),
        (ReviewState.PREPARING, N_("In preparation")),
        (ReviewState.HELD, N_("Held")),
        (ReviewState.PUBLISHED, N_("Minutes issued")),
        (ReviewState.CANCELLED, N_("Cancelled")),
        (DecisionState.OPEN, N_("To be carried out")),
        (DecisionState.DONE, N_("Carried out")),
        (DecisionState.CANCELLED, N_("Cancelled")),
        (EscalationState.WAITING, N_("Waiting for a meeting")),
        (EscalationState.TAKEN, N_("Taken up")),
        (EscalationState.WITHDRAWN, N_("Withdrawn")),
        (Need.REASON, N_("reason")),
        (Need.NOTE, N_("note")),
        (Need.MINUTES, N_("minutes")),
        (Need.ATTENDANCE, N_("attendance")),
    ]
)


# The 会商联审台账: meetings, and their decisions with their state (layout as the work ledger's).
REVIEW_SHEET = SheetSpec(
    "reviews",
    "会商联审台账",
    "Joint reviews",
    (
        Group(
            "会议",
            "Meeting",
            (
                Column("held_on", "会议日期", "Date", Kind.DATE, 11),
                Column("region", "地区", "Region", Kind.TEXT, 10),
                Column("kind", "类型", "Kind", Kind.TEXT, 12),
                Column("topic", "议题", "Topic", Kind.TEXT, 30, wrap=True),
                Column("convened_by", "召集单位", "Convened by", Kind.TEXT, 14),
                Column("chair", "主持人", "Chair", Kind.TEXT, 12),
                Column("state", "状态", "State", Kind.TEXT, 10),
            ),
        ),
        Group(
            "参会与议定",
            "Attendance and decisions",
            (
                Column("asked", "参会部门", "Departments asked", Kind.INT, 9),
                Column("present", "出席部门", "Attended", Kind.INT, 9),
                Column("decisions", "议定事项", "Decisions", Kind.INT, 9),
                Column("open", "待落实", "Open", Kind.INT, 8),
            ),
        ),
    ),
)
DECISION_SHEET = SheetSpec(
    "decisions",
    "议定事项台账",
    "Decisions",
    (
        Group(
            "会议",
            "Meeting",
            (
                Column("held_on", "会议日期", "Meeting date", Kind.DATE, 11),
                Column("topic", "议题", "Topic", Kind.TEXT, 22, wrap=True),
            ),
        ),
        Group(
            "议定事项",
            "Decision",
            (
                Column("text", "议定内容", "Decision", Kind.TEXT, 34, wrap=True),
                Column("department", "责任部门", "Responsible department", Kind.TEXT, 18, wrap=True),
                Column("person", "责任人", "Person", Kind.TEXT, 8),
                Column("case", "案件编号", "Case no.", Kind.TEXT, 17),
                Column("due_on", "期限", "Deadline", Kind.DATE, 11),
                Column("state", "状态", "State", Kind.TEXT, 9),
                Column("closed_on", "办结日期", "Closed on", Kind.DATE, 11),
                Column("close_note", "落实情况", "Outcome", Kind.TEXT, 20, wrap=True),
            ),
        ),
    ),
)
