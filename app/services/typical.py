"""典型案例: write-ups of cases drafted by agents and decided by the city service bureau.

Who sees a write-up: the staff of the case's region always; the city bureau's supervisors once it is
submitted; every agent and supervisor of the city once it is adopted (the 典型案例库). Moves go through the
one engine (`app.services.engine`); the write-up's timeline is keyed by subject "typical", and the case's
own timeline gets one line when its write-up is adopted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import and_, false, func, or_, select, true

from app.domain.engine import Step, Transition, actions_for
from app.domain.enums import RegionLevel, RoleName
from app.domain.errors import N_, Forbidden, NotFound, ValidationError
from app.domain.typical import (
    ACTION_LABELS,
    EDITABLE_STATES,
    ENDED_STATES,
    NEED_CHECKS,
    TYPICAL_TRANSITIONS,
    NotOwnRegion,
    TypicalState,
    clean_text,
    current_version,
)
from app.extensions import db
from app.models import Case, CaseEvent, Region, Staff, TypicalCase, TypicalCaseVersion
from app.models.org import now
from app.services import engine
from app.services.clock import today
from app.services.engine import check_version, committing, record_event, touch
from app.services.scope import city_region_ids, is_admin, role_names, visible_region_ids
from app.services.uow import transaction

SUBJECT = "typical"
READERS = frozenset({RoleName.AGENT.value, RoleName.SUPERVISOR.value})


def _region_level(actor: Staff) -> str | None:
    return actor.region.level if actor.region is not None else None


def is_city_bureau(actor: Staff) -> bool:
    """A supervisor of the city level: the one who adopts or returns write-ups."""
    return RoleName.SUPERVISOR.value in role_names(actor) and _region_level(actor) == RegionLevel.CITY.value


# --- who sees what ----------------------------------------------------------------------------------------


def visible_clause(actor: Staff | None) -> Any:
    """SQL: the write-ups `actor` may see (own region's in any state, submitted to their bureau, adopted city-wide)."""
    if is_admin(actor):
        return true()
    if actor is None or actor.region_id is None or not role_names(actor) & READERS:
        return false()
    clauses = [
        TypicalCase.region_id == actor.region_id,
        and_(TypicalCase.state == TypicalState.ACCEPTED.value, TypicalCase.region_id.in_(city_region_ids(actor))),
    ]
    if is_city_bureau(actor):
        clauses.append(
            and_(
                TypicalCase.state == TypicalState.SUBMITTED.value,
                TypicalCase.region_id.in_(visible_region_ids(actor)),
            )
        )
    return or_(*clauses)


def load_writeup(typical_id: int, actor: Staff) -> TypicalCase:
    """A write-up in the actor's sight, or NotFound (never a hint that it exists elsewhere)."""
    record = db.session.scalar(select(TypicalCase).where(TypicalCase.id == typical_id, visible_clause(actor)))
    if record is None:
        raise NotFound()
    return record


def _invalid(action: str, state: str) -> engine.InvalidMove:
    return engine.InvalidMove(action=ACTION_LABELS.get(action, action), state=TypicalState(state).label)


def _case_line(record: TypicalCase, context: Any) -> None:
    """When a write-up is adopted, the case's own timeline says so."""
    if record.state == TypicalState.ACCEPTED.value:
        decider = db.session.get(Staff, record.decided_by_id) if record.decided_by_id else None
        record_event(
            "case",
            record.case_id,
            "typical_accepted",
            decider,
            case_id=record.case_id,
            on_date=record.decided_on,
            note=record.title,
        )


engine.register(
    engine.Machine(
        subject=SUBJECT,
        table=TYPICAL_TRANSITIONS,
        load=load_writeup,
        need_checks=NEED_CHECKS,
        invalid=_invalid,
        earliest=lambda record: record.submitted_on if record.state == TypicalState.SUBMITTED.value else None,
        case_id=lambda record: None,  # the write-up's steps stay on its own timeline (adoption: see _case_line)
        after=_case_line,
    )
)


# --- writing ----------------------------------------------------------------------------------------------


def _writer(actor: Staff, region_id: int) -> None:
    """Agents of the case's own region write its typical case."""
    if RoleName.AGENT.value not in role_names(actor):
        raise Forbidden()
    if actor.region_id != region_id:
        raise NotOwnRegion()


def open_writeup(case_id: int) -> TypicalCase | None:
    """The case's write-up that is not withdrawn, if any (a case has at most one at a time)."""
    return db.session.scalar(
        select(TypicalCase)
        .where(TypicalCase.case_id == case_id, TypicalCase.state.not_in(ENDED_STATES))
        .order_by(TypicalCase.id)
    )


def can_start(case: Case, actor: Staff) -> bool:
    """Whether `actor` may start a write-up of `case` now (an agent of its region, an accepted case, none open)."""
    return (
        RoleName.AGENT.value in role_names(actor)
        and actor.region_id == case.region_id
        and case.accepted_on is not None
        and open_writeup(case.id) is None
    )


def start_writeup(case_id: int, title: str, body: str, actor: Staff) -> TypicalCase:
    """A new write-up of a case, saved as a draft (version 1)."""
    from app.services.cases import case_for

    case = case_for(case_id, actor)
    _writer(actor, case.region_id)
    if case.accepted_on is None:
        raise ValidationError(N_("Only a case that was accepted can be written up as a typical case."))
    existing = open_writeup(case.id)
    if existing is not None:
        raise ValidationError(N_("This case already has a write-up: “%(title)s”."), title=existing.title)
    title, body = clean_text(title, body)
    with transaction():
        record = TypicalCase(
            region_id=case.region_id,
            case_id=case.id,
            title=title,
            state=TypicalState.DRAFT.value,
            current_version=1,
            created_by_id=actor.id,
            created_at=now(),
        )
        touch(record, actor)
        db.session.add(record)
        db.session.flush()
        db.session.add(
            TypicalCaseVersion(typical_case_id=record.id, number=1, title=title, body=body, written_by_id=actor.id)
        )
        record_event(SUBJECT, record.id, "start", actor, to_state=record.state, on_date=today(), note=title)
    return record


def save_writeup(
    typical_id: int, title: str, body: str, actor: Staff, expected_version: int | None = None
) -> TypicalCase:
    """Save the text: a draft rewrites its current version; a returned write-up is revised as a new version."""
    record = load_writeup(typical_id, actor)
    _writer(actor, record.region_id)
    check_version(record, expected_version)
    if record.state not in EDITABLE_STATES:
        raise ValidationError(N_("Only a draft or a returned write-up can be changed."))
    title, body = clean_text(title, body)
    version = current_version(record)
    with committing(record):
        if version is None or version.outcome:
            # The returned version stays as the city saw it; the revision is the next one.
            number = (version.number if version else 0) + 1
            db.session.add(
                TypicalCaseVersion(
                    typical_case_id=record.id, number=number, title=title, body=body, written_by_id=actor.id
                )
            )
            record.current_version, action = number, "revise"
        else:
            version.title, version.body, version.written_by_id, version.written_at = title, body, actor.id, now()
            action = "edit"
        record.title = title
        touch(record, actor)
        record_event(SUBJECT, record.id, action, actor, on_date=today(), note=f"v{record.current_version}")
    db.session.expire(record, ["versions"])
    return record


def move_writeup(
    typical_id: int,
    action: str,
    actor: Staff,
    on: dt.date | None = None,
    *,
    note: str = "",
    expected_version: int | None = None,
) -> TypicalCase:
    """Submit, adopt, return or withdraw a write-up (the rows of app.domain.typical say who and when)."""
    values = {"region_id": actor.region_id, "level": _region_level(actor)}
    record = engine.move(SUBJECT, typical_id, action, actor, Step(on or today(), note, values), expected_version)
    db.session.expire(record, ["versions"])
    return record


# --- reading ----------------------------------------------------------------------------------------------


def offered_actions(record: TypicalCase, actor: Staff) -> list[Transition]:
    """The steps `actor` is offered on `record`: the rows of their role whose region or level rule they meet."""
    values = {"region_id": actor.region_id, "level": _region_level(actor)}
    step = Step(today(), "", values, actor.id)
    rows = actions_for(TYPICAL_TRANSITIONS, record.state, role_names(actor))
    return [row for row in rows if row.guard is None or not isinstance(row.guard(record, step), Forbidden)]


def can_edit(record: TypicalCase, actor: Staff) -> bool:
    return (
        record.state in EDITABLE_STATES
        and RoleName.AGENT.value in role_names(actor)
        and actor.region_id == record.region_id
    )


def timeline(record: TypicalCase) -> list[CaseEvent]:
    return list(
        db.session.scalars(
            select(CaseEvent)
            .where(CaseEvent.subject_type == SUBJECT, CaseEvent.subject_id == record.id)
            .order_by(CaseEvent.at, CaseEvent.id)
        )
    )


def waiting_count(actor: Staff) -> int:
    """How many submitted write-ups wait for the actor's decision (city bureau supervisors only)."""
    if not is_city_bureau(actor):
        return 0
    return db.session.scalar(
        select(func.count(TypicalCase.id)).where(
            TypicalCase.state == TypicalState.SUBMITTED.value, TypicalCase.region_id.in_(visible_region_ids(actor))
        )
    )


def adopted_years(actor: Staff) -> list[int]:
    """The years in which write-ups the actor may read were adopted, newest first."""
    days = db.session.scalars(
        select(TypicalCase.decided_on).where(TypicalCase.state == TypicalState.ACCEPTED.value, visible_clause(actor))
    )
    return sorted({d.year for d in days if d is not None}, reverse=True)


@dataclass
class CaseTypical:
    """The case page's panel: the case's write-ups the actor sees, and whether they may start one."""

    writeups: list[TypicalCase]
    can_start: bool

    @staticmethod
    def state_label(record: TypicalCase) -> str:
        return TypicalState(record.state).label


def for_case(case: Case, actor: Staff) -> CaseTypical:
    """The typical-case write-ups about a case, for the case page."""
    writeups = list(
        db.session.scalars(
            select(TypicalCase).where(TypicalCase.case_id == case.id, visible_clause(actor)).order_by(TypicalCase.id)
        )
    )
    return CaseTypical(writeups, can_start(case, actor))


# --- demo -------------------------------------------------------------------------------------------------

DEMO_WRITEUPS = {
    "accepted": (
        "“容缺受理+并联审批”助力{project}提速落地",
        "一、基本情况\n{project}于{applied}申请代办帮办，涉及取水、规划、施工等多个审批事项。\n"
        "二、难点问题\n项目涉及取水、用地等多个前置审批，部分材料一时难以备齐。\n"
        "三、破解办法\n代办员提前介入，指导企业一次性备齐材料；对非核心材料实行容缺受理，"
        "相关部门并联审查。\n四、取得成效\n审批用时较承诺时限压缩一半以上，项目按期开工。",
        "请补充审批用时压缩的具体数据和企业评价。",
        "一、基本情况\n{project}于{applied}申请代办帮办，涉及取水、规划、施工等多个审批事项。\n"
        "二、难点问题\n项目涉及取水、用地等多个前置审批，部分材料一时难以备齐。\n"
        "三、破解办法\n代办员提前介入，指导企业一次性备齐材料；对非核心材料实行容缺受理，"
        "相关部门并联审查，会商联审协调取水指标。\n"
        "四、取得成效\n全部事项在承诺时限的45%内办结，较法定时限缩短60个工作日；企业评价“非常满意”。",
    ),
    "submitted": (
        "“帮办+会商”破解{project}用地难题",
        "一、基本情况\n{project}于{applied}申请代办帮办。\n二、难点问题\n项目用地涉及规划调整。\n"
        "三、破解办法\n代办员组织自然资源、住建部门会商，明确调整路径。\n四、取得成效\n用地手续提前办结。",
    ),
    "draft": (
        "全程代办让企业“只跑一次”",
        "一、基本情况\n{project}于{applied}申请代办帮办。\n二、难点问题\n（待补充）\n三、破解办法\n（待补充）\n四、取得成效\n（待补充）",
    ),
}


def _demo_cases(region: Region) -> list[Case]:
    closed = ("evaluated", "completed", "in_progress")
    found = db.session.scalars(
        select(Case).where(Case.region_id == region.id, Case.state.in_(closed)).order_by(Case.id)
    ).all()
    return sorted(found, key=lambda c: closed.index(c.state))


def _demo_staff(region: Region, role: RoleName) -> Staff | None:
    return db.session.scalars(
        select(Staff)
        .join(Staff.roles)
        .where(Role.name == role.value, Staff.region_id == region.id, Staff.active.is_(True))
        .order_by(Staff.id)
    ).first()


def seed_demo_typical() -> int:
    """Demo write-ups (accepted, returned, submitted, draft); returns how many were made."""
    from app.services.demo import DEMO_REGIONS

    city = db.session.scalar(
        select(Region).where(Region.level == RegionLevel.CITY.value, Region.code.in_(DEMO_REGIONS))
    )
    bureau = _demo_staff(city, RoleName.SUPERVISOR) if city is not None else None
    if bureau is None or db.session.scalar(select(func.count(TypicalCase.id))):
        return 0
    made = 0
    for code in DEMO_REGIONS:
        region = db.session.scalar(select(Region).where(Region.code == code))
        if region is None or region.level == RegionLevel.CITY.value:
            continue
        cases, agent = _demo_cases(region), _demo_staff(region, RoleName.AGENT)
        if agent is None:
            continue
        stories = ["accepted", "submitted", "draft"] if made == 0 else ["submitted"] if made < 4 else []
        for story, case in zip(stories, cases, strict=False):
            text = DEMO_WRITEUPS[story]
            fill = {"project": case.project_name, "applied": case.applied_on.isoformat()}
            record = start_writeup(case.id, text[0].format(**fill), text[1].format(**fill), agent)
            made += 1
            if story == "draft":
                continue
            move_writeup(record.id, "submit", agent)
            if story == "accepted":
                move_writeup(record.id, "return", bureau, note=text[2])
                save_writeup(record.id, record.title, text[3].format(**fill), agent)
                move_writeup(record.id, "submit", agent)
                move_writeup(record.id, "accept", bureau, note="经审核，予以采用，在全市推广。")
    return made
