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


# A phone number inside free text (a history entry, a timeline note, a reason): a mobile number or a landline with
# its area code, standing alone (not part of a longer run of digits such as a credit code or a case number).
_PHONE_IN_TEXT = re.compile(r"(?<![\dA-Za-z])(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?![\dA-Za-z])")


def mask_phones_in(text: str | None) -> str:
    """The text with every phone number in it masked as `mask_phone` masks a field (13904770004 → 139****0004)."""
    if not text:
        return ""
    return _PHONE_IN_TEXT.sub(lambda found: mask_phone(found.group(0)), text)
