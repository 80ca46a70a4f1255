"""When a signed-in session ends on its own: idle timeout and absolute lifetime (pure: no Flask, no database)."""

from __future__ import annotations

from enum import Enum

from app.domain.errors import N_

# How often a session's "last seen" is written back: a request within a minute of the last one writes nothing.
SEEN_RESOLUTION_SECONDS = 60


class SessionEnd(Enum):
    """Why a session was ended by the server rather than by its user; the value is the message shown at sign-in."""

    IDLE = N_("You were signed out after %(minutes)s minutes without activity. Please sign in again.")
    LIFETIME = N_("Your sign-in lasted the longest time allowed (%(hours)s hours). Please sign in again.")


def session_end(
    started: float | None, seen: float | None, now: float, idle_seconds: int, max_seconds: int
) -> SessionEnd | None:
    """Whether a session started at `started` and last used at `seen` (epoch seconds) is over at `now`.

    A session without its stamps (signed in before the server kept them) is treated as over: it cannot be aged.
    """
    if started is None or seen is None:
        return SessionEnd.LIFETIME
    if now - started >= max_seconds:
        return SessionEnd.LIFETIME
    if now - seen >= idle_seconds:
        return SessionEnd.IDLE
    return None


def seen_is_stale(seen: float, now: float) -> bool:
    """Whether the "last seen" stamp is old enough to be written back (keeps most requests write-free)."""
    return now - seen >= SEEN_RESOLUTION_SECONDS
