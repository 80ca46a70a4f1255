"""Permission checks answered from one query per request (app/security/permission_cache.py): the same answers
as FAB's own checks, a role's change seen on the next request, and a navbar rendered once per set of menus."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import g, render_template_string
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import PermissionView, Role
from flask_login import login_user
from sqlalchemy import event, select

from app.extensions import db
from app.security import permission_cache

PAGES = {"agent": "/caselist/list/", "dlt_liaison_water": "/queue/items", "supervisor": "/"}


@contextmanager
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def keep(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)


def _permission_queries(seen: list[str]) -> list[str]:
    return [s for s in seen if "ab_permission_view" in s]


@pytest.mark.parametrize(("user", "url"), PAGES.items())
def test_a_page_reads_the_users_permissions_with_one_query_however_many_menus_it_checks(login, user, url):
    client = login(user)
    client.get(url)
    with statements() as seen:
        page = client.get(url)
    assert page.status_code == 200
    assert len(_permission_queries(seen)) == 1
    assert page.get_data(as_text=True).count('class="dropdown-toggle"') >= 2  # the menus were checked


def test_the_cached_answers_are_fabs_answers_for_every_permission_of_every_role(app, staff):
    sm = app.appbuilder.sm
    pairs = [(pv.permission.name, pv.view_menu.name) for pv in db.session.scalars(select(PermissionView))]
    for username in ("admin", "supervisor", "agent", "dlt_liaison_water"):
        user = staff(username)
        with app.test_request_context("/"):
            login_user(user)
            g.user = user  # as FAB's before_request sets it
            ours = {pair for pair in pairs if sm._has_view_access(user, *pair)}
            fabs = {pair for pair in pairs if SecurityManager._has_view_access(sm, user, *pair)}
            menus = set(sm.get_user_menu_access([view for _, view in pairs]))
        assert ours == fabs and ours, username
        assert menus == {view for permission, view in fabs if permission == "menu_access"}, username


@pytest.fixture
def agent_role_without_leads(app) -> Iterator[Role]:
    """The Agent role, its lead permissions taken away for one test and given back after it."""
    sm = app.appbuilder.sm
    role = sm.find_role("Agent")
    taken = [pv for pv in role.permissions if pv.view_menu.name in ("Leads", "LeadView")]
    assert taken
    yield role
    role = sm.find_role("Agent")
    role.permissions.extend(pv for pv in taken if pv not in role.permissions)
    db.session.commit()


def test_a_role_that_loses_a_permission_loses_it_on_the_next_request(login, app, agent_role_without_leads):
    client = login("agent")
    assert client.get("/leadlist/list/").status_code == 200
    assert 'href="/leadlist/list/"' in client.get("/caselist/list/").get_data(as_text=True)
    role = agent_role_without_leads
    role.permissions = [pv for pv in role.permissions if pv.view_menu.name not in ("Leads", "LeadView")]
    db.session.commit()
    assert client.get("/leadlist/list/").status_code != 200
    assert 'href="/leadlist/list/"' not in client.get("/caselist/list/").get_data(as_text=True)


def test_the_cached_navbar_is_fabs_navbar_for_each_role_and_language(app, staff):
    for username in ("admin", "supervisor", "agent", "dlt_liaison_water"):
        for language in ("zh", "en"):
            with app.test_request_context(f"/?_l_={language}"):
                login_user(staff(username))
                g.user = staff(username)
                fabs = render_template_string("{% include 'appbuilder/navbar_menu.html' %}", menu=app.appbuilder.menu)
                cache: dict = {}
                first = permission_cache.navbar_menu(cache)
                again = permission_cache.navbar_menu(cache)
            assert str(first) == fabs and again is first, (username, language)
            assert len(cache) == 1


def test_users_with_other_menus_do_not_get_each_others_navbar(login):
    agent_page = login("agent").get("/caselist/list/").get_data(as_text=True)
    liaison_page = login("dlt_liaison_water").get("/queue/items").get_data(as_text=True)
    new_application = re.compile(r'href="/cases/new"')
    assert new_application.search(agent_page)
    assert not new_application.search(liaison_page)


def test_a_visitor_sees_the_sign_in_page_without_menus(client):
    page = client.get("/login/").get_data(as_text=True)
    assert client.get("/login/").status_code == 200
    assert 'class="dropdown-toggle"' not in page.split("navbar-right")[0]
