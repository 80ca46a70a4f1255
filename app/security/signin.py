"""Signing in and out: one door (no token API), a lockout that does not tell which names exist, limits shared by
every worker and server, sign-out as a POST, and the events that end all of a user's sessions."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
from typing import Any

from flask import Flask, abort, current_app, flash, has_request_context, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.api import BaseApi
from flask_appbuilder.security import views as fab_views
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_appbuilder.security.utils import is_null_password
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from app.domain.passwords import locked_until
from app.extensions import db
from app.models.security import SignInFailure
from app.security.sessions import end_sessions, leave_this_session, renew_this_session

log = logging.getLogger(__name__)

# A name's failure count is forgotten this long after its last failure (rows of sprayed names do not pile up).
FORGET_AFTER = dt.timedelta(days=30)


def configure_rate_limits(app: Flask) -> None:
    """Rate-limit counts shared by every worker and app server: Redis when REDIS_URL is set.

    Without Redis the counts are kept in memory (`memory://`), which is only right for the embedded
    single-process default (`make run`); a deployment on a server database without REDIS_URL is warned.
    Must run before FAB creates its limiter.
    """
    config = app.config
    if not config.get("RATELIMIT_STORAGE_URI"):
        config["RATELIMIT_STORAGE_URI"] = config.get("REDIS_URL") or "memory://"
    uri = config["RATELIMIT_STORAGE_URI"]
    if uri.startswith("memory://") and not config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        log.warning("sign-in rate limits are counted per process (memory://): set REDIS_URL when running several")


# --- The lockout answers alike for every name ---------------------------------------------------------------


def _name_key(name: str) -> str:
    """A keyed hash of a typed name (people sometimes type their password there: it is never stored)."""
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return hmac.new(secret, name.strip().lower().encode("utf-8"), hashlib.sha256).hexdigest()


def sign_in_locked_until(name: str, user: Any, now: dt.datetime) -> dt.datetime | None:
    """When sign-ins under this name open again: an active login by its own count, any other name by its own."""
    failure = db.session.get(SignInFailure, _name_key(name)) if name else None  # read for every name alike
    if user is not None and user.is_active:
        return locked_until(user.fail_login_count, user.last_failed_login, now)
    return locked_until(failure.failures, failure.last_failure, now) if failure else None


def count_unknown_name_failure(name: str, password: str, now: dt.datetime) -> None:
    """A failed sign-in under a name that is no active login counts as it would for a login."""
    if not name or is_null_password(password):
        return  # FAB refuses these before checking anything, for logins too: nothing is counted
    key = _name_key(name)
    session = db.session
    try:
        changed = session.execute(
            update(SignInFailure)
            .where(SignInFailure.name_hash == key)
            .values(failures=SignInFailure.failures + 1, last_failure=now)
        ).rowcount
        if not changed:
            session.execute(delete(SignInFailure).where(SignInFailure.last_failure < now - FORGET_AFTER))
            session.add(SignInFailure(name_hash=key, failures=1, last_failure=now))
        session.commit()
    except IntegrityError:  # the same new name failed twice at once: the other attempt inserted it
        session.rollback()
        session.execute(
            update(SignInFailure)
            .where(SignInFailure.name_hash == key)
            .values(failures=SignInFailure.failures + 1, last_failure=now)
        )
        session.commit()


# --- No route issues tokens ---------------------------------------------------------------------------------


class NoTokenApi(BaseApi):
    """Takes the place of FAB's SecurityApi, which FAB registers whatever FAB_ADD_SECURITY_API says.

    Its /api/v1/security/login and /refresh handed out JWTs outside the sign-in rate limit and lockout. This
    API has no routes. When a data API comes, its sign-in must go through `auth_user_db` and the limiter.
    """

    resource_name = "security"


# --- Signing out --------------------------------------------------------------------------------------------


class AuthDBView(fab_views.AuthDBView):
    """FAB's sign-in page; signing out is a POST with the form token (a link or an image cannot sign anyone out).

    Same name as FAB's view: same endpoints (AuthDBView.login, AuthDBView.logout) and permissions.
    """

    @expose("/logout/", methods=["GET", "POST"])
    def logout(self) -> Any:
        if request.method == "GET":
            if not current_user.is_authenticated:
                return redirect(self.appbuilder.get_url_for_login)
            return self.render_template("security/logout.html", appbuilder=self.appbuilder)
        signed_in = current_user.is_authenticated
        response = super().logout()
        if signed_in:
            flash(gettext("You have signed out."), "info")
        return response


class SessionSecurityMixin:
    """For StaffSecurityManager: no token API, POST sign-out, and every event that must end a user's sessions."""

    security_api = NoTokenApi
    authdbview = AuthDBView

    def reset_password(self, userid: Any, password: str) -> None:
        """A new password (own or set by an admin) ends every session of that user; one's own browser stays in."""
        super().reset_password(userid, password)  # type: ignore[misc]
        end_sessions(int(userid))
        if has_request_context() and current_user.is_authenticated and current_user.id == int(userid):
            renew_this_session()

    def on_user_logout(self, user: Any) -> None:
        """Signing out ends this browser's session (its copies die with it); the user's other browsers stay in."""
        super().on_user_logout(user)  # type: ignore[misc]
        leave_this_session()

    def noop_user_update(self, user: Any) -> None:
        """FAB's write to balance the timing of an unknown name: the failure count under that name replaces it."""


class UserSessionsMixin:
    """For StaffUserView: "sign out everywhere" on a login's page; deactivating a login signs it out."""

    show_template = "security/user_show.html"

    @expose("/signout/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("edit")
    def signout(self, pk: int) -> Any:
        """Whoever may edit a login may end its sessions."""
        user = self.datamodel.get(pk, self._base_filters)  # type: ignore[attr-defined]
        if user is None:
            abort(404)
        ended = end_sessions(user.id)
        if current_user.id == user.id:
            renew_this_session()  # the admin who signs themselves out everywhere keeps this browser
        flash(
            gettext("%(user)s is signed out everywhere (%(count)s sessions ended).", user=user.username, count=ended),
            "info",
        )
        return redirect(url_for(f"{self.endpoint}.show", pk=pk))  # type: ignore[attr-defined]

    def post_update(self, item: Any) -> None:
        super().post_update(item)  # type: ignore[misc]
        if not item.active:
            end_sessions(item.id)
