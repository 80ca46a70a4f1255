"""Password policy and login lockout rules (pure: no Flask, no database)."""

from __future__ import annotations

import datetime as dt
import re

from app.domain.errors import N_

MIN_LENGTH = 10
LOCK_AFTER_FAILURES = 5  # from one address: that address is locked out of that name
NAME_LOCK_AFTER_FAILURES = 30  # from any addresses: the name itself is locked (slower, for spread-out guessing)
LOCK_MINUTES = 15


# Words that, padded with digits, make the passwords guessed first (password12, 1234567890a, admin12345,
# woaini1314, qq123456789): the letters of a password, digits taken out, must not be one of them.
COMMON_WORDS = frozenset(
    {
        "",
        "a",
        "aa",
        "abc",
        "abcd",
        "abcde",
        "abcdef",
        "admin",
        "asdf",
        "asdfgh",
        "iloveyou",
        "love",
        "p",
        "pass",
        "passw",
        "password",
        "pwd",
        "q",
        "qq",
        "qwe",
        "qwer",
        "qwert",
        "qwerty",
        "qwertyuiop",
        "root",
        "test",
        "user",
        "wang",
        "welcome",
        "woaini",
        "x",
        "zxc",
        "zxcvbn",
        "zxcvbnm",
    }
)
# Keyboard walks that mix letters and digits.
COMMON_PASSWORDS = frozenset({"1q2w3e4r5t", "1qaz2wsx3edc", "1qaz2wsx", "q1w2e3r4t5", "1q2w3e4r5t6y", "a1b2c3d4e5"})
_ONLY_ONE_WORD = re.compile(r"[a-z]*\d+[a-z]*|\d*[a-z]+\d*")


def guessable(password: str, login: str = "") -> str | None:
    """Why a password that meets the policy is still among the first guessed: a common word padded with digits
    (password12, 1234567890a), a keyboard walk, or the login name with something added; None when it is not."""
    lowered = password.lower()
    letters = re.sub(r"\d", "", lowered)
    if lowered in COMMON_PASSWORDS or (_ONLY_ONE_WORD.fullmatch(lowered) and letters in COMMON_WORDS):
        return N_(
            "This password is among the first ones guessed (a common word or keyboard row with digits): choose another."
        )
    name = (login or "").strip().lower()
    if len(name) >= 3 and (name in lowered or lowered in name):
        return N_("The password must not contain the login name.")
    return None


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


def locked_until(
    failures: int | None, last_failure: dt.datetime | None, now: dt.datetime, after: int = LOCK_AFTER_FAILURES
) -> dt.datetime | None:
    """When sign-ins with this many consecutive failures (`after` of them lock) open again; None if open now."""
    if not failures or failures < after or last_failure is None:
        return None
    until = last_failure + dt.timedelta(minutes=LOCK_MINUTES)
    return until if now < until else None
