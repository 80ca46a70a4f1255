"""Pure rules of the public channels (#12): phone numbers, online receipts, the script challenge.

No Flask here: the secret, the clock and the random source are passed in by the caller.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import re
import secrets
import string
from dataclasses import dataclass

from app.domain.errors import N_, ValidationError

# --- phone numbers ------------------------------------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s\-–—()（）.]")


def normalise_phone(raw: str) -> str:
    """A phone number as digits only: spaces, dashes, brackets and the country code (+86 / 0086 / 86) dropped.

    "138 1234-5678", "+86 13812345678" and "0086-13812345678" are all "13812345678"; a landline keeps its
    area code ("0477-8888888" → "04778888888").
    """
    phone = _SEPARATORS.sub("", raw or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    elif phone.startswith("86") and len(phone) == 13:
        phone = phone[2:]
    return phone


def check_phone(raw: str) -> str:
    """The normalised number, or ValidationError: 7 to 12 digits (a mobile has 11 and starts with 1)."""
    phone = normalise_phone(raw)
    if not phone.isdigit() or not 7 <= len(phone) <= 12:
        raise ValidationError(
            N_(
                "“%(phone)s” is not a phone number: a mobile number has 11 digits, "
                "a landline 7 to 12 with its area code."
            ),
            phone=raw.strip(),
        )
    if phone.startswith("1") and len(phone) != 11:
        raise ValidationError(
            N_("A mobile number has 11 digits; “%(phone)s” has %(n)s."), phone=raw.strip(), n=len(phone)
        )
    return phone


def same_phone(registered: str, given: str) -> bool:
    """Whether two numbers are the same once normalised, compared in constant time (no timing oracle)."""
    left, right = normalise_phone(registered), normalise_phone(given)
    return hmac.compare_digest(left.encode("utf-8"), right.encode("utf-8")) and bool(left)


# --- receipts -----------------------------------------------------------------------------------------------

# No 0/O, 1/I/L: a receipt is read over the phone.
RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RECEIPT_PREFIX = {"website": "W", "app": "A"}


def new_receipt(channel: str, yyyymmdd: str) -> str:
    """An online receipt: channel letter, the date, six random characters (e.g. W20261128K7M3QX)."""
    tail = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(6))
    return f"{RECEIPT_PREFIX.get(channel, 'R')}{yyyymmdd}{tail}"


# --- the challenge against scripts --------------------------------------------------------------------------

_CHINESE_DIGITS = "零一二三四五六七八九十"


def chinese_number(n: int) -> str:
    """0..99 in Chinese numerals (十二, 二十, 四十五)."""
    if n <= 10:
        return _CHINESE_DIGITS[n]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else _CHINESE_DIGITS[tens]
    return head + "十" + (_CHINESE_DIGITS[ones] if ones else "")


_ENGLISH = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
)
_TENS = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty", 6: "sixty", 7: "seventy", 8: "eighty", 9: "ninety"}


def english_number(n: int) -> str:
    """0..99 in English words (twelve, twenty, forty-five): read by a person, not parsed by a script's int()."""
    if n < 20:
        return _ENGLISH[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens] + (f"-{_ENGLISH[ones]}" if ones else "")


@dataclass(frozen=True)
class Challenge:
    """A sum to work out: `left` + `right` (written out in Chinese numerals), and the signed token for it."""

    left: int
    right: int
    token: str

    @property
    def question_zh(self) -> str:
        return f"{chinese_number(self.left)}加{chinese_number(self.right)}等于多少？"

    @property
    def question_en(self) -> str:
        return f"What is {english_number(self.left)} plus {english_number(self.right)}?"


class ChallengeFailed(ValidationError):
    template = N_("The answer to the check question is not right. Work out the new question and send the form again.")


class ChallengeExpired(ValidationError):
    template = N_("The check question has expired. Work out the new question and send the form again.")


class TooFast(ValidationError):
    template = N_("The form was sent too quickly after it was opened. Check your entries and send it again.")


def _sign(secret: bytes, payload: str) -> str:
    mac = hmac.new(secret, payload.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode("ascii")


def make_challenge(secret: bytes, issued_at: int, rng: random.Random | None = None) -> Challenge:
    """A new question; the token carries the issue time and a nonce, and signs them with the answer."""
    pick = rng or random.SystemRandom()
    left, right = pick.randint(2, 19), pick.randint(2, 9)
    nonce = "".join(pick.choice(string.ascii_letters + string.digits) for _ in range(12))
    payload = f"{issued_at}.{nonce}"
    return Challenge(left, right, f"{payload}.{_sign(secret, f'{payload}.{left + right}')}")


def check_challenge(secret: bytes, token: str, answer: str, now: int, *, min_seconds: int, max_seconds: int) -> str:
    """The token's nonce (for one-time use) when the answer is right, in time and not too fast; else the refusal."""
    parts = (token or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit():
        raise ChallengeFailed()
    issued_at, nonce, mac = int(parts[0]), parts[1], parts[2]
    given = (answer or "").strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if not given.isdigit() or len(given) > 3:
        raise ChallengeFailed()
    expected = _sign(secret, f"{issued_at}.{nonce}.{int(given)}")
    if not hmac.compare_digest(expected.encode("ascii"), mac.encode("ascii", "replace")):
        raise ChallengeFailed()
    if now - issued_at > max_seconds or now < issued_at:
        raise ChallengeExpired()
    if now - issued_at < min_seconds:
        raise TooFast()
    return nonce
