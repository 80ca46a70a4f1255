"""申报材料 as rules: the list's text reads back as written, what blocks completion, and the checklist's rows."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from app.domain.engine import Step, find_transition, refusal
from app.domain.errors import ValidationError
from app.domain.materials import (
    MATERIAL_TRANSITIONS,
    NEED_CHECKS,
    MaterialForm,
    MaterialSpec,
    MaterialState,
    describe_list,
    not_returned,
    parse_line,
    parse_list,
    promise_deadline,
)
from app.domain.workflow import CASE_TRANSITIONS
from app.domain.workflow import NEED_CHECKS as CASE_NEED_CHECKS

D = dt.date


def test_a_list_reads_back_exactly_as_it_was_written():
    specs = [
        MaterialSpec("项目备案申请表", "original", 1, "在线平台填报后打印"),
        MaterialSpec("营业执照", "copy", 1, "加盖公章"),
        MaterialSpec("建设项目水资源论证报告书（表）", "original", 2, "", deferrable=True),
        MaterialSpec("授权委托书", "original_and_copy", 3),
    ]
    text = describe_list(specs)
    assert text.splitlines()[1] == "2. 营业执照（复印件，1份）：加盖公章"
    assert text.splitlines()[2] == "3. 建设项目水资源论证报告书（表）（原件，2份，可容缺）"
    assert parse_list(text) == specs


def test_a_bare_name_is_one_original_and_an_empty_list_is_written_as_none():
    assert parse_line("法定代表人身份证明") == MaterialSpec("法定代表人身份证明", "original", 1)
    assert describe_list([]) == "无"
    assert parse_list("无") == [] and parse_list("  \n ") == []


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("营业执照（原本，1份）", "原本"),
        ("营业执照（原件，0份）", "1 to 99"),
        ("营业执照（原件，一份）", "1 to 99"),
        ("（原件，1份）", "Name the material"),
    ],
)
def test_a_bad_line_is_refused_naming_what_is_wrong(line, words):
    with pytest.raises(ValidationError) as raised:
        parse_line(line)
    assert words in str(raised.value)


def test_the_same_material_twice_for_one_item_is_refused():
    with pytest.raises(ValidationError, match="listed twice"):
        parse_list("营业执照（复印件，1份）\n营业执照（原件，1份）")


def _row(name, form="original", state="received", deferrable=False, case_state="in_progress", allows_incomplete=True):
    item = SimpleNamespace(
        case=SimpleNamespace(state=case_state), name="取水许可审批", allows_incomplete=allows_incomplete
    )
    return SimpleNamespace(name=name, form=form, state=state, deferrable=deferrable, case_item=item)


def test_only_received_originals_must_go_back_copies_stay_in_the_file():
    rows = [
        _row("申请表"),
        _row("营业执照", form="copy"),
        _row("设计文件", form="original_and_copy"),
        _row("委托书", state="returned"),
        _row("承诺书", state="promised"),
    ]
    assert not_returned(rows) == ["申请表", "设计文件"]


def test_a_promise_has_a_deadline_only_while_it_is_open():
    assert promise_deadline("promised", D(2026, 12, 1)) == D(2026, 12, 1)
    assert promise_deadline("received", D(2026, 12, 1)) is None


def _move(row, action, step):
    transition = find_transition(MATERIAL_TRANSITIONS, row.state, action)
    assert transition is not None, (row.state, action)
    return refusal(transition, row, step, NEED_CHECKS)


def test_a_promise_needs_a_date_not_before_the_promise_and_a_material_the_catalog_lets_come_later():
    deferrable = _row("资金来源说明", state="pending", deferrable=True)
    assert "date" in _move(deferrable, "promise", Step(D(2026, 11, 2))).template
    late = _move(deferrable, "promise", Step(D(2026, 11, 2), values={"promised_on": D(2026, 11, 1)}))
    assert "before the date of the promise" in late.template
    assert _move(deferrable, "promise", Step(D(2026, 11, 2), values={"promised_on": D(2026, 11, 20)})) is None
    strict = _row("申请表", state="pending")
    assert "容缺" in _move(strict, "promise", Step(D(2026, 11, 2), values={"promised_on": D(2026, 11, 20)})).template
    forbidden = _row("资金来源说明", state="pending", deferrable=True, allows_incomplete=False)
    refusal_ = _move(forbidden, "promise", Step(D(2026, 11, 2), values={"promised_on": D(2026, 11, 20)}))
    assert "容缺受理" in refusal_.template  # the item's catalog entry forbids it, whatever the material says


def test_marking_a_material_not_needed_needs_a_reason_and_a_closed_cases_checklist_is_read_only():
    row = _row("申请表", state="pending")
    assert _move(row, "waive", Step(D(2026, 11, 2), values={"remark": ""})) is not None
    assert _move(row, "waive", Step(D(2026, 11, 2), values={"remark": "已在平台共享"})) is None
    closed = _row("申请表", state="received", case_state="completed")
    assert "closed" in _move(closed, "return", Step(D(2026, 11, 2))).template


def test_the_rows_offer_no_way_back_from_returned_and_every_owed_state_can_be_received():
    assert not [t for t in MATERIAL_TRANSITIONS if t.state == MaterialState.RETURNED]
    for state in ("pending", "missing", "promised"):
        assert find_transition(MATERIAL_TRANSITIONS, state, "receive").next_state == "received"


def test_completion_and_termination_are_refused_naming_the_originals_not_returned():
    case = SimpleNamespace(
        state="in_progress",
        items=[SimpleNamespace(state="approved", materials=[_row("取水许可申请书"), _row("营业执照", form="copy")])],
    )
    complete = find_transition(CASE_TRANSITIONS, "in_progress", "complete")
    error = refusal(complete, case, Step(D(2026, 11, 1), values={"archived": True}), CASE_NEED_CHECKS)
    assert isinstance(error, ValidationError) and error.params == {"names": "取水许可申请书"}
    terminate = find_transition(CASE_TRANSITIONS, "in_progress", "terminate")
    assert refusal(terminate, case, Step(D(2026, 11, 1), "撤回"), CASE_NEED_CHECKS).params == {
        "names": "取水许可申请书"
    }
    case.items[0].materials[0].state = "returned"
    assert refusal(complete, case, Step(D(2026, 11, 1), values={"archived": True}), CASE_NEED_CHECKS) is None


def test_every_form_and_state_has_a_label():
    assert MaterialForm.BOTH.label == "Original and copy"
    assert {s.label for s in MaterialState} >= {"To be collected", "Promised (容缺)", "Returned to applicant"}
