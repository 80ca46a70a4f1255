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


def test_a_common_word_padded_with_digits_or_a_keyboard_row_is_guessed_first():
    from app.domain.passwords import guessable

    for password in ("password12", "1234567890a", "Password2026", "admin123456", "woaini1314520", "1qaz2wsx3edc"):
        assert guessable(password) is not None, password
    for password in ("Test-Password-42", "hongshan7river3", "Brand-New-Pass-77"):
        assert guessable(password) is None, password


def test_a_password_holding_the_login_name_is_refused():
    from app.domain.passwords import guessable

    assert guessable("dlt_agent1", "dlt_agent") is not None
    assert guessable("MyDlt_Agent2026", "dlt_agent") is not None
    assert guessable("hongshan7river3", "dlt_agent") is None
    assert guessable("hongshan7river3", "ab") is None  # too short a name to mean anything
