"""The seed: reference data loads idempotently; demo users exist only when asked for."""

from __future__ import annotations

import pytest
from flask_appbuilder import Model
from sqlalchemy import func, select

from app.extensions import db
from app.models import CatalogItem, Department, Region, Staff
from app.services.roles import sync_roles
from app.services.seeding import OTHER_ITEM_NAME, seed_reference

pytestmark = pytest.mark.every_engine  # the seed and demo data on each engine


def _counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table)) for table in Model.metadata.sorted_tables
    }


def test_running_the_seed_twice_leaves_the_same_rows(app):
    before = _counts()
    report = seed_reference()
    sync_roles()
    assert report.created == {}
    assert _counts() == before


def test_the_reference_catalog_is_seeded_for_the_city_and_every_banner(app):
    regions = db.session.scalars(select(Region).where(Region.level.in_(["city", "banner"]))).all()
    assert len(regions) == 10
    for region in regions:
        names = db.session.scalars(select(CatalogItem.name).where(CatalogItem.region_id == region.id)).all()
        assert len(names) == 31, region.name
        assert OTHER_ITEM_NAME in names
    assert db.session.scalar(select(func.count(CatalogItem.id)).join(Region).where(Region.level == "region")) == 0


def test_each_catalog_item_is_handled_by_a_department_of_its_own_region(app, region):
    dalate = region("150621")
    items = db.session.scalars(select(CatalogItem).where(CatalogItem.region_id == dalate.id)).all()
    assert {item.department.region_id for item in items} == {dalate.id}
    water = next(i for i in items if i.name == "取水许可审批")
    assert water.department.name == "达拉特旗水利局"
    filing = next(i for i in items if i.name == "企业投资项目备案")
    assert filing.department.kind == "发改部门"


def test_departments_come_from_the_reference_kinds_for_each_service_region(app, region):
    city = region("150600")
    kinds = db.session.scalars(select(Department.kind).where(Department.region_id == city.id)).all()
    assert len(kinds) == 18
    assert "政务服务部门" in kinds


def test_demo_users_exist_only_when_asked_for(migrated_app):
    with migrated_app.app_context():
        from tests.conftest import _reset_data

        _reset_data()
        seed_reference()
        assert db.session.scalar(select(func.count(Staff.id))) == 0
