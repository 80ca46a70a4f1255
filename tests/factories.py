"""Builders of realistic case data for tests: an application through the real service."""

from __future__ import annotations

import datetime as dt

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
        {**PROJECT, **project},
        "window",
        applied_on,
        catalog_ids(region_code, *names),
        agent,
    )
