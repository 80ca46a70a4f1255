"""The pivot explorer: every dimension × measure against the hand-built fixture, totals, scope, links, refusals,
the Excel download, and one GROUP BY whose query count does not grow with the data."""

from __future__ import annotations

import datetime as dt
import io
import re
import statistics
from contextlib import contextmanager
from typing import Any

import openpyxl
import pytest
from flask import g
from sqlalchemy import event, update

from app.domain.pivot import (
    DIMENSIONS,
    MEASURES,
    SATISFACTION_SCORE,
    Grain,
    GrainMismatch,
    SameDimension,
    UnknownDimension,
    UnknownMeasure,
    check_request,
)
from app.domain.urgency import Overdue, item_overdue
from app.extensions import db
from app.models import Department
from app.services.pivot import build_pivot, dimension_labels
from tests.analysis_data import DLT, YJH, build_cases

TODAY = dt.date(2026, 11, 27)
pytestmark = [pytest.mark.every_engine, pytest.mark.usefixtures("today_is")]
# every_engine: GROUP BY aggregates in each engine's SQL


@pytest.fixture
def data(app):
    return build_cases()


@contextmanager
def counted():
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def _fresh(client):
    """Tests share one app context across requests: forget the previous login's cached scope and lights."""
    for name in ("scoped_regions", "light_book"):
        g.pop(name, None)
    return client


# --- the oracle: each figure computed in Python from the fixture's own rows -------------------------------------


def _month(day: dt.date | None) -> int | None:
    return None if day is None else day.year * 100 + day.month


def _value(key: str, row: dict[str, Any], grain: Grain) -> Any:
    """A dimension's value for one fixture row (a case, or an item with its case)."""
    case = row if grain is Grain.CASE else row["case_row"]
    if key == "region":
        return case["region_id"]
    if key == "channel":
        return case["channel"]
    if key == "agent":
        return case["agent_id"]
    if key == "applied_month":
        return _month(case["applied"])
    own = row if grain is Grain.ITEM else case
    if key == "state":
        return own["state"]
    if key == "accepted_month":
        return _month(own.get("accepted"))
    if key == "closed_month":
        return _month(own.get("closed"))
    return row[{"department": "department_id", "stage": "stage", "catalog_item": "catalog_item_id"}[key]]


def _expected(measure: str, rows: list[dict[str, Any]]) -> float | int | None:
    if measure in ("cases", "items"):
        return len(rows)
    if measure in ("overdue", "late_filing"):
        kind = Overdue.HANDLING if measure == "overdue" else Overdue.FILING
        return sum(
            1 for r in rows if item_overdue(r["state"], r["filing"], r.get("due"), r.get("paused"), TODAY) is kind
        )
    if measure == "on_time_rate":
        closed = [r for r in rows if r.get("closed") and r.get("due")]
        return round(100 * sum(1 for r in closed if r["closed"] <= r["due"]) / len(closed), 1) if closed else None
    if measure == "median_days":
        used = [r["used"] for r in rows if r.get("used") is not None]
        return round(statistics.median(used), 1) if used else None
    scores = [SATISFACTION_SCORE[r["level"]] for r in rows if r.get("level")]
    return round(sum(scores) / len(scores), 2) if scores else None


def _oracle(data, rows_key: str, columns_key: str | None, measure: str):
    grain = next(m for m in MEASURES if m.key == measure).grain
    source = data["cases"] if grain is Grain.CASE else data["items"]
    cells: dict[tuple[Any, Any], list] = {}
    for row in source:
        r = _value(rows_key, row, grain)
        c = _value(columns_key, row, grain) if columns_key else None
        cells.setdefault((r, c), []).append(row)
    rows = {r for r, _ in cells}
    columns = {c for _, c in cells}
    return {
        "cells": {key: _expected(measure, found) for key, found in cells.items()},
        "rows": {r: _expected(measure, [x for (rr, _), xs in cells.items() if rr == r for x in xs]) for r in rows},
        "columns": {
            c: _expected(measure, [x for (_, cc), xs in cells.items() if cc == c for x in xs]) for c in columns
        },
        "total": _expected(measure, source),
    }


def _compare(table, expected, with_columns: bool) -> None:
    assert table.cells == expected["cells"]
    assert table.total == expected["total"]
    assert {h.value for h in table.rows} == set(expected["rows"])
    if with_columns:
        assert table.row_totals == expected["rows"]
        assert table.column_totals == expected["columns"]


PAIRS = [
    (d.key, m.key)
    for d in DIMENSIONS
    for m in MEASURES
    if m.grain in d.grains  # the others are refused: see test_a_case_measure_cannot_be_split_by_an_item_dimension
]


@pytest.mark.parametrize(("dimension", "measure"), PAIRS)
def test_each_dimension_and_measure_match_the_fixture(data, staff, dimension, measure):
    admin = staff("admin")
    table = build_pivot(check_request(dimension, None, measure), admin, dimension_labels)
    _compare(table, _oracle(data, dimension, None, measure), with_columns=False)
    # The same dimension as columns, crossed with another one as rows: cells and every total still agree.
    other = "channel" if dimension == "region" else "region"
    crossed = build_pivot(check_request(other, dimension, measure), admin, dimension_labels)
    _compare(crossed, _oracle(data, other, dimension, measure), with_columns=True)


def test_hand_computed_figures_per_region(data, staff):
    admin, dlt, yjh = staff("admin"), data["regions"][DLT], data["regions"][YJH]

    def by_region(measure: str) -> dict[int, Any]:
        table = build_pivot(check_request("region", None, measure), admin, dimension_labels)
        return {h.value: table.value(h.value, None) for h in table.rows} | {"all": table.total}

    assert by_region("cases") == {dlt: 5, yjh: 1, "all": 6}
    assert by_region("items") == {dlt: 7, yjh: 2, "all": 9}
    assert by_region("overdue") == {dlt: 2, yjh: 0, "all": 2}  # the open one and the paused one past due
    assert by_region("late_filing") == {dlt: 1, yjh: 0, "all": 1}
    assert by_region("on_time_rate") == {dlt: 75.0, yjh: 50.0, "all": 66.7}  # 3 of 4; 1 of 2; 4 of 6
    assert by_region("median_days") == {dlt: 19.0, yjh: 19.5, "all": 19.0}  # 10 18 20 26; 14 25; all six
    assert by_region("satisfaction") == {dlt: 4.5, yjh: 2.0, "all": 3.67}  # 5 and 4; 2; (5+4+2)/3


def test_the_median_total_is_the_median_of_all_values_not_of_the_cells(data, staff):
    table = build_pivot(check_request("region", "stage", "median_days"), staff("admin"), dimension_labels)
    dlt = data["regions"][DLT]
    # DLT: planning stage 18, 26, 10 → 18; construction 20 → 20; the row's median is of 10 18 20 26 → 19.
    assert table.value(dlt, "project_land") == 18.0
    assert table.value(dlt, "construction") == 20.0
    assert table.row_totals[dlt] == 19.0
    assert table.column_totals["project_land"] == 18.0  # 10 14 18 25 26
    assert table.total == 19.0  # 10 14 18 20 25 26


def test_a_case_measure_cannot_be_split_by_an_item_dimension():
    for dimension in ("department", "stage", "catalog_item"):
        for measure in ("cases", "satisfaction"):
            with pytest.raises(GrainMismatch):
                check_request(dimension, None, measure)
            with pytest.raises(GrainMismatch):
                check_request("region", dimension, measure)


def test_unknown_keys_and_twice_the_same_dimension_are_refused():
    with pytest.raises(UnknownDimension):
        check_request("region; DROP TABLE agency_case", None, "cases")
    with pytest.raises(UnknownDimension):
        check_request("region", "Case.number", "cases")
    with pytest.raises(UnknownMeasure):
        check_request("region", None, "sum(used_days)")
    with pytest.raises(SameDimension):
        check_request("region", "region", "items")


def test_the_region_filter_and_the_period_narrow_the_table(data, staff):
    admin = staff("admin")
    dlt = data["regions"][DLT]
    one = build_pivot(check_request("channel", None, "cases", region_id=dlt), admin, dimension_labels)
    assert one.total == 5
    # Applications of September and October 2026 only (c1, c2, c3 and c4).
    period = check_request(
        "region",
        None,
        "cases",
        date_from=dt.date(2026, 9, 1),
        date_to=dt.date(2026, 10, 31),
        period_basis="applied_month",
    )
    assert build_pivot(period, admin, dimension_labels).total == 4
    # Items closed in October 2026 (the item's closure at item grain).
    closed = check_request(
        "region",
        None,
        "items",
        date_from=dt.date(2026, 10, 1),
        date_to=dt.date(2026, 10, 31),
        period_basis="closed_month",
    )
    assert build_pivot(closed, admin, dimension_labels).total == 4


def test_the_table_is_one_group_by_whatever_the_measure(data, staff):
    admin = staff("admin")
    for measure in MEASURES:
        request = check_request("region", "state", measure.key)
        with counted() as statements:
            build_pivot(request, admin, dimension_labels)
        grouped = [s for s in statements if "GROUP BY" in s.upper()]
        assert len(grouped) == 1, measure.key
        assert len(statements) <= 6, statements  # scope (regions, departments), the table, the labels


# --- through the page ---------------------------------------------------------------------------------------


def _ok(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _record_count(html: str) -> int:
    found = re.search(r"<strong>[^<]*:</strong>\s*(\d+)", html)
    assert found, "no record count on the list page"
    return int(found.group(1))


def test_the_page_shows_the_table_its_totals_and_its_chart(data, login):
    client = _fresh(login("supervisor"))
    html = _ok(client.get("/analysis/pivot/?rows=region&columns=channel&measure=cases"))
    assert 'id="pivot-table"' in html and 'class="echart"' in html
    assert "达拉特旗" in html and "伊金霍洛旗" in html
    assert re.search(r'id="pivot-grand-total"><a href="[^"]+">6</a>', html)
    assert "vendor/echarts/echarts.min.js" in html


def test_every_linked_cell_opens_a_list_of_exactly_its_rows(data, login):
    client = _fresh(login("supervisor"))
    for query in (
        "rows=region&columns=state&measure=cases",
        "rows=applied_month&columns=channel&measure=cases",
        "rows=agent&measure=cases&from=2026-09-01&to=2026-10-31&on=applied_month",
        "rows=department&columns=stage&measure=items",
        "rows=closed_month&columns=state&measure=items",
        f"rows=accepted_month&measure=items&region={data['regions'][DLT]}&from=2026-09-15&to=2026-10-31&on=accepted_month",
    ):
        html = _ok(client.get(f"/analysis/pivot/?{query}"))
        links = re.findall(r'<td class="num[^"]*"(?: id="[^"]*")?><a href="([^"]+)">(\d+)</a>', html)
        assert links, query
        for href, number in links:
            listed = _record_count(_ok(client.get(href.replace("&amp;", "&"))))
            assert listed == int(number), (query, href)


def test_cells_without_a_list_filter_are_plain(data, login):
    client = _fresh(login("supervisor"))
    for query in (
        "rows=catalog_item&measure=items",  # the item list has no catalog item filter
        "rows=region&measure=overdue",  # the list's red light is not 超期办理 (paused items differ)
        "rows=region&measure=on_time_rate",
        "rows=closed_month&measure=cases",  # the case list has no closure date filter
        "rows=channel&measure=items",  # the item list has no channel filter
    ):
        html = _ok(client.get(f"/analysis/pivot/?{query}"))
        body = html[html.index('id="pivot-table"') : html.index('<tr class="pivot-total">')]
        assert "<td" in body and "<a " not in body, query


@pytest.mark.parametrize(
    "query",
    [
        "rows=nonsense&measure=cases",
        "rows=region&columns=project_name&measure=cases",
        "rows=region&measure=count(*)",
        "rows=department&measure=cases",
        "rows=region&columns=region&measure=cases",
        "rows=region&measure=cases&on=updated_at&from=2026-01-01",
        "rows=region&measure=cases&from=2026-13-01",
    ],
)
def test_a_request_outside_the_declared_lists_is_a_400_with_the_form_and_a_message(data, login, query):
    client = _fresh(login("supervisor"))
    response = client.get(f"/analysis/pivot/?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'class="alert alert-danger pivot-error"' in html and 'id="pivot-form"' in html
    assert 'id="pivot-table"' not in html
    assert client.get(f"/analysis/pivot/excel?{query}").status_code == 400


def test_the_refusal_is_in_the_users_language(data, login):
    client = _fresh(login("supervisor"))
    html = client.get("/analysis/pivot/?rows=stage&measure=satisfaction").get_data(as_text=True)
    assert "阶段" in html and "满意度" in html and "事项" in html


def test_a_banner_supervisors_pivot_holds_no_other_banners_numbers(data, login):
    client = _fresh(login("dlt_supervisor"))
    html = _ok(client.get("/analysis/pivot/?rows=region&columns=state&measure=items"))
    assert "达拉特旗" in html and "伊金霍洛旗" not in html
    assert re.search(r'id="pivot-grand-total"><a href="[^"]+">7</a>', html)
    # Another banner's region, asked for by id, is refused rather than shown.
    response = client.get(f"/analysis/pivot/?rows=channel&measure=cases&region={data['regions'][YJH]}")
    assert response.status_code == 400 and "伊金霍洛旗" not in response.get_data(as_text=True)
    for measure in ("cases", "satisfaction", "median_days"):
        sheet = _sheet(client.get(f"/analysis/pivot/excel?rows=region&measure={measure}"))
        assert not any("伊金霍洛旗" in str(c) for row in sheet for c in row if c)


def test_agents_and_liaisons_do_not_reach_the_explorer(data, login):
    for user in ("dlt_agent", "dlt_liaison_water"):
        client = _fresh(login(user))
        assert client.get("/analysis/pivot/").status_code in (302, 403)
        assert client.get("/analysis/pivot/excel").status_code in (302, 403)


def _sheet(response) -> list[list[Any]]:
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def test_the_excel_download_is_the_table_with_its_totals(data, login):
    client = _fresh(login("supervisor"))
    rows = _sheet(client.get("/analysis/pivot/excel?rows=region&columns=channel&measure=cases"))
    assert "案件" in rows[0][0]
    header = rows[2]
    assert header[0] == "地区" and header[-1] == "合计"
    body = {row[0]: row[1:] for row in rows[3:]}
    assert body["达拉特旗"][-1] == 5 and body["伊金霍洛旗"][-1] == 1
    assert body["合计"][-1] == 6
    rate = _sheet(client.get("/analysis/pivot/excel?rows=region&measure=on_time_rate"))
    assert {row[0]: row[1] for row in rate[3:]} == {"达拉特旗": 75.0, "伊金霍洛旗": 50.0, "合计": 66.7}


def test_a_name_that_looks_like_a_formula_stays_text_in_excel(data, login):
    db.session.execute(update(Department).where(Department.kind == "水利部门").values(name='=HYPERLINK("x")'))
    db.session.commit()
    client = _fresh(login("supervisor"))
    response = client.get(f"/analysis/pivot/excel?rows=department&measure=items&region={data['regions'][DLT]}")
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    cells = [
        c for row in workbook.active.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value
    ]
    assert cells and all(c.data_type == "s" for c in cells)


def test_the_page_costs_the_same_queries_for_a_small_and_a_ten_times_larger_fixture(app, login):
    build_cases()
    client = _fresh(login("supervisor"))
    url = "/analysis/pivot/?rows=department&columns=closed_month&measure=median_days"
    client.get(url)
    with counted() as small:
        _ok(client.get(url))
    build_cases(copies=10, batch="B")
    _fresh(client)
    client.get(url)
    with counted() as large:
        html = _ok(client.get(url))
    assert len(large) == len(small)
    assert 'id="pivot-table"' in html


def test_no_pivot_page_references_an_external_host(data, login):
    client = _fresh(login("supervisor"))
    for url in ("/analysis/pivot/", "/analysis/pivot/?rows=stage&columns=applied_month&measure=on_time_rate"):
        html = _ok(client.get(url))
        hosts = re.findall(r'(?:src|href)="((?:https?:)?//[^"]+)"', html)
        assert hosts == [], hosts
