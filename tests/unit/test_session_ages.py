"""When a session ends on its own: idle timeout, absolute lifetime, and how often "last seen" is written."""

from __future__ import annotations

from app.domain.sessions import SessionEnd, seen_is_stale, session_end

IDLE, MAX = 30 * 60, 12 * 3600
T = 1_800_000_000.0


def test_a_fresh_session_lives():
    assert session_end(T, T, T + 60, IDLE, MAX) is None


def test_a_session_idle_for_the_whole_timeout_ends_as_idle():
    assert session_end(T, T, T + IDLE - 1, IDLE, MAX) is None
    assert session_end(T, T, T + IDLE, IDLE, MAX) is SessionEnd.IDLE


def test_a_busy_session_ends_at_its_maximum_lifetime():
    assert session_end(T, T + MAX - 5, T + MAX - 1, IDLE, MAX) is None
    assert session_end(T, T + MAX - 5, T + MAX, IDLE, MAX) is SessionEnd.LIFETIME


def test_a_session_without_its_stamps_cannot_be_aged_and_ends():
    assert session_end(None, T, T, IDLE, MAX) is SessionEnd.LIFETIME
    assert session_end(T, None, T, IDLE, MAX) is SessionEnd.LIFETIME


def test_last_seen_is_written_back_at_most_once_a_minute():
    assert not seen_is_stale(T, T + 59)
    assert seen_is_stale(T, T + 60)
