"""Organisation screens: adding a development zone provisions it; departments show who lacks a liaison."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import CatalogItem, Department, Region

pytestmark = pytest.mark.every_engine  # an upgrade step and region-scoped SQL


def test_an_admin_adds_a_development_zone_which_gets_departments_and_a_catalog(login, region):
    city = region("150600")
    response = login("admin").post(
        "/regionview/add", data={"code": "150600-01", "name": "鄂尔多斯高新技术产业开发区", "parent_id": city.id}
    )
    assert response.status_code == 302
    zone = region("150600-01")
    assert zone.level == "zone" and zone.parent_id == city.id
    assert db.session.scalar(select(func.count(Department.id)).where(Department.region_id == zone.id)) == 18
    assert db.session.scalar(select(func.count(CatalogItem.id)).where(CatalogItem.region_id == zone.id)) == 31
    # The city's supervisor sees the new zone's catalog; the zone is public at once.
    assert login("supervisor").get("/public/catalog/150600-01.json").status_code == 200


def test_a_zone_outside_the_city_is_refused_and_nothing_is_added(login, region):
    page = login("admin").post(
        "/regionview/add", data={"code": "150621-09", "name": "某园区", "parent_id": region("150621").id}
    )
    assert page.status_code == 200  # the form comes back with the user's input
    assert db.session.scalar(select(Region).where(Region.code == "150621-09")) is None
    page = login("admin").post(
        "/regionview/add", data={"code": "150621", "name": "重复", "parent_id": region("150600").id}
    )
    assert "代码 150621 已被使用。" in page.get_data(as_text=True)


def test_the_department_list_flags_departments_without_anyone_assigned(login):
    page = login("admin").get("/departmentview/list/?psize_DepartmentView=100").get_data(as_text=True)
    assert "尚未指定" in page
    row = page.split("达拉特旗水利局", 1)[1].split("</tr>", 1)[0]
    assert "尚未指定" not in row  # dlt_liaison_water is assigned there


def test_a_login_saved_with_a_department_of_another_region_is_unbound_at_upgrade_with_a_history_entry(app, staff):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import select

    from app.extensions import db
    from app.models import CaseEvent, Region, Staff

    liaison = staff("dlt_liaison_water")
    liaison.region = db.session.scalar(select(Region).where(Region.code == "150603"))  # as the old form allowed
    db.session.commit()
    liaison_id, agent_department = liaison.id, staff("dlt_agent").department_id
    db.session.remove()
    downgrade(revision="5c1d9e7a3b20")
    upgrade()
    moved = db.session.get(Staff, liaison_id)
    assert moved.department_id is None and moved.region.code == "150603"
    entry = db.session.scalar(
        select(CaseEvent).where(CaseEvent.subject_type == "staff", CaseEvent.subject_id == liaison_id)
    )
    assert entry.action == "unbind_department" and entry.note.startswith("达拉特旗 · ")
    assert staff("dlt_agent").department_id == agent_department  # logins in their own region keep theirs
