"""Synchronise FAB's roles and permissions with the role table in `app.domain.roles`; idempotent."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from app.domain.enums import RoleName
from app.domain.roles import ALL_PERMISSION_ROLES, ROLE_PERMISSIONS
from app.extensions import db


class UnknownPermission(RuntimeError):
    """The role table names a permission no registered view or menu offers (a typo or a removed view)."""


@dataclass
class RoleSyncReport:
    added: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)


def register_permissions() -> None:
    """Create the `(action, resource)` rows of every registered view and menu, and drop stale ones."""
    appbuilder = current_app.appbuilder
    sm = appbuilder.sm
    sm.add_role(current_app.config["AUTH_ROLE_ADMIN"])
    sm.add_role(current_app.config["AUTH_ROLE_PUBLIC"])
    appbuilder.add_permissions(update_perms=True)
    sm.security_cleanup(appbuilder.baseviews, appbuilder.menu)


def sync_roles() -> RoleSyncReport:
    """Make every role hold exactly its listed permissions (Admin: all of them)."""
    register_permissions()
    sm = current_app.appbuilder.sm
    every = {
        (pv.permission.name, pv.view_menu.name): pv
        for pv in db.session.scalars(select(sm.permissionview_model))
        if pv.permission and pv.view_menu
    }
    wanted: dict[str, set[tuple[str, str]]] = {role.value: set(every) for role in ALL_PERMISSION_ROLES}
    for role, permissions in ROLE_PERMISSIONS.items():
        missing = sorted(set(permissions) - set(every))
        if missing:
            raise UnknownPermission(f"role {role.value} lists unknown permissions: {missing}")
        wanted[role.value] = set(permissions)
    wanted.setdefault(current_app.config["AUTH_ROLE_PUBLIC"], set())

    report = RoleSyncReport()
    for name, permissions in wanted.items():
        role = sm.find_role(name) or sm.add_role(name)
        held = {(pv.permission.name, pv.view_menu.name): pv for pv in role.permissions if pv.permission}
        to_add = [every[p] for p in sorted(permissions - set(held))]
        to_remove = [held[p] for p in sorted(set(held) - permissions)]
        role.permissions = [pv for key, pv in held.items() if key in permissions] + to_add
        report.added[name] = len(to_add)
        report.removed[name] = len(to_remove)
    db.session.commit()
    return report


def role_label(name: str) -> str:
    """The English label of a role name, for translation at the edge."""
    try:
        return RoleName(name).label
    except ValueError:
        return name
