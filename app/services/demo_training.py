"""Demo training year: a plan per demo region with past sessions and attendance, through the real services.

Idempotent: a region that already has a plan this year is left alone. Attendance is mixed on purpose
(present, absent, excused) and the last person of each region attends nothing, so the hours page shows
someone with no training this year.
"""

from __future__ import annotations

import datetime as dt

from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import func, select

from app.domain.enums import RoleName
from app.extensions import db
from app.models import Region, Staff
from app.models.training import TrainingPlan
from app.services import training
from app.services.clock import today
from app.services.demo import DEMO_REGIONS
from app.services.work_calendar import work_calendar

PLANS = [
    (
        "代办帮办业务能力提升培训",
        "代办员、部门代办员",
        "代办流程、容缺受理与告知承诺、并联审批实务",
        [
            ((3, 18), "3", "代办帮办工作流程与服务规范"),
            ((6, 17), "2.5", "容缺受理与告知承诺"),
            ((9, 16), "3", "并联审批与会商联审"),
        ],
    ),
]
CITY_PLAN = (
    "政务服务标准化专题培训",
    "市、旗区政务服务部门工作人员",
    "政务服务事项标准化、好差评制度",
    [((5, 20), "2", "政务服务事项标准化")],
)
TRAINERS = ("市政务服务局 张明", "自治区政务服务局 刘芳")


def _workday_on_or_before(day: dt.date) -> dt.date:
    calendar = work_calendar()
    while not calendar.is_workday(day):
        day -= dt.timedelta(days=1)
    return day


def _organiser(region: Region) -> Staff | None:
    """The region's agent keeps its plans (the admin where a region has none)."""
    agent = db.session.scalars(
        select(Staff)
        .join(Staff.roles)
        .where(Staff.region_id == region.id, Staff.active.is_(True), Role.name == RoleName.AGENT.value)
        .order_by(Staff.id)
    ).first()
    if agent is not None:
        return agent
    return db.session.scalars(select(Staff).join(Staff.roles).where(Role.name == RoleName.ADMIN.value)).first()


def _status(person: int, session: int) -> str:
    if (person + session) % 5 == 3:
        return "absent"
    if (person + session) % 7 == 4:
        return "excused"
    return "present"


def seed_demo_training() -> int:
    """A training year for each demo region (and a second plan for the city); returns the plans created."""
    year = today().year
    made = 0
    for code in DEMO_REGIONS:
        region = db.session.scalar(select(Region).where(Region.code == code))
        if region is None or db.session.scalar(
            select(func.count(TrainingPlan.id)).where(TrainingPlan.region_id == region.id, TrainingPlan.year == year)
        ):
            continue
        organiser = _organiser(region)
        if organiser is None:
            continue
        plans = [*PLANS, CITY_PLAN] if region.level == "city" else PLANS
        for n, (title, audience, content, sessions) in enumerate(plans):
            _plan(region, organiser, year, title, audience, content, sessions, TRAINERS[n % len(TRAINERS)])
            made += 1
    return made


def _plan(
    region: Region,
    organiser: Staff,
    year: int,
    title: str,
    audience: str,
    content: str,
    sessions: list[tuple[tuple[int, int], str, str]],
    trainer: str,
) -> None:
    on = today()
    held = [(_workday_on_or_before(dt.date(year, m, d)), hours, topic) for (m, d), hours, topic in sessions]
    held = [entry for entry in held if entry[0] <= on] or [(_workday_on_or_before(on), sessions[0][1], sessions[0][2])]
    total = sum(float(hours) for _, hours, _ in sessions)
    plan = training.create_plan(
        region.id,
        {
            "year": year,
            "title": title,
            "starts_on": dt.date(year, 1, 1),
            "ends_on": dt.date(year, 12, 31),
            "organiser": f"{region.name}行政审批和政务服务局",
            "audience": audience,
            "hours": f"{total:.1f}",
            "content": content,
            "trainer": trainer,
        },
        organiser,
    )
    people = training.region_staff(region.id)
    for j, (day, hours, topic) in enumerate(held):
        session = training.add_session(plan.id, day, hours, topic, organiser)
        # The last person of the region attends nothing this year: the hours page lists them.
        statuses = {person.id: _status(i, j) for i, person in enumerate(people[:-1])}
        if statuses:
            training.record_attendance(session.id, statuses, organiser)
