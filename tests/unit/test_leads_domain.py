"""提前介入 as rows: who may take which move, what each needs, and how the lead form is checked."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from app.domain.engine import Step, actions_for, find_transition, refusal
from app.domain.enums import RoleName
from app.domain.leads import (
    LEAD_TRANSITIONS,
    NEED_CHECKS,
    LeadState,
    TaskState,
    check_lead,
    parse_amount,
    task_state,
)

TODAY = dt.date(2026, 11, 27)
AGENT, SUPERVISOR, LIAISON = RoleName.AGENT.value, RoleName.SUPERVISOR.value, RoleName.LIAISON.value


def _lead(state="tracking"):
    return SimpleNamespace(state=state, case_id=None, closed_on=None, abandon_reason="")


@pytest.mark.parametrize(
    ("state", "roles", "offered"),
    [
        ("tracking", {AGENT}, ["convert", "abandon"]),
        ("tracking", {SUPERVISOR}, ["abandon"]),
        ("tracking", {LIAISON}, []),
        ("abandoned", {AGENT}, ["reopen"]),
        ("abandoned", {SUPERVISOR}, ["reopen"]),
        ("abandoned", {LIAISON}, []),
        ("converted", {AGENT, SUPERVISOR}, []),
    ],
)
def test_each_role_is_offered_exactly_its_moves(state, roles, offered):
    assert [t.action for t in actions_for(LEAD_TRANSITIONS, state, roles)] == offered


def test_abandoning_needs_a_reason_and_keeps_it_with_the_date():
    row = find_transition(LEAD_TRANSITIONS, "tracking", "abandon")
    lead = _lead()
    assert "reason" in refusal(row, lead, Step(TODAY), NEED_CHECKS).template
    step = Step(TODAY, "企业转投他地")
    assert refusal(row, lead, step, NEED_CHECKS) is None
    row.effect(lead, step, None)
    assert (lead.abandon_reason, lead.closed_on) == ("企业转投他地", TODAY)
    assert row.next_state == LeadState.ABANDONED


def test_converting_needs_its_case_and_links_it():
    row = find_transition(LEAD_TRANSITIONS, "tracking", "convert")
    lead = _lead()
    assert "application" in refusal(row, lead, Step(TODAY), NEED_CHECKS).template
    step = Step(TODAY, "", {"case_id": 42})
    assert refusal(row, lead, step, NEED_CHECKS) is None
    row.effect(lead, step, None)
    assert (lead.case_id, lead.closed_on, row.next_state) == (42, TODAY, LeadState.CONVERTED)


def test_taking_a_lead_up_again_clears_its_closing_date():
    row = find_transition(LEAD_TRANSITIONS, "abandoned", "reopen")
    lead = SimpleNamespace(state="abandoned", closed_on=TODAY)
    row.effect(lead, Step(TODAY), None)
    assert lead.closed_on is None and row.next_state == LeadState.TRACKING


def test_a_converted_lead_has_no_way_out():
    assert [t for t in LEAD_TRANSITIONS if t.state == LeadState.CONVERTED] == []


def _form(**changes):
    values = {
        "source": "commerce",
        "enterprise_name": "内蒙古氢途能源有限公司",
        "project_name": "绿氢项目",
        "found_on": "2026-11-01",
    }
    return {**values, **changes}


def test_a_complete_form_is_cleaned_without_problems():
    cleaned, problems = check_lead(_form(expected_investment=" 1200.5 ", credit_code="91350100m000100y43"), TODAY)
    assert problems == {}
    assert str(cleaned["expected_investment"]) == "1200.50"
    assert cleaned["credit_code"] == "91350100M000100Y43"
    assert cleaned["found_on"] == dt.date(2026, 11, 1) and cleaned["expected_landing_on"] is None


def test_every_problem_of_the_form_is_named_at_its_field():
    _, problems = check_lead(
        _form(
            source="rumour",
            enterprise_name="",
            project_name=" ",
            credit_code="123",
            expected_investment="-5",
            expected_landing_on="next spring",
            found_on="2026-11-28",
        ),
        TODAY,
    )
    assert set(problems) == {
        "source",
        "enterprise_name",
        "project_name",
        "credit_code",
        "expected_investment",
        "expected_landing_on",
        "found_on",
    }


def test_a_lead_from_a_promotion_event_names_the_event():
    _, problems = check_lead(_form(source="promotion_event"), TODAY)
    assert set(problems) == {"source_detail"}
    _, problems = check_lead(_form(source="promotion_event", source_detail="2026招商推介会"), TODAY)
    assert problems == {}


@pytest.mark.parametrize("raw", ["abc", "NaN", "Infinity", "-1", "1e13"])
def test_an_amount_that_is_no_amount_is_refused(raw):
    with pytest.raises(ValueError):
        parse_amount(raw)


def test_a_task_is_open_done_or_not_needed_by_its_latest_closing_entry():
    day = dt.date(2026, 11, 20)
    assert task_state(None, ["task_done"]) is TaskState.OPEN  # reopened since
    assert task_state(day, ["task_done"]) is TaskState.DONE
    assert task_state(day, ["task_done", "task_not_needed"]) is TaskState.NOT_NEEDED
    assert task_state(day, ["task_not_needed", "task_done"]) is TaskState.DONE
