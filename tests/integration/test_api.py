"""The data API (#12): its sign-in shares the sign-in page's lockout and rate limit and dies with the session;
each role's calls, row scope and the state machine as on the pages; the app channel; no password hash or
internal field in any response."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.domain.passwords import LOCK_AFTER_FAILURES
from app.extensions import db
from app.models import Case, CaseEvent, CaseItem, CatalogItem, Decision, Region, Staff
from app.security.sessions import end_sessions
from app.services import cases
from app.services.cases import PlanLine
from tests.conftest import PASSWORD, make_app, shared_app
from tests.factories import CREDIT_CODE, apply, project_code

pytestmark = pytest.mark.every_engine  # JSON of each engine's numbers and dates

D = dt.date
NEW_PASSWORD = "Brand-New-Pass-77"


@pytest.fixture
def web(app: Flask, database_url: str) -> Iterator[Flask]:
    """The app as clients meet it: its own instance, so each request has its own `g`; the app's questions may be
    answered at once (a person takes longer; the minimum fill time has its own test)."""
    instance = shared_app(database_url, PUBLIC_CHALLENGE_MIN_SECONDS=0)
    yield instance
    with instance.app_context():
        db.session.remove()


@pytest.fixture
def limited(app: Flask, database_url: str) -> Iterator[Any]:
    """App instances with rate limits on (each its own in-memory counts)."""
    made: list[Flask] = []

    def build(**settings: Any) -> Flask:
        made.append(make_app(database_url, RATELIMIT_ENABLED=True, **settings))
        return made[-1]

    yield build
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def _sign_in(client: FlaskClient, username: str, password: str = PASSWORD) -> Any:
    return client.post("/api/v1/security/login", json={"username": username, "password": password})


def token(client: FlaskClient, username: str) -> dict[str, str]:
    response = _sign_in(client, username)
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def _page_message(client: FlaskClient, username: str, password: str) -> str:
    """The sign-in page's flashed answer."""
    page = client.post("/login/", data={"username": username, "password": password}, follow_redirects=True)
    match = re.search(r'class="alert[^"]*"[^>]*>(.*?)</div>', page.get_data(as_text=True), re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).replace("×", "").strip() if match else ""


def _planned_case(staff: Any, region_code: str = "150621", agent_name: str = "dlt_agent") -> Case:
    agent = staff(agent_name)
    case = apply(agent, region_code)
    cases.accept_case(case.id, agent, D(2026, 9, 2))
    cases.entrust_case(case.id, agent, D(2026, 9, 3))
    cases.plan_schedule(case.id, [PlanLine(i.id, n, D(2026, 9, 20)) for n, i in enumerate(case.items)], agent)
    cases.fix_plan(case.id, agent, D(2026, 9, 4))
    return db.session.get(Case, case.id)


def _item(case: Case, name: str = "取水许可审批") -> CaseItem:
    return next(i for i in case.items if i.name == name)


# --- signing in ------------------------------------------------------------------------------------------------


def test_a_login_gets_tokens_that_open_the_staff_calls(web):
    client = web.test_client()
    response = _sign_in(client, "dlt_agent")
    body = response.get_json()
    assert response.status_code == 200
    assert body["token_type"] == "Bearer" and body["expires_in"] == 15 * 60
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert client.get("/api/v1/cases/", headers={"Authorization": f"Bearer {body['access_token']}"}).status_code == 200
    assert client.get_cookie("session") is None  # a token sign-in leaves the browser session alone


def test_a_wrong_password_an_unknown_name_and_an_inactive_login_get_the_same_answer(web, staff):
    staff("dlt_liaison_land").active = False
    db.session.commit()
    client = web.test_client()
    answers = {
        (r.status_code, r.get_json()["message"])
        for r in (
            _sign_in(client, "dlt_agent", "wrong-password-1"),
            _sign_in(client, "no_such_login", "wrong-password-1"),
            _sign_in(client, "dlt_liaison_land", PASSWORD),
        )
    }
    assert len(answers) == 1 and next(iter(answers))[0] == 401


def test_failures_through_the_api_lock_the_sign_in_page(web):
    client = web.test_client()
    for _ in range(LOCK_AFTER_FAILURES):
        assert _sign_in(client, "dlt_agent", "wrong-password-1").status_code == 401
    assert "登录失败次数过多" in _page_message(web.test_client(), "dlt_agent", PASSWORD)
    locked = _sign_in(client, "dlt_agent", PASSWORD)
    assert locked.status_code == 401 and "登录失败次数过多" in locked.get_json()["message"]


def test_failures_at_the_sign_in_page_lock_the_api(web):
    page = web.test_client()
    for _ in range(LOCK_AFTER_FAILURES):
        page.post("/login/", data={"username": "dlt_agent", "password": "wrong-password-1"})
    refused = _sign_in(web.test_client(), "dlt_agent", PASSWORD)  # the right password, and still refused
    assert refused.status_code == 401
    assert "登录失败次数过多" in refused.get_json()["message"]


def test_a_locked_unknown_name_is_answered_exactly_like_a_locked_login(web):
    client = web.test_client()

    def answers(name: str) -> list[str]:
        replies = [_sign_in(client, name, "wrong-password-1").get_json() for _ in range(LOCK_AFTER_FAILURES + 1)]
        # The lock's end is a clock time: the two runs may fall on either side of a minute.
        return [re.sub(r"\d{2}:\d{2}", "HH:MM", json.dumps(reply, ensure_ascii=False)) for reply in replies]

    known, unknown = answers("dlt_agent"), answers("ghost")
    assert known == unknown
    assert "登录失败次数过多" in unknown[-1] and "登录失败次数过多" not in unknown[-2]


def test_the_api_and_the_sign_in_page_count_in_one_rate_limit(limited):
    app = limited(AUTH_RATE_LIMIT="3 per minute")
    client = app.test_client()
    codes = [
        client.post("/login/", data={"username": "x", "password": "y-1"}).status_code,
        _sign_in(client, "x", "y-1").status_code,
        client.post("/login/", data={"username": "x", "password": "y-1"}).status_code,
    ]
    assert 429 not in codes
    over = _sign_in(client, "x", "y-1")
    assert over.status_code == 429
    assert client.post("/login/", data={"username": "x", "password": "y-1"}).status_code == 429


def test_a_password_change_ends_the_users_tokens(web, staff):
    client = web.test_client()
    tokens = _sign_in(client, "dlt_agent").get_json()
    web.appbuilder.sm.reset_password(staff("dlt_agent").id, NEW_PASSWORD)
    after = client.get("/api/v1/cases/", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert after.status_code == 401 and after.get_json()["message"] == "本次登录已结束，请重新登录。"
    refreshed = client.post("/api/v1/security/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 401
    assert _sign_in(client, "dlt_agent", NEW_PASSWORD).status_code == 200


def test_deactivation_sign_out_and_sign_out_everywhere_end_tokens(web, staff):
    client = web.test_client()
    first, second, third = (token(client, "dlt_agent") for _ in range(3))
    assert client.post("/api/v1/security/logout", headers=first).status_code == 200
    assert client.get("/api/v1/cases/", headers=first).status_code == 401
    assert client.get("/api/v1/cases/", headers=second).status_code == 200  # another sign-in goes on
    end_sessions(staff("dlt_agent").id)  # an admin's 全部登出
    assert client.get("/api/v1/cases/", headers=second).status_code == 401
    fourth = token(client, "dlt_agent")
    staff("dlt_agent").active = False
    db.session.commit()
    assert client.get("/api/v1/cases/", headers=fourth).status_code == 401
    assert third != fourth


def test_tokens_on_redis_serve_every_instance_and_end_everywhere(app, database_url, staff):
    """Several app servers: a token from one works on the other, and 全部登出 on one ends it on both."""
    import uuid

    import redis

    prefix = f"test-{uuid.uuid4().hex}"
    settings = {"REDIS_URL": "redis://127.0.0.1:6379/1", "SESSION_KEY_PREFIX": f"{prefix}:session:"}
    first, second = make_app(database_url, **settings), make_app(database_url, **settings)
    try:
        headers = token(first.test_client(), "dlt_agent")
        assert second.test_client().get("/api/v1/cases/", headers=headers).status_code == 200
        with first.app_context():
            end_sessions(staff("dlt_agent").id)
        assert second.test_client().get("/api/v1/cases/", headers=headers).status_code == 401
    finally:
        client = redis.Redis.from_url(settings["REDIS_URL"])
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()
        for other in (first, second):
            with other.app_context():
                db.session.remove()
                db.engine.dispose()


def test_a_refresh_token_gets_a_new_access_token_and_neither_stands_in_for_the_other(web):
    client = web.test_client()
    tokens = _sign_in(client, "dlt_agent").get_json()
    by_header = client.post("/api/v1/security/refresh", headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    assert by_header.status_code == 200
    assert set(by_header.get_json()) == {"access_token", "refresh_token", "token_type", "expires_in"}
    fresh = {"Authorization": f"Bearer {by_header.get_json()['access_token']}"}
    assert client.get("/api/v1/items/", headers=fresh).status_code == 200
    as_access = client.get("/api/v1/items/", headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    assert as_access.status_code == 401
    as_refresh = client.post("/api/v1/security/refresh", json={"refresh_token": tokens["access_token"]})
    assert as_refresh.status_code == 401
    assert client.post("/api/v1/security/refresh", json={"refresh_token": "not-a-token"}).status_code == 401


def test_each_refresh_token_is_good_once_and_an_old_one_presented_again_ends_the_sign_in(web):
    client = web.test_client()
    first = _sign_in(client, "dlt_agent").get_json()
    second = client.post("/api/v1/security/refresh", json={"refresh_token": first["refresh_token"]}).get_json()
    third = client.post("/api/v1/security/refresh", json={"refresh_token": second["refresh_token"]})
    assert third.status_code == 200  # the chain goes on while each token is used once
    replayed = client.post("/api/v1/security/refresh", json={"refresh_token": first["refresh_token"]})
    assert replayed.status_code == 401 and "用过" in replayed.get_json()["message"]
    latest = third.get_json()
    assert client.post("/api/v1/security/refresh", json={"refresh_token": latest["refresh_token"]}).status_code == 401
    bearer = {"Authorization": f"Bearer {latest['access_token']}"}
    assert client.get("/api/v1/items/", headers=bearer).status_code == 401  # the whole sign-in has ended


def test_a_token_sign_in_left_idle_ends_like_a_browsers(web, monkeypatch):
    import time

    from app.security import signin

    client = web.test_client()
    tokens = _sign_in(client, "dlt_agent").get_json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get("/api/v1/items/", headers=bearer).status_code == 200
    idle = web.config["SESSION_IDLE_MINUTES"] * 60
    later = time.time() + idle + 5
    monkeypatch.setattr(signin, "time", type("Clock", (), {"time": staticmethod(lambda: later)}))
    assert client.get("/api/v1/items/", headers=bearer).status_code == 401  # the token itself is not expired
    assert client.post("/api/v1/security/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401


def test_an_expired_access_token_is_refused_with_a_hint(limited, database_url):
    app = limited(JWT_ACCESS_TOKEN_EXPIRES=-1)
    client = app.test_client()
    answer = client.get("/api/v1/cases/", headers=token(client, "dlt_agent"))
    assert answer.status_code == 401 and "刷新令牌" in answer.get_json()["message"]


def test_messages_follow_accept_language_chinese_first(web):
    client = web.test_client()
    assert client.get("/api/v1/cases/").get_json()["message"].startswith("请先登录")
    english = client.get("/api/v1/cases/", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert english.status_code == 401 and english.get_json()["message"].startswith("Sign in first")
    assert english.headers["WWW-Authenticate"] == "Bearer"


def test_fabs_own_security_apis_are_not_registered(web):
    assert web.config["FAB_ADD_SECURITY_API"] is False
    rules = {rule.rule for rule in web.url_map.iter_rules()}
    for path in ("/api/v1/security/users/", "/api/v1/security/roles/", "/api/v1/security/permissions/"):
        assert path not in rules
    modules = {web.view_functions[r.endpoint].__module__ for r in web.url_map.iter_rules()}
    assert not any(module.startswith("flask_appbuilder.security.api") for module in modules)


# --- roles: a matrix of role × call ------------------------------------------------------------------------------

# (method, path, body) → which roles may make the call (a 2xx or a domain answer, not 401/403).
CALLS = {
    ("GET", "/api/v1/cases/"): {"admin", "supervisor", "dlt_agent", "dlt_liaison_water"},
    ("GET", "/api/v1/items/"): {"admin", "supervisor", "dlt_agent", "dlt_liaison_water"},
    ("GET", "/api/v1/decisions/"): {"admin", "supervisor", "dlt_agent", "dlt_liaison_water"},
    ("POST", "/api/v1/items/{item}/actions/accept"): {"admin", "dlt_agent", "dlt_liaison_water"},
    ("POST", "/api/v1/decisions/{decision}/actions/fulfil"): {"admin", "supervisor", "dlt_agent", "dlt_liaison_water"},
    ("GET", "/api/v1/_openapi"): {"admin", "supervisor", "dlt_agent", "dlt_liaison_water"},
}


@pytest.mark.parametrize("username", ["anonymous", "admin", "supervisor", "dlt_agent", "dlt_liaison_water"])
def test_each_role_makes_exactly_the_calls_the_role_table_gives_it(web, staff, username):
    case = _planned_case(staff)
    ids = {"item": _item(case).id, "decision": 999_999}
    client = web.test_client()
    headers = {} if username == "anonymous" else token(client, username)
    wrong = {}
    for (method, path), allowed in CALLS.items():
        url = path.format(**ids)
        body = {"expected_version": 999} if method == "POST" else None
        response = client.open(url, method=method, json=body, headers=headers)
        expected = {401} if username == "anonymous" else ({403} if username not in allowed else None)
        refused = response.status_code in (401, 403)
        if (expected is not None) != refused or (expected is not None and response.status_code not in expected):
            wrong[f"{method} {url}"] = response.status_code
    assert wrong == {}


def test_the_swagger_page_opens_for_staff_and_not_for_visitors(web):
    client = web.test_client()
    assert client.get("/swagger/v1").status_code == 302
    client.post("/login/", data={"username": "dlt_liaison_water", "password": PASSWORD})
    page = client.get("/swagger/v1")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html and "unpkg" not in html and "cdn" not in html
    nonce = re.search(r"'nonce-([^']+)'", page.headers["Content-Security-Policy"]).group(1)
    assert html.count(f'nonce="{nonce}"') >= 2
    asset = client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js")
    assert asset.status_code == 200
    asset.close()


def test_a_signed_in_browser_reads_the_api_and_writes_only_with_the_pages_csrf_token(staff, database_url):
    water = _item(_planned_case(staff))
    browser_app = make_app(database_url, WTF_CSRF_ENABLED=True)
    try:
        browser = browser_app.test_client()
        form_token = re.search(
            r'name="csrf_token" type="hidden" value="([^"]+)"', browser.get("/login/").get_data(True)
        )
        signed_in = {"username": "dlt_liaison_water", "password": PASSWORD, "csrf_token": form_token.group(1)}
        assert browser.post("/login/", data=signed_in).status_code == 302
        assert browser.get(f"/api/v1/items/{water.id}").status_code == 200  # the session reads
        url, step = f"/api/v1/items/{water.id}/actions/accept", {"expected_version": water.version}
        refused = browser.post(url, json=step)  # a cross-site form could send the cookie, not the header
        assert refused.status_code == 400 and "X-CSRFToken" in refused.get_json()["message"]
        page_token = re.search(r'data-csrf="([^"]+)"', browser.get("/swagger/v1").get_data(as_text=True)).group(1)
        assert browser.post(url, json=step, headers={"X-CSRFToken": page_token}).status_code == 200
    finally:
        with browser_app.app_context():
            db.session.remove()
            db.engine.dispose()


# --- row scope ----------------------------------------------------------------------------------------------------


def test_another_regions_case_and_item_are_not_found(web, staff):
    city = _planned_case(staff, "150600", "agent")
    client = web.test_client()
    banner = token(client, "dlt_agent")
    assert client.get(f"/api/v1/cases/{city.id}", headers=banner).status_code == 404
    assert client.get(f"/api/v1/items/{_item(city).id}", headers=banner).status_code == 404
    moved = client.post(f"/api/v1/items/{_item(city).id}/actions/prepare", json={"expected_version": 1}, headers=banner)
    assert moved.status_code == 404
    assert city.number not in client.get("/api/v1/cases/?page_size=100", headers=banner).get_data(as_text=True)
    above = token(client, "supervisor")  # the city's supervisor sees the banners below
    banner_case = _planned_case(staff)
    assert client.get(f"/api/v1/cases/{banner_case.id}", headers=above).status_code == 200
    listed = client.get("/api/v1/cases/?region=150621&page_size=100", headers=above).get_json()
    assert {row["number"] for row in listed["result"]} == {banner_case.number}


def test_a_liaison_sees_only_their_departments_items(web, staff):
    case = _planned_case(staff)
    water, land = _item(case), _item(case, "建设用地规划许可证核发")
    client = web.test_client()
    liaison = token(client, "dlt_liaison_water")
    assert client.get(f"/api/v1/items/{land.id}", headers=liaison).status_code == 404
    assert client.get(f"/api/v1/items/{water.id}", headers=liaison).status_code == 200
    shown = client.get(f"/api/v1/cases/{case.id}", headers=liaison).get_json()
    assert [item["name"] for item in shown["items"]] == ["取水许可审批"]
    listed = client.get("/api/v1/items/?page_size=100", headers=liaison).get_json()
    assert {row["id"] for row in listed["result"]} == {water.id}
    refused = client.post(f"/api/v1/items/{land.id}/actions/accept", json={"expected_version": 1}, headers=liaison)
    assert refused.status_code == 404


# --- the state machine ------------------------------------------------------------------------------------------


def test_a_liaison_accepts_an_item_through_the_api_as_on_the_case_page(web, staff):
    case = _planned_case(staff)
    water = _item(case)
    client = web.test_client()
    liaison = token(client, "dlt_liaison_water")
    before = client.get(f"/api/v1/items/{water.id}", headers=liaison).get_json()
    assert [a["action"] for a in before["actions"]] == ["accept"]
    done = client.post(
        f"/api/v1/items/{water.id}/actions/accept",
        json={"expected_version": before["version"], "on": "2026-09-25", "note": "材料齐全"},
        headers=liaison,
    )
    body = done.get_json()
    assert done.status_code == 200
    assert body["state"] == "accepted" and body["state_label"] == "部门已受理" and body["accepted_on"] == "2026-09-25"
    assert body["version"] > before["version"] and body["due_on"]
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "in_progress"  # the first acceptance starts the case
    events = db.session.scalars(select(CaseEvent).where(CaseEvent.item_id == water.id, CaseEvent.action == "accept"))
    assert [(e.actor.username, e.note) for e in events] == [("dlt_liaison_water", "材料齐全")]


def test_refused_steps_answer_with_the_engines_message_and_status(web, staff):
    case = _planned_case(staff)
    water = _item(case)
    client = web.test_client()
    liaison, agent, supervisor = (token(client, name) for name in ("dlt_liaison_water", "dlt_agent", "supervisor"))
    url = f"/api/v1/items/{water.id}/actions/"
    version = {"expected_version": water.version}
    wrong_state = client.post(url + "approve", json=version, headers=liaison)
    assert wrong_state.status_code == 409
    assert (
        wrong_state.get_json()["message"] == "当前事项为“待申报”，不能“批准”。"
        or "批准" in wrong_state.get_json()["message"]
    )
    not_theirs = client.post(url + "accept", json=version, headers=agent)  # a liaison's step
    assert not_theirs.status_code == 403
    assert client.post(url + "accept", json=version, headers=supervisor).status_code == 403  # no can_act
    assert client.post(url + "fly", json=version, headers=liaison).status_code == 404
    future = client.post(url + "accept", json={**version, "on": "2099-01-01"}, headers=liaison)
    assert future.status_code == 422 and "2099-01-01" in future.get_json()["message"]
    english = client.post(url + "approve", json=version, headers={**liaison, "Accept-Language": "en"})
    assert "not possible" in english.get_json()["message"]
    db.session.expire_all()
    assert db.session.get(CaseItem, water.id).state == "planned"  # nothing moved


def test_a_step_on_a_stale_version_is_a_conflict(web, staff):
    case = _planned_case(staff)
    water = _item(case)
    client = web.test_client()
    liaison = token(client, "dlt_liaison_water")
    stale = water.version
    first = client.post(f"/api/v1/items/{water.id}/actions/accept", json={"expected_version": stale}, headers=liaison)
    assert first.status_code == 200
    second = client.post(f"/api/v1/items/{water.id}/actions/review", json={"expected_version": stale}, headers=liaison)
    assert second.status_code == 409 and "dlt_liaison_water" in second.get_json()["message"]


def test_a_step_needing_a_note_and_a_malformed_body_are_refused(web, staff):
    case = _planned_case(staff)
    water = _item(case)
    cases.accept_item(water.id, staff("dlt_liaison_water"), D(2026, 9, 25))
    cases.move_item(water.id, "review", staff("dlt_liaison_water"), D(2026, 9, 26))
    version = db.session.get(CaseItem, water.id).version
    client = web.test_client()
    liaison = token(client, "dlt_liaison_water")
    url = f"/api/v1/items/{water.id}/actions/request_supplement"
    no_note = client.post(url, json={"expected_version": version}, headers=liaison)
    assert no_note.status_code == 422 and no_note.get_json()["message"]
    bad = client.post(url, json={"expected_version": "x", "colour": "red", "on": "2026-13-01"}, headers=liaison)
    assert bad.status_code == 400
    assert set(bad.get_json()["errors"]) == {"expected_version", "colour", "on"}
    assert client.post(url, data="not json", headers=liaison).status_code == 400
    done = client.post(url, json={"expected_version": version, "note": "缺水资源论证报告"}, headers=liaison)
    assert done.status_code == 200 and done.get_json()["state"] == "supplement"


def test_a_liaison_reports_their_departments_decision_carried_out(demo_data, web, staff, password_hash):
    liaison = staff("dlt_liaison_water")
    theirs = db.session.scalars(
        select(Decision).where(Decision.department_id == liaison.department_id, Decision.state == "open")
    ).first()
    other = db.session.scalars(select(Decision).where(Decision.department_id != liaison.department_id)).first()
    assert theirs is not None and other is not None
    client = web.test_client()
    headers = token(client, "dlt_liaison_water")
    listed = client.get("/api/v1/decisions/?page_size=100", headers=headers).get_json()
    assert {row["department"]["id"] for row in listed["result"]} == {liaison.department_id}
    assert client.get(f"/api/v1/decisions/{other.id}", headers=headers).status_code == 404
    url = f"/api/v1/decisions/{theirs.id}/actions/"
    assert (
        client.post(url + "drop", json={"expected_version": theirs.version, "note": "x"}, headers=headers).status_code
        == 403
    )
    assert client.post(url + "fulfil", json={"expected_version": theirs.version}, headers=headers).status_code == 422
    done = client.post(url + "fulfil", json={"expected_version": theirs.version, "note": "已完成"}, headers=headers)
    assert done.status_code == 200 and done.get_json()["state"] == "done"


# --- the app channel ---------------------------------------------------------------------------------------------


def _solved(client: FlaskClient) -> dict[str, str]:
    """A question drawn from the API and answered as the applicant reads it."""
    from tests.integration.test_channels import _chinese

    drawn = client.get("/api/v1/public/challenge").get_json()
    left, right = re.fullmatch(r"(.+)加(.+)等于多少？", drawn["question"]).groups()
    return {"challenge_token": drawn["token"], "challenge_answer": str(_chinese(left) + _chinese(right))}


def _application(**changes: Any) -> dict[str, Any]:
    water = db.session.scalar(
        select(CatalogItem.id).join(Region).where(Region.code == "150621", CatalogItem.name == "取水许可审批")
    )
    values = {
        "region": "150621",
        "enterprise_name": "达拉特旗光伏新能源有限公司",
        "enterprise_credit_code": CREDIT_CODE,
        "enterprise_contact_person": "李敏",
        "enterprise_contact_phone": "139 0477 0000",
        "project_name": "达拉特旗200兆瓦光伏治沙项目",
        "project_code": project_code(),
        "project_total_investment": "98000",
        "project_planned_investment": "30000",
        "project_category": "encouraged",
        "catalog_item_id": [water],
    }
    values.update(changes)
    return values


def test_the_app_submits_an_application_as_a_case_of_the_app_channel(web):
    client = web.test_client()
    response = client.post("/api/v1/public/applications", json=_application(**_solved(client)))
    body = response.get_json()
    assert response.status_code == 201 and body["state"] == "已申请"
    case = db.session.scalar(select(Case).where(Case.number == body["number"]))
    assert (case.channel, case.state, case.created_by_id) == ("app", "submitted", None)
    assert body["receipt"] == case.channel_ref and case.channel_ref.startswith("A")
    assert [item.name for item in case.items] == ["取水许可审批"]


def test_a_refused_application_names_every_field_in_the_callers_language(web):
    client = web.test_client()
    values = _application(enterprise_credit_code="123", project_total_investment="lots", enterprise_contact_person="")
    values |= _solved(client)
    refused = client.post("/api/v1/public/applications", json=values)
    body = refused.get_json()
    assert refused.status_code == 422
    assert {"enterprise_credit_code", "project_total_investment", "enterprise_contact_person"} <= set(body["errors"])
    assert body["errors"]["enterprise_contact_person"] == "此项为必填项。"
    english = client.post("/api/v1/public/applications", json=values, headers={"Accept-Language": "en"}).get_json()
    assert english["errors"]["enterprise_contact_person"] == "This field is required."
    unpublished = client.post(
        "/api/v1/public/applications", json=_application(catalog_item_id=[999_999], **_solved(client))
    )
    assert unpublished.status_code == 422 and "catalog_item_id" in unpublished.get_json()["errors"]
    malformed = client.post("/api/v1/public/applications", json={**_application(), "catalog_item_id": "1", "x": 1})
    assert malformed.status_code == 400 and set(malformed.get_json()["errors"]) == {"catalog_item_id", "x"}
    assert db.session.scalar(select(Case.id)) is None  # nothing registered


def test_progress_answers_the_right_pair_and_alike_for_a_wrong_phone_and_an_unknown_number(web):
    client = web.test_client()
    number = client.post("/api/v1/public/applications", json=_application(**_solved(client))).get_json()["number"]
    right = client.post("/api/v1/public/progress", json={"number": number, "phone": "+86 13904770000"})
    body = right.get_json()
    assert right.status_code == 200
    assert body["number"] == number and body["state"] == "已申请"
    assert body["items"] == [
        {"name": "取水许可审批", "department": "达拉特旗水利局", "state": "待申报", "due_on": None}
    ]
    wrong = client.post("/api/v1/public/progress", json={"number": number, "phone": "13900000000"})
    unknown = client.post("/api/v1/public/progress", json={"number": "150621-2026-9999", "phone": "13904770000"})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.get_data() == unknown.get_data()


def test_the_app_channel_needs_its_own_solved_question_once_and_a_wrong_answer_uses_it_up(web):
    client = web.test_client()
    bare = client.post("/api/v1/public/applications", json=_application())
    body = bare.get_json()
    assert bare.status_code == 422 and "challenge_answer" in body["errors"]
    solved = _solved(client)
    wrong = {**solved, "challenge_answer": str(int(solved["challenge_answer"]) + 1)}
    assert client.post("/api/v1/public/applications", json=_application(**wrong)).status_code == 422
    burnt = client.post("/api/v1/public/applications", json=_application(**solved))
    assert burnt.status_code == 422 and "challenge_answer" in burnt.get_json()["errors"]  # one guess per question
    again = _solved(client)
    refused = client.post("/api/v1/public/applications", json=_application(enterprise_credit_code="1", **again))
    assert refused.status_code == 422 and "challenge_answer" not in refused.get_json()["errors"]
    assert client.post("/api/v1/public/applications", json=_application(**again)).status_code == 201  # corrected
    replayed = client.post("/api/v1/public/applications", json=_application(**again))
    assert replayed.status_code == 422 and "challenge_answer" in replayed.get_json()["errors"]
    assert db.session.scalar(select(func.count(Case.id))) == 1
    english = client.get("/api/v1/public/challenge").get_json()["question_en"]
    assert re.fullmatch(r"What is [a-z-]+ plus [a-z-]+\?", english)


def test_the_published_catalog_lists_ids_to_apply_with(web):
    client = web.test_client()
    catalog = client.get("/api/v1/public/catalog/150621").get_json()
    assert catalog["region"] == {"code": "150621", "name": "达拉特旗"}
    water = next(item for item in catalog["items"] if item["name"] == "取水许可审批")
    assert water["department"] == "达拉特旗水利局" and isinstance(water["id"], int)
    assert client.get("/api/v1/public/catalog/999999").status_code == 404


def test_the_app_channel_is_rate_limited_with_the_web_pages(limited):
    app = limited(PUBLIC_APPLY_RATE_LIMIT="2 per hour", PUBLIC_PROGRESS_RATE_LIMIT="2 per hour")
    client = app.test_client()
    web_form = client.post("/public/apply/150621", data={"enterprise_name": "x"})
    assert web_form.status_code != 429
    assert client.post("/api/v1/public/applications", json={"region": "150621"}).status_code == 422
    over = client.post("/api/v1/public/applications", json={"region": "150621"})
    assert over.status_code == 429 and over.get_json()["message"]
    lookups = [client.post("/api/v1/public/progress", json={"number": "x", "phone": "1"}).status_code for _ in range(3)]
    assert lookups == [404, 404, 429]


# --- nothing leaks -------------------------------------------------------------------------------------------------

HASH_MARKS = ("pbkdf2:", "scrypt:", "$2b$", "$argon2")
INTERNAL_KEYS = {
    "password",
    "submitted_data",
    "created_by_id",
    "updated_by_id",
    "updated_by",
    "fail_login_count",
    "last_failed_login",
    "login_count",
    "email",
    "phone",
    "contact_phone",
    "name_hash",
    "_user_id",
    "sid",
}


def _keys(value: Any) -> set[str]:
    """Every key of a JSON answer but the names of request fields an error lists (e.g. a missing password)."""
    if isinstance(value, dict):
        return set(value) | {k for key, v in value.items() if key != "errors" for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def _urls(app: Flask, ids: dict[str, int]) -> list[tuple[str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if not (rule.rule.startswith("/api/") or rule.rule.startswith("/swagger/")):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for kind in ("case", "item", "decision"):
                if f"/{kind}s/<int:pk>" in rule.rule:
                    url = rule.rule.replace("<int:pk>", str(ids[kind]))
                    break
            else:
                url = rule.rule
            url = url.replace("<version>", "v1").replace("<code>", "150621")
            url = url.replace("<action>", "fulfil" if "decisions" in url else "accept")
            found.append((method, url))
    return found


def test_no_api_response_carries_a_password_hash_or_an_internal_field(demo_data, web, staff, password_hash):
    """Every API route of the URL map, as a visitor and as each role, with the demo's cases and decisions."""
    hashes = set(db.session.scalars(select(Staff.password))) | {password_hash}
    ids = {
        "case": db.session.scalar(select(Case.id).join(Region).where(Region.code == "150621").order_by(Case.id)),
        "item": db.session.scalar(
            select(CaseItem.id).where(CaseItem.department_id == staff("dlt_liaison_water").department_id)
        ),
        "decision": db.session.scalar(select(Decision.id).order_by(Decision.id)),
    }
    for username in ("anonymous", "admin", "supervisor", "dlt_agent", "dlt_liaison_water"):
        _scan(web, username, ids, hashes)


def _scan(web: Flask, username: str, ids: dict[str, int], hashes: set[str]) -> None:
    client = web.test_client()
    headers = {} if username == "anonymous" else token(client, username)
    login = client.post("/api/v1/security/login", json={"username": "admin", "password": PASSWORD})
    answered = [("POST", "/api/v1/security/login", login)]
    for method, url in _urls(web, ids):
        body = {"expected_version": 1, "note": "扫描"} if method == "POST" else None
        if url.endswith("/security/logout"):
            continue  # would end this scan's sign-in; its answer is a message only (tested above)
        for query in ("", "?page_size=100"):
            answered.append((method, url + query, client.open(url + query, method=method, json=body, headers=headers)))
    statuses = {}
    for method, url, response in answered:
        text = response.get_data(as_text=True)
        statuses[url] = response.status_code
        assert response.status_code < 500, (username, method, url)
        assert not any(mark in text for mark in HASH_MARKS), (method, url)
        assert not any(h and h in text for h in hashes), (method, url)
        if response.is_json and "_openapi" not in url:
            assert _keys(response.get_json()) & INTERNAL_KEYS == set(), (method, url, response.get_json())
    if username != "anonymous":
        assert statuses["/api/v1/cases/?page_size=100"] == 200
        assert (
            json.loads(next(r for _, u, r in answered if u == "/api/v1/items/?page_size=100").get_data())["count"] > 0
        )


def test_what_the_fuzzer_found_on_postgresql_is_refused_cleanly(web):
    """NUL characters and ids past 32 bits made PostgreSQL raise (500s found by test_api_fuzz): now 400 / 404."""
    client = web.test_client()
    headers = token(client, "dlt_agent")
    nul = client.get("/api/v1/cases/?region=%00", headers=headers)
    assert nul.status_code == 400 and set(nul.get_json()["errors"]) == {"region"}
    assert client.get("/api/v1/cases/2147483648", headers=headers).status_code == 404
    assert client.get("/api/v1/items/?case_id=2147483648", headers=headers).status_code == 400
    assert client.get("/api/v1/public/catalog/%00").status_code == 404
    assert _sign_in(client, "dlt\x00agent").status_code == 400
    application = client.post("/api/v1/public/applications", json={"region": "150621", "catalog_item_id": [2**40]})
    assert application.status_code == 400 and "catalog_item_id" in application.get_json()["errors"]


def test_a_tokens_sign_in_cannot_be_worn_as_a_browser_session_cookie(web):
    """The session id inside a token (readable by its holder) is not the key its sign-in is stored under."""
    import base64

    client = web.test_client()
    access = _sign_in(client, "dlt_agent").get_json()["access_token"]
    payload = access.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    store = web.session_interface
    with web.app_context():
        assert store._retrieve_session_data(store._get_store_id(claims["sid"])) is None
    browser = web.test_client()
    browser.set_cookie("session", claims["sid"])
    assert browser.get("/queue/cases").status_code == 302  # sent to sign in: no session under that id
    assert client.get("/api/v1/cases/", headers={"Authorization": f"Bearer {access}"}).status_code == 200


def test_a_deeply_nested_or_oversized_body_is_a_clear_400_or_413_on_every_json_call(web):
    client = web.test_client()
    nested = "[" * 1000 + "]" * 1000
    for url in (
        "/api/v1/public/applications",
        "/api/v1/public/progress",
        "/api/v1/security/login",
        "/api/v1/security/refresh",
        "/api/v1/security/logout",
        "/api/v1/items/1/act",
    ):
        response = client.post(url, data=nested, content_type="application/json")
        assert response.status_code == 400, url
        assert "嵌套" in response.get_json()["message"], url
    big = client.post("/api/v1/public/progress", data=b" " * (300 * 1024), content_type="application/json")
    assert big.status_code == 413 and big.get_json()["message"]


def test_token_refresh_and_sign_out_are_rate_limited_per_address(limited):
    client = limited(API_TOKEN_RATE_LIMIT="3 per minute").test_client()
    codes = [client.post("/api/v1/security/refresh", json={"refresh_token": "x"}).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    assert client.post("/api/v1/security/logout", json={"token": "x"}).status_code == 429
