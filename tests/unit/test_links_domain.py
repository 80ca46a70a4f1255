"""The rules of 纵向三级联动 on plain values: which region pairs may link, and who ends a link."""

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
    PairRefused,
    RegionRef,
    check_direction,
    check_external,
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


def test_two_banners_of_one_city_may_not_link():
    with pytest.raises(PairRefused) as refused:
        pair_direction(DALAT, JUNGAR)
    assert refused.value.params == {"other": "准格尔旗", "own": "达拉特旗"}


def test_two_cases_of_one_region_may_not_link():
    with pytest.raises(PairRefused) as refused:
        pair_direction(DALAT, DALAT)
    assert "not one" in refused.value.template


def test_a_banner_may_not_skip_the_city_to_the_autonomous_region():
    with pytest.raises(PairRefused):
        pair_direction(DALAT, AUTONOMOUS)


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


def test_an_ended_link_cannot_move_again():
    assert find_transition(LINK_TRANSITIONS, LinkState.ENDED, "end") is None
    assert actions_for(LINK_TRANSITIONS, LinkState.ENDED, {RoleName.AGENT.value}) == []


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
