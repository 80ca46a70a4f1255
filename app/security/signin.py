"""Signing in and out: one set of rules for the sign-in page and the data API's token sign-in (a lockout that does
not tell which names exist, one rate limit shared by both doors and by every worker and server), sign-out as a
POST, and the events that end all of a user's sessions — and with them the user's API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
import time
from typing import Any

from flask import Flask, abort, current_app, flash, g, has_request_context, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security import views as fab_views
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_appbuilder.security.manager import BaseSecurityManager
from flask_appbuilder.security.utils import is_null_password
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from app.domain.passwords import NAME_LOCK_AFTER_FAILURES, locked_until
from app.domain.sessions import seen_is_stale, session_end
from app.extensions import db
from app.models.org import now
from app.models.security import SignInFailure
from app.security.limits import client_address
from app.security.sessions import (
    SEEN,
    STARTED,
    StoredSession,
    end_sessions,
    leave_this_session,
    renew_this_session,
)

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


def _pair_key(name: str, address: str) -> str:
    """The keyed hash under which one address's failures for one name are counted."""
    return _name_key(f"{name.strip().lower()}\x1f{address}")


def sign_in_locked_until(name: str, user: Any, now: dt.datetime, address: str) -> dt.datetime | None:
    """When sign-ins under this name from this address open again, or None.

    Five failures from one address lock that address out of that name (someone guessing at one desk, or a script
    behind one address, cannot lock the owner out from theirs); thirty from any addresses lock the name itself
    (guessing spread over many addresses slows down too). An active login counts by its own failure count, any
    other name by its keyed hash: the answers never tell which names exist.
    """
    if not name:
        return None
    pair = db.session.get(SignInFailure, _pair_key(name, address))
    failure = db.session.get(SignInFailure, _name_key(name))  # read for every name alike
    if user is not None and user.is_active:
        by_name = locked_until(user.fail_login_count, user.last_failed_login, now, after=NAME_LOCK_AFTER_FAILURES)
    else:
        by_name = (
            locked_until(failure.failures, failure.last_failure, now, after=NAME_LOCK_AFTER_FAILURES)
            if failure
            else None
        )
    by_pair = locked_until(pair.failures, pair.last_failure, now) if pair else None
    until = max((until for until in (by_name, by_pair) if until is not None), default=None)
    if until is not None and has_request_context():
        g.sign_in_failed = True  # an attempt refused as locked counts against the address's limit too
    return until


def _count(key: str, now: dt.datetime) -> None:
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
    except IntegrityError:  # the same new key failed twice at once: the other attempt inserted it
        session.rollback()
        session.execute(
            update(SignInFailure)
            .where(SignInFailure.name_hash == key)
            .values(failures=SignInFailure.failures + 1, last_failure=now)
        )
        session.commit()


def count_sign_in_failure(name: str, password: str, user: Any, now: dt.datetime, address: str) -> None:
    """A failed sign-in: counted for the (name, address) pair, and for the name when it is no active login (FAB
    counts an active login's own failures); marks the request so the per-address limit counts it."""
    if not name or is_null_password(password):
        return  # FAB refuses these before checking anything, for logins too: nothing is counted
    if has_request_context():
        g.sign_in_failed = True
    _count(_pair_key(name, address), now)
    if user is None or not user.is_active:
        _count(_name_key(name), now)


def forget_sign_in_failures(name: str, address: str) -> None:
    """A good sign-in clears that address's count for the name (FAB resets the login's own count)."""
    db.session.execute(delete(SignInFailure).where(SignInFailure.name_hash == _pair_key(name, address)))
    db.session.commit()


def failed_sign_in(response: Any) -> bool:
    """Flask-Limiter's `deduct_when`: the per-address sign-in limit counts failures, not the good sign-ins of
    everyone behind one address (a ministry's NAT)."""
    return bool(g.get("sign_in_failed")) or getattr(response, "status_code", 200) == 429


# --- The token door (#12): the same rules as the sign-in page --------------------------------------------

SIGN_IN_SCOPE = "sign-in"  # the rate-limit bucket the sign-in page and the token sign-in count in together
SESSION_CLAIM = "sid"  # the claim naming the server-side session a token belongs to
API_SESSION_MARK = "_api_sign_in"  # marks a stored session that only tokens use (no browser holds its id)


def sign_in_limit(limiter: Any) -> Any:
    """AUTH_RATE_LIMIT failed sign-ins per address, one count for every door that checks a password (POSTs)."""
    return limiter.shared_limit(
        lambda: current_app.config["AUTH_RATE_LIMIT"],
        scope=SIGN_IN_SCOPE,
        methods=["POST"],
        deduct_when=failed_sign_in,
    )


def check_sign_in(sm: Any, username: str, password: str) -> tuple[Any, dt.datetime | None]:
    """The sign-in page's rules without its page: (user, None) signed in, (None, until) locked, (None, None) refused.

    The same counts as `/login/` (a login's failures, or an unknown name's keyed hash), so failures through either
    door lock both; a name that is no active login is answered and counted exactly like a wrong password.
    """
    user = (sm.find_user(username=username) or sm.find_user(email=username)) if username else None
    address = client_address()
    until = sign_in_locked_until(username, user, now(), address)
    if until is not None:
        log.warning("token sign-in refused: locked until %s", until.isoformat(timespec="minutes"))
        return None, until  # refused without even checking the password, as on the page
    signed_in = BaseSecurityManager.auth_user_db(sm, username, password)  # FAB's check, counts and timing
    if signed_in is None:
        count_sign_in_failure(username, password, user, now(), address)
    else:
        forget_sign_in_failures(username, address)
    return signed_in, None


def _store() -> Any:
    return current_app.session_interface


def _store_id(sid: str) -> str:
    """Where a token sign-in is kept: under a key derived with SECRET_KEY from the id its tokens carry (readable
    by whoever holds a token), so that id is no browser session id — a token cannot become a session cookie."""
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return _store()._get_store_id(hmac.new(secret, f"api:{sid}".encode(), hashlib.sha256).hexdigest())


REFRESH_CLAIM = "rid"  # the claim naming which refresh token of a sign-in is the current one


def _save_token_session(sid: str, data: dict[str, Any]) -> None:
    store = _store()
    record = StoredSession(data, sid=sid, permanent=False)
    store._upsert_session(store.lifetime(record), record, _store_id(sid))


def open_token_session(user_id: int) -> tuple[str, str]:
    """A server-side session for a token sign-in, with the clocks a browser's has (idle time, lifetime) and the id
    of its one valid refresh token; ending the user's sessions (any way) ends it too. Returns (session, refresh id)."""
    store = _store()
    sid = store._generate_sid(store.sid_length)
    refresh_id = secrets.token_urlsafe(16)
    moment = time.time()
    data = {"_user_id": str(user_id), API_SESSION_MARK: True, STARTED: moment, SEEN: moment, REFRESH_CLAIM: refresh_id}
    _save_token_session(sid, data)
    return sid, refresh_id


def _live_token_session(sid: Any, user_id: Any) -> dict[str, Any] | None:
    """The token's session while it lasts: it exists, belongs to the token's user, and is neither idle longer than
    SESSION_IDLE_MINUTES nor older than SESSION_MAX_HOURS (then it is ended, as a browser's would be)."""
    if not isinstance(sid, str) or not sid:
        return None
    data = _store()._retrieve_session_data(_store_id(sid))
    if not data or not data.get(API_SESSION_MARK) or str(data.get("_user_id")) != str(user_id):
        return None
    config = current_app.config
    moment = time.time()
    ended = session_end(
        data.get(STARTED),
        data.get(SEEN),
        moment,
        idle_seconds=config["SESSION_IDLE_MINUTES"] * 60,
        max_seconds=config["SESSION_MAX_HOURS"] * 3600,
    )
    if ended is not None:
        log.info("token session of user %s ended: %s", user_id, ended.name)
        close_token_session(sid)
        return None
    if seen_is_stale(data[SEEN], moment):
        data[SEEN] = moment
        _save_token_session(sid, data)
    return data


def token_session_open(sid: Any, user_id: Any) -> bool:
    """Whether the token's session still lasts (and belongs to the token's user); using it counts as activity."""
    return _live_token_session(sid, user_id) is not None


def rotate_refresh(sid: Any, user_id: Any, presented: Any) -> str | None:
    """The id of the next refresh token when `presented` is the sign-in's current one; None otherwise.

    A refresh token is good once: an old one presented again means a copy is in other hands, and the whole
    sign-in is ended (its holder signs in again; the copy is worthless).
    """
    data = _live_token_session(sid, user_id)
    if data is None:
        return None
    if not isinstance(presented, str) or not hmac.compare_digest(presented, str(data.get(REFRESH_CLAIM, ""))):
        log.warning("refresh token of user %s used twice: sign-in ended", user_id)
        close_token_session(str(sid))
        return None
    data[REFRESH_CLAIM] = secrets.token_urlsafe(16)
    _save_token_session(str(sid), data)
    return data[REFRESH_CLAIM]


def close_token_session(sid: str) -> None:
    """Sign a token's session out: its access and refresh tokens are refused from now on."""
    _store()._delete_session(_store_id(sid))


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
    """For StaffSecurityManager: the token door, POST sign-out, and every event that must end a user's sessions."""

    authdbview = AuthDBView
    # The data API's sign-in (/api/v1/security/login, /refresh, /logout) in place of FAB's SecurityApi, set by the
    # app factory (the API imports this module, not the reverse). FAB registers its security API whatever
    # FAB_ADD_SECURITY_API says; FAB's handed out tokens outside the lockout and the rate limit. Ours goes through
    # `check_sign_in` and `sign_in_limit`.
    security_api: Any = None

    @property
    def is_auth_limited(self) -> bool:
        """FAB's own limit counts the sign-in page alone: `register_views` puts the shared one in its place."""
        return False

    def register_views(self) -> None:
        super().register_views()  # type: ignore[misc]
        if not current_app.config.get("AUTH_RATE_LIMITED"):
            return
        limit = sign_in_limit(self.limiter)  # type: ignore[attr-defined]
        limit(self.auth_view.blueprint)  # type: ignore[attr-defined]
        endpoint = f"{self.security_api.__name__}.login"
        current_app.view_functions[endpoint] = limit(current_app.view_functions[endpoint])

    def load_user_jwt(self, jwt_header: Any, jwt_data: dict[str, Any]) -> Any:
        """A token's user, only while the sign-in it came from lasts (and the login is active)."""
        if not token_session_open(jwt_data.get(SESSION_CLAIM), jwt_data.get("sub")):
            return None
        return super().load_user_jwt(jwt_header, jwt_data)  # type: ignore[misc]

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
