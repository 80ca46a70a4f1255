"""Password policy and lockout arithmetic."""

from __future__ import annotations

import datetime as dt

from app.domain.passwords import locked_until, password_problems

T = dt.datetime(2026, 11, 27, 10, 0)


def test_a_password_needs_length_letters_and_digits():
    assert password_problems("Test-Password-42") == []
    assert "at least 10 characters" in password_problems("abc123")
    assert "a digit" in password_problems("onlyletters-here")
    assert "a letter" in password_problems("1234567890")
    assert "more than three different characters" in password_problems("aaaa1111aa")


def test_five_failures_lock_the_login_for_fifteen_minutes():
    assert locked_until(4, T, T) is None
    assert locked_until(5, T, T + dt.timedelta(minutes=1)) == T + dt.timedelta(minutes=15)
    assert locked_until(5, T, T + dt.timedelta(minutes=15)) is None
    assert locked_until(None, None, T) is None
