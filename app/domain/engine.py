"""The shared state-machine vocabulary: transitions as rows with their guard and effect.

A row says: from `state`, `action` leads to `next_state`, for these roles (or the system), once these
needs are met and the guard passes; then its effect runs and the rows it `follows` move related records.
Nothing here touches a database: effects change the record they are given and ask the service layer,
through `Context`, for what needs the calendar or other tables. Every tracked record (cases, items,
and the coordination records after them) moves through `app.services.engine` along such rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from app.domain.errors import DomainError

SYSTEM = "system"  # the actor of automatic moves: rows with it are never offered to a user


@dataclass(frozen=True)
class Step:
    """What was submitted with a move: its date, its note, the form's other values and who acts."""

    on: dt.date
    note: str = ""
    values: Mapping[str, Any] = field(default_factory=dict)
    actor_id: int | None = None

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def by_system(self, note: str | None = None) -> Step:
        """The same step as the system takes it when a user's move sets it off."""
        return replace(self, note=self.note if note is None else note, actor_id=None)


class Context(Protocol):
    """What effects may ask of the service layer (calendar arithmetic, records beside the subject)."""

    def due_date(self, item: Any) -> dt.date | None: ...

    def estimated_end(self, case: Any) -> dt.date | None: ...

    def open_pause(self, item: Any, on: dt.date) -> None: ...

    def close_pause(self, item: Any, on: dt.date) -> None: ...

    def used_days(self, item: Any) -> int | None: ...

    def add_evaluation(self, case: Any, level: str, comments: str, on: dt.date, by: int | None) -> None: ...


Guard = Callable[[Any, Step], DomainError | None]
Effect = Callable[[Any, Step, Context], None]


@dataclass(frozen=True)
class Follow:
    """After the move, the system takes `action` on the related `machine` records where a system row allows it."""

    machine: str
    action: str


@dataclass(frozen=True)
class Transition:
    state: str
    action: str
    next_state: str
    roles: frozenset[str]
    needs: tuple[Any, ...] = ()
    guard: Guard | None = None
    effect: Effect | None = None
    follows: tuple[Follow, ...] = ()

    @property
    def automatic(self) -> bool:
        return SYSTEM in self.roles


def find_transition(
    table: Iterable[Transition], state: str, action: str, roles: Iterable[str] | None = None
) -> Transition | None:
    """The row for (state, action); with `roles`, the first row one of them may take."""
    wanted = None if roles is None else set(roles)
    for row in table:
        if row.state == state and row.action == action and (wanted is None or row.roles & wanted):
            return row
    return None


def actions_for(
    table: Iterable[Transition], state: str, roles: Iterable[str], record: Any = None, step: Step | None = None
) -> list[Transition]:
    """Rows from `state` that a user with `roles` may take, in table order (system-only rows never).

    Given the record and a step (its date and the values the service adds), only the rows whose guard lets
    the step through: the steps offered are the steps accepted, what the form asks for aside.
    """
    wanted = {str(r) for r in roles} - {SYSTEM}
    rows = [t for t in table if t.state == state and t.roles & wanted]
    if record is None or step is None:
        return rows
    return [t for t in rows if t.guard is None or t.guard(record, step) is None]


def refusal(transition: Transition, record: Any, step: Step, need_checks: Mapping[Any, Guard]) -> DomainError | None:
    """Why the move may not happen now (the first unmet need, then the guard), or None."""
    for need in transition.needs:
        problem = need_checks[need](record, step)
        if problem is not None:
            return problem
    return transition.guard(record, step) if transition.guard else None


def all_of(*guards: Guard) -> Guard:
    """A guard that passes when every one of `guards` passes (the first refusal wins)."""

    def check(record: Any, step: Step) -> DomainError | None:
        return next((p for p in (g(record, step) for g in guards) if p is not None), None)

    check.__name__ = " + ".join(g.__name__ for g in guards)
    return check


def then(*effects: Effect) -> Effect:
    """An effect running `effects` in order."""

    def run(record: Any, step: Step, context: Context) -> None:
        for effect in effects:
            effect(record, step, context)

    run.__name__ = " + ".join(e.__name__ for e in effects)
    return run
