"""Sessions that end: a copied cookie is worthless after sign-out, a password change, deactivation or an admin's
"sign out everywhere"; idle and absolute timeouts; no token route beside the sign-in page; a lockout that does
not tell which names exist; rate limits and sessions shared by two app instances through Redis (db 1)."""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.domain.passwords import LOCK_AFTER_FAILURES, LOCK_MINUTES
from app.extensions import db
from app.models import ServerSession, SignInFailure, Staff
from app.models.org import now
from app.security.sessions import end_sessions
from tests.conftest import PASSWORD, make_app, shared_app

pytestmark = pytest.mark.every_engine  # server-side sessions and token rows under each engine

REDIS_URL = "redis://127.0.0.1:6379/1"  # this suite's own Redis database; nothing else uses it
COOKIE = "session"
NEW_PASSWORD = "Brand-New-Pass-77"


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def _signed_in_as(client: FlaskClient, username: str) -> FlaskClient:
    response = client.post("/login/", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, username
    return client


def _copy(client: FlaskClient, app: Flask) -> FlaskClient:
    """Another browser holding a copy of this one's session cookie (as a thief would)."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return thief


def _in(client: FlaskClient) -> bool:
    """Whether the client is signed in: the agent's queue answers instead of sending to the sign-in page."""
    response = client.get("/queue/cases")
    return response.status_code == 200


def _user_form(user: Staff, **changes: object) -> dict[str, object]:
    data = {
        "first_name": user.first_name,
        "username": user.username,
        "email": user.email,
        "region": str(user.region_id),
        "roles": [str(r.id) for r in user.roles],
        "active": "y",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


@pytest.fixture
def web(app: Flask, database_url: str) -> Iterator[Flask]:
    """The app as browsers meet it: its own instance, so each request has its own `g` (the `app` fixture keeps
    one app context open for the test's database work, and Flask-Login keeps the user in `g`)."""
    instance = shared_app(database_url)
    yield instance
    with instance.app_context():
        db.session.remove()


@pytest.fixture
def agent(web: Flask) -> FlaskClient:
    return _signed_in_as(web.test_client(), "dlt_agent")


def test_the_cookie_holds_only_a_random_id_and_the_session_lives_on_the_server(web, agent, staff):
    value = agent.get_cookie(COOKIE).value
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", value)  # no data, no signature: a random id
    row = db.session.scalar(select(ServerSession).where(ServerSession.id.endswith(value)))
    assert row is not None and row.user_id == staff("dlt_agent").id


def test_a_copied_cookie_is_refused_after_sign_out(web, agent):
    thief = _copy(agent, web)
    assert _in(thief)  # the copy works while the session lives
    agent.post("/logout/")
    assert not _in(agent)
    assert not _in(thief)


def test_signing_out_ends_this_browsers_session_but_not_the_users_other_browsers(web, agent):
    other_browser = _signed_in_as(web.test_client(), "dlt_agent")
    agent.post("/logout/")
    assert not _in(agent)
    assert _in(other_browser)  # the office PC stays in when the laptop signs out; 全部登出 ends both


def test_signing_in_gives_a_new_session_id(web):
    client = web.test_client()
    client.get("/lang/zh")  # a visitor's session (the chosen language)
    before = client.get_cookie(COOKIE).value
    _signed_in_as(client, "dlt_agent")
    assert client.get_cookie(COOKIE).value != before
    planted = web.test_client()
    planted.set_cookie(COOKIE, before)  # a session id planted before sign-in is worth nothing after it
    assert not _in(planted)


def test_a_copied_cookie_is_refused_after_the_user_changes_their_password(web, agent):
    thief = _copy(agent, web)
    response = agent.post(
        "/resetmypassword/form",
        data={"current_password": PASSWORD, "password": NEW_PASSWORD, "conf_password": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert not _in(thief)
    assert _in(agent)  # the browser that changed it stays signed in, under a new id
    assert agent.get_cookie(COOKIE).value != thief.get_cookie(COOKIE).value


def test_a_copied_cookie_is_refused_after_an_admin_sets_a_new_password(web, agent, staff):
    thief = _copy(agent, web)
    admin = _signed_in_as(web.test_client(), "admin")
    user_id = staff("dlt_agent").id
    response = admin.post(
        f"/resetpassword/form?pk={user_id}", data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert not _in(thief) and not _in(agent)


def test_a_copied_cookie_is_refused_after_the_login_is_deactivated(web, agent, staff):
    thief = _copy(agent, web)
    admin = _signed_in_as(web.test_client(), "admin")
    user = staff("dlt_agent")
    assert admin.post(f"/users/edit/{user.id}", data=_user_form(user, active="")).status_code == 302
    assert not _in(thief) and not _in(agent)


def test_an_admin_signs_a_login_out_everywhere_from_its_page(web, agent, staff):
    thief = _copy(agent, web)
    admin = _signed_in_as(web.test_client(), "admin")
    user_id = staff("dlt_agent").id
    page = admin.get(f"/users/show/{user_id}").get_data(as_text=True)
    assert f'action="/users/signout/{user_id}"' in page and "全部登出" in page
    response = admin.post(f"/users/signout/{user_id}", follow_redirects=True)
    assert "已在所有浏览器登出" in _text(response.get_data(as_text=True))
    assert not _in(thief) and not _in(agent)
    assert admin.get("/users/list/").status_code == 200  # the admin's own session is untouched


def test_the_command_line_signs_one_login_or_everyone_out(web, agent):
    thief = _copy(agent, web)
    admin = _signed_in_as(web.test_client(), "admin")
    result = web.test_cli_runner().invoke(args=["end-sessions", "--user", "dlt_agent"])
    assert result.exit_code == 0 and "dlt_agent" in result.output
    assert not _in(thief) and admin.get("/users/list/").status_code == 200
    assert web.test_cli_runner().invoke(args=["end-sessions"]).exit_code == 0
    assert admin.get("/users/list/").status_code == 302


def test_a_password_reset_outside_a_request_ends_the_sessions_too(web, agent, staff):
    thief = _copy(agent, web)
    with web.app_context():
        web.appbuilder.sm.reset_password(staff("dlt_agent").id, NEW_PASSWORD)  # as `flask fab reset-password` does
    assert not _in(thief)


def test_only_whoever_may_edit_logins_may_sign_one_out(web, agent, staff):
    supervisor = _signed_in_as(web.test_client(), "dlt_supervisor")
    response = supervisor.post(f"/users/signout/{staff('dlt_agent').id}")
    assert response.status_code in (302, 403) and "/users/show" not in response.headers.get("Location", "")
    assert _in(agent)


def test_an_idle_session_ends_with_a_message_at_sign_in(web, agent):
    with agent.session_transaction() as session:
        session["_seen"] -= 31 * 60
    response = agent.get("/queue/cases")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    page = _text(agent.get(response.headers["Location"]).get_data(as_text=True))
    assert "30 分钟未操作" in page
    assert not _in(agent)


def test_a_session_in_use_is_not_idle(web, agent):
    with agent.session_transaction() as session:
        session["_seen"] -= 29 * 60
    assert _in(agent)
    with agent.session_transaction() as session:
        assert time.time() - session["_seen"] < 5  # that request counted as activity


def _stored(client: FlaskClient) -> bytes:
    """The session's record as the server keeps it."""
    sid = client.get_cookie(COOKIE).value
    db.session.remove()
    return db.session.scalars(select(ServerSession.data).where(ServerSession.id.like(f"%{sid}"))).one()


def test_a_page_that_changes_nothing_in_the_session_does_not_write_it_back(web, agent, monkeypatch):
    store = web.session_interface
    writes: list[str] = []
    upsert = store._upsert_session
    monkeypatch.setattr(store, "_upsert_session", lambda *args: writes.append(args[-1]) or upsert(*args))
    agent.get("/caselist/list/")  # FAB records the page in its history: a change, written
    assert len(writes) == 1
    before = _stored(agent)
    for _ in range(2):
        assert agent.get("/caselist/list/").status_code == 200  # the same page again: nothing new to keep
    assert len(writes) == 1 and _stored(agent) == before
    agent.get("/caseitems/list/")  # another page is a change, and is written
    assert len(writes) == 2 and _stored(agent) != before


def test_activity_is_still_written_back_once_the_last_seen_stamp_is_a_minute_old(web, agent):
    agent.get("/caselist/list/")
    with agent.session_transaction() as session:
        session["_seen"] -= 61
    stale = _stored(agent)
    assert agent.get("/caselist/list/").status_code == 200
    assert _stored(agent) != stale
    with agent.session_transaction() as session:
        assert time.time() - session["_seen"] < 5


def test_the_idle_timeout_is_configurable(web, agent):
    web.config["SESSION_IDLE_MINUTES"] = 5
    with agent.session_transaction() as session:
        session["_seen"] -= 6 * 60
    assert not _in(agent)


def test_a_session_ends_after_its_maximum_lifetime_however_busy(web, agent):
    with agent.session_transaction() as session:
        session["_started"] -= 12 * 3600 + 1
    response = agent.get("/queue/cases")
    assert response.status_code == 302
    page = _text(agent.get(response.headers["Location"]).get_data(as_text=True))
    assert "12 小时" in page


def test_signing_out_is_a_post_and_a_get_only_asks(web, agent):
    page = agent.get("/logout/")
    assert page.status_code == 200 and 'id="logout-page-form"' in page.get_data(as_text=True)
    assert _in(agent)
    navbar = agent.get("/queue/cases").get_data(as_text=True)
    assert 'id="logout-form" method="post" action="/logout/"' in navbar and 'href="/logout/"' not in navbar


def test_signing_out_without_the_form_token_is_refused(app, database_url):
    guarded = make_app(database_url, WTF_CSRF_ENABLED=True)
    try:
        client = guarded.test_client()
        page = client.get("/login/").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        data = {"username": "dlt_agent", "password": PASSWORD, "csrf_token": token}
        assert client.post("/login/", data=data).status_code == 302
        assert client.post("/logout/").status_code == 400
        assert client.get("/queue/cases").status_code == 200  # still signed in
        page = client.get("/queue/cases").get_data(as_text=True)
        token = re.search(r'id="logout-form".*?name="csrf_token" value="([^"]+)"', page, re.S).group(1)
        assert client.post("/logout/", data={"csrf_token": token}).status_code == 302
        assert client.get("/queue/cases").status_code == 302
    finally:
        with guarded.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_visitor_of_public_pages_leaves_no_session_behind(web):
    visitor = web.test_client()
    before = db.session.scalar(select(func.count()).select_from(ServerSession))
    for url in ("/public/catalog/150621", "/static/app.css", "/"):
        visitor.get(url).close()
    db.session.rollback()  # a fresh read, not this test's earlier snapshot
    assert db.session.scalar(select(func.count()).select_from(ServerSession)) == before
    assert visitor.get_cookie(COOKIE) is None


def test_only_the_data_apis_sign_in_issues_tokens_and_fabs_security_api_is_gone(web):
    """FAB's SecurityApi (tokens outside the lockout and the limit) is replaced by the data API's own (#12), which
    shares the sign-in page's rules (tests/integration/test_api.py)."""
    client = web.test_client()
    assert client.post("/api/v1/security/login", json={"username": "admin", "password": "wrong-1"}).status_code == 401
    issuers = sorted(
        rule.rule
        for rule in web.url_map.iter_rules()
        if web.view_functions[rule.endpoint].__module__.startswith("flask_appbuilder.security.api")
        or re.search(r"/api/.*(login|refresh|token)", rule.rule)
    )
    assert issuers == ["/api/v1/security/login", "/api/v1/security/refresh"]
    doors = sorted(r.rule for r in web.url_map.iter_rules() if "login" in r.rule)
    assert doors == ["/api/v1/security/login", "/login/"]


# --- The lockout does not tell which names exist ------------------------------------------------------------


def _attempt(client: FlaskClient, username: str, password: str) -> str:
    page = client.post("/login/", data={"username": username, "password": password}, follow_redirects=True)
    match = re.search(r'class="alert[^"]*"[^>]*>(.*?)</div>', page.get_data(as_text=True), re.S)
    return _text(match.group(1)).replace("×", "").strip() if match else ""


def test_an_unknown_name_is_answered_and_locked_exactly_like_a_login(web):
    client = web.test_client()
    known = [_attempt(client, "dlt_agent", "wrong-password-1") for _ in range(LOCK_AFTER_FAILURES + 1)]
    unknown = [_attempt(client, "no_such_login", "wrong-password-1") for _ in range(LOCK_AFTER_FAILURES + 1)]
    assert known == unknown
    assert "登录失败次数过多" in unknown[-1] and "登录失败次数过多" not in unknown[-2]


def test_the_lockout_of_an_unknown_name_opens_at_a_shanghai_time(web):
    client = web.test_client()
    for _ in range(LOCK_AFTER_FAILURES):
        _attempt(client, "ghost", "wrong-password-1")
    message = _attempt(client, "ghost", "wrong-password-1")
    until = (now() + dt.timedelta(minutes=LOCK_MINUTES)).astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert until.strftime("%H:%M") in message or (until - dt.timedelta(minutes=1)).strftime("%H:%M") in message


def test_typed_names_are_kept_only_as_keyed_hashes(web):
    client = web.test_client()
    _attempt(client, "Mistyped-Secret-Passw0rd", "x-wrong-1")
    hashes = db.session.scalars(select(SignInFailure.name_hash)).all()
    assert len(hashes) == 2  # the name's count and the (name, address) pair's
    assert all("Mistyped" not in h and len(h) == 64 for h in hashes)


def test_an_empty_password_counts_for_no_name(web):
    client = web.test_client()
    for _ in range(LOCK_AFTER_FAILURES + 1):
        client.post("/login/", data={"username": "nobody_here", "password": ""})
    assert db.session.scalar(select(func.count()).select_from(SignInFailure)) == 0


# --- Two app instances share Redis --------------------------------------------------------------------------


@pytest.fixture
def redis_apps(app: Flask, database_url: str) -> Iterator[Callable[..., Flask]]:
    """App instances on the same database and the same Redis (db 1), with key prefixes of this test only."""
    prefix = f"test-{uuid.uuid4().hex}"
    made: list[Flask] = []

    def build(**settings: object) -> Flask:
        made.append(
            make_app(
                database_url,
                REDIS_URL=REDIS_URL,
                SESSION_KEY_PREFIX=f"{prefix}:session:",
                RATELIMIT_KEY_PREFIX=prefix,
                **settings,
            )
        )
        return made[-1]

    yield build
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def test_two_app_instances_share_the_sign_in_rate_limit(redis_apps):
    first, second = (redis_apps(RATELIMIT_ENABLED=True, AUTH_RATE_LIMIT="3 per minute") for _ in range(2))
    assert first.config["RATELIMIT_STORAGE_URI"] == REDIS_URL
    clients = [first.test_client(), second.test_client()]
    codes = [clients[i % 2].post("/login/", data={"username": "x", "password": "y-1"}).status_code for i in range(4)]
    assert 429 not in codes[:3] and codes[3] == 429  # alone, each instance would have allowed two more


def test_sessions_in_redis_are_shared_by_two_instances_and_end_everywhere(redis_apps):
    first, second = redis_apps(), redis_apps()
    browser = _signed_in_as(first.test_client(), "dlt_agent")
    assert first.session_interface.__class__.__name__ == "RedisSessionStore"
    same_browser_on_second = _copy(browser, second)
    assert _in(same_browser_on_second)  # no sticky sessions needed
    other_browser = _signed_in_as(second.test_client(), "dlt_agent")
    same_browser_on_second.post("/logout/")  # signed out through the second instance: gone on the first too
    assert not _in(browser) and _in(other_browser)
    with first.app_context():
        user_id = db.session.scalar(select(Staff.id).where(Staff.username == "dlt_agent"))
        end_sessions(user_id)  # an admin's 全部登出, run on the first instance
    assert not _in(other_browser)
