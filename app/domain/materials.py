"""申报材料: the materials each catalog item requires, and the checklist a case keeps of them per item.

The catalog says what an item requires (name, original or copy, how many copies, notes, whether it may
be missing at acceptance under 容缺). When a case takes the item on, those rows are copied onto the
case item as its checklist; the agent then records, per material, what happened to it:

    pending (待收取) ─ receive ─→ received (已收取) ─ return ─→ returned (已返还)
        │  ╲  mark_missing → missing (缺件) ─ receive / promise
        │   ╲ promise (容缺, deferrable only, with a date) → promised (容缺承诺) ─ receive / mark_missing
        └── waive (reason) → not_needed (无需提交) ─ require → pending

A case completes (办结) or ends (终止) only once every original it received went back to the applicant
(归档返还); copies stay in the case file. A 容缺 promise has a date and the app's one light rule.
Rows move through `app.services.engine` like every tracked record.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.domain.engine import Step, Transition, all_of
from app.domain.enums import LabelledEnum, RoleName, register_labels
from app.domain.errors import N_, DomainError, ValidationError
from app.domain.originals import ORIGINAL_FORMS, OWED_STATES, MaterialForm, MaterialState, not_returned
from app.domain.workflow import OPEN_CASE_VALUES

__all__ = ["ORIGINAL_FORMS", "OWED_STATES", "MaterialForm", "MaterialState", "not_returned"]  # re-exported

NAME_MAX = 200
NOTES_MAX = 500
COUNT_MAX = 99


class Need(LabelledEnum):
    PROMISED_DATE = "promised_date"
    REASON = "reason"


# The Chinese names a catalog file uses (and the seed file), and the words they may be written with.
FORM_CHINESE: dict[MaterialForm, str] = {
    MaterialForm.ORIGINAL: "原件",
    MaterialForm.COPY: "复印件",
    MaterialForm.BOTH: "原件及复印件",
}
_FORM_SPELLINGS: dict[str, MaterialForm] = {
    **{name: form for form, name in FORM_CHINESE.items()},
    **{form.value: form for form in MaterialForm},
    "原件和复印件": MaterialForm.BOTH,
    "原件、复印件": MaterialForm.BOTH,
    "原件+复印件": MaterialForm.BOTH,
    "复印件（加盖公章）": MaterialForm.COPY,
    "复印件(加盖公章)": MaterialForm.COPY,
    "Original": MaterialForm.ORIGINAL,
    "Copy": MaterialForm.COPY,
    "Original and copy": MaterialForm.BOTH,
}

AGENT = frozenset({RoleName.AGENT})

NEED_MESSAGES: dict[Need, str] = {
    Need.PROMISED_DATE: N_("A 容缺 promise needs the date by which the applicant will hand the material in."),
    Need.REASON: N_("Give the reason."),
}


# --- the catalog's rows ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MaterialSpec:
    """One required material as the catalog (or a file, or a form) states it, cleaned."""

    name: str
    form: str = MaterialForm.ORIGINAL.value
    count: int = 1
    notes: str = ""
    deferrable: bool = False

    def describe(self) -> str:
        """One line of the item's history: 名称（原件，1份，可容缺）：备注."""
        parts = [FORM_CHINESE[MaterialForm(self.form)], f"{self.count}份"]
        if self.deferrable:
            parts.append("可容缺")
        text = f"{self.name}（{'，'.join(parts)}）"
        return f"{text}：{self.notes}" if self.notes else text


def parse_form(value: Any) -> MaterialForm | None:
    """A form written as its code, its Chinese name or its English label; None if unknown."""
    text = str(value or "").strip()
    return _FORM_SPELLINGS.get(text) or _FORM_SPELLINGS.get(text.capitalize())


def parse_count(value: Any) -> int | None:
    """A number of copies 1…99 written as a number ('2', 2, 2.0, '2份'); None if not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        value = int(value) if value.is_integer() else None
    text = str(value if value is not None else "").strip().removesuffix("份").strip()
    if text == "":
        return 1
    if not text.isdigit():
        return None
    count = int(text)
    return count if 1 <= count <= COUNT_MAX else None


def clean_spec(
    name: Any, form: Any = None, count: Any = None, notes: Any = None, deferrable: Any = False
) -> MaterialSpec:
    """One material cleaned, or a ValidationError saying what is wrong with it."""
    text = str(name or "").strip()
    if not text:
        raise ValidationError(N_("Name the material."))
    if len(text) > NAME_MAX:
        raise ValidationError(N_("The material's name is longer than %(n)s characters."), n=NAME_MAX)
    if any(mark in text for mark in "：:\n"):
        raise ValidationError(N_("The material's name “%(name)s” may not contain a colon; notes follow it."), name=text)
    chosen = parse_form(form) if str(form or "").strip() else MaterialForm.ORIGINAL
    if chosen is None:
        raise ValidationError(
            N_("Unknown form “%(value)s” of “%(name)s”: write 原件, 复印件 or 原件及复印件."), value=form, name=text
        )
    copies = parse_count(count)
    if copies is None:
        raise ValidationError(
            N_("The number of copies of “%(name)s” must be a whole number from 1 to %(n)s."), name=text, n=COUNT_MAX
        )
    remark = " ".join(str(notes or "").split())  # one line: the list's text has a line per material
    if len(remark) > NOTES_MAX:
        raise ValidationError(N_("The notes of “%(name)s” are longer than %(n)s characters."), name=text, n=NOTES_MAX)
    return MaterialSpec(text, chosen.value, copies, remark, bool(deferrable))


def check_specs(specs: list[MaterialSpec]) -> None:
    """An item's list: each name once."""
    seen: set[str] = set()
    for spec in specs:
        if spec.name in seen:
            raise ValidationError(N_("The material “%(name)s” is listed twice for the same item."), name=spec.name)
        seen.add(spec.name)


NONE_TEXT = "无"


def describe_list(specs: Iterable[MaterialSpec]) -> str:
    """An item's materials as one text, one numbered line each (empty: 无).

    The same text is the item's history entry, the catalog file's 申报材料 cell and the edit form's field,
    and `parse_list` reads it back: 1. 营业执照（复印件，1份）：加盖公章
    """
    lines = [f"{n}. {spec.describe()}" for n, spec in enumerate(specs, start=1)]
    return "\n".join(lines) if lines else NONE_TEXT


_LINE = re.compile(
    r"^(?:\d+\s*[.、．)）]\s*)?(?P<name>.+?)\s*"
    r"(?:[（(]\s*(?P<form>[^，,（）()]+?)\s*[，,]\s*(?P<count>[^，,（）()]*?)\s*份\s*(?P<deferrable>[，,]\s*可容缺\s*)?[）)])?"
    r"\s*(?:[：:]\s*(?P<notes>.*))?$"
)


def parse_line(line: str) -> MaterialSpec:
    """One line of `describe_list`'s text; a bare name is one original. ValidationError if it is not valid."""
    match = _LINE.match(line.strip())
    if match is None:  # pragma: no cover - the pattern accepts any non-empty text
        raise ValidationError(N_("Name the material."))
    form, count = match.group("form"), match.group("count")
    if match.group("name").startswith(("（", "(")):  # a form and count with no name before them
        raise ValidationError(N_("Name the material."))
    return clean_spec(
        match.group("name"),
        form if form is not None else MaterialForm.ORIGINAL.value,
        count if count is not None else 1,
        match.group("notes") or "",
        match.group("deferrable") is not None,
    )


def parse_list(text: str | None) -> list[MaterialSpec]:
    """An item's materials from their text (blank or 无: none); the first problem as a ValidationError."""
    lines = [line.strip() for line in (text or "").replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line]
    if lines == [NONE_TEXT]:
        return []
    specs = [parse_line(line) for line in lines]
    check_specs(specs)
    return specs


# --- the case's checklist -----------------------------------------------------------------------------------


def promise_deadline(state: str, promised_on: dt.date | None) -> dt.date | None:
    """A 容缺 promise's deadline while it is open (the light of the app's one rule is taken from it)."""
    return promised_on if state == MaterialState.PROMISED.value else None


def _case_open(row: Any, step: Step) -> DomainError | None:
    """A closed case's checklist is read-only (what was returned is history)."""
    if row.case_item.case.state in OPEN_CASE_VALUES:
        return None
    return ValidationError(N_("The case is closed; its materials checklist can no longer change."))


def may_defer(row: Any) -> bool:
    """容缺 needs both: the material may come later, and its item's catalog entry allows 容缺受理 at all."""
    return bool(row.deferrable) and bool(getattr(row.case_item, "allows_incomplete", False))


def _deferrable(row: Any, step: Step) -> DomainError | None:
    if may_defer(row):
        return None
    if row.deferrable:
        return ValidationError(
            N_("“%(item)s” does not allow 容缺受理 under the catalog: “%(name)s” must be handed in before acceptance."),
            item=row.case_item.name,
            name=row.name,
        )
    return ValidationError(N_("“%(name)s” may not be handed in later (容缺) under the catalog."), name=row.name)


def _an_original(row: Any, step: Step) -> DomainError | None:
    if row.form in ORIGINAL_FORMS:
        return None
    return ValidationError(N_("“%(name)s” is a copy: it stays in the case file and is not returned."), name=row.name)


def _promise_not_past(row: Any, step: Step) -> DomainError | None:
    promised = step.get("promised_on")
    if promised is not None and promised < step.on:
        return ValidationError(
            N_("The promised date %(on)s lies before the date of the promise."), on=promised.isoformat()
        )
    return None


NEED_CHECKS = {
    Need.PROMISED_DATE: lambda row, step: (
        None if step.get("promised_on") is not None else ValidationError(NEED_MESSAGES[Need.PROMISED_DATE])
    ),
    Need.REASON: lambda row, step: None if remark(step) else ValidationError(NEED_MESSAGES[Need.REASON]),
}


def remark(step: Step) -> str:
    """What the agent wrote about this material (the timeline's note also names the material)."""
    return str(step.get("remark", step.note) or "").strip()


def timeline_note(name: str, text: str, promised_on: dt.date | None = None) -> str:
    """A checklist entry's timeline note: the material, the promised date if any, then the agent's remark."""
    head = f"{name} → {promised_on.isoformat()}" if promised_on is not None else name
    return f"{head}：{text}" if text else head


def _note(row: Any, step: Step) -> None:
    if remark(step):
        row.note = remark(step)[:NOTES_MAX]


def _receive(row: Any, step: Step, context: Any) -> None:
    _note(row, step)
    row.received_on = step.on


def _missing(row: Any, step: Step, context: Any) -> None:
    _note(row, step)


def _promise(row: Any, step: Step, context: Any) -> None:
    _note(row, step)
    row.promised_on = step.get("promised_on")


def _return(row: Any, step: Step, context: Any) -> None:
    _note(row, step)
    row.returned_on = step.on


def _waive(row: Any, step: Step, context: Any) -> None:
    _note(row, step)


def _require(row: Any, step: Step, context: Any) -> None:
    _note(row, step)


_OPEN = all_of(_case_open)
_PROMISE = all_of(_case_open, _deferrable, _promise_not_past)
S = MaterialState

MATERIAL_TRANSITIONS: tuple[Transition, ...] = (
    *(Transition(state, "receive", S.RECEIVED, AGENT, guard=_OPEN, effect=_receive) for state in OWED_STATES),
    *(
        Transition(state, "mark_missing", S.MISSING, AGENT, guard=_OPEN, effect=_missing)
        for state in (S.PENDING, S.PROMISED)
    ),
    *(
        Transition(state, "promise", S.PROMISED, AGENT, (Need.PROMISED_DATE,), guard=_PROMISE, effect=_promise)
        for state in (S.PENDING, S.MISSING)
    ),
    Transition(S.RECEIVED, "return", S.RETURNED, AGENT, guard=all_of(_case_open, _an_original), effect=_return),
    *(
        Transition(state, "waive", S.NOT_NEEDED, AGENT, (Need.REASON,), guard=_OPEN, effect=_waive)
        for state in (S.PENDING, S.MISSING)
    ),
    Transition(S.NOT_NEEDED, "require", S.PENDING, AGENT, guard=_OPEN, effect=_require),
)

# Buttons and timeline entries.
MATERIAL_LABELS: dict[str, str] = {
    "receive": N_("Receive material"),
    "mark_missing": N_("Mark as missing"),
    "promise": N_("Promise under 容缺"),
    "return": N_("Return to applicant"),
    "waive": N_("Not required"),
    "require": N_("Required again"),
    "add_material": N_("Material added"),
}

register_labels(
    [
        (MaterialForm.ORIGINAL, N_("Original")),
        (MaterialForm.COPY, N_("Copy")),
        (MaterialForm.BOTH, N_("Original and copy")),
        (MaterialState.PENDING, N_("To be collected")),
        (MaterialState.RECEIVED, N_("Received")),
        (MaterialState.MISSING, N_("Material missing")),
        (MaterialState.PROMISED, N_("Promised (容缺)")),
        (MaterialState.RETURNED, N_("Returned to applicant")),
        (MaterialState.NOT_NEEDED, N_("Not to be submitted")),
        (Need.PROMISED_DATE, N_("promised date")),
        (Need.REASON, N_("reason")),
    ]
)
