"""FAB's security manager for this app: the Staff model, sign-in lockout, sessions that end, cached permissions.

The views it shows (users, roles, passwords) and the API's token door live with the views and the API; the app
factory hands them in (`StaffSecurityManager.with_views`), so nothing here imports them.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import flash
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_babel import gettext
from sqlalchemy.orm import joinedload

from app.domain.passwords import password_problems
from app.models import Staff
from app.models.org import now
from app.security.limits import client_address
from app.security.permission_cache import PermissionCacheMixin
from app.security.signin import (
    SessionSecurityMixin,
    count_sign_in_failure,
    forget_sign_in_failures,
    sign_in_locked_until,
)
from app.services.clock import local_time

log = logging.getLogger(__name__)


def password_policy(password: str) -> None:
    """FAB's password complexity hook: the policy of app.domain.passwords, in the user's language."""
    problems = password_problems(password)
    if problems:
        raise PasswordComplexityValidationError(
            gettext("The password needs %(what)s.", what=gettext(", ").join(gettext(p) for p in problems))
        )


class StaffSecurityManager(SessionSecurityMixin, PermissionCacheMixin, SecurityManager):
    """FAB's security manager with the Staff user model and view, and a lockout after repeated failures."""

    user_model = Staff
    userstatschartview = None  # draws with Google Charts, which an offline intranet cannot load

    @classmethod
    def with_views(cls, **views: Any) -> type[StaffSecurityManager]:
        """The manager with the app's user, role and password views and its API door (FAB reads class attributes)."""
        return type(cls.__name__, (cls,), views)

    def register_views(self) -> None:
        super().register_views()
        # Groups mean nothing here (roles come from the role table in code): no menu entry for them.
        security = self.appbuilder.menu.find("Security")
        if security is not None:
            items = [item for item in security.childs if item.name != "List Groups"]
            while items and items[-1].name == "-":
                items.pop()  # FAB's separator before the permission views config.py turns off
            security.childs = items

    def get_user_by_id(self, pk: int) -> Any:
        """The user with their roles and groups in one query: every request loads them to check permissions."""
        return self.session.get(self.user_model, pk, options=[joinedload(Staff.roles), joinedload(Staff.groups)])

    def auth_user_db(self, username: str, password: str) -> Any:
        user = (self.find_user(username=username) or self.find_user(email=username)) if username else None
        # Names that are no active login are counted and locked alike: the answer never tells which names exist.
        address = client_address()
        until = sign_in_locked_until(username, user, now(), address)
        if until is not None:
            # Refused without even checking the password: guessing goes no faster while locked.
            log.warning("sign-in refused: locked until %s", until.isoformat(timespec="minutes"))
            flash(
                gettext(
                    "Too many failed sign-ins: this account is locked until %(at)s.",
                    at=local_time(until).strftime("%H:%M"),
                ),
                "danger",
            )
            return None
        signed_in = super().auth_user_db(username, password)
        if signed_in is None:
            count_sign_in_failure(username, password, user, now(), address)
        else:
            forget_sign_in_failures(username, address)
        return signed_in

    def update_user_auth_stat(self, user: Any, success: bool = True) -> None:
        if not success:
            user.last_failed_login = now()
        super().update_user_auth_stat(user, success)
