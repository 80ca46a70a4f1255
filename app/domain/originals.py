"""What the applicant hands over and gets back: the forms and states of a material, and the originals still
to return. Its own module because both the materials checklist and the case workflow (办结 needs every
original back) read it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.domain.enums import LabelledEnum


class MaterialForm(LabelledEnum):
    """In which form the applicant hands a material in."""

    ORIGINAL = "original"  # 原件
    COPY = "copy"  # 复印件
    BOTH = "original_and_copy"  # 原件及复印件


class MaterialState(LabelledEnum):
    PENDING = "pending"  # 待收取
    RECEIVED = "received"  # 已收取
    MISSING = "missing"  # 缺件
    PROMISED = "promised"  # 容缺承诺
    RETURNED = "returned"  # 已返还
    NOT_NEEDED = "not_needed"  # 无需提交


# Forms whose original the applicant hands over, and so gets back at the end (归档返还).
ORIGINAL_FORMS = frozenset({MaterialForm.ORIGINAL.value, MaterialForm.BOTH.value})
# States in which a material is still owed by the applicant.
OWED_STATES = frozenset({MaterialState.PENDING.value, MaterialState.MISSING.value, MaterialState.PROMISED.value})


def not_returned(rows: Iterable[Any]) -> list[str]:
    """Names of originals received from the applicant and not yet given back (归档返还 outstanding)."""
    return [r.name for r in rows if r.state == MaterialState.RECEIVED.value and r.form in ORIGINAL_FORMS]
