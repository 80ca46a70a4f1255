"""The workflow rows' needs, guards and effects, on plain objects: no database, no Flask."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from app.domain.engine import SYSTEM, Step, actions_for, find_transition, refusal
from app.domain.errors import ValidationError
from app.domain.urgency import Overdue, case_overdue, item_overdue, overdue_when_paused
from app.domain.workflow import CASE_TRANSITIONS, ITEM_TRANSITIONS, NEED_CHECKS

D = dt.date


class FakeContext:
    """Stands in for the service layer: fixed answers, and a record of what was asked."""

    def __init__(self) -> None:
        self.pauses: list[tuple[str, dt.date]] = []
        self.evaluations: list[tuple[str, str]] = []

    def due_date(self, item):
        return D(2026, 10, 29)

    def estimated_end(self, case):
        return D(2026, 12, 1)

    def open_pause(self, item, on):
        self.pauses.append(("open", on))

    def close_pause(self, item, on):
        self.pauses.append(("close", on))
        item.paused_days = 3

    def add_evaluation(self, case, level, comments, on, by):
        self.evaluations.append((level, comments))

    def used_days(self, item):
        return 7


def _case(state="in_progress", **kw):
    fields = {"items": [], "agent_id": None, "evaluation": None, "planned_end": None}
    return SimpleNamespace(state=state, **{**fields, **kw})


def _item(state="planned", case_state="in_progress", **kw):
    fields = {"allows_incomplete": False, "allows_commitment": False, "filed_on": None, "paused_days": 0}
    fields.update(kw)
    return SimpleNamespace(state=state, name="取水许可审批", note="", case=_case(case_state), **fields)


def _row(table, state, action, roles=None):
    return find_transition(table, state, action, roles)


def test_department_steps_wait_until_the_plan_is_fixed_and_stop_when_the_case_closes():
    accept = _row(ITEM_TRANSITIONS, "planned", "accept")
    step = Step(D(2026, 9, 25))
    assert refusal(accept, _item(case_state="planned"), step, NEED_CHECKS) is None
    assert "not fixed" in refusal(accept, _item(case_state="entrusted"), step, NEED_CHECKS).template
    assert "closed" in refusal(accept, _item(case_state="completed"), step, NEED_CHECKS).template


def test_fast_acceptance_needs_the_catalogs_permission_and_a_promised_date():
    accept = _row(ITEM_TRANSITIONS, "planned", "accept")
    incomplete = Step(D(2026, 9, 25), values={"incomplete": True, "promised_on": D(2026, 10, 9)})
    assert "容缺受理" in refusal(accept, _item(), incomplete, NEED_CHECKS).template
    assert refusal(accept, _item(allows_incomplete=True), incomplete, NEED_CHECKS) is None
    no_date = Step(D(2026, 9, 25), values={"incomplete": True})
    assert "promised" in refusal(accept, _item(allows_incomplete=True), no_date, NEED_CHECKS).template
    commitment = Step(D(2026, 9, 25), values={"commitment": True})
    assert "告知承诺" in refusal(accept, _item(), commitment, NEED_CHECKS).template


def test_accepting_an_item_records_filing_acceptance_and_the_due_date():
    item, context = _item(allows_incomplete=True), FakeContext()
    step = Step(D(2026, 9, 25), values={"incomplete": True, "promised_on": D(2026, 10, 9)})
    _row(ITEM_TRANSITIONS, "planned", "accept").effect(item, step, context)
    assert (item.filed_on, item.accepted_on, item.due_on) == (D(2026, 9, 25), D(2026, 9, 25), D(2026, 10, 29))
    assert item.incomplete_acceptance and item.materials_promised_on == D(2026, 10, 9)


def test_a_supplement_pauses_the_clock_and_the_resubmission_resumes_it():
    item, context = _item("in_review", due_on=D(2026, 10, 29)), FakeContext()
    _row(ITEM_TRANSITIONS, "in_review", "request_supplement").effect(item, Step(D(2026, 10, 1), "缺材料"), context)
    assert item.paused_since == D(2026, 10, 1) and item.due_on == D(2026, 10, 29) and item.note == "缺材料"
    _row(ITEM_TRANSITIONS, "supplement", "resubmit").effect(item, Step(D(2026, 10, 9)), context)
    assert context.pauses == [("open", D(2026, 10, 1)), ("close", D(2026, 10, 9))]
    assert item.paused_since is None and item.paused_days == 3


def test_completing_needs_every_item_closed_materials_returned_and_the_file_archived():
    complete = _row(CASE_TRANSITIONS, "in_progress", "complete")
    case = _case()
    case.items = [_item("approved"), _item("in_review")]
    error = refusal(complete, case, Step(D(2026, 11, 1), values={"materials_returned": True}), NEED_CHECKS)
    assert isinstance(error, ValidationError) and error.params == {"n": 1}
    case.items = [_item("approved")]
    assert (
        "archived"
        in refusal(complete, case, Step(D(2026, 11, 1), values={"materials_returned": True}), NEED_CHECKS).template
    )
    assert (
        refusal(
            complete, case, Step(D(2026, 11, 1), values={"materials_returned": True, "archived": True}), NEED_CHECKS
        )
        is None
    )


def test_termination_sets_off_the_systems_withdrawals_which_no_user_is_offered():
    terminate = _row(CASE_TRANSITIONS, "planned", "terminate")
    assert [(f.machine, f.action) for f in terminate.follows] == [("item", "withdraw")]
    for state in ("planned", "preparing"):
        system_row = _row(ITEM_TRANSITIONS, state, "withdraw", {SYSTEM})
        assert system_row.roles == {SYSTEM} and system_row.guard is None
        assert system_row not in actions_for(ITEM_TRANSITIONS, state, {"Agent", "Liaison", "Supervisor", SYSTEM})


@pytest.mark.parametrize(
    ("state", "filing", "due", "paused", "today", "expected"),
    [
        ("planned", D(2026, 10, 1), None, None, D(2026, 10, 2), Overdue.FILING),
        ("planned", D(2026, 10, 1), None, None, D(2026, 10, 1), None),
        ("in_review", None, D(2026, 10, 1), None, D(2026, 10, 2), Overdue.HANDLING),
        ("supplement", None, D(2026, 10, 1), D(2026, 9, 30), D(2026, 11, 2), None),  # stopped in time
        ("supplement", None, D(2026, 10, 1), D(2026, 10, 5), D(2026, 11, 2), Overdue.HANDLING),  # stopped late
        ("approved", None, D(2026, 10, 1), None, D(2026, 11, 2), None),
    ],
)
def test_an_item_counts_as_late_filing_or_overdue_handling_never_both(state, filing, due, paused, today, expected):
    assert item_overdue(state, filing, due, paused, today) is expected
    assert overdue_when_paused(state, due, paused) is (expected is Overdue.HANDLING and paused is not None)


def test_a_case_is_late_on_its_own_steps_and_past_its_planned_end():
    assert case_overdue("submitted", D(2026, 7, 3), None, D(2026, 7, 6)) is Overdue.AGENCY_STEP
    assert case_overdue("in_progress", None, D(2026, 11, 1), D(2026, 11, 2)) is Overdue.CASE_END
    assert case_overdue("completed", D(2026, 7, 3), D(2026, 11, 1), D(2026, 12, 1)) is None


def test_the_steps_offered_on_an_item_are_those_its_guards_let_through():
    step = Step(D(2026, 9, 25))
    at_work = [t.action for t in actions_for(ITEM_TRANSITIONS, "planned", {"Agent"}, _item(case_state="planned"), step)]
    signed = [
        t.action for t in actions_for(ITEM_TRANSITIONS, "planned", {"Agent"}, _item(case_state="entrusted"), step)
    ]
    closed = [
        t.action for t in actions_for(ITEM_TRANSITIONS, "planned", {"Agent"}, _item(case_state="completed"), step)
    ]
    assert at_work == ["prepare", "withdraw"]
    assert signed == ["withdraw"]  # the plan is not fixed yet: only leaving the entrustment
    assert closed == []
    # Without the record, the rows of the role whatever the guards say (the queues' plain rows).
    assert [t.action for t in actions_for(ITEM_TRANSITIONS, "planned", {"Agent"})] == ["prepare", "withdraw"]


def test_no_case_row_has_a_guard_so_the_agent_queue_may_offer_by_role_alone():
    assert [t.action for t in CASE_TRANSITIONS if t.guard is not None] == []
