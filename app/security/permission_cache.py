"""Each request asks the database once for the signed-in user's permissions, not once per check.

FAB checks a permission with one query each (`exist_permission_on_roles`); the navbar alone asks once per
menu entry, 30 to 40 queries a page. This mixin loads the (permission, view) pairs of the user's roles in
one query the first time a request needs them and answers every later check of that request from memory.
The set lives on the request itself (its WSGI environ): a change of roles or of a role's permissions counts
from the next request on, on every worker and every app server, with nothing to invalidate.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, has_request_context, render_template, request
from flask_appbuilder.security.sqla.models import Permission, PermissionView, ViewMenu, assoc_permissionview_role
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import bindparam, select

ENVIRON_KEY = "bangninban.permissions"
PUBLIC_ROLE_KEY = "bangninban.public_role"

Pair = tuple[str, str]  # (permission name, view or menu name), as FAB names them

# Built once: the (permission, view) pairs held by any of the given roles.
_ROLE_PERMISSIONS = (
    select(Permission.name, ViewMenu.name)
    .select_from(PermissionView)
    .join(Permission, Permission.id == PermissionView.permission_id)
    .join(ViewMenu, ViewMenu.id == PermissionView.view_menu_id)
    .join(assoc_permissionview_role, assoc_permissionview_role.c.permission_view_id == PermissionView.id)
    .where(assoc_permissionview_role.c.role_id.in_(bindparam("role_ids", expanding=True)))
)


def _request_cache() -> dict[Any, frozenset[Pair]] | None:
    """This request's permission sets by role ids (None outside a request: nothing is kept)."""
    if not has_request_context():
        return None
    return request.environ.setdefault(ENVIRON_KEY, {})


class PermissionCacheMixin:
    """For a FAB SecurityManager subclass: `has_access`, menus and public checks from one query per request."""

    # Provided by FAB's SecurityManager.
    session: Any
    builtin_roles: dict[str, Any]
    auth_role_public: str

    def role_permissions(self, role_ids: tuple[int, ...]) -> frozenset[Pair]:
        """Every (permission, view) pair the roles hold, loaded once per request."""
        cache = _request_cache()
        if cache is not None and role_ids in cache:
            return cache[role_ids]
        rows = self.session.execute(_ROLE_PERMISSIONS, {"role_ids": list(role_ids)})
        found = frozenset((permission, view) for permission, view in rows)
        if cache is not None:
            cache[role_ids] = found
        return found

    def _db_role_ids(self, roles: list[Any]) -> tuple[int, ...]:
        return tuple(sorted({role.id for role in roles if role is not None and role.name not in self.builtin_roles}))

    def get_public_role(self) -> Any:
        if not has_request_context():
            return super().get_public_role()  # type: ignore[misc]
        if PUBLIC_ROLE_KEY not in request.environ:
            request.environ[PUBLIC_ROLE_KEY] = super().get_public_role()  # type: ignore[misc]
        return request.environ[PUBLIC_ROLE_KEY]

    def _has_view_access(self, user: Any, permission_name: str, view_name: str) -> bool:
        roles = self.get_user_roles(user)  # type: ignore[attr-defined]
        if any(
            role.name in self.builtin_roles and self._has_access_builtin_roles(role, permission_name, view_name)  # type: ignore[attr-defined]
            for role in roles
        ):
            return True
        role_ids = self._db_role_ids(roles)
        return bool(role_ids) and (permission_name, view_name) in self.role_permissions(role_ids)

    def _get_user_permission_view_menus(self, user: Any, permission_name: str, view_menus_name: list[str]) -> set[str]:
        roles = [self.get_public_role()] if user is None else self.get_user_roles(user)  # type: ignore[attr-defined]
        result = {
            name
            for role in roles
            if role is not None and role.name in self.builtin_roles
            for name in view_menus_name
            if self._has_access_builtin_roles(role, permission_name, name)  # type: ignore[attr-defined]
        }
        role_ids = self._db_role_ids(roles)
        if role_ids:
            result.update(view for permission, view in self.role_permissions(role_ids) if permission == permission_name)
        return result

    def is_item_public(self, permission_name: str, view_name: str) -> bool:
        role = self.get_public_role()
        if role is None:
            return False
        if role.name in self.builtin_roles:
            return super().is_item_public(permission_name, view_name)  # type: ignore[misc]
        return (permission_name, view_name) in self.role_permissions((role.id,))


# --- the navbar menu, rendered once per set of visible menus -----------------------------------------------

MENU_CACHE_SIZE = 256  # distinct (visible menus, language, URL prefix) keys kept; a handful in practice


def _menu_names(items: list[Any]) -> list[str]:
    names = []
    for item in items:
        if item and item.name != "-":
            names.append(item.name)
            names.extend(_menu_names(item.childs or []))
    return names


def navbar_menu(cache: dict[Any, str]) -> str:
    """FAB's navbar menu for this request's user: the same HTML whenever the same menus are visible.

    The menu entries, their labels and links never change while the app runs; what a user sees of them
    depends only on which `menu_access` permissions they hold (answered from the request's permission
    set), the language and the URL prefix. So the rendering is kept under exactly that key.
    """
    appbuilder = current_app.appbuilder  # type: ignore[attr-defined]
    menu = appbuilder.menu
    names = _menu_names(menu.get_list())
    if current_user.is_authenticated and not current_user.is_active:
        visible: frozenset[str] = frozenset()  # has_access refuses everything to a deactivated user
    else:
        # The same answers as has_access("menu_access", name) for each name, from one set lookup.
        visible = frozenset(names) & frozenset(appbuilder.sm.get_user_menu_access(names))
    key = (visible, str(get_locale()), request.script_root)
    html = cache.get(key)
    if html is None:
        html = render_template("appbuilder/navbar_menu.html", menu=menu)  # escaped there: base.html marks it safe
        if len(cache) >= MENU_CACHE_SIZE:
            cache.clear()
        cache[key] = html
    return html


def init_menu_cache(app: Flask) -> None:
    """Templates get `navbar_menu()` (app/templates/base.html calls it instead of including FAB's menu)."""
    cache: dict[Any, str] = {}

    @app.context_processor
    def menu_context() -> dict[str, Any]:
        return {"navbar_menu": lambda: navbar_menu(cache)}
