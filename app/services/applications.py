"""The one check of an application's fields, for the back office's form and the public channels alike.

`clean_enterprise` and `clean_project` stop at their first refusal; an applicant should see every mistake in
one round, so each field is run through the same cleaner alone (the other fields given valid stand-ins), then
the group as a whole for the rules across fields.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from app.domain.errors import N_, DomainError, ValidationError
from app.domain.workflow import Channel
from app.services.cases import ENTERPRISE_FIELDS, PROJECT_FIELDS, clean_enterprise, clean_project

# Valid stand-ins for the fields not under test when a group is checked one field at a time.
_STAND_INS = {"enterprise": {"name": "-", "credit_code": "91350100M000100Y43"}, "project": {"name": "-"}}
_CLEANERS = {"enterprise": clean_enterprise, "project": clean_project}
# Where a rule across a group's fields is reported (this year's investment within the total, …).
_WHOLE_GROUP_AT = {"enterprise": "enterprise_name", "project": "project_planned_investment"}
OFFICE_GROUPS = {"enterprise": ENTERPRISE_FIELDS, "project": PROJECT_FIELDS}


class Required(ValidationError):
    template = N_("This field is required.")


class NoCategory(ValidationError):
    template = N_("Choose a project category from the list.")


class NoChannel(ValidationError):
    template = N_("Choose the channel the application came by.")


class BadDate(ValidationError):
    template = N_("The date format is not correct (YYYY-MM-DD).")


def text(values: Mapping[str, Any], key: str) -> str:
    value = values.get(key)
    return "" if value is None else str(value)


def refusal(check: Callable[[], Any]) -> DomainError | None:
    """The domain error `check` raises, or None."""
    try:
        check()
    except DomainError as error:
        return error
    return None


def field_problems(
    values: Mapping[str, Any], groups: Mapping[str, Iterable[str]], required: Iterable[str] = ()
) -> dict[str, DomainError]:
    """Every `<group>_<field>` input the cleaners refuse, keyed by input name, all at once."""
    problems: dict[str, DomainError] = {}
    required = set(required)
    for prefix, keys in groups.items():
        clean, stand_in = _CLEANERS[prefix], _STAND_INS[prefix]
        keys = tuple(keys)
        for key in keys:
            name = f"{prefix}_{key}"
            if name in required and not text(values, name).strip():
                problems[name] = Required()
                continue
            probe = {**stand_in, key: text(values, name)}
            error = refusal(lambda c=clean, p=probe: c(p))
            if error is not None:
                problems[name] = error
        # The rules across fields, with the fields already refused stood in for.
        whole = {**stand_in, **{k: text(values, f"{prefix}_{k}") for k in keys if f"{prefix}_{k}" not in problems}}
        error = refusal(lambda c=clean, w=whole: c(w))
        target = _WHOLE_GROUP_AT[prefix]
        if error is not None and target not in problems:
            problems[target] = error
    return problems


def office_problems(values: Mapping[str, Any]) -> dict[str, DomainError]:
    """What the back office's application form would be refused for, field by field, registering nothing."""
    problems = field_problems(values, OFFICE_GROUPS)
    if not values.get("project_category"):
        problems["project_category"] = NoCategory()
    if text(values, "channel") not in {c.value for c in Channel}:
        problems["channel"] = NoChannel()
    raw_date = text(values, "applied_on")
    if raw_date and _unreadable_date(raw_date):
        problems["applied_on"] = BadDate()
    return problems


def _unreadable_date(raw: str) -> bool:
    try:
        dt.date.fromisoformat(raw)
    except ValueError:
        return True
    return False
