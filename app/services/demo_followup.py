"""The demo's follow-up records: leads in every state, cross-level links, typical-case write-ups.

Kept out of the production services (`leads`, `links`, `typical`), which never import demo data."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import func, select

from app.domain.enums import RegionLevel, RoleName
from app.domain.links import Direction
from app.domain.workflow import OPEN_CASE_VALUES
from app.extensions import db
from app.models import Case, Lead, Region, Staff, TypicalCase
from app.models.links import CaseLink
from app.services.clock import today
from app.services.leads import (
    add_task,
    close_task,
    create_lead,
    mark_converted,
    move_lead,
    region_agents,
    region_catalog,
    region_departments,
)
from app.services.links import LinkRequest, accept_link, record_external_state, request_link
from app.services.scope import role_names
from app.services.typical import move_writeup, save_writeup, start_writeup
from app.services.uow import transaction

DEMO_LEADS = [
    # (source, detail, enterprise, project, 万元, items, story)
    ("development", "旗发改委重点项目储备库", "鄂尔多斯储能科技有限公司", "新型储能电站项目", "45000", 0, "overdue"),
    (
        "promotion_event",
        "2026年鄂尔多斯市招商引资推介会",
        "内蒙古碳谷新材料有限公司",
        "碳纤维复合材料产业园",
        "88000",
        1,
        "event",
    ),
    ("commerce", "市商务局外资项目推送", "鄂尔多斯光合生物科技有限公司", "生物制造示范工厂", "21000", 2, "converted"),
    ("finance", "专项债券项目对接", "蒙西冷链物流有限公司", "农畜产品冷链物流中心", "9600", 2, "abandoned"),
]


def seed_demo_leads() -> int:
    """Demo leads in every state: tracked with an overdue task, from a promotion event, converted into a demo
    case, abandoned with its reason. A region that has leads is left alone; returns how many were made."""
    from app.services import demo

    made = 0
    t = today()
    for index, code in enumerate(demo.DEMO_REGIONS):
        region = db.session.scalar(select(Region).where(Region.code == code))
        if region is None or db.session.scalar(select(Lead.id).where(Lead.region_id == region.id).limit(1)):
            continue
        agents = region_agents(region.id)
        if not agents:
            continue
        agent = agents[0]
        catalog = {c.name: c.id for c in region_catalog(region.id)}
        departments = {d.kind: d for d in region_departments(region.id)}
        earliest_case = db.session.scalars(
            select(Case).where(Case.region_id == region.id, Case.state == "submitted").order_by(Case.id)
        ).first()
        for n, (source, detail, enterprise, project, amount, items, story) in enumerate(DEMO_LEADS):
            if story == "converted" and earliest_case is None:
                continue
            found = (
                earliest_case.applied_on - dt.timedelta(days=20) if story == "converted" else t - dt.timedelta(days=40)
            )
            values = {
                "source": source,
                "source_detail": detail,
                "enterprise_name": enterprise,
                "credit_code": demo._credit_code(code, 900 + n),
                "contact_person": demo.PERSON_NAMES[(index * 4 + n) % len(demo.PERSON_NAMES)],
                "contact_phone": f"1390477{index:02d}{n:02d}",
                "project_name": project,
                "project_address": f"{region.name}工业园区",
                "expected_investment": amount,
                "expected_landing_on": (t + dt.timedelta(days=60 + 30 * n)).isoformat(),
                "found_on": found.isoformat(),
                "owner_id": str(agent.id),
                "description": "示范数据：项目有意向落地，需提前介入指导办理前期手续。",
            }
            ids = [catalog[name] for name in demo.ITEM_SETS[items] if name in catalog]
            lead = create_lead(region.id, values, ids, agent)
            water, land = departments.get("水利部门"), departments.get("自然资源部门")
            if story in ("overdue", "event"):
                add_task(
                    lead.id,
                    "组织编制取水论证报告",
                    agent,
                    department_id=water.id if water else None,
                    owner="" if water else "企业负责人",
                    due_on=t - dt.timedelta(days=7) if story == "overdue" else t + dt.timedelta(days=20),
                )
                done = add_task(
                    lead.id,
                    "对接用地预审前期条件",
                    agent,
                    department_id=land.id if land else None,
                    owner="项目单位联系人",
                    due_on=t - dt.timedelta(days=10),
                )
                close_task(done.id, agent, demo._workday(t - dt.timedelta(days=12)))
                add_task(lead.id, "准备项目备案材料", agent, owner="企业负责人", due_on=t + dt.timedelta(days=30))
                if story == "event":
                    wrong = add_task(lead.id, "重复录入：取水论证", agent, owner="企业负责人")
                    close_task(wrong.id, agent, not_needed=True, note="与第一项重复")
            elif story == "converted":
                with transaction():
                    mark_converted(lead, earliest_case, agent)
            elif story == "abandoned":
                move_lead(
                    lead.id, "abandon", agent, demo._workday(t - dt.timedelta(days=5)), note="企业决定转投其他地区"
                )
            made += 1
    return made


DEMO_PURPOSE_UP = "取水许可需报市水利局审批（市级权限），请市政务服务中心代办对接"
DEMO_PURPOSE_WAITING = "项目涉及市级林草行政许可，请市政务服务中心协同办理"
DEMO_PARTY = "内蒙古自治区政务服务与数据管理局"
DEMO_PURPOSE_EXTERNAL = "建设项目用地预审需报自治区自然资源厅审查"


def seed_demo_links() -> int:
    """Demo links between city and banner cases; returns how many were made."""
    city = db.session.scalar(select(Region).where(Region.code == "150600"))
    banner = db.session.scalar(select(Region).where(Region.code == "150621"))
    if city is None or banner is None:
        return 0
    made = 0
    open_states = sorted(OPEN_CASE_VALUES)

    def first_open(region: Region, *, skip: set[int]) -> Case | None:
        return db.session.scalars(
            select(Case)
            .where(Case.region_id == region.id, Case.state.in_(open_states), Case.id.not_in(skip or {0}))
            .order_by(Case.id)
        ).first()

    def agent_of(region: Region) -> Staff | None:
        for person in db.session.scalars(
            select(Staff).where(Staff.region_id == region.id, Staff.active).order_by(Staff.id)
        ):
            if RoleName.AGENT.value in role_names(person):
                return person
        return None

    linked = set(db.session.scalars(select(CaseLink.case_id)))
    already_up = db.session.scalar(
        select(CaseLink.id)
        .join(Case, Case.id == CaseLink.case_id)
        .where(Case.region_id == banner.id, CaseLink.target_region_id.is_not(None))
    )
    dlt_agent = agent_of(banner)
    if dlt_agent is None:
        return 0
    if already_up is None:
        lower, upper = first_open(banner, skip=linked), first_open(city, skip=linked)
        city_agent = agent_of(city)
        if lower is not None and upper is not None and city_agent is not None:
            on = max(lower.applied_on, upper.applied_on)
            link = request_link(
                lower.id,
                LinkRequest(
                    DEMO_PURPOSE_UP,
                    region_id=city.id,
                    project_reference=upper.project_code or upper.project_name,
                    on=on,
                ),
                dlt_agent,
            )
            accept_link(link.id, upper.id, city_agent, on)
            linked |= {lower.id}
            made += 1
            # A second request still waiting for the city's answer, for the requests page.
            waiting = first_open(banner, skip=linked)
            if waiting is not None:
                request_link(
                    waiting.id,
                    LinkRequest(DEMO_PURPOSE_WAITING, region_id=city.id, project_reference=waiting.project_name),
                    dlt_agent,
                )
                linked |= {waiting.id}
                made += 1
    already_out = db.session.scalar(select(CaseLink.id).where(CaseLink.external_party == DEMO_PARTY))
    if already_out is None:
        case = first_open(banner, skip=linked)
        if case is not None:
            link = request_link(
                case.id,
                LinkRequest(
                    DEMO_PURPOSE_EXTERNAL,
                    external_party=DEMO_PARTY,
                    external_reference="蒙政数函〔2026〕118号",
                    external_state="已受理，待自治区自然资源厅出具审查意见",
                    direction=Direction.UPPER.value,
                    on=case.applied_on,
                ),
                dlt_agent,
            )
            record_external_state(link.id, "审查中：已组织专家现场踏勘", dlt_agent, today())
            made += 1
    return made


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
