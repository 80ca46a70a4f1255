"""Builders of realistic case data for tests: an application through the real service."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import select

from app.extensions import db
from app.models import CatalogItem, Region, Staff
from app.services import cases

CREDIT_CODE = "91350100M000100Y43"
ENTERPRISE = {
    "name": "达拉特旗光伏新能源有限公司",
    "credit_code": CREDIT_CODE,
    "address": "达拉特旗树林召镇",
    "postcode": "014300",
    "legal_representative": "王建国",
    "phone": "0477-5211234",
    "contact_person": "李敏",
    "contact_phone": "13904770000",
}
PROJECT = {
    "name": "达拉特旗200兆瓦光伏治沙项目",
    "address": "达拉特旗库布其沙漠",
    "code": "2026-150621-44-01-123456",
    "total_investment": "98000",
    "planned_investment": "30000",
    "fund_source": "企业自筹",
    "land_nature": "未利用地",
    "is_key_project": True,
    "category": "key",
    "main_use_and_scale": "光伏发电 200MW",
    "leader_in_charge": "张副旗长",
    "progress_before": "已完成备案",
}


def catalog_ids(region_code: str, *names: str) -> list[int]:
    region = db.session.scalar(select(Region).where(Region.code == region_code))
    found = db.session.scalars(
        select(CatalogItem).where(CatalogItem.region_id == region.id, CatalogItem.name.in_(names))
    ).all()
    assert len(found) == len(names), names
    return [c.id for c in found]


_codes = itertools.count(123456)


def project_code() -> str:
    """A fresh project code: each application of a test is its own project unless it names one."""
    return f"2026-150621-44-01-{next(_codes):06d}"


def apply(
    agent: Staff,
    region_code: str = "150621",
    names: tuple[str, ...] = ("取水许可审批", "建设用地规划许可证核发"),
    applied_on: dt.date = dt.date(2026, 9, 1),
    **project: object,
):
    region = db.session.scalar(select(Region).where(Region.code == region_code))
    return cases.submit_application(
        region.id,
        ENTERPRISE,
        {**PROJECT, "code": project_code(), **project},
        "window",
        applied_on,
        catalog_ids(region_code, *names),
        agent,
    )


def bulk_cases(region_code: str, n: int, state: str = "in_progress", batch: str = "B") -> list[int]:
    """`n` cases of one region with two items each (water, land), inserted directly: for list-size tests."""
    from app.models import Case, CaseItem, Enterprise, Project

    region = db.session.scalar(select(Region).where(Region.code == region_code))
    agent = db.session.scalar(select(Staff).where(Staff.region_id == region.id, Staff.username.like("%agent%")))
    water, land = (
        db.session.scalar(select(CatalogItem).where(CatalogItem.region_id == region.id, CatalogItem.name == name))
        for name in ("取水许可审批", "建设用地规划许可证核发")
    )
    company = db.session.scalar(select(Enterprise).where(Enterprise.region_id == region.id))
    if company is None:
        company = Enterprise(region_id=region.id, name="批量测试企业", credit_code=CREDIT_CODE)
        db.session.add(company)
        db.session.flush()
    ids = []
    for k in range(n):
        venture = Project(region_id=region.id, enterprise_id=company.id, name=f"批量项目{batch}{k:04d}")
        db.session.add(venture)
        db.session.flush()
        case = Case(
            number=f"{region_code}-2026-{batch}{k:04d}",
            region_id=region.id,
            project_id=venture.id,
            channel="window",
            state=state,
            agent_id=agent.id if agent else None,
            applied_on=dt.date(2026, 9, 1),
            planned_end=dt.date(2026, 12, 1),
            enterprise_name=company.name,
            credit_code=company.credit_code,
            project_name=venture.name,
        )
        db.session.add(case)
        db.session.flush()
        for position, entry in enumerate((water, land)):
            db.session.add(
                CaseItem(
                    case_id=case.id,
                    catalog_item_id=entry.id,
                    catalog_version=entry.version,
                    name=entry.name,
                    department_id=entry.department_id,
                    stage=entry.stage,
                    time_limit_days=20,
                    state="accepted",
                    position=position,
                    accepted_on=dt.date(2026, 10, 8),
                    due_on=dt.date(2026, 11, 5) if k % 2 else dt.date(2026, 12, 10),
                    planned_filing_on=dt.date(2026, 10, 1),
                )
            )
        ids.append(case.id)
    db.session.commit()
    return ids


def application_form(**overrides: object) -> dict[str, object]:
    """The application form (Attachment 4) as the browser posts it, for the factory's enterprise and project."""
    data: dict[str, object] = {f"enterprise_{k}": v for k, v in ENTERPRISE.items()}
    data.update({f"project_{k}": v for k, v in PROJECT.items() if k != "is_key_project"})
    data.update({"project_is_key_project": "1", "channel": "window", "applied_on": "2026-11-02"})
    data["catalog_item_id"] = [str(i) for i in catalog_ids("150621", "取水许可审批", "建设用地规划许可证核发")]
    data.update(overrides)
    return data
