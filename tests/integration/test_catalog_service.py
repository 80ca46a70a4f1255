"""The catalog service: every change kept as history, concurrent edits refused, scope respected."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.domain.errors import Forbidden, NotFound, StaleRecord, ValidationError
from app.extensions import db
from app.models import CatalogChange, CatalogItem, Department
from app.services import catalog


def _item(region_id, name):
    return db.session.scalar(select(CatalogItem).where(CatalogItem.region_id == region_id, CatalogItem.name == name))


def _history(item_id):
    return db.session.scalars(
        select(CatalogChange).where(CatalogChange.item_id == item_id).order_by(CatalogChange.id)
    ).all()


def test_editing_a_limit_keeps_who_when_old_new_and_why(app, staff, region):
    dalate = region("150621")
    item = _item(dalate.id, "取水许可审批")
    changed = catalog.update_item(
        item.id, {"promised_limit_days": 12}, staff("admin"), "旗政府承诺压缩时限", item.version
    )
    assert changed == ["promised_limit_days"]
    last = _history(item.id)[-1]
    assert (last.action, last.field, last.old_value, last.new_value) == ("updated", "promised_limit_days", None, "12")
    assert last.reason == "旗政府承诺压缩时限"
    assert last.actor.username == "admin"
    assert db.session.get(CatalogItem, item.id).version == 2


def test_an_edit_without_a_reason_is_refused_and_changes_nothing(app, staff, region):
    item = _item(region("150621").id, "取水许可审批")
    with pytest.raises(ValidationError):
        catalog.update_item(item.id, {"legal_limit_days": 15}, staff("admin"), "  ")
    db.session.expire_all()
    assert db.session.get(CatalogItem, item.id).legal_limit_days == 20
    assert len(_history(item.id)) == 1


def test_the_second_of_two_concurrent_edits_is_told_who_changed_it(app, staff, region):
    item = _item(region("150621").id, "取水许可审批")
    loaded_version = item.version
    catalog.update_item(item.id, {"legal_limit_days": 18}, staff("admin"), "第一位管理员", loaded_version)
    with pytest.raises(StaleRecord) as raised:
        catalog.update_item(item.id, {"legal_limit_days": 15}, staff("admin"), "第二位管理员", loaded_version)
    assert raised.value.params["who"] == "admin"
    db.session.expire_all()
    assert db.session.get(CatalogItem, item.id).legal_limit_days == 18


def test_a_department_of_another_region_is_refused(app, staff, region):
    item = _item(region("150621").id, "取水许可审批")
    city_water = db.session.scalar(
        select(Department).where(Department.region_id == region("150600").id, Department.kind == "水利部门")
    )
    with pytest.raises(ValidationError):
        catalog.update_item(item.id, {"department_id": city_water.id}, staff("admin"), "误选")


def test_names_are_unique_within_a_region_but_not_across_regions(app, staff, region):
    dalate = region("150621")
    water = db.session.scalar(
        select(Department).where(Department.region_id == dalate.id, Department.kind == "水利部门")
    )
    with pytest.raises(ValidationError):
        catalog.add_item(dalate.id, {"name": "取水许可审批", "department_id": water.id}, staff("admin"))
    added = catalog.add_item(
        dalate.id,
        {"name": "河道管理范围内建设项目工程建设方案审批", "department_id": water.id, "stage": "engineering"},
        staff("admin"),
        "旗里新增",
    )
    assert added.seq == 32
    assert [c.action for c in _history(added.id)] == ["created"]


def test_retiring_keeps_the_item_and_records_it_and_restoring_brings_it_back(app, staff, region):
    item = _item(region("150621").id, "取水许可审批")
    catalog.retire_item(item.id, staff("admin"), "职能调整")
    db.session.expire_all()
    assert db.session.get(CatalogItem, item.id).retired
    with pytest.raises(ValidationError):
        catalog.retire_item(item.id, staff("admin"), "again")
    catalog.restore_item(item.id, staff("admin"), "恢复")
    assert [c.action for c in _history(item.id)] == ["created", "retired", "restored"]


def test_only_admins_change_the_catalog(app, staff, region):
    item = _item(region("150621").id, "取水许可审批")
    with pytest.raises(Forbidden):
        catalog.retire_item(item.id, staff("dlt_supervisor"), "不是管理员")


def test_staff_of_a_banner_cannot_read_another_regions_catalog(app, staff, region):
    with pytest.raises(NotFound):
        catalog.region_items(region("150600").id, staff("dlt_agent"))
    assert catalog.region_items(region("150621").id, staff("dlt_agent"))


def test_a_catalog_save_that_loses_the_race_at_commit_is_refused_with_who_and_when(app, staff, region, monkeypatch):
    from sqlalchemy.orm import Session

    item = _item(region("150621").id, "取水许可审批")
    real_check = catalog.check_item

    def another_admin_saves_first(values):
        with Session(db.engine) as other:
            theirs = other.get(CatalogItem, item.id)
            theirs.legal_limit_days = 15
            theirs.version += 1
            other.commit()
        return real_check(values)

    monkeypatch.setattr(catalog, "check_item", another_admin_saves_first)
    with pytest.raises(StaleRecord):
        catalog.update_item(item.id, {"promised_limit_days": 12}, staff("admin"), "压缩时限", item.version)
    db.session.expire_all()
    stored = db.session.get(CatalogItem, item.id)
    assert (stored.legal_limit_days, stored.promised_limit_days) == (15, None)
    assert [c.field for c in _history(item.id) if c.field == "promised_limit_days"] == []
