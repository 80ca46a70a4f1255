"""Errors inside the app: 4xx/5xx pages in the layout and the user's language, and list arguments that
answer 400 instead of crashing, checked on every FAB list view the app registers."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from flask_appbuilder.baseviews import BaseModelView
from flask_appbuilder.models.sqla.filters import FilterRelation
from sqlalchemy import select

from app.extensions import db
from app.models import Staff
from tests import factories

TOO_BIG = "99999999999999999999999"  # past 64 bits
MAX_PAGE_SIZE = 100  # the largest page FAB's own size menu offers


def _list_views(app: Flask) -> list[BaseModelView]:
    return [
        v
        for v in app.appbuilder.baseviews
        if isinstance(v, BaseModelView) and f"{v.endpoint}.list" in app.view_functions
    ]


def _staff(username: str) -> Staff:
    return db.session.scalar(select(Staff).where(Staff.username == username))


# --- pages in the layout ------------------------------------------------------------------------------


def test_a_missing_page_is_drawn_in_the_layout_with_the_menu_in_chinese(login):
    client = login("admin")
    response = client.get("/no/such/page")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "页面不存在" in page
    assert 'class="navbar' in page and "用户权限" in page  # the app's menu, not Werkzeug's bare page
    assert "Not Found" not in page


def test_the_same_page_speaks_english_when_english_is_chosen(login):
    client = login("admin")
    client.get("/lang/en")
    page = client.get("/no/such/page").get_data(as_text=True)
    assert "Page not found" in page
    assert "页面不存在" not in page


def test_an_anonymous_visitor_gets_a_page_with_a_sign_in_link(client):
    response = client.get("/no/such/page")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "页面不存在" in page
    assert 'href="/login/"' in page


def test_a_refused_role_gets_a_translated_403_page_in_the_layout(login):
    client = login("dlt_liaison_water")
    response = client.get("/users/list/")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "无权访问" in page and 'class="navbar' in page


def test_an_upload_past_the_request_limit_gets_a_translated_413_page(app, login, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    client = login("admin")
    response = client.post(
        "/catalog/import",
        data={"region_id": "1", "file": (io.BytesIO(b"x" * 5000), "big.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "文件过大" in response.get_data(as_text=True)


def test_a_crash_gets_a_translated_500_page_in_the_layout(app, login, monkeypatch):
    client = login("admin")

    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setitem(app.view_functions, "WorkdayCalculatorView.calculate", crash)
    response = client.get("/calendar/calculator/")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "系统出错" in page and 'class="navbar' in page
    assert "boom" not in page


def test_a_refused_cross_region_post_keeps_its_message_on_the_404_page(login):
    case = factories.apply(_staff("agent"), region_code="150600")
    case_id = case.id
    db.session.commit()
    client = login("dlt_agent")
    response = client.post(f"/cases/{case_id}/move/accept", data={}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "页面不存在" in page
    assert "记录不存在或不在您的管辖范围内。" in page  # the flashed refusal, shown on the 404 page


# --- list arguments, on every list view -----------------------------------------------------------------


def _bad_arguments(view: BaseModelView) -> list[dict[str, str]]:
    name = view.__class__.__name__
    bad = [
        {f"psize_{name}": "abc"},
        {f"psize_{name}": "0"},
        {f"page_{name}": "abc"},
        {f"page_{name}": "-1"},
        {f"page_{name}": TOO_BIG},
        {f"_oc_{name}": "__class__", f"_od_{name}": "asc"},
        {f"_oc_{name}": "project.enterprise.contact_phone", f"_od_{name}": "asc"},
        {f"_oc_{name}": "id.__class__", f"_od_{name}": "desc"},
    ]
    filters = view._filters
    for column in filters.get_search_filters():
        choices = filters._all_filters.get(column, [])
        if len(choices) < 10:
            bad.append({f"_flt_{len(choices)}_{column}": "x"})  # one past the last filter of the column
        for index, flt in enumerate(choices):
            model = view.datamodel
            typed = isinstance(flt, FilterRelation) or any(
                check(column)
                for check in (model.is_integer, model.is_date, model.is_datetime, model.is_float, model.is_numeric)
            )
            if typed:
                bad.append({f"_flt_{index}_{column}": "abc"})
                bad.append({f"_flt_{index}_{column}": TOO_BIG})
    return bad


def test_every_list_view_answers_400_to_malformed_list_arguments(app, login):
    client = login("admin")
    wrong = []
    checked = 0
    for view in _list_views(app):
        url = f"{view.route_base}/list/"
        assert client.get(url).status_code == 200, url
        for args in _bad_arguments(view):
            status = client.get(url, query_string=args).status_code
            checked += 1
            if status != 400:
                wrong.append((url, args, status))
    assert wrong == []
    assert checked > 100


def test_every_list_view_sorts_by_each_of_its_sortable_columns(app, login):
    client = login("admin")
    wrong = []
    for view in _list_views(app):
        name = view.__class__.__name__
        for column in view.order_columns:
            for direction in ("asc", "desc"):
                args = {f"_oc_{name}": column, f"_od_{name}": direction}
                status = client.get(f"{view.route_base}/list/", query_string=args).status_code
                if status != 200:
                    wrong.append((name, column, direction, status))
    assert wrong == []


def test_an_id_past_64_bits_is_a_404_on_every_show_and_edit_page(app, login):
    client = login("admin")
    wrong = []
    for view in _list_views(app):
        for kind in ("show", "edit"):
            if f"{view.endpoint}.{kind}" in app.view_functions:
                for pk in (TOO_BIG, "abc", "0"):
                    status = client.get(f"{view.route_base}/{kind}/{pk}").status_code
                    if status != 404:
                        wrong.append((view.route_base, kind, pk, status))
    assert wrong == []
    assert client.get(f"/cases/{TOO_BIG}").status_code == 404


def test_a_page_shows_at_most_a_hundred_rows_whatever_size_is_asked(login):
    client = login("admin")
    page = client.get("/catalogchangeview/list/", query_string={"psize_CatalogChangeView": "100000"})
    assert page.status_code == 200
    rows = set(re.findall(r"/catalogchangeview/show/(\d+)", page.get_data(as_text=True)))
    assert len(rows) == MAX_PAGE_SIZE


def test_a_list_cannot_be_sorted_by_a_masked_phone_number(app, login):
    client = login("admin")
    args = {"_oc_EnterpriseView": "contact_phone", "_od_EnterpriseView": "asc"}
    assert client.get("/enterprises/list/", query_string=args).status_code == 400
    view = next(v for v in app.appbuilder.baseviews if v.__class__.__name__ == "EnterpriseView")
    assert "contact_phone" not in view.order_columns  # and its column header offers no sorting


@pytest.mark.parametrize("value", ["abc", TOO_BIG, "1.5"])
def test_a_bad_row_id_of_a_list_action_is_refused_without_a_crash(login, value):
    client = login("admin")
    response = client.post("/users/action_post", data={"action": "resetpasswords", "rowid": value})
    assert response.status_code == 404


def test_the_browsers_own_favicon_request_neither_renders_a_page_nor_touches_the_session(login):
    client = login("admin")
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert "Set-Cookie" not in response.headers
    page = client.get("/catalog/list/").get_data(as_text=True)
    assert 'rel="icon"' in page and "favicon.svg" in page


@pytest.mark.parametrize(
    ("method", "url", "data", "status"),
    [
        ("get", "/caselist/list/?_flt_0_search=a%00b", None, 400),
        ("post", "/public/progress", {"number": "150621-2026-0001\x00", "phone": "1"}, 400),
        ("get", "/cases/2147483648", None, 404),  # ids are 32-bit INTEGER columns on PostgreSQL and MariaDB
    ],
)
def test_a_nul_character_or_an_id_past_32_bits_is_refused_before_any_query(login, method, url, data, status):
    client = login("dlt_agent")
    assert getattr(client, method)(url, data=data).status_code == status


def test_too_many_sign_ins_get_the_apps_own_429_page_and_the_api_answers_json(second_app):
    limited = second_app(RATELIMIT_ENABLED=True, AUTH_RATE_LIMIT="2 per minute")
    client = limited.test_client()
    for _ in range(3):
        page = client.post("/login/", data={"username": "x", "password": "wrong-1"})
    assert (
        page.status_code == 429
        and "尝试次数过多" in page.get_data(as_text=True)
        and "Too Many Requests" not in (page.get_data(as_text=True))
    )
    api = limited.test_client()
    for _ in range(3):
        answer = api.post("/api/v1/security/login", json={"username": "x", "password": "wrong-1"})
    assert answer.status_code == 429 and answer.is_json and answer.get_json()["message"]


def test_an_unknown_api_address_and_a_wrong_method_answer_json_in_the_callers_language(client):
    missing = client.get("/api/v1/no-such-resource/")
    assert missing.status_code == 404 and missing.is_json and "不存在" in missing.get_json()["message"]
    english = client.get("/api/v1/no-such-resource/", headers={"Accept-Language": "en"})
    assert english.get_json()["message"].startswith("The record does not exist")
    method = client.delete("/api/v1/public/progress")
    assert method.status_code == 405 and method.is_json


def test_an_expired_form_of_a_signed_in_user_gets_the_page_in_the_layout_without_an_error_logged(app, caplog):
    from tests.conftest import PASSWORD, make_app

    guarded = make_app(app.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=True)
    client = guarded.test_client()
    form = client.get("/login/").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    client.post("/login/", data={"username": "dlt_agent", "password": PASSWORD, "csrf_token": csrf})
    with caplog.at_level("ERROR"):
        page = client.post("/cases/new", data={"enterprise_name": "x"})  # no form token
    text = page.get_data(as_text=True)
    assert page.status_code == 400 and "表单已过期" in text and "navbar" in text  # the menu is drawn
    assert not [r for r in caplog.records if "could not be drawn" in r.getMessage()]
