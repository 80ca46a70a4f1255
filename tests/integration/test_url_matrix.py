"""Every route of the URL map × every role, anonymous included: a route is public by decision, or its
FAB permission decides — and the response agrees. A new route without a decision fails here."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from app.domain.enums import RoleName
from app.domain.roles import PUBLIC_ENDPOINTS, ROLE_PERMISSIONS

ROLES = {
    "anonymous": None,
    "admin": RoleName.ADMIN,
    "supervisor": RoleName.SUPERVISOR,
    "dlt_agent": RoleName.AGENT,
    "dlt_liaison_water": RoleName.LIAISON,
}


def _decisions(app: Flask) -> list[tuple[str, str, str, tuple[str, str] | None]]:
    """(method, url, endpoint, permission or None for public) for every route."""
    found = []
    views = {type(v).__name__: v for v in app.appbuilder.baseviews}
    for rule in app.url_map.iter_rules():
        function = app.view_functions[rule.endpoint]
        url = re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "1", rule.rule).replace("<code>", "150621")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if rule.endpoint in PUBLIC_ENDPOINTS:
                found.append((method, url, rule.endpoint, None))
                continue
            name = getattr(function, "_permission_name", None)
            view = views.get(rule.endpoint.split(".")[0])
            if rule.endpoint.endswith((".action", ".action_post")) or (
                rule.endpoint.endswith(".download") and hasattr(view, "datamodel")
            ):
                # Closed for everyone: FAB's generic actions (none of ours declares one; an unknown name
                # is refused) and its file-column download (no model of ours has a file column).
                name = "action"
            assert name is not None and view is not None, f"{rule.rule} has no permission decision"
            permission = name if name.startswith("can_") or name == "action" else f"can_{name}"
            if view.method_permission_name and function.__name__ in view.method_permission_name:
                permission = f"can_{view.method_permission_name[function.__name__]}"
            found.append((method, url, rule.endpoint, (permission, view.class_permission_name)))
    return found


def _allowed(app: Flask, role: RoleName | None, permission: tuple[str, str] | None) -> bool:
    if permission is None:
        return True
    if role is None:
        return False
    action, resource = permission
    if action == "action":
        return False
    views = {v.class_permission_name: v for v in app.appbuilder.baseviews}
    if action not in views[resource].base_permissions:
        return False  # not even an admin: the view does not offer it (delete, add on read-only views, …)
    return role is RoleName.ADMIN or permission in ROLE_PERMISSIONS[role]


def test_every_route_has_a_decision(app):
    assert len(_decisions(app)) > 150


@pytest.mark.parametrize("username", list(ROLES))
def test_each_role_meets_exactly_its_decision_on_every_route(app, login, client, username):
    role = ROLES[username]
    user_client = client if role is None else login(username)
    wrong = []
    for method, url, endpoint, permission in _decisions(app):
        if endpoint in (
            "AuthDBView.logout",
            "AuthDBView.login",
            "LocaleView.index",
        ):
            continue  # these change who is logged in, not what they may see
        response = user_client.open(url, method=method, data={})
        denied = response.status_code in (401, 403) or (
            response.status_code == 302 and "/login/" in response.headers.get("Location", "")
        )
        closed = permission is not None and permission[0] == "action"
        if closed:
            if not (denied or response.status_code == 404):
                wrong.append((method, url, response.status_code))
        elif denied == _allowed(app, role, permission):
            wrong.append((method, url, response.status_code))
    assert wrong == []
