"""Role × transition matrices, read from the workflow tables: each role may take exactly its rows."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from app.domain.engine import SYSTEM
from app.domain.enums import RoleName
from app.domain.errors import Forbidden
from app.domain.workflow import CASE_TRANSITIONS, ITEM_TRANSITIONS
from app.extensions import db
from app.models import Case, CaseItem
from app.services import cases
from tests.factories import apply

pytestmark = pytest.mark.usefixtures("today_is")  # 2026-11-27

D = dt.date
USERS = {
    RoleName.AGENT: "dlt_agent",
    RoleName.SUPERVISOR: "dlt_supervisor",
    RoleName.LIAISON: "dlt_liaison_water",
    RoleName.ADMIN: "admin",
}
# Rows only the system takes are set off by other moves: tested below, not offered to anyone.
USER_CASE_ROWS = [t for t in CASE_TRANSITIONS if t.roles - {SYSTEM}]
USER_ITEM_ROWS = [t for t in ITEM_TRANSITIONS if t.roles - {SYSTEM}]


def _ready_case(staff, case_state, item_state):
    """A case whose every precondition is met, put straight into the states under test."""
    case = apply(staff("dlt_agent"), names=("取水许可审批",))
    db.session.execute(update(Case).where(Case.id == case.id).values(state=case_state, agent_id=staff("dlt_agent").id))
    db.session.execute(
        update(CaseItem)
        .where(CaseItem.case_id == case.id)
        .values(
            state=item_state, planned_filing_on=D(2026, 9, 10), accepted_on=D(2026, 9, 10), paused_since=D(2026, 9, 12)
        )
    )
    db.session.commit()
    db.session.expire_all()
    return db.session.get(Case, case.id)


@pytest.mark.parametrize("role", list(USERS), ids=lambda r: r.value)
@pytest.mark.parametrize("transition", USER_CASE_ROWS, ids=lambda t: f"{t.state}-{t.action}")
def test_each_role_takes_exactly_its_case_transitions(app, staff, role, transition):
    closed_items = "approved" if transition.action == "complete" else "planned"
    case = _ready_case(staff, transition.state, closed_items)
    call = lambda: cases.move_case(  # noqa: E731
        case.id,
        transition.action,
        staff(USERS[role]),
        D(2026, 11, 20),
        note="理由",
        archived=True,
        level="satisfied",
    )
    if role in transition.roles:
        assert call().state == transition.next_state
    else:
        with pytest.raises(Forbidden):
            call()
        db.session.expire_all()
        assert db.session.get(Case, case.id).state == transition.state


@pytest.mark.parametrize("role", list(USERS), ids=lambda r: r.value)
@pytest.mark.parametrize("transition", USER_ITEM_ROWS, ids=lambda t: f"{t.state}-{t.action}")
def test_each_role_takes_exactly_its_item_transitions(app, staff, role, transition):
    case = _ready_case(staff, "in_progress", transition.state)
    item = case.items[0]
    call = lambda: cases.move_item(item.id, transition.action, staff(USERS[role]), D(2026, 11, 20), note="说明")  # noqa: E731
    if role in transition.roles:
        assert call().state == transition.next_state
    else:
        with pytest.raises(Forbidden):
            call()
        db.session.expire_all()
        assert db.session.get(CaseItem, item.id).state == transition.state


def test_system_rows_are_never_offered_or_taken_by_a_user(app, staff):
    system_only = [t for t in ITEM_TRANSITIONS if t.roles == {SYSTEM}]
    assert system_only  # the withdrawals a termination sets off
    for transition in system_only:
        for role in USERS:
            actions = cases.actions_for(ITEM_TRANSITIONS, transition.state, {role.value, SYSTEM})
            assert transition not in actions
