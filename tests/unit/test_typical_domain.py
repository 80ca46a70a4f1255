"""The typical-case rows on their own: who may take each step, what it needs, and what it records."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from app.domain.engine import SYSTEM, Step, actions_for, find_transition, refusal
from app.domain.enums import RoleName
from app.domain.errors import ValidationError
from app.domain.typical import (
    ACTION_LABELS,
    NEED_CHECKS,
    TYPICAL_TRANSITIONS,
    NotCityBureau,
    NotOwnRegion,
    TypicalState,
    clean_text,
    current_version,
)

ON = dt.date(2026, 11, 27)
CITY = {"region_id": 1, "level": "city"}
BANNER = {"region_id": 7, "level": "banner"}


def _writeup(state: str, outcome: str = "", body: str = "正文") -> SimpleNamespace:
    version = SimpleNamespace(number=1, title="标题", body=body, outcome=outcome, comment="")
    return SimpleNamespace(
        state=state,
        region_id=7,
        current_version=1,
        versions=[version],
        submitted_on=None,
        decided_on=None,
        decided_by_id=None,
        review_comment="old",
    )


def _problem(state: str, action: str, record: SimpleNamespace, values: dict, note: str = "") -> object:
    row = find_transition(TYPICAL_TRANSITIONS, state, action)
    assert row is not None
    return refusal(row, record, Step(ON, note, values, actor_id=5), NEED_CHECKS)


def _actions(state: str, role: RoleName) -> list[str]:
    return [t.action for t in actions_for(TYPICAL_TRANSITIONS, state, {role.value})]


@pytest.mark.parametrize(
    ("state", "agent", "supervisor"),
    [
        ("draft", ["submit", "withdraw"], []),
        ("submitted", [], ["accept", "return"]),
        ("returned", ["submit", "withdraw"], []),
        ("accepted", [], []),
        ("withdrawn", [], []),
    ],
)
def test_agents_submit_and_withdraw_and_supervisors_decide(state, agent, supervisor):
    assert _actions(state, RoleName.AGENT) == agent
    assert _actions(state, RoleName.SUPERVISOR) == supervisor
    assert _actions(state, RoleName.LIAISON) == []


def test_no_row_is_the_systems_and_every_action_has_a_label():
    assert all(SYSTEM not in t.roles for t in TYPICAL_TRANSITIONS)
    assert {t.action for t in TYPICAL_TRANSITIONS} <= set(ACTION_LABELS)
    assert {t.next_state for t in TYPICAL_TRANSITIONS} <= set(TypicalState)


def test_only_the_city_level_decides():
    record = _writeup("submitted")
    assert isinstance(_problem("submitted", "accept", record, BANNER), NotCityBureau)
    assert isinstance(_problem("submitted", "return", record, BANNER, "请补充"), NotCityBureau)
    assert _problem("submitted", "accept", record, CITY) is None


def test_a_return_needs_a_comment_and_a_withdrawal_a_reason():
    assert isinstance(_problem("submitted", "return", _writeup("submitted"), CITY), ValidationError)
    assert _problem("submitted", "return", _writeup("submitted"), CITY, "请补充数据") is None
    assert isinstance(_problem("draft", "withdraw", _writeup("draft"), BANNER), ValidationError)
    assert _problem("draft", "withdraw", _writeup("draft"), BANNER, "选题不当") is None


def test_only_an_agent_of_the_write_ups_region_submits_it():
    assert isinstance(_problem("draft", "submit", _writeup("draft"), {"region_id": 8}), NotOwnRegion)
    assert _problem("draft", "submit", _writeup("draft"), BANNER) is None


def test_a_draft_without_text_is_not_submitted():
    assert isinstance(_problem("draft", "submit", _writeup("draft", body="  "), BANNER), ValidationError)


def test_a_returned_write_up_is_submitted_again_only_after_a_revision():
    returned = _writeup("returned", outcome="returned")
    assert isinstance(_problem("returned", "submit", returned, BANNER), ValidationError)
    returned.versions.append(SimpleNamespace(number=2, title="标题", body="新正文", outcome="", comment=""))
    returned.current_version = 2
    assert current_version(returned).number == 2
    assert _problem("returned", "submit", returned, BANNER) is None


def test_a_decision_is_recorded_on_the_write_up_and_on_its_current_version():
    record = _writeup("submitted")
    row = find_transition(TYPICAL_TRANSITIONS, "submitted", "return")
    row.effect(record, Step(ON, "请补充数据", CITY, actor_id=5), None)
    assert (record.decided_on, record.decided_by_id, record.review_comment) == (ON, 5, "请补充数据")
    assert (record.versions[0].outcome, record.versions[0].comment) == ("returned", "请补充数据")
    submit = find_transition(TYPICAL_TRANSITIONS, "returned", "submit")
    submit.effect(record, Step(ON, "", BANNER, actor_id=6), None)
    assert (record.submitted_on, record.decided_on, record.review_comment) == (ON, None, "")
    assert record.versions[0].outcome == "returned"  # the returned version keeps what the city said


@pytest.mark.parametrize(("title", "body"), [("", "正文"), ("  ", "正文"), ("标题", ""), ("长" * 201, "正文")])
def test_a_write_up_needs_a_title_of_at_most_200_characters_and_a_text(title, body):
    with pytest.raises(ValidationError):
        clean_text(title, body)


def test_the_text_is_kept_without_surrounding_blanks():
    assert clean_text("  标题 ", "\n正文\n") == ("标题", "正文")
