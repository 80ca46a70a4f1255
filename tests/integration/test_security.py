"""CSRF on every form, session cookie flags, no hard-coded secret, and the FAB holes closed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.every_engine  # lockout counters updated in SQL


@pytest.fixture
def csrf_client(second_app):
    """The app with CSRF protection on, as in production."""
    return second_app(WTF_CSRF_ENABLED=True, SESSION_COOKIE_SECURE=True).test_client()


def _token(page: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page) or re.search(
        r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page
    )
    assert match, "no CSRF token in the form"
    return match.group(1)


def _login(client, username="admin"):
    token = _token(client.get("/login/").get_data(as_text=True))
    response = client.post("/login/", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return response


def test_a_post_without_the_csrf_token_is_refused(csrf_client):
    assert csrf_client.post("/login/", data={"username": "admin", "password": PASSWORD}).status_code == 400
    _login(csrf_client)
    for url in ("/catalog/retire/1", "/calendar/years/confirm", "/cases/new", "/reports/submit", "/catalog/import"):
        assert csrf_client.post(url, data={"reason": "x"}).status_code == 400, url


def test_our_own_forms_carry_the_token(csrf_client):
    _login(csrf_client, "dlt_agent")
    page = csrf_client.get("/cases/new").get_data(as_text=True)
    token = _token(page)
    response = csrf_client.post("/cases/new", data={"csrf_token": token, "enterprise_name": ""})
    assert response.status_code == 200  # the form comes back with a message, not a CSRF refusal


def test_the_session_cookie_is_httponly_samesite_and_secure_over_https(csrf_client):
    cookie = _login(csrf_client).headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_no_secret_key_is_written_in_the_repository():
    root = Path(__file__).resolve().parents[2]
    config = (root / "config.py").read_text(encoding="utf-8")
    assert 'SECRET_KEY = os.environ.get("SECRET_KEY")' in config
    ignored = (root / ".gitignore").read_text(encoding="utf-8")
    assert "instance/" in ignored  # where the per-install key is generated


def test_unknown_actions_and_fab_file_downloads_are_not_found_instead_of_crashing(login):
    client = login("admin")
    assert client.get("/catalog/action/nonexistent/1").status_code == 404
    assert client.post("/roles/action_post", data={"action": "nonexistent", "rowid": "1"}).status_code == 404
    assert client.get("/roles/download/1").status_code == 404


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(client, staff):
    for _ in range(5):
        client.post("/login/", data={"username": "dlt_agent", "password": "wrong-password-1"})
    response = client.post("/login/", data={"username": "dlt_agent", "password": PASSWORD}, follow_redirects=True)
    assert "登录失败次数过多" in response.get_data(as_text=True)
    assert client.get("/queue/cases").status_code == 302  # still not signed in


def test_five_wrong_passwords_from_one_address_do_not_lock_the_owner_out_from_theirs(client, staff):
    for _ in range(5):
        client.post(
            "/login/",
            data={"username": "dlt_agent", "password": "wrong-password-1"},
            environ_base={"REMOTE_ADDR": "10.9.9.9"},
        )
    locked = client.post(
        "/login/",
        data={"username": "dlt_agent", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.9.9.9"},
        follow_redirects=True,
    )
    assert "登录失败次数过多" in locked.get_data(as_text=True)
    own_desk = client.post("/login/", data={"username": "dlt_agent", "password": PASSWORD})
    assert own_desk.status_code == 302 and client.get("/queue/cases").status_code == 200


def test_guessing_one_name_from_many_addresses_locks_the_name_itself_after_thirty(client, staff):
    from app.domain.passwords import NAME_LOCK_AFTER_FAILURES

    for n in range(NAME_LOCK_AFTER_FAILURES):
        client.post(
            "/login/",
            data={"username": "agent", "password": "wrong-password-1"},
            environ_base={"REMOTE_ADDR": f"10.8.{n}.1"},
        )
    page = client.post("/login/", data={"username": "agent", "password": PASSWORD}, follow_redirects=True)
    assert "登录失败次数过多" in page.get_data(as_text=True)
    other = client.post("/login/", data={"username": "dlt_agent", "password": PASSWORD})
    assert other.status_code == 302  # other names are not touched


def test_the_per_address_limit_counts_failed_sign_ins_not_good_ones(second_app):
    limited = second_app(RATELIMIT_ENABLED=True, AUTH_RATE_LIMIT="3 per minute")
    codes = []
    for _ in range(5):  # everyone behind one address signs in: none of them is refused
        client = limited.test_client()
        codes.append(client.post("/login/", data={"username": "dlt_agent", "password": PASSWORD}).status_code)
    assert 429 not in codes


def test_a_right_password_after_a_few_failures_resets_the_count(client, staff, login):
    for _ in range(3):
        client.post("/login/", data={"username": "dlt_agent", "password": "wrong-password-1"})
    login("dlt_agent")
    from app.extensions import db

    db.session.expire_all()
    assert staff("dlt_agent").fail_login_count == 0


def test_a_weak_password_is_refused_when_an_admin_creates_a_user(login, region):
    page = (
        login("admin")
        .post(
            "/users/add",
            data={
                "first_name": "新",
                "last_name": "用户",
                "username": "newbie",
                "email": "newbie@test.invalid",
                "active": "y",
                "roles": "1",
                "password": "short1",
                "conf_password": "short1",
            },
        )
        .get_data(as_text=True)
    )
    assert "密码需要" in page


def test_sign_ins_are_rate_limited_per_address(second_app):
    limited = second_app(RATELIMIT_ENABLED=True, AUTH_RATE_LIMIT="3 per minute")
    client = limited.test_client()
    codes = [client.post("/login/", data={"username": "x", "password": "y"}).status_code for _ in range(5)]
    assert codes[:3] != [429, 429, 429] and codes[-1] == 429


def test_phone_numbers_are_whole_for_the_agent_and_masked_for_others(login, staff):
    from tests.factories import apply

    case = apply(staff("dlt_agent"))
    assert "13904770000" in login("dlt_agent").get(f"/cases/{case.id}").get_data(as_text=True)
    supervisor_page = login("dlt_supervisor").get(f"/cases/{case.id}").get_data(as_text=True)
    assert "13904770000" not in supervisor_page and "139****0000" in supervisor_page
    listing = login("dlt_supervisor").get("/enterprises/list/").get_data(as_text=True)
    assert "13904770000" not in listing
