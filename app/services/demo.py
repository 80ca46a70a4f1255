"""Demo cases for a first run: a few dozen realistic cases across four regions, in every state.

Built through the real services (so every event, due date and pause is what production would record),
with dates counted back from today. Runs once per region: a region that has cases is left alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import func, select

from app.domain.codes import credit_check_character, org_check_character
from app.domain.enums import RoleName
from app.domain.errors import DomainError
from app.extensions import db
from app.models import Case, CatalogItem, Department, JointReview, Region, Staff
from app.services import cases, catalog, materials
from app.services.cases import PlanLine
from app.services.clock import today
from app.services.work_calendar import work_calendar

DEMO_REGIONS = {"150600": "city", "150621": "dlt", "150627": "yjhl", "150602": "ds"}
LIAISON_KINDS = {"water": "水利部门", "land": "自然资源部门", "housing": "住建部门", "dev": "发改部门"}

PROJECTS = [
    ("光伏治沙发电项目", "鄂尔多斯绿能光伏科技有限公司", "key", "98000"),
    ("煤制烯烃升级改造项目", "鄂尔多斯煤化新材料有限公司", "key", "356000"),
    ("绿氢制备及储运一体化项目", "内蒙古氢途能源有限公司", "tech_innovation", "126000"),
    ("大数据中心二期工程", "鄂尔多斯云谷数据科技有限公司", "investment_attraction", "54000"),
    ("现代物流园区建设项目", "蒙西现代物流集团有限公司", "investment_attraction", "32000"),
    ("风光储一体化示范项目", "鄂尔多斯风光储能有限公司", "encouraged", "210000"),
    ("羊绒制品智能工厂项目", "鄂尔多斯绒纺智造有限公司", "tech_innovation", "18500"),
    ("新能源重卡换电站项目", "蒙速新能源交通有限公司", "encouraged", "8600"),
    ("乡村振兴农牧产业园项目", "鄂尔多斯农牧发展有限公司", "other", "12800"),
]
ITEM_SETS = [
    ("取水许可审批", "建设用地规划许可证核发", "建筑工程施工许可证核发"),
    ("企业投资项目备案", "生产建设项目水土保持方案审批"),
    ("建设项目用地预审与选址意见书核发", "取水许可审批"),
]
# The state each demo case of a region ends in, in the order of PROJECTS.
STORY = [
    "submitted",
    "refused",
    "entrusted",  # "accepted" in every other region
    "planned",
    "in_progress_overdue",
    "in_progress_supplement",
    "completed",
    "evaluated",
    "terminated",
]


# Demo staff are people: the post shows in their role and department, not in their name.
PERSON_NAMES = [
    "杜晓红",
    "任建军",
    "武海燕",
    "苏日娜",
    "韩志刚",
    "乌兰",
    "贾立新",
    "薛丽萍",
    "宝音",
    "康文杰",
    "郭春梅",
    "巴特尔",
    "石磊",
    "田慧敏",
    "孟凡宇",
    "其其格",
    "阎永强",
    "梁晓东",
    "萨仁",
    "侯俊峰",
]


@dataclass
class DemoPeople:
    agent: Staff
    liaisons: dict[str, Staff]


def demo_staff(password_hash: str) -> list[tuple[str, str, str]]:
    """An agent and the four liaisons the demo cases need in each demo region (existing users kept)."""
    sm = current_app.appbuilder.sm
    created = []
    for code, prefix in DEMO_REGIONS.items():
        region = db.session.scalar(select(Region).where(Region.code == code))
        wanted = [(f"{prefix}_agent" if prefix not in ("city", "dlt") else None, RoleName.AGENT, "政务服务部门")]
        wanted += [(f"{prefix}_liaison_{short}", RoleName.LIAISON, kind) for short, kind in LIAISON_KINDS.items()]
        for username, role, kind in wanted:
            if username is None:
                continue
            department = db.session.scalar(
                select(Department).where(Department.region_id == region.id, Department.kind == kind)
            )
            # The first demo users of the city and 达拉特旗 already cover some of these posts.
            if role is RoleName.LIAISON and db.session.scalar(
                select(func.count(Staff.id)).where(Staff.department_id == department.id)
            ):
                continue
            if db.session.scalar(select(Staff).where(Staff.username == username)) is not None:
                continue
            user = Staff(
                username=username,
                email=f"{username}@demo.invalid",
                first_name=PERSON_NAMES[len(created) % len(PERSON_NAMES)],  # a person, not a bureau
                last_name="",
                active=True,
                password=password_hash,
                roles=[sm.find_role(role.value)],
                region=region,
                department=department,
                phone=f"0477-84{len(created) + 1:05d}",
            )
            db.session.add(user)
            created.append((username, role.value, region.name))
    db.session.commit()
    return created


def _people(region: Region) -> DemoPeople:
    staff = db.session.scalars(select(Staff).where(Staff.region_id == region.id, Staff.active.is_(True))).all()
    agent = next(s for s in staff if any(r.name == RoleName.AGENT.value for r in s.roles))
    liaisons = {
        s.department.kind: s for s in staff if s.department and any(r.name == RoleName.LIAISON.value for r in s.roles)
    }
    return DemoPeople(agent, liaisons)


def _credit_code(region_code: str, n: int) -> str:
    body = f"{n:08d}"
    first17 = "91" + region_code + body + org_check_character(body)
    return first17 + credit_check_character(first17)


# Catalog items of the demo regions that allow 容缺受理 / 告知承诺, so the journey can show both.
FAST_ACCEPTANCE = {
    "建筑工程施工许可证核发": {"allows_incomplete": True, "allows_commitment": True},
    "企业投资项目备案": {"allows_commitment": True},
    "生产建设项目水土保持方案审批": {"allows_incomplete": True},
}


def _allow_fast_acceptance(region: Region) -> None:
    """A local choice an administrator would make in the catalog, recorded in its history like any edit."""
    admin = db.session.scalars(select(Staff).join(Staff.roles).where(Role.name == RoleName.ADMIN.value)).first()
    for name, flags in FAST_ACCEPTANCE.items():
        entry = db.session.scalar(
            select(CatalogItem).where(CatalogItem.region_id == region.id, CatalogItem.name == name)
        )
        if entry is None or all(getattr(entry, k) == v for k, v in flags.items()):
            continue
        if admin is None:
            for key, value in flags.items():
                setattr(entry, key, value)
            db.session.commit()
        else:
            catalog.update_item(entry.id, flags, admin, "本级承诺：材料齐全前可容缺受理 / 告知承诺（示范数据）")


def _workday(day: dt.date) -> dt.date:
    """The working day on or before `day` (demo steps are never dated on a weekend or holiday)."""
    calendar = work_calendar()
    while not calendar.is_workday(day):
        day -= dt.timedelta(days=1)
    return day


def seed_demo_cases() -> int:
    """Create the demo cases of each demo region that has none yet; returns how many were created."""
    made = 0
    for index, code in enumerate(DEMO_REGIONS):
        region = db.session.scalar(select(Region).where(Region.code == code))
        if db.session.scalar(select(func.count(Case.id)).where(Case.region_id == region.id)):
            continue
        _allow_fast_acceptance(region)
        people = _people(region)
        for n, (story, project) in enumerate(zip(STORY, PROJECTS, strict=True)):
            # Half the regions show a case stopped right after acceptance instead of after entrustment.
            _story(region, people, n, "accepted" if story == "entrusted" and index % 2 else story, project)
            made += 1
    return made


def _on(first: dt.date, days: int) -> dt.date:
    """`days` calendar days after `first`, moved back to a working day, never before `first` nor after today."""
    return max(first, min(_workday(first + dt.timedelta(days=days)), today()))


def _liaison(people: DemoPeople, item: object) -> Staff:
    return people.liaisons[item.department.kind]


def _story(region: Region, people: DemoPeople, n: int, story: str, project: tuple[str, str, str, str]) -> None:
    name, company, category, investment = project
    t = today()
    start = _workday(t - dt.timedelta(days=120 - n * 9))
    names = ITEM_SETS[n % len(ITEM_SETS)]
    catalog_ids = list(
        db.session.scalars(
            select(CatalogItem.id).where(CatalogItem.region_id == region.id, CatalogItem.name.in_(names))
        )
    )
    agent = people.agent
    case = cases.submit_application(
        region.id,
        {
            "name": company,
            "credit_code": _credit_code(region.code, 1000 + n),
            "address": f"{region.name}{['康巴什新区', '经济开发区', '工业园区'][n % 3]}",
            "postcode": "017000",
            "legal_representative": ["王建国", "李红梅", "张志强", "刘海涛", "陈静"][n % 5],
            "phone": f"0477-85{n:02d}123",
            "contact_person": ["赵敏", "孙立", "周洋", "吴晨"][n % 4],
            "contact_phone": f"1390477{n:04d}",
        },
        {
            "name": f"{region.name}{name}",
            "address": f"{region.name}境内",
            "code": f"{start.year}-{region.code}-44-0{1 + n % 3}-{100000 + n * 7919 % 900000:06d}",
            "total_investment": investment,
            "planned_investment": str(int(investment) // 3),
            "fund_source": "企业自筹",
            "land_nature": ["工业用地", "未利用地", "商服用地"][n % 3],
            "is_key_project": category == "key",
            "category": category,
            "main_use_and_scale": name,
            "leader_in_charge": "分管副旗（区）长",
            "progress_before": "已完成前期咨询",
        },
        ["window", "website", "app", "hotline", "early"][n % 5],
        start,
        catalog_ids,
        agent,
    )
    if story == "submitted":
        return
    if story == "refused":
        cases.refuse_case(case.id, agent, "项目不属于代办帮办服务范围", _on(start, 1))
        return
    cases.accept_case(case.id, agent, _on(start, 1))
    if story == "accepted":
        return
    cases.entrust_case(case.id, agent, _on(start, 2))
    _hand_in_materials(case.id, agent, _on(start, 2), promise_by=_on(start, 2) + dt.timedelta(days=20))
    if story == "entrusted":
        return
    filing = _on(start, 5)
    case = db.session.get(Case, case.id)
    lines = [PlanLine(i.id, k, filing) for k, i in enumerate(case.items, 1)]
    cases.plan_schedule(case.id, lines, agent, on=_on(start, 3))
    cases.fix_plan(case.id, agent, _on(start, 3))
    if story == "planned":
        return
    if story == "terminated":
        _give_materials_back(case.id, agent, _on(start, 10))
        cases.terminate_case(case.id, agent, "申请人决定暂缓投资，撤回委托", _on(start, 10))
        return
    case = db.session.get(Case, case.id)
    for item in case.items:
        # Where the catalog allows it, show 容缺受理 (materials promised) and 告知承诺 in the demo.
        fast = {}
        if item.allows_incomplete:
            fast = {"incomplete": True, "promised_on": _on(filing, 12)}
        if item.allows_commitment:
            fast["commitment"] = True
        try:
            cases.accept_item(item.id, _liaison(people, item), _on(filing, 2), **fast)
        except DomainError:
            continue
    case = db.session.get(Case, case.id)
    first = case.items[0]
    if story == "in_progress_overdue":
        cases.move_item(first.id, "review", _liaison(people, first), _on(filing, 4))
        return
    if story == "in_progress_supplement":
        cases.move_item(first.id, "review", _liaison(people, first), _on(filing, 4))
        cases.request_supplement(
            first.id, _liaison(people, first), "缺少水资源论证报告", _workday(t - dt.timedelta(days=3))
        )
        return
    for item in db.session.get(Case, case.id).items:
        cases.approve_item(item.id, _liaison(people, item), _on(filing, 20))
    _give_materials_back(case.id, agent, _on(filing, 22))
    cases.complete_case(
        case.id,
        agent,
        _on(filing, 22),
        archived=True,
        materials_note="原件已返还",
    )
    if story == "evaluated":
        level = "very_satisfied" if n % 2 else "satisfied"
        cases.evaluate_case(case.id, agent, level, "代办员全程跟进，服务周到", on=_on(filing, 26))


def _hand_in_materials(case_id: int, agent: Staff, on: dt.date, promise_by: dt.date) -> None:
    """申报材料 at the entrustment: each item's materials received, but one 容缺 promise where the item allows it."""
    for item in db.session.get(Case, case_id).items:
        promised = False
        for row in item.materials:
            if row.state not in materials.RECEIVABLE:  # received already with the same document of another item
                continue
            if row.deferrable and item.allows_incomplete and not promised:
                materials.promise(row.id, agent, promise_by, on=on, note="申请人承诺补齐")
                promised = True
            else:
                materials.receive(row.id, agent, on)


def _give_materials_back(case_id: int, agent: Staff, on: dt.date) -> None:
    """归档返还: promised materials came in meanwhile; every original goes back to the applicant at the end."""
    for item in db.session.get(Case, case_id).items:
        for row in item.materials:
            if row.state == "promised":
                materials.receive(row.id, agent, on)
    materials.return_all(case_id, agent, on, note="原件已当面返还申请人")


def seed_demo_coordination() -> int:
    """Joint reviews of the demo regions: an issued one with decisions in every state, one in preparation
    taking up a waiting escalation, a cancelled one, and an escalation still waiting. Returns meetings made."""
    from app.services import coordination
    from app.services.coordination import ReviewPlan

    made = 0
    for code in DEMO_REGIONS:
        region = db.session.scalar(select(Region).where(Region.code == code))
        if db.session.scalar(select(func.count(JointReview.id)).where(JointReview.region_id == region.id)):
            continue
        running = db.session.scalars(
            select(Case).where(Case.region_id == region.id, Case.state == "in_progress").order_by(Case.id)
        ).all()
        supervisor = (
            db.session.scalars(
                select(Staff)
                .join(Staff.roles)
                .where(Role.name == RoleName.SUPERVISOR.value, Staff.region_id == region.id)
            ).first()
            or _people(region).agent
        )
        agent = _people(region).agent
        if len(running) < 2:
            continue
        first, second = running[0], running[1]
        departments = {
            d.kind: d for d in db.session.scalars(select(Department).where(Department.region_id == region.id))
        }
        members = [departments[k].id for k in ("水利部门", "自然资源部门", "住建部门", "发改部门") if k in departments]
        t = today()
        held = _workday(t - dt.timedelta(days=21))
        water = departments["水利部门"].id
        stuck = next((i for i in first.items if i.department_id == water), first.items[0])
        early = coordination.escalate(
            first.id,
            agent,
            f"{stuck.name}：部门层面无法解决",
            "已两次组织对接",
            stuck.id,
            _workday(held - dt.timedelta(days=5)),
        )
        review = coordination.plan_review(
            ReviewPlan(
                region.id,
                held,
                f"{first.project_name}审批协调",
                convened_by="government",
                chair="分管副旗（区）长",
                stages=("project_land",),
                department_ids=tuple(members),
                case_ids=(first.id,),
                escalation_ids=(early.id,),
            ),
            supervisor,
        )
        coordination.record_attendance(
            review.id, {d: (n != 2, "分管负责人" if n != 2 else "") for n, d in enumerate(members)}, supervisor
        )
        coordination.move_review(review.id, "hold", supervisor, held)
        coordination.decide(  # 5 working days after a meeting three weeks ago: overdue
            review.id,
            "水利部门5个工作日内出具意见",
            water,
            supervisor,
            item_id=stuck.id,
            due_days=5,
        )
        coordination.decide(
            review.id, "自然资源部门30个工作日内完成用地预审", members[1], supervisor, case_id=first.id, due_days=30
        )
        done = coordination.decide(review.id, "发改部门当周完成项目备案变更", members[-1], supervisor, due_days=3)
        dropped = coordination.decide(review.id, "住建部门提前介入施工图审查", members[2], supervisor, due_days=10)
        coordination.move_decision(
            done.id, "fulfil", supervisor, _workday(held + dt.timedelta(days=3)), note="已完成备案变更"
        )
        coordination.move_decision(
            dropped.id, "drop", supervisor, _workday(held + dt.timedelta(days=4)), note="项目调整，无需审查"
        )
        coordination.write_minutes(
            review.id, "会议听取了项目推进情况汇报，研究了取水指标和用地预审问题，议定事项如下表。", supervisor
        )
        coordination.move_review(review.id, "publish", supervisor, _workday(held + dt.timedelta(days=1)))
        # Still waiting for a meeting: the convener's list shows it.
        coordination.escalate(
            second.id, agent, "施工许可前置条件存在争议", "已组织一次部门对接", on=_workday(t - dt.timedelta(days=2))
        )
        coordination.plan_review(
            ReviewPlan(region.id, t + dt.timedelta(days=7), "下周项目集中会商", department_ids=tuple(members[:2])),
            supervisor,
        )
        cancelled = coordination.plan_review(
            ReviewPlan(
                region.id,
                _workday(t - dt.timedelta(days=10)),
                "多图联审（示范）",
                kind="multi_drawing",
                department_ids=tuple(members[2:3]),
            ),
            supervisor,
        )
        coordination.move_review(cancelled.id, "cancel", supervisor, note="图纸未按期提交，改期")
        made += 3
    return made


def seed_demo_reports(months: int = 3) -> int:
    """Monthly reports of the demo banners for the last full months: on time, late, and one banner missing.

    Returns reports made; a second run makes none. Submission times are set to the day they stand for.
    """
    from app.models import MonthlyReport
    from app.services import reports

    made = 0
    first = reports.month_start(today())
    for _ in range(months):
        month = (first - dt.timedelta(days=1)).replace(day=1)
        first = month
        # Due by the 24th of the month reported: 达拉特旗 on time, 伊金霍洛旗 late, 东胜区 missing.
        for code, submitted_day in (("150621", 20), ("150627", 26)):
            region = db.session.scalar(select(Region).where(Region.code == code))
            if region is None or db.session.scalar(
                select(MonthlyReport.id).where(MonthlyReport.region_id == region.id, MonthlyReport.month == month)
            ):
                continue
            report = reports.submit_report(region.id, month, "", _people(region).agent)
            report.submitted_at = dt.datetime.combine(month.replace(day=submitted_day), dt.time(16, 30))
            db.session.commit()
            made += 1
    return made
