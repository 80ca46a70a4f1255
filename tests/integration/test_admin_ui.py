"""Administration without Flask-AppBuilder's leftovers: one 姓名 field, Chinese role names, plain values,
local times, no menus or help texts that are false here; catalog history and edit; the calculator."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from app.domain.passwords import LOCK_MINUTES, NAME_LOCK_AFTER_FAILURES
from app.extensions import db
from app.models import CatalogChange, CatalogItem, Staff
from app.models.org import now
from tests.conftest import PASSWORD


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def _user_form(user: Staff, **changes: object) -> dict[str, object]:
    data = {
        "first_name": user.first_name,
        "username": user.username,
        "email": user.email,
        "region": str(user.region_id),
        "roles": [str(r.id) for r in user.roles],
        "active": "y" if user.active else "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_an_admin_saves_a_demo_user_with_one_full_name_field(login, staff):
    user = staff("dlt_agent")
    assert user.last_name == ""
    client = login("admin")
    form = client.get(f"/users/edit/{user.id}").get_data(as_text=True)
    assert "姓名" in form and 'name="last_name"' not in form
    response = client.post(f"/users/edit/{user.id}", data=_user_form(user, first_name="王建军"))
    assert response.status_code == 302, _text(response.get_data(as_text=True))[:500]
    db.session.expire_all()
    assert (staff("dlt_agent").first_name, staff("dlt_agent").last_name) == ("王建军", "")


def test_an_admin_deactivates_a_login_and_it_can_no_longer_sign_in(login, client, staff):
    user = staff("dlt_agent")
    admin = login("admin")
    response = admin.post(f"/users/edit/{user.id}", data=_user_form(user, active=""))
    assert response.status_code == 302
    db.session.expire_all()
    assert staff("dlt_agent").active is False
    client.post("/logout/")
    client.post("/login/", data={"username": "dlt_agent", "password": PASSWORD})
    assert client.get("/queue/cases").status_code == 302  # not signed in


def test_an_admin_adds_a_user_with_only_a_full_name(login, region):
    client = login("admin")
    agent_role = db.session.scalar(select(Staff).where(Staff.username == "dlt_agent")).roles[0]
    response = client.post(
        "/users/add",
        data={
            "first_name": "赵新人",
            "username": "newbie",
            "email": "newbie@test.invalid",
            "active": "y",
            "region": str(region("150621").id),
            "roles": str(agent_role.id),
            "password": "Good-password-2026",
            "conf_password": "Good-password-2026",
        },
    )
    assert response.status_code == 302, _text(response.get_data(as_text=True))[:500]
    created = db.session.scalar(select(Staff).where(Staff.username == "newbie"))
    assert (created.first_name, created.last_name) == ("赵新人", "")


def test_a_liaison_without_an_e_mail_address_is_saved_and_the_public_role_is_not_offered(login, region, staff):
    client = login("admin")
    form = client.get("/users/add").get_data(as_text=True)
    roles = form.split('name="roles"', 1)[1].split("</select>", 1)[0]
    assert "公共" not in roles and "Public" not in roles and "代办员" in roles
    water = staff("dlt_liaison_water")
    data = {
        "first_name": "钱联络",
        "username": "no_mail_liaison",
        "email": "",
        "active": "y",
        "region": str(water.region_id),
        "department": str(water.department_id),
        "roles": str(water.roles[0].id),
        "password": "Good-password-2026",
        "conf_password": "Good-password-2026",
    }
    response = client.post("/users/add", data=data)
    assert response.status_code == 302, _text(response.get_data(as_text=True))[:500]
    second = client.post("/users/add", data={**data, "username": "no_mail_liaison_2", "first_name": "孙联络"})
    assert second.status_code == 302  # two logins without an address do not collide
    saved = db.session.scalars(select(Staff.email).where(Staff.username.like("no_mail_liaison%"))).all()
    assert saved == [None, None]
    bad = client.post("/users/add", data={**data, "username": "bad_mail", "email": "not-an-address"})
    assert bad.status_code == 200 and db.session.scalar(select(Staff).where(Staff.username == "bad_mail")) is None


def test_a_login_whose_department_lies_in_another_region_is_refused_and_nothing_is_saved(login, staff, region):
    from app.models import Department

    user = staff("dlt_liaison_water")
    water = user.department
    kangbashi = region("150603")
    client = login("admin")
    form = client.get(f"/users/edit/{user.id}").get_data(as_text=True)
    assert f"达拉特旗 · {water.name}" in form  # each department says its region
    response = client.post(
        f"/users/edit/{user.id}", data=_user_form(user, region=str(kangbashi.id), department=str(water.id))
    )
    page = _text(response.get_data(as_text=True))
    assert response.status_code == 200 and f"{water.name}属于达拉特旗，不属于康巴什区" in page
    db.session.expire_all()
    assert staff("dlt_liaison_water").region.code == "150621"
    other = db.session.scalar(
        select(Department).where(Department.region_id == kangbashi.id, Department.kind == water.kind)
    )
    ok = client.post(
        f"/users/edit/{user.id}", data=_user_form(user, region=str(kangbashi.id), department=str(other.id))
    )
    assert ok.status_code == 302
    db.session.expire_all()
    assert staff("dlt_liaison_water").department.region.code == "150603"


def test_a_user_edits_their_own_full_name_in_user_info(login, staff):
    client = login("dlt_agent")
    form = client.get("/userinfoeditview/form").get_data(as_text=True)
    assert "姓名" in form and 'name="last_name"' not in form
    response = client.post("/userinfoeditview/form", data={"first_name": "李代办"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (staff("dlt_agent").first_name, staff("dlt_agent").last_name) == ("李代办", "")


def test_the_user_list_shows_role_labels_yes_no_and_no_none(login):
    page = _text(login("admin").get("/users/list/").get_data(as_text=True))
    assert "系统管理员" in page and "代办员" in page and "督查" in page
    assert "Admin " not in page and "[Agent]" not in page
    assert " 是 " in page
    assert not re.search(r"\bNone\b|\bTrue\b", page)  # ("__None" is the empty choice's value, not text)


def test_the_role_select_and_the_role_list_show_chinese_labels_with_english_names_kept(app, login):
    client = login("admin")
    form = client.get("/users/add").get_data(as_text=True)
    assert re.search(r"<option[^>]*>部门代办员</option>", form)
    assert "部门代办员" in client.get("/roles/list/").get_data(as_text=True)
    names = {role.name for role in db.session.scalars(select(app.appbuilder.sm.role_model))}
    assert {"Admin", "Supervisor", "Agent", "Liaison"} <= names  # the rows keep their English names


def test_times_show_to_the_minute_in_shanghai_time(login, staff):
    user = staff("dlt_agent")
    stored = dt.datetime(2026, 11, 27, 1, 2, 3, 456789)  # server wall-clock (UTC on this machine)
    user.last_login = stored
    db.session.commit()
    page = _text(login("admin").get(f"/users/show/{user.id}").get_data(as_text=True))
    shown = stored.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")
    assert shown in page
    # Neither the seconds nor the microseconds (other times on the page may well end in ":03" minutes).
    assert "456789" not in page and f"{shown}:03" not in page


def test_the_lockout_message_gives_the_local_time_the_login_opens_again(client, staff):
    user = staff("dlt_agent")
    user.fail_login_count = NAME_LOCK_AFTER_FAILURES  # guessed at from many addresses: the name itself is locked
    user.last_failed_login = now()
    db.session.commit()
    until = (now() + dt.timedelta(minutes=LOCK_MINUTES)).astimezone(dt.timezone(dt.timedelta(hours=8)))
    page = client.post("/login/", data={"username": "dlt_agent", "password": PASSWORD}, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "登录失败次数过多" in text
    assert until.strftime("%H:%M") in text or (until - dt.timedelta(minutes=1)).strftime("%H:%M") in text


def test_fab_menus_and_help_texts_that_mean_nothing_here_are_gone(login, app):
    client = login("admin")
    home = client.get("/users/list/").get_data(as_text=True)
    for menu in ("用户组列表", "基本权限", "视图/菜单", "视图/菜单权限", "List Groups"):
        assert menu not in home, menu
    for url in ("/permissions/list/", "/viewmenus/list/", "/permissionviews/list/"):
        assert client.get(url).status_code == 404, url
    add = client.get("/users/add").get_data(as_text=True)
    reset = client.get("/resetmypassword/form").get_data(as_text=True)
    for page in (add, reset):
        assert "该应用不会检查密码安全性" not in page and "does not check" not in page
        assert "LDAP" not in page and "OID" not in page
        assert "至少 10 个字符" in page
    assert ">__None<" not in add


def test_seeded_catalog_history_names_the_system_and_the_region(login):
    page = _text(login("admin").get("/catalogchangeview/list/").get_data(as_text=True))
    assert "系统初始化" in page
    assert not re.search(r"\bNone\b", page)
    assert "地区" in page and ("鄂尔多斯市" in page or "达拉特旗" in page)


def test_catalog_history_lists_every_region_in_constant_queries(login, app):
    from sqlalchemy import event

    client = login("admin")
    client.get("/catalogchangeview/list/")
    counted = []

    def count(*args):
        counted.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        small = client.get("/catalogchangeview/list/?psize_CatalogChangeView=25")
        n_small = len(counted)
        counted.clear()
        big = client.get("/catalogchangeview/list/?psize_CatalogChangeView=100")
        n_big = len(counted)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert small.status_code == big.status_code == 200
    assert n_big == n_small


def test_the_catalog_edit_form_marks_the_reason_required_and_shows_every_error_at_its_field(login, region):
    city = region("150600")
    item = db.session.scalar(select(CatalogItem).where(CatalogItem.region_id == city.id, CatalogItem.seq == 1))
    client = login("admin")
    form = client.get(f"/catalog/edit/{item.id}").get_data(as_text=True)
    assert re.search(r"变更原因\s*(<[^>]+>\s*)*&#42;", form)  # the required mark
    response = client.post(
        f"/catalog/edit/{item.id}",
        data={
            "name": item.name,
            "department_id": str(item.department_id),
            "item_type": item.item_type,
            "stage": item.stage,
            "fast_track": item.fast_track,
            "legal_limit_days": "5",
            "promised_limit_days": "9",
            "reason": "",
            "version": str(item.version),
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "承诺时限（9）不得超过法定时限（5）。" in page
    assert page.count("该字段是必填字段。") == 1  # the reason
    db.session.expire_all()
    assert db.session.get(CatalogItem, item.id).promised_limit_days != 9
    later = select(CatalogChange).where(CatalogChange.item_id == item.id, CatalogChange.version > 1)
    assert db.session.scalar(later) is None


def test_the_calculator_says_the_date_format_is_wrong_at_the_field(login):
    client = login("dlt_agent")
    page = client.get("/calendar/calculator/?start=2026-13-45&days=3").get_data(as_text=True)
    assert re.search(r'has-error">\s*<label for="start">.*?日期格式不正确', page, re.S)
    assert "该字段是必填字段" not in page


def test_required_fields_are_checked_by_the_server_so_the_browser_does_not_stop_at_the_first(login, region):
    city = region("150600")
    item = db.session.scalar(select(CatalogItem).where(CatalogItem.region_id == city.id, CatalogItem.seq == 1))
    form = login("admin").get(f"/catalog/edit/{item.id}").get_data(as_text=True)
    reason = re.search(r"<input[^>]*name=\"reason\"[^>]*>", form).group(0)
    assert " required" not in reason


def test_changing_ones_own_password_asks_for_the_current_one_and_refuses_guessable_ones(login, staff):
    client = login("dlt_agent")
    form = client.get("/resetmypassword/form").get_data(as_text=True)
    assert 'name="current_password"' in form and "当前密码" in form
    new = "hongshan7river3"
    wrong = client.post(
        "/resetmypassword/form", data={"current_password": "nope", "password": new, "conf_password": new}
    )
    assert wrong.status_code == 200 and "当前密码不正确" in wrong.get_data(as_text=True)
    for guessable in ("password12", "1234567890a", "dlt_agent1"):
        page = client.post(
            "/resetmypassword/form",
            data={"current_password": PASSWORD, "password": guessable, "conf_password": guessable},
        ).get_data(as_text=True)
        assert "请另选" in page or "不能包含登录名" in page, guessable
    db.session.expire_all()
    from werkzeug.security import check_password_hash

    assert check_password_hash(staff("dlt_agent").password, PASSWORD)  # nothing changed so far
    ok = client.post(
        "/resetmypassword/form", data={"current_password": PASSWORD, "password": new, "conf_password": new}
    )
    assert ok.status_code == 302
    db.session.expire_all()
    assert check_password_hash(staff("dlt_agent").password, new)


def test_an_admin_cannot_give_a_login_its_own_name_as_password(login, staff):
    user = staff("dlt_agent")
    page = login("admin").post(
        f"/resetpassword/form?pk={user.id}", data={"password": "dlt_agent2026", "conf_password": "dlt_agent2026"}
    )
    assert page.status_code == 200 and "不能包含登录名" in page.get_data(as_text=True)
