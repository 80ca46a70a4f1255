"""Sign-in state kept on the server: browser sessions (SQL backend) and failed sign-ins under unknown names."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import DateTime, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column


class ServerSession(Model):
    """One browser's session: the cookie holds only its random id; the data and the owner stay here."""

    __tablename__ = "server_session"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)  # key prefix + random session id
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)  # who is signed in, to end all their sessions
    data: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)  # UTC; gone after this


class SignInFailure(Model):
    """Consecutive failed sign-ins under a name that is no active login, counted like a login's own failures.

    So the lockout answers the same whether or not the name exists. The name is kept only as a keyed hash.
    """

    __tablename__ = "sign_in_failure"

    name_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
