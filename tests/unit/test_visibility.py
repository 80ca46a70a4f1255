"""What a liaison reads of a case-level note: the plan's lines about their items, nothing naming another's."""

from __future__ import annotations

import datetime as dt

from app.domain.visibility import liaison_note, plan_lines_about, plan_summary

PLAN = plan_summary(
    [
        ("建筑工程施工许可", dt.date(2026, 9, 10)),
        ("施工许可", dt.date(2026, 9, 21)),
        ("取水许可审批", None),
    ]
)


def test_the_plan_summary_is_one_line_per_item_with_its_date_or_a_dash():
    assert PLAN == "建筑工程施工许可: 2026-09-10; 施工许可: 2026-09-21; 取水许可审批: -"


def test_a_plan_keeps_the_lines_of_the_named_items_in_the_plans_order():
    lines = plan_lines_about(PLAN, ["取水许可审批", "建筑工程施工许可"])
    assert lines == "建筑工程施工许可: 2026-09-10; 取水许可审批: -"


def test_an_item_whose_name_ends_another_items_name_gets_its_own_line_only():
    assert plan_lines_about(PLAN, ["施工许可"]) == "施工许可: 2026-09-21"
    assert plan_lines_about(PLAN, ["许可"]) == ""


def test_a_case_level_note_naming_another_departments_item_is_not_shown():
    assert liaison_note("terminate", "取水许可审批未通过", ["施工许可"], ["取水许可审批"]) == ""
    assert liaison_note("terminate", "企业决定暂缓", ["施工许可"], ["取水许可审批"]) == "企业决定暂缓"
    assert liaison_note("start", "施工许可", ["施工许可"], ["取水许可审批"]) == "施工许可"


def test_a_name_both_departments_share_counts_as_the_readers_own():
    assert liaison_note("start", "施工许可", ["施工许可"], ["施工许可"]) == "施工许可"


def test_the_plan_entry_shows_a_liaison_their_lines_only():
    assert liaison_note("plan_schedule", PLAN, ["取水许可审批"], ["施工许可", "建筑工程施工许可"]) == "取水许可审批: -"
