"""Sessions kept on the server (Flask-Session): the cookie is a random id, and ending a session makes it useless.

The store is the app's database (table `server_session`) by default and Redis when REDIS_URL is set; several
app servers share either. Each stored session knows its user, so logout, a password change, deactivation and an
admin's "sign out everywhere" delete every session of that user (`end_sessions`). A signed-in session also ends
on its own after SESSION_IDLE_MINUTES without a request and SESSION_MAX_HOURS after sign-in.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

import click
from flask import Flask, Request, current_app, flash, has_request_context, redirect, request, session
from flask.sessions import session_json_serializer
from flask_babel import gettext
from flask_login import current_user, logout_user, user_logged_in
from flask_session.base import Serializer, ServerSideSession, ServerSideSessionInterface
from sqlalchemy import delete, insert, select, update
from werkzeug.wrappers import Response

from app.domain.sessions import seen_is_stale, session_end
from app.extensions import db
from app.models.security import ServerSession

log = logging.getLogger(__name__)

STARTED, SEEN = "_started", "_seen"  # epoch seconds of the sign-in and of the last request that counted
TABLE = ServerSession.__table__


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class FlaskJSONSerializer(Serializer):
    """Flask's own session format (tagged JSON): flashed Markup and lazy strings survive as they did in the cookie."""

    def encode(self, session: ServerSideSession) -> bytes:
        return session_json_serializer.dumps(dict(session)).encode("utf-8")

    def decode(self, serialized_data: bytes) -> dict:
        return session_json_serializer.loads(bytes(serialized_data).decode("utf-8"))


class StoredSession(ServerSideSession):
    """A server-side session that remembers whether it was loaded from the store.

    A loaded session whose record is gone when the response is saved was ended meanwhile (signed out
    everywhere, say): it is not written back, so an in-flight request cannot bring it back to life.
    """

    loaded = False
    stored: bytes | None = None  # the record as read, to tell whether this request changed anything


def _owner(session: ServerSideSession) -> int | None:
    """The signed-in user's id, read without marking the session as accessed."""
    value = dict.get(session, "_user_id")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


class _StoreMixin:
    """What both stores share: our serializer, no database work for static files, no resurrection, lifetimes."""

    session_class = StoredSession
    app: Flask

    def _setup(self) -> None:
        self.serializer = FlaskJSONSerializer()

    def open_session(self, app: Flask, request: Request) -> StoredSession:
        if _is_static(app, request):
            return self.session_class(sid="", permanent=False)  # assets need no session: no store round-trip
        opened = super().open_session(app, request)  # type: ignore[misc]
        opened.loaded = bool(opened.sid) and opened.sid == request.cookies.get(app.config["SESSION_COOKIE_NAME"])
        if opened.loaded and _owner(opened) is not None:
            opened.stored = self.serializer.encode(opened)
        return opened

    def unchanged(self, session: StoredSession) -> bool:
        """A signed-in session this request left as it was read: nothing to write back.

        FAB marks the session modified on every list page (its page history, even when the same page is shown
        again); writing an unchanged record would cost every request a write and a commit. Its freshness does not
        depend on these writes: the "last seen" stamp changes (and is written) at least once a minute of activity.
        A visitor's session (no owner) is still written each time, which keeps its record alive while it is used.
        """
        return session.stored is not None and self.serializer.encode(session) == session.stored

    def save_session(self, app: Flask, session: StoredSession, response: Response) -> None:
        if not session.sid or self.unchanged(session):
            return
        super().save_session(app, session, response)  # type: ignore[misc]

    def regenerate(self, session: StoredSession) -> None:
        """A new id for this session's data (at sign-in, and after it was ended): the old id is worthless."""
        self._delete_session(self._get_store_id(session.sid))  # type: ignore[attr-defined]
        session.sid = self._generate_sid(self.sid_length)  # type: ignore[attr-defined]
        session.loaded = False
        session.modified = True

    def lifetime(self, session: ServerSideSession) -> dt.timedelta:
        """How long the record is kept: a signed-in session up to its maximum, a visitor's only its idle time."""
        config = self.app.config
        if _owner(session) is not None:
            return dt.timedelta(hours=config["SESSION_MAX_HOURS"])
        return dt.timedelta(minutes=config["SESSION_IDLE_MINUTES"])


def _is_static(app: Flask, request: Request) -> bool:
    path = request.path
    return path.startswith(f"{app.static_url_path}/") or path == "/favicon.ico"


class SqlSessionStore(_StoreMixin, ServerSideSessionInterface):
    """Sessions in the app's database, on their own connection (never inside a request's transaction)."""

    ttl = False

    def __init__(self, app: Flask, key_prefix: str, sid_length: int) -> None:
        super().__init__(app, key_prefix=key_prefix, permanent=False, sid_length=sid_length)
        self._setup()

    def _retrieve_session_data(self, store_id: str) -> dict | None:
        with db.engine.connect() as connection:
            row = connection.execute(select(TABLE.c.data, TABLE.c.expires_at).where(TABLE.c.id == store_id)).first()
        if row is None or row.expires_at <= _utcnow():
            return None
        return self.serializer.decode(row.data)

    def _delete_session(self, store_id: str) -> None:
        with db.engine.begin() as connection:
            connection.execute(delete(TABLE).where(TABLE.c.id == store_id))

    def _upsert_session(self, session_lifetime: dt.timedelta, session: StoredSession, store_id: str) -> None:
        now = _utcnow()
        values = {
            "data": self.serializer.encode(session),
            "user_id": _owner(session),
            "expires_at": now + self.lifetime(session),
        }
        with db.engine.begin() as connection:
            changed = connection.execute(update(TABLE).where(TABLE.c.id == store_id).values(**values)).rowcount
            if changed or session.loaded:
                return  # updated; or ended while this request ran, and stays ended
            connection.execute(delete(TABLE).where(TABLE.c.expires_at <= now))  # new sessions sweep old ones
            connection.execute(insert(TABLE).values(id=store_id, **values))

    def _delete_expired_sessions(self) -> None:
        with db.engine.begin() as connection:
            connection.execute(delete(TABLE).where(TABLE.c.expires_at <= _utcnow()))

    def end_user_sessions(self, user_id: int) -> int:
        with db.engine.begin() as connection:
            return connection.execute(delete(TABLE).where(TABLE.c.user_id == user_id)).rowcount

    def end_all_sessions(self) -> int:
        with db.engine.begin() as connection:
            return connection.execute(delete(TABLE)).rowcount


class RedisSessionStore(_StoreMixin, ServerSideSessionInterface):
    """Sessions in Redis with a time to live; a set per user lists that user's session keys."""

    ttl = True

    def __init__(self, app: Flask, client: Any, key_prefix: str, sid_length: int) -> None:
        self.client = client
        super().__init__(app, key_prefix=key_prefix, permanent=False, sid_length=sid_length)
        self._setup()

    def _user_key(self, user_id: int) -> str:
        return f"{self.key_prefix}user:{user_id}"

    def _retrieve_session_data(self, store_id: str) -> dict | None:
        data = self.client.get(store_id)
        return self.serializer.decode(data) if data else None

    def _delete_session(self, store_id: str) -> None:
        self.client.delete(store_id)

    def _upsert_session(self, session_lifetime: dt.timedelta, session: StoredSession, store_id: str) -> None:
        seconds = int(self.lifetime(session).total_seconds())
        # A loaded session is only overwritten while it still exists (xx): one ended meanwhile stays ended.
        written = self.client.set(store_id, self.serializer.encode(session), ex=seconds, xx=session.loaded or None)
        user_id = _owner(session)
        if written and user_id is not None:
            pipe = self.client.pipeline()
            pipe.sadd(self._user_key(user_id), store_id)
            pipe.expire(self._user_key(user_id), seconds)
            pipe.execute()

    def end_user_sessions(self, user_id: int) -> int:
        keys = list(self.client.smembers(self._user_key(user_id)))
        ended = self.client.delete(*keys) if keys else 0
        self.client.delete(self._user_key(user_id))
        return ended

    def end_all_sessions(self) -> int:
        ended = 0
        for key in self.client.scan_iter(match=f"{self.key_prefix}*", count=500):
            ended += self.client.delete(key)
        return ended


def _store() -> SqlSessionStore | RedisSessionStore:
    return current_app.session_interface  # type: ignore[return-value]


def end_sessions(user_id: int) -> int:
    """End every session of this user, on every app server; returns how many there were."""
    ended = _store().end_user_sessions(user_id)
    log.info("ended %d session(s) of user %s", ended, user_id)
    return ended


def renew_this_session() -> None:
    """Keep the current browser signed in under a new session id (after its user's sessions were ended)."""
    if session.get("_user_id") is not None:
        _store().regenerate(session)  # type: ignore[arg-type]


def leave_this_session() -> None:
    """Empty the current session and give the browser a new id: nothing of the old one remains valid."""
    session.clear()
    _store().regenerate(session)  # type: ignore[arg-type]


def _stamp_sign_in(app: Flask, user: Any, **extra: Any) -> None:
    """At sign-in: a new session id (no fixation) and the clock for the idle timeout and the lifetime."""
    now = time.time()
    session[STARTED] = session[SEEN] = now
    _store().regenerate(session)  # type: ignore[arg-type]


def _check_age() -> Response | None:
    """End a signed-in session that is idle too long, too old, or whose login was deactivated."""
    user_id = _owner(session._get_current_object())  # type: ignore[attr-defined]
    if user_id is None:
        return None
    config = current_app.config
    now = time.time()
    ended = session_end(
        session.get(STARTED),
        session.get(SEEN),
        now,
        idle_seconds=config["SESSION_IDLE_MINUTES"] * 60,
        max_seconds=config["SESSION_MAX_HOURS"] * 3600,
    )
    if ended is None and current_user.is_active:
        if seen_is_stale(session[SEEN], now):
            session[SEEN] = now
        return None
    logout_user()
    leave_this_session()
    if ended is not None:
        log.info("session of user %s ended: %s", user_id, ended.name)
        message = gettext(ended.value, minutes=config["SESSION_IDLE_MINUTES"], hours=config["SESSION_MAX_HOURS"])
        flash(message, "warning")
    target = request.full_path if request.method == "GET" else None
    return redirect(current_app.appbuilder.get_url_for_login_with(target))


def _locale() -> str | None:
    """FAB's language choice (`?_l_=`, then the session) without writing a default into every visitor's session."""
    if not has_request_context():
        return None  # outside a request (jobs, commands): Flask-Babel's default or a forced locale
    languages = current_app.config["LANGUAGES"]
    wanted = request.args.get("_l_")
    if wanted is not None:
        return wanted if wanted in languages else current_app.config["BABEL_DEFAULT_LOCALE"]
    return session.get("locale") or current_app.config["BABEL_DEFAULT_LOCALE"]


def init_sessions(app: Flask) -> None:
    """Keep sessions in Redis (REDIS_URL) or the database; age them; `flask end-sessions` for emergencies."""
    config = app.config
    if config.get("REDIS_URL"):
        import redis

        client = redis.Redis.from_url(config["REDIS_URL"])
        app.session_interface = RedisSessionStore(
            app, client, config["SESSION_KEY_PREFIX"], config["SESSION_ID_LENGTH"]
        )
    else:
        app.session_interface = SqlSessionStore(app, config["SESSION_KEY_PREFIX"], config["SESSION_ID_LENGTH"])
    user_logged_in.connect(_stamp_sign_in, app)
    app.before_request(_check_age)
    app.extensions["babel"].locale_selector = _locale

    @app.cli.command("end-sessions")
    @click.option("--user", "username", help="Only this login's sessions (default: everyone's).")
    def end_sessions_command(username: str | None) -> None:
        """Sign users out everywhere (all of them, or one login)."""
        if username is None:
            click.echo(f"Ended {_store().end_all_sessions()} session(s).")
            return
        user = app.appbuilder.sm.find_user(username=username)
        if user is None:
            raise click.ClickException(f"No login named {username}.")
        click.echo(f"Ended {end_sessions(user.id)} session(s) of {username}.")
