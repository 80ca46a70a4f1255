"""The published catalog: readable without login, as a page and as JSON, showing only what is published."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import CatalogItem, Region
from app.services import catalog


def _item_id(code, name):
    return db.session.scalar(select(CatalogItem.id).join(Region).where(Region.code == code, CatalogItem.name == name))


def test_the_public_page_needs_no_login_and_lists_the_regions_items(client):
    response = client.get("/public/catalog/150621")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "达拉特旗" in page
    assert "取水许可审批" in page and "达拉特旗水利局" in page


def test_the_json_lists_published_items_with_the_documented_fields(client):
    response = client.get("/public/catalog/150621.json")
    assert response.status_code == 200
    items = response.get_json()
    assert len(items) == 31
    water = next(i for i in items if i["name"] == "取水许可审批")
    assert {"seq", "name", "department", "item_type", "stage", "time_limit_days"} <= set(water)
    assert water == water | {
        "seq": 14,
        "department": "达拉特旗水利局",
        "item_type": "行政许可",
        "stage": "立项用地规划许可",
        "time_limit_days": 20,
    }
    stages = [i["stage_code"] for i in items]
    assert stages.index("project_land") < stages.index("completion")


def test_a_retired_item_and_an_unpublished_item_leave_the_public_list(client, staff):
    admin = staff("admin")
    catalog.retire_item(_item_id("150621", "取水许可审批"), admin, "职能调整")
    catalog.update_item(_item_id("150621", "涉及国家安全事项的建设项目审批"), {"unpublished": True}, admin, "涉密")
    names = {i["name"] for i in client.get("/public/catalog/150621.json").get_json()}
    assert "取水许可审批" not in names
    assert "涉及国家安全事项的建设项目审批" not in names
    assert len(names) == 29
    assert "取水许可审批" not in client.get("/public/catalog/150621").get_data(as_text=True)
    # Another banner's list is its own.
    assert any(i["name"] == "取水许可审批" for i in client.get("/public/catalog/150622.json").get_json())


def test_the_promised_limit_is_the_published_one_when_a_level_promised_less(client, staff):
    catalog.update_item(_item_id("150621", "取水许可审批"), {"promised_limit_days": 8}, staff("admin"), "承诺压缩")
    water = next(i for i in client.get("/public/catalog/150621.json").get_json() if i["name"] == "取水许可审批")
    assert (water["time_limit_days"], water["legal_limit_days"], water["promised_limit_days"]) == (8, 20, 8)


def test_an_unknown_region_code_is_not_found(client):
    assert client.get("/public/catalog/999999").status_code == 404
    assert client.get("/public/catalog/999999.json").status_code == 404


def test_the_public_page_follows_the_chosen_language(client):
    client.get("/lang/en")
    page = client.get("/public/catalog/150600").get_data(as_text=True)
    assert "Published catalog of agency services" in page
    assert "Administrative licence" in page
