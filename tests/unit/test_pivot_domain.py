"""The pivot's declared dimensions and measures on their own: lookups, refusals, and how totals combine."""

from __future__ import annotations

import datetime as dt

import pytest

from app.domain.pivot import (
    DIMENSIONS,
    MEASURES,
    PERIOD_BASES,
    SATISFACTION_SCORE,
    Grain,
    GrainMismatch,
    PeriodReversed,
    SameDimension,
    UnknownDimension,
    UnknownMeasure,
    UnknownPeriodBasis,
    add_parts,
    check_request,
    measure_value,
    month_bounds,
    month_label,
    part_names,
)


def _measure(key: str):
    return next(m for m in MEASURES if m.key == key)


def test_the_issue_names_every_dimension_and_measure_the_explorer_declares():
    assert [d.key for d in DIMENSIONS] == [
        "region",
        "department",
        "stage",
        "catalog_item",
        "channel",
        "state",
        "applied_month",
        "accepted_month",
        "closed_month",
        "agent",
    ]
    assert {m.key for m in MEASURES} == {
        "cases",
        "items",
        "overdue",
        "late_filing",
        "on_time_rate",
        "median_days",
        "satisfaction",
    }


def test_item_only_dimensions_have_no_case_list_filter_and_periods_are_months():
    for dimension in DIMENSIONS:
        if Grain.CASE not in dimension.grains:
            assert dimension.case_filter is None, dimension.key
    assert all(next(d for d in DIMENSIONS if d.key == key).month for key in PERIOD_BASES)


def test_a_request_of_declared_keys_is_accepted_and_keeps_its_choices():
    request = check_request(
        "department",
        "closed_month",
        "median_days",
        region_id=3,
        date_from=dt.date(2026, 1, 1),
        period_basis="closed_month",
    )
    assert (request.rows.key, request.columns.key, request.measure.key) == ("department", "closed_month", "median_days")
    assert request.grain is Grain.ITEM and request.region_id == 3
    assert [d.key for d in request.dimensions] == ["department", "closed_month"]
    assert check_request("region", None, "cases").columns is None


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("regions", None, "cases"), UnknownDimension),
        (("region", "1=1", "cases"), UnknownDimension),
        (("region", None, "CASES"), UnknownMeasure),
        (("stage", None, "satisfaction"), GrainMismatch),
        (("region", "catalog_item", "cases"), GrainMismatch),
        (("agent", "agent", "items"), SameDimension),
    ],
)
def test_anything_else_is_refused_by_name(args, error):
    with pytest.raises(error):
        check_request(*args)


def test_a_period_must_name_a_declared_date_and_run_forwards():
    with pytest.raises(UnknownPeriodBasis):
        check_request("region", None, "cases", period_basis="updated_at")
    with pytest.raises(PeriodReversed):
        check_request("region", None, "cases", date_from=dt.date(2026, 5, 1), date_to=dt.date(2026, 4, 30))


def test_an_unknown_key_is_quoted_short_in_the_message():
    with pytest.raises(UnknownDimension) as refused:
        check_request("x" * 500, None, "cases")
    assert len(refused.value.params["key"]) == 40


def test_the_three_form_levels_score_on_the_national_five_level_scale():
    assert SATISFACTION_SCORE == {"very_satisfied": 5, "satisfied": 4, "dissatisfied": 2}


def test_rates_scores_and_counts_combine_from_summed_parts():
    rate = _measure("on_time_rate")
    total: dict[str, float] = {}
    add_parts(total, {"on_time": 1, "closed": 3})
    add_parts(total, {"on_time": 2, "closed": 3})
    assert measure_value(rate, total) == 50.0  # 3 of 6, not the mean of 33.3 % and 66.7 %
    assert measure_value(rate, {"on_time": 0, "closed": 0}) is None
    assert measure_value(_measure("satisfaction"), {"score_sum": 11, "scored": 3}) == 3.67
    assert measure_value(_measure("items"), {"n": 4.0}) == 4


def test_the_median_reads_the_middle_values_of_the_level_asked_for():
    median = _measure("median_days")
    assert part_names(median) == (
        "cell_sum",
        "cell_n",
        "row_sum",
        "row_n",
        "col_sum",
        "col_n",
        "all_sum",
        "all_n",
    )
    parts = {"cell_sum": 18, "cell_n": 1, "row_sum": 38, "row_n": 2, "all_sum": 0, "all_n": 0}
    assert measure_value(median, parts, "cell") == 18.0
    assert measure_value(median, parts, "row") == 19.0
    assert measure_value(median, parts, "all") is None


def test_month_buckets_know_their_bounds_across_a_year_end():
    assert month_bounds(202612) == (dt.date(2026, 12, 1), dt.date(2027, 1, 1))
    assert month_bounds(202602) == (dt.date(2026, 2, 1), dt.date(2026, 3, 1))
    assert month_label(202603) == "2026-03"
