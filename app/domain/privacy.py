"""Personal data shown only to those who need it (PIPL): phone numbers masked for everyone else."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d")


def mask_phone(value: str | None) -> str:
    """Keep the first three and last four digits of a number (139****0000; 0477-***1234)."""
    if not value:
        return ""
    digits = [m.start() for m in _DIGITS.finditer(value)]
    if len(digits) <= 7:
        return "*" * len(value)
    hidden = set(digits[3:-4])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(value))
