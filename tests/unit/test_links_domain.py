"""The rules of 纵向三级联动 on plain values: which region pairs may link, who answers, withdraws and ends a link."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from app.domain.engine import Step, actions_for, find_transition, refusal
from app.domain.enums import RoleName
from app.domain.errors import ValidationError
from app.domain.links import (
    LINK_TRANSITIONS,
    NEED_CHECKS,
    Direction,
    LinkState,
    NotLinkable,
    RegionRef,
    check_direction,
    check_external,
    check_project_reference,
    check_purpose,
    pair_direction,
)

AUTONOMOUS = RegionRef(1, None, "内蒙古自治区")
CITY = RegionRef(2, 1, "鄂尔多斯市")
DALAT = RegionRef(3, 2, "达拉特旗")
JUNGAR = RegionRef(4, 2, "准格尔旗")


def test_a_banner_case_links_up_to_its_city():
    assert pair_direction(DALAT, CITY) is Direction.UPPER


def test_a_city_case_links_down_to_one_of_its_banners():
    assert pair_direction(CITY, DALAT) is Direction.LOWER


def test_two_banners_of_one_city_may_not_link_and_the_refusal_names_neither():
    with pytest.raises(NotLinkable) as refused:
        pair_direction(DALAT, JUNGAR)
    assert refused.value.params == {}


def test_two_cases_of_one_region_may_not_link():
    with pytest.raises(NotLinkable):
        pair_direction(DALAT, DALAT)


def test_a_banner_may_not_skip_the_city_to_the_autonomous_region():
    with pytest.raises(NotLinkable):
        pair_direction(DALAT, AUTONOMOUS)


def test_a_request_names_the_project_as_the_other_level_knows_it():
    with pytest.raises(ValidationError):
        check_project_reference("  ")
    assert check_project_reference(" 2026-150621-44-01-000001 ") == "2026-150621-44-01-000001"


def test_each_direction_has_its_opposite():
    assert Direction.UPPER.opposite is Direction.LOWER
    assert Direction.LOWER.opposite is Direction.UPPER


def test_a_link_needs_its_purpose():
    with pytest.raises(ValidationError):
        check_purpose("   ")
    assert check_purpose("  取水许可需市级审批 ") == "取水许可需市级审批"


def test_an_outside_party_is_named_and_its_texts_are_trimmed():
    with pytest.raises(ValidationError):
        check_external(" ", "ref", "state")
    assert check_external(" 自治区政数局 ", " 函118号 ", " 已受理 ") == ("自治区政数局", "函118号", "已受理")


def test_an_outside_partys_direction_is_chosen_from_the_two():
    assert check_direction("upper") is Direction.UPPER
    with pytest.raises(ValidationError):
        check_direction("sideways")


def test_only_agents_end_an_active_link():
    assert [t.action for t in actions_for(LINK_TRANSITIONS, LinkState.ACTIVE, {RoleName.AGENT.value})] == ["end"]
    for role in (RoleName.SUPERVISOR, RoleName.LIAISON, RoleName.ADMIN):
        assert actions_for(LINK_TRANSITIONS, LinkState.ACTIVE, {role.value}) == []


@pytest.mark.parametrize(
    ("role", "actions"),
    [
        (RoleName.AGENT, ["accept", "refuse", "withdraw"]),
        (RoleName.SUPERVISOR, ["accept", "refuse"]),
        (RoleName.LIAISON, []),
        (RoleName.ADMIN, []),
    ],
)
def test_a_waiting_request_is_answered_by_agents_and_supervisors_and_withdrawn_by_agents(role, actions):
    assert [t.action for t in actions_for(LINK_TRANSITIONS, LinkState.REQUESTED, {role.value})] == actions


def test_refused_withdrawn_and_ended_links_cannot_move_again():
    for state in (LinkState.REFUSED, LinkState.WITHDRAWN, LinkState.ENDED):
        for action in ("accept", "refuse", "withdraw", "end"):
            assert find_transition(LINK_TRANSITIONS, state, action) is None
        assert actions_for(LINK_TRANSITIONS, state, {RoleName.AGENT.value, RoleName.SUPERVISOR.value}) == []


def test_accepting_needs_the_counterpart_and_sets_it_with_the_date_and_a_note_on_both_cases():
    row = find_transition(LINK_TRANSITIONS, LinkState.REQUESTED, "accept", {RoleName.SUPERVISOR.value})
    link = SimpleNamespace(state="requested", counterpart_case_id=None, linked_on=None, decided_on=None)
    assert isinstance(refusal(row, link, Step(dt.date(2026, 11, 2)), NEED_CHECKS), ValidationError)
    step = Step(dt.date(2026, 11, 2), "", {"counterpart_case_id": 7}, actor_id=3)
    assert refusal(row, link, step, NEED_CHECKS) is None
    notes = Notes()
    row.effect(link, step, notes)
    assert (link.counterpart_case_id, link.linked_on, link.decided_by_id, notes.noted) == (
        7,
        dt.date(2026, 11, 2),
        3,
        ["accept_link"],
    )
    assert row.next_state == LinkState.ACTIVE


def test_refusing_needs_a_reason_and_keeps_it():
    row = find_transition(LINK_TRANSITIONS, LinkState.REQUESTED, "refuse", {RoleName.AGENT.value})
    link = SimpleNamespace(state="requested")
    assert isinstance(refusal(row, link, Step(dt.date(2026, 11, 2), ""), NEED_CHECKS), ValidationError)
    notes = Notes()
    row.effect(link, Step(dt.date(2026, 11, 2), "属旗级权限"), notes)
    assert (link.answer, link.decided_on, notes.noted) == ("属旗级权限", dt.date(2026, 11, 2), ["refuse_link"])


class Notes:
    def __init__(self) -> None:
        self.noted: list[str] = []

    def note_on_cases(self, link, action, step):
        self.noted.append(action)


def test_ending_needs_a_reason_and_keeps_the_date_the_reason_and_a_note_on_both_cases():
    row = find_transition(LINK_TRANSITIONS, LinkState.ACTIVE, "end", {RoleName.AGENT.value})
    link = SimpleNamespace(state="active", ended_on=None, end_reason="")
    assert isinstance(refusal(row, link, Step(dt.date(2026, 11, 2), ""), NEED_CHECKS), ValidationError)
    step = Step(dt.date(2026, 11, 2), "市级审批已完成")
    assert refusal(row, link, step, NEED_CHECKS) is None
    notes = Notes()
    row.effect(link, step, notes)
    assert (link.ended_on, link.end_reason, notes.noted) == (dt.date(2026, 11, 2), "市级审批已完成", ["end_link"])
    assert row.next_state == LinkState.ENDED
