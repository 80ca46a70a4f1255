"""Catalog screens end to end through the test client: add, edit, retire, conflicting edits."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import CatalogChange, CatalogItem, Department, Region


def _item(code, name):
    return db.session.scalar(select(CatalogItem).join(Region).where(Region.code == code, CatalogItem.name == name))


def _edit_data(item, **changes):
    data = {
        "seq": item.seq,
        "name": item.name,
        "department_id": item.department_id,
        "item_type": item.item_type,
        "stage": item.stage,
        "legal_limit_days": item.legal_limit_days or "",
        "promised_limit_days": item.promised_limit_days or "",
        "fast_track": item.fast_track,
        "reason": "",
        "version": item.version,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not False}


def test_an_admin_edits_a_limit_through_the_form_and_the_history_shows_it(login):
    client = login("admin")
    item = _item("150621", "取水许可审批")
    response = client.post(
        f"/catalog/edit/{item.id}",
        data=_edit_data(item, promised_limit_days=12, reason="承诺压缩"),
        follow_redirects=True,
    )
    assert response.status_code == 200
    db.session.expire_all()
    assert _item("150621", "取水许可审批").promised_limit_days == 12
    page = client.get(f"/catalog/show/{item.id}").get_data(as_text=True)
    assert "承诺压缩" in page


def test_an_edit_refused_by_a_rule_keeps_what_the_user_typed(login):
    client = login("admin")
    item = _item("150621", "取水许可审批")
    response = client.post(f"/catalog/edit/{item.id}", data=_edit_data(item, promised_limit_days=30, reason="想延长"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "承诺时限（30）不得超过法定时限（20）。" in page
    assert 'value="想延长"' in page and 'value="30"' in page
    db.session.expire_all()
    assert _item("150621", "取水许可审批").promised_limit_days is None


def test_the_second_of_two_open_edit_forms_is_told_who_changed_the_item(login):
    item = _item("150621", "取水许可审批")
    stale = _edit_data(item, legal_limit_days=15, reason="第二位")
    client = login("admin")
    client.post(f"/catalog/edit/{item.id}", data=_edit_data(item, legal_limit_days=18, reason="第一位"))
    page = client.post(f"/catalog/edit/{item.id}", data=stale).get_data(as_text=True)
    assert "该记录已被 admin 于" in page and "修改，请重新加载后再提交您的修改。" in page
    db.session.expire_all()
    assert _item("150621", "取水许可审批").legal_limit_days == 18


def test_an_admin_adds_an_item_to_a_banner_catalog(login):
    dalate = db.session.scalar(select(Region).where(Region.code == "150621"))
    water = db.session.scalar(
        select(Department).where(Department.region_id == dalate.id, Department.kind == "水利部门")
    )
    response = login("admin").post(
        "/catalog/add",
        data={
            "region_id": dalate.id,
            "name": "河道管理范围内建设项目工程建设方案审批",
            "department_id": water.id,
            "item_type": "license",
            "stage": "engineering",
            "legal_limit_days": 20,
            "fast_track": "none",
            "reason": "旗里新增",
        },
    )
    assert response.status_code == 302
    added = _item("150621", "河道管理范围内建设项目工程建设方案审批")
    assert added is not None and added.seq == 32


def test_retiring_through_the_page_needs_a_reason_and_hides_the_item_publicly(login, client):
    admin = login("admin")
    item = _item("150621", "取水许可审批")
    page = admin.get(f"/catalog/show/{item.id}").get_data(as_text=True)
    assert f"/catalog/retire/{item.id}" in page and f"/catalog/restore/{item.id}" not in page  # an item in use
    assert admin.post(f"/catalog/retire/{item.id}", data={"reason": "", "version": item.version}).status_code == 200
    db.session.expire_all()
    assert not _item("150621", "取水许可审批").retired
    response = admin.post(f"/catalog/retire/{item.id}", data={"reason": "职能划转", "version": item.version})
    assert response.status_code == 302
    db.session.expire_all()
    assert _item("150621", "取水许可审批").retired
    page = admin.get(f"/catalog/show/{item.id}").get_data(as_text=True)
    assert f"/catalog/restore/{item.id}" in page and f"/catalog/retire/{item.id}" not in page  # a retired one
    actions = db.session.scalars(
        select(CatalogChange.action).where(CatalogChange.item_id == item.id).order_by(CatalogChange.id)
    ).all()
    assert actions == ["created", "retired"]
    admin.post("/logout/")
    assert "取水许可审批" not in client.get("/public/catalog/150621").get_data(as_text=True)


def test_an_admin_cannot_reach_an_item_through_a_forged_id_of_a_missing_row(login):
    assert login("admin").get("/catalog/edit/999999").status_code == 404
