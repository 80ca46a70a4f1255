"""Password policy and login lockout rules (pure: no Flask, no database)."""

from __future__ import annotations

import datetime as dt

from app.domain.errors import N_

MIN_LENGTH = 10
LOCK_AFTER_FAILURES = 5
LOCK_MINUTES = 15


def password_problems(password: str) -> list[str]:
    """What a password lacks under the policy: at least 10 characters, with letters and digits."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(N_("at least 10 characters"))
    if not any(c.isalpha() for c in password):
        problems.append(N_("a letter"))
    if not any(c.isdigit() for c in password):
        problems.append(N_("a digit"))
    if len(set(password)) < 4:
        problems.append(N_("more than three different characters"))
    return problems


def locked_until(failures: int | None, last_failure: dt.datetime | None, now: dt.datetime) -> dt.datetime | None:
    """When a login with this many consecutive failures opens again; None if it is open now."""
    if not failures or failures < LOCK_AFTER_FAILURES or last_failure is None:
        return None
    until = last_failure + dt.timedelta(minutes=LOCK_MINUTES)
    return until if now < until else None
