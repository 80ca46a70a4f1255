"""The assessment's rules on their own: each indicator's 0–100 value, the score, the weights, the periods."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.domain.assessment import (
    BY_KEY,
    DEFAULT_WEIGHTS,
    FORM_POINTS,
    INDICATORS,
    KEYS,
    Figures,
    Level,
    Preset,
    WeightsRefused,
    check_period,
    clean_weights,
    preset_period,
    report_months,
    score,
    training_target,
    values_for,
)
from app.domain.errors import ValidationError
from app.domain.workflow import NATIONAL_LEVEL, NATIONAL_POINTS, Satisfaction

# A banner's year: 6 cases completed, 2 still open; 8 items decided with a due date, 6 on time; 80 working
# days used of 160 allowed; 4 evaluations (2 非常满意, 1 满意, 1 不满意); 1 of 5 decisions overdue; 2 of 3
# reports on time; 18 hours attended by 6 staff.
YEAR = Figures(
    handled=6,
    open_at_end=2,
    decided=8,
    on_time=6,
    timed=8,
    used_days=80,
    limit_days=160,
    evaluations={"very_satisfied": 2, "satisfied": 1, "dissatisfied": 1},
    decisions_due=5,
    overdue_decisions=1,
    reports_due=3,
    reports_on_time=2,
    training_hours=Decimal("18"),
    staff=6,
    period_days=365,
)


def test_each_indicator_of_a_banner_gets_its_hand_computed_value():
    values = values_for(Level.BANNER, YEAR)
    assert values["cases_handled"] == 75.0  # 6 ÷ (6 + 2)
    assert values["on_time_rate"] == 75.0  # 6 ÷ 8
    assert values["working_days"] == 50.0  # 1 − 80 ÷ 160
    assert values["satisfaction"] == 75.0  # (5 + 5 + 4 + 2) ÷ 4 = 4.0 → (4 − 1) × 25
    assert values["overdue_decisions"] == 80.0  # 1 − 1 ÷ 5
    assert values["monthly_reports"] == pytest.approx(200 / 3)
    assert values["training_hours"] == pytest.approx(25.0)  # 3 h per person of a 12 h target


def test_the_score_is_the_weighted_mean_of_the_values_by_hand():
    # 15×75 + 25×75 + 15×50 + 15×75 + 10×80 + 10×66.67 + 10×25 = 6591.67 → ÷ 100
    result = score(values_for(Level.BANNER, YEAR), DEFAULT_WEIGHTS)
    assert result.total == 65.9
    parts = {p.key: p for p in result.parts}
    assert parts["on_time_rate"].points == pytest.approx(18.75)
    assert sum(p.effective_weight for p in result.parts) == pytest.approx(100)


def test_a_department_is_not_assessed_on_monthly_reports_and_that_weight_is_shared_out():
    values = values_for(Level.DEPARTMENT, YEAR)
    assert values["monthly_reports"] is None
    result = score(values, DEFAULT_WEIGHTS)
    assert result.total == 65.8  # (6591.67 − 666.67) ÷ 90 = 65.83
    parts = {p.key: p for p in result.parts}
    assert parts["monthly_reports"].effective_weight == 0 and parts["monthly_reports"].points is None
    assert parts["on_time_rate"].effective_weight == pytest.approx(25 * 100 / 90)


def test_an_indicator_without_data_is_left_out_not_counted_as_zero():
    quiet = Figures(decisions_due=2, overdue_decisions=0, reports_due=1, reports_on_time=0, period_days=31)
    values = values_for(Level.BANNER, quiet)
    assert [k for k, v in values.items() if v is not None] == ["overdue_decisions", "monthly_reports"]
    assert score(values, DEFAULT_WEIGHTS).total == 50.0  # (10 × 100 + 10 × 0) ÷ 20


def test_without_any_value_there_is_no_score():
    assert score(values_for(Level.DEPARTMENT, Figures()), DEFAULT_WEIGHTS).total is None


def test_an_indicator_weighted_zero_does_not_count():
    weights = dict(DEFAULT_WEIGHTS, on_time_rate=Decimal(0), cases_handled=Decimal(40))
    result = score({"on_time_rate": 0.0, "cases_handled": 50.0}, weights)
    assert result.total == 50.0


def test_scores_round_half_up_to_one_decimal():
    weights = {k: Decimal(0) for k in KEYS} | {"cases_handled": Decimal(50), "on_time_rate": Decimal(50)}
    assert score({"cases_handled": 72.2, "on_time_rate": 72.3}, weights).total == 72.3  # 72.25


def test_working_days_over_the_limit_count_zero_and_never_below():
    assert BY_KEY["working_days"].value(Figures(timed=2, used_days=50, limit_days=40)) == 0.0
    assert BY_KEY["working_days"].value(Figures(timed=2, used_days=0, limit_days=40)) == 100.0
    assert BY_KEY["working_days"].value(Figures()) is None


def test_overdue_decisions_count_against_the_decisions_due_and_none_due_is_no_data():
    value = BY_KEY["overdue_decisions"].value
    assert [value(Figures(decisions_due=4, overdue_decisions=n)) for n in (0, 1, 4)] == [100.0, 75.0, 0.0]
    assert value(Figures(decisions_due=0)) is None


def test_training_hours_meet_a_yearly_target_pro_rata_and_stop_at_100():
    assert training_target(365) == Decimal(12)
    month = Figures(training_hours=Decimal("1.0"), staff=4, period_days=31)
    assert BY_KEY["training_hours"].value(month) == pytest.approx(100 * 0.25 * 365 / (12 * 31))
    assert BY_KEY["training_hours"].value(Figures(training_hours=Decimal(50), staff=1, period_days=31)) == 100.0
    assert BY_KEY["training_hours"].value(Figures(staff=0)) is None


def test_the_three_form_levels_map_onto_the_national_five_as_the_ledger_does():
    assert set(FORM_POINTS) == {s.value for s in Satisfaction}
    assert FORM_POINTS == {"very_satisfied": 5, "satisfied": 4, "dissatisfied": 2}
    assert all(NATIONAL_POINTS[NATIONAL_LEVEL[s]] == FORM_POINTS[s.value] for s in Satisfaction)
    assert list(NATIONAL_POINTS.values()) == [5, 4, 3, 2, 1]


def test_default_weights_add_up_to_100_and_every_indicator_says_what_it_counts():
    assert sum(DEFAULT_WEIGHTS.values()) == 100
    for indicator in INDICATORS:
        assert indicator.basis.get(Level.BANNER) and indicator.rule
    assert [i.key for i in INDICATORS if not i.applies(Level.DEPARTMENT)] == ["monthly_reports"]


def _form(**changes: str) -> dict[str, str]:
    return {key: str(value) for key, value in DEFAULT_WEIGHTS.items()} | changes


def test_valid_weights_are_kept_as_numbers_with_their_note():
    weights, note = clean_weights(_form(on_time_rate="20.5", cases_handled="19.5"), "  更重视办结  ")
    assert weights["on_time_rate"] == Decimal("20.50") and note == "更重视办结"
    assert sum(weights.values()) == 100


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"on_time_rate": "-5", "cases_handled": "45"}, "on_time_rate", "A weight cannot be negative."),
        ({"on_time_rate": "abc"}, "on_time_rate", "“%(value)s” is not a number."),
        ({"on_time_rate": "NaN"}, "on_time_rate", "“%(value)s” is not a number."),
        ({"on_time_rate": ""}, "on_time_rate", "Give a weight (0 for none)."),
        ({"on_time_rate": "25.001"}, "on_time_rate", "At most two decimals."),
        ({"on_time_rate": "250"}, "on_time_rate", "A weight is at most 100."),
        ({"on_time_rate": "30"}, "total", "The weights add up to %(total)s; they must add up to 100."),
    ],
)
def test_bad_weights_are_refused_at_their_field(changes, field, message):
    with pytest.raises(WeightsRefused) as refused:
        clean_weights(_form(**changes), "note")
    assert refused.value.problems[field][0] == message


def test_every_problem_of_a_weight_form_is_named_at_once():
    with pytest.raises(WeightsRefused) as refused:
        clean_weights(_form(satisfaction="x", training_hours="-1"), "")
    assert set(refused.value.problems) == {"satisfaction", "training_hours", "note"}


def test_the_total_is_reported_with_the_sum_typed():
    with pytest.raises(WeightsRefused) as refused:
        clean_weights(_form(on_time_rate="30"), "why")
    assert refused.value.problems["total"][1] == {"total": "105"}


@pytest.mark.parametrize(
    ("today", "preset", "expected"),
    [
        ("2026-11-27", Preset.MONTH, ("2026-10-01", "2026-10-31")),
        ("2026-01-05", Preset.MONTH, ("2025-12-01", "2025-12-31")),
        ("2026-03-01", Preset.MONTH, ("2026-02-01", "2026-02-28")),
        ("2026-11-27", Preset.QUARTER, ("2026-07-01", "2026-09-30")),
        ("2026-02-10", Preset.QUARTER, ("2025-10-01", "2025-12-31")),
        ("2026-04-01", Preset.QUARTER, ("2026-01-01", "2026-03-31")),
        ("2026-11-27", Preset.YEAR, ("2025-01-01", "2025-12-31")),
    ],
)
def test_presets_are_the_last_full_month_quarter_or_year(today, preset, expected):
    start, end = preset_period(preset, dt.date.fromisoformat(today))
    assert (start.isoformat(), end.isoformat()) == expected


def test_a_period_that_ends_before_it_begins_or_spans_over_three_years_is_refused():
    with pytest.raises(ValidationError):
        check_period(dt.date(2026, 10, 31), dt.date(2026, 10, 1))
    with pytest.raises(ValidationError):
        check_period(dt.date(2020, 1, 1), dt.date(2026, 1, 1))
    check_period(dt.date(2026, 10, 1), dt.date(2026, 10, 1))


def test_reports_due_in_a_period_are_those_whose_24th_falls_in_it_and_has_passed():
    months = report_months(dt.date(2026, 7, 1), dt.date(2026, 11, 30), dt.date(2026, 11, 24), 24)
    assert [m.isoformat() for m in months] == ["2026-07-01", "2026-08-01", "2026-09-01", "2026-10-01"]
    assert report_months(dt.date(2026, 10, 25), dt.date(2026, 11, 23), dt.date(2026, 12, 1), 24) == []
