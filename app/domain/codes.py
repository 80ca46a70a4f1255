"""Code validators: unified social credit code (GB 32100-2015, GB 11714) and investment project code shape."""

from __future__ import annotations

import re

from app.domain.errors import N_, ValidationError

# GB 32100-2015: 0-9 and A-Z without I, O, S, V, Z; values 0..30.
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, 26, …
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]  # GB 11714 body code, mod 11
_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # GB 11714 values: digits 0-9, letters 10-35


def credit_check_character(first17: str) -> str:
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def org_check_character(first8: str) -> str:
    total = sum(_ORG_ALPHABET.index(c) * w for c, w in zip(first8, ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def validate_credit_code(raw: str) -> str:
    """The code upper-cased and trimmed, or ValidationError saying exactly what is wrong."""
    code = (raw or "").strip().upper()
    if len(code) != 18:
        raise ValidationError(
            N_("A unified social credit code has 18 characters; “%(code)s” has %(n)s."), code=code, n=len(code)
        )
    bad = [c for c in code if c not in CREDIT_ALPHABET]
    if bad:
        raise ValidationError(
            N_("“%(char)s” cannot appear in a unified social credit code (I, O, S, V and Z are never used)."),
            char=bad[0],
        )
    if not code[2:8].isdigit():
        raise ValidationError(N_("Characters 3 to 8 of a credit code are the division code and must be digits."))
    body = code[8:17]
    if org_check_character(body[:8]) != body[8]:
        raise ValidationError(
            N_("The organisation code %(body)s inside the credit code fails its GB 11714 check."), body=body
        )
    expected = credit_check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(
            N_("The check character of credit code %(code)s should be %(expected)s: a character is mistyped."),
            code=code,
            expected=expected,
        )
    return code


# 4-6-2-2-6: time code, division code, department code, project type code, 5 random digits + a check character.
PROJECT_CODE = re.compile(r"^[0-9]{4}-[0-9]{6}-[0-9]{2}-[0-9]{2}-[0-9]{5}[0-9A-Z]$")


def validate_project_code(raw: str) -> str:
    """A project code as issued by the national platform (shape only: codes are issued, never generated)."""
    code = (raw or "").strip().upper()
    if len(code) != 24 or not PROJECT_CODE.match(code):
        raise ValidationError(
            N_(
                "A project code has 24 characters in the shape 2020-150621-44-01-123456 "
                "(4-6-2-2-6, the last may be a letter); “%(code)s” does not."
            ),
            code=code,
        )
    return code
