"""The printable papers of a case: the one-time notice (一次性告知书) and the plan's Attachments 4–9.

Each paper is printed when it means something in the case's life: the completion slip (办结单) once the case is
completed, the termination slip (终止单) only for a terminated case, the entrustment papers once the case is
accepted. `available` says whether a paper fits a case's state; `refusal` why it does not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.domain.errors import N_, ValidationError
from app.domain.workflow import CaseState

_S = CaseState
_ENTRUSTMENT = frozenset({_S.ACCEPTED, _S.ENTRUSTED, _S.PLANNED, _S.IN_PROGRESS, _S.COMPLETED, _S.EVALUATED})
_DONE = frozenset({_S.COMPLETED, _S.EVALUATED})
_NOT_REFUSED = frozenset(_S) - {_S.REFUSED}


@dataclass(frozen=True)
class PaperForm:
    """One printable paper: its key in the URL, its attachment number in the plan, its title, and the case states
    it is printed in (`after_entrustment`: also for a terminated case that had been entrusted)."""

    key: str
    attachment: int | None
    title: str
    states: frozenset[CaseState]
    refusal: str
    after_entrustment: bool = False
    needs_items: bool = False


FORMS: tuple[PaperForm, ...] = (
    PaperForm(
        "notice",
        None,
        N_("One-time notice"),
        _NOT_REFUSED - {_S.TERMINATED},
        N_("The one-time notice lists the approvals of a case being served; this case has none to list."),
        needs_items=True,
    ),
    PaperForm(
        "application",
        4,
        N_("Application form"),
        frozenset(_S),
        N_("The application form cannot be printed for this case."),
    ),
    PaperForm(
        "authorisation",
        5,
        N_("Letter of authorisation"),
        _ENTRUSTMENT,
        N_("The letter of authorisation is signed once the application is accepted."),
        after_entrustment=True,
    ),
    PaperForm(
        "commitment",
        6,
        N_("Letter of commitment"),
        _ENTRUSTMENT,
        N_("The letter of commitment is signed once the application is accepted."),
        after_entrustment=True,
    ),
    PaperForm(
        "completion",
        7,
        N_("Completion slip"),
        _DONE,
        N_("The completion slip can be printed once the case is completed."),
    ),
    PaperForm(
        "evaluation",
        8,
        N_("Evaluation form"),
        _DONE,
        N_("The evaluation form can be printed once the case is completed."),
    ),
    PaperForm(
        "termination",
        9,
        N_("Termination slip"),
        frozenset({_S.TERMINATED}),
        N_("The termination slip is printed only for a terminated case."),
    ),
)
FORMS_BY_KEY = {form.key: form for form in FORMS}


class PaperNotAvailable(ValidationError):
    """The paper does not fit the case's state; the message says when it does."""


def available(form: PaperForm, state: str, entrusted_on: dt.date | None, has_items: bool) -> bool:
    """Whether `form` means something for a case in `state` (entrusted on `entrusted_on`, with items or not)."""
    if form.needs_items and not has_items:
        return False
    if CaseState(state) in form.states:
        return True
    return form.after_entrustment and state == _S.TERMINATED.value and entrusted_on is not None


def check_available(form: PaperForm, state: str, entrusted_on: dt.date | None, has_items: bool) -> None:
    """Raise `PaperNotAvailable` with the form's own message when it does not fit the case."""
    if not available(form, state, entrusted_on, has_items):
        raise PaperNotAvailable(form.refusal)
