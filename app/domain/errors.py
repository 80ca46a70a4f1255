"""Named domain errors; their message templates are translated at the edge (views, API, CLI)."""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Mark a message for extraction without translating it here (the domain knows no locale)."""
    return message


class DomainError(Exception):
    """A rule said no; `template % params` is the English message, translated by the caller."""

    template: str = N_("The request could not be completed.")

    def __init__(self, template: str | None = None, **params: Any) -> None:
        if template is not None:
            self.template = template
        self.params = params
        super().__init__(self.template % params if params else self.template)


class NotFound(DomainError):
    """The record does not exist or lies outside the actor's scope."""

    template = N_("The record was not found or is outside your area.")


class Forbidden(DomainError):
    """The actor's role or scope does not allow this."""

    template = N_("You are not allowed to do this.")


class ValidationError(DomainError):
    """A value does not meet the rules."""

    template = N_("The value is not valid.")


class StaleRecord(DomainError):
    """Someone else changed the record since it was loaded (optimistic locking)."""

    template = N_("This record was changed by %(who)s at %(when)s. Reload it and apply your change again.")


class UnknownCalendarYear(DomainError):
    """The statutory working-day calendar of a year is not known yet."""

    template = N_(
        "The statutory holiday schedule of %(year)s is not known yet. "
        "An administrator must enter it under Calendar → Holiday schedules."
    )

    def __init__(self, year: int) -> None:
        super().__init__(year=year)
        self.year = year


class Problem:
    """One problem of an uploaded file, located by row and column (both as the user sees them)."""

    __slots__ = ("column", "params", "row", "template")

    def __init__(self, row: int | None, column: str | None, template: str, **params: Any) -> None:
        self.row = row
        self.column = column
        self.template = template
        self.params = params

    def __repr__(self) -> str:
        return f"Problem(row={self.row!r}, column={self.column!r}, {self.template % self.params!r})"


class FileRejected(DomainError):
    """An uploaded file was refused as a whole; `problems` lists what is wrong, by row and column."""

    template = N_("The file was not imported; nothing was changed.")

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__()
        self.problems = problems
