"""Guards of the pages and calls anyone may use without signing in: rate limits and a one-time check question.

Counts live where Flask-Limiter keeps the sign-in limits (Redis with REDIS_URL, shared by every worker and server).
The question is a sum written out in Chinese numerals (`app.domain.channels`), its answer HMAC-signed with
SECRET_KEY into a token with its issue time and a nonce. A token is good for one application: it is marked used
atomically *before* the application is written (six requests sent at once with one solved token register one case;
the others are refused as replayed), given back when the application is refused for its fields (the applicant
corrects them without a new question), and burnt by a wrong answer. The web form and the app's API both use it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app
from flask_limiter.util import get_remote_address
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import STRATEGIES

from app.domain.channels import Challenge, ChallengeFailed, check_challenge, make_challenge
from app.domain.errors import N_, DomainError, ValidationError

HONEYPOT = "website"  # a field people never see; scripts that fill every input fill it
LIMITS = "channels.limits"  # where the public limits' (storage, strategy) are kept in app.extensions


class TooManyAttempts(ValidationError):
    template = N_("Too many attempts from your network. Wait a while, then try again.")


class ChallengeReplayed(ValidationError):
    template = ChallengeFailed.template


class HoneypotFilled(ValidationError):
    template = ChallengeFailed.template


def init_app(app: Flask) -> None:
    """The public limits count in the sign-in limiter's storage (its own kind of store when limits are off)."""
    limiter = app.appbuilder.sm.limiter
    if limiter.enabled and limiter.initialized:
        app.extensions[LIMITS] = (limiter.storage, limiter.limiter)
    else:  # limits switched off (tests, a trial): used questions are still remembered, in the same kind of store
        storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
        app.extensions[LIMITS] = (storage, STRATEGIES[app.config.get("RATELIMIT_STRATEGY", "fixed-window")](storage))


def _limits() -> tuple[Any, Any]:
    return current_app.extensions[LIMITS]


def within_limit(setting: str, *key: str) -> bool:
    """Count one attempt against the limits named by a config setting ("5 per hour;20 per day"); False when over."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return True
    _storage, strategy = _limits()
    identifiers = (current_app.config.get("RATELIMIT_KEY_PREFIX", ""), "public", setting, *key)
    return all(strategy.hit(limit, *identifiers) for limit in parse_many(current_app.config[setting]))


def _spent(setting: str, *key: str) -> bool:
    """Whether the limits named by `setting` are used up for `key` (looking only: nothing is counted)."""
    _storage, strategy = _limits()
    identifiers = (current_app.config.get("RATELIMIT_KEY_PREFIX", ""), "public", setting, *key)
    return not all(strategy.test(limit, *identifiers) for limit in parse_many(current_app.config[setting]))


def may_try_again(setting: str, backoff: str, *key: str) -> bool:
    """Failures counted under `setting` (see `count_failure`) slow the key down to the `backoff` allowance once
    spent, instead of closing it: the applicant whose number someone else guessed at still gets in, slowly."""
    if not current_app.config.get("RATELIMIT_ENABLED", True) or not _spent(setting, *key):
        return True
    return within_limit(backoff, *key)


def count_failure(setting: str, *key: str) -> None:
    """One failure against the limits named by `setting` (successes are not counted)."""
    if current_app.config.get("RATELIMIT_ENABLED", True):
        within_limit(setting, *key)


def client_address() -> str:
    return get_remote_address() or "-"


# --- the one-time check question ------------------------------------------------------------------------------


def _secret() -> bytes:
    return str(current_app.config["SECRET_KEY"]).encode("utf-8")


def _now() -> int:
    """Epoch seconds: when a question was drawn, and when its answer came back."""
    return int(time.time())


def new_challenge() -> Challenge:
    return make_challenge(_secret(), _now())


def _nonce(token: str) -> str:
    parts = (token or "").split(".")
    return parts[1] if len(parts) == 3 else ""


def _key(nonce: str) -> str:
    return f"{current_app.config.get('RATELIMIT_KEY_PREFIX', '')}/public/challenge/{nonce}"


def _ttl() -> int:
    return int(current_app.config["PUBLIC_CHALLENGE_MAX_MINUTES"]) * 60 + 60


# Redis increments atomically; the in-memory store of `make run` reads its count back outside its own lock, so
# two threads of one process could both miss "first". One lock per process closes that gap (and costs nothing).
_CLAIMING = threading.Lock()


def _burn(nonce: str) -> bool:
    """Mark the question used; True for the one request that marked it first (atomic in the shared store)."""
    storage, _strategy = _limits()
    with _CLAIMING:
        return bool(nonce) and storage.incr(_key(nonce), _ttl()) == 1


def claim_challenge(values: Mapping[str, Any]) -> str:
    """The question's nonce, claimed for this application: refused when the form was not sent by a person, the
    answer is wrong (which burns the question), it is stale, or another request holds or used it."""
    if str(values.get(HONEYPOT, "") or "").strip():
        raise HoneypotFilled()
    token = str(values.get("challenge_token", "") or "")
    config = current_app.config
    try:
        nonce = check_challenge(
            _secret(),
            token,
            str(values.get("challenge_answer", "") or ""),
            _now(),
            min_seconds=int(config["PUBLIC_CHALLENGE_MIN_SECONDS"]),
            max_seconds=int(config["PUBLIC_CHALLENGE_MAX_MINUTES"]) * 60,
        )
    except ChallengeFailed:
        _burn(_nonce(token))  # one guess per question
        raise
    except DomainError:
        raise
    if not _burn(nonce):
        raise ChallengeReplayed()
    return nonce


def release_challenge(nonce: str) -> None:
    """Give a claimed question back: the application was refused for its fields and wrote nothing."""
    storage, _strategy = _limits()
    storage.clear(_key(nonce))
