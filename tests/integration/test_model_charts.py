"""Chart views over models (统计图表): the catalog, cases, joint reviews and training plans against a hand-built
fixture, within row scope; figures that link open lists of exactly their rows; constant queries; no external host."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import json
import re
from collections import Counter
from contextlib import contextmanager
from decimal import Decimal

import pytest
from flask import g
from sqlalchemy import event, select

from app.extensions import db
from app.models import (
    CatalogItem,
    Decision,
    Department,
    JointReview,
    Region,
    Staff,
    TrainingAttendance,
    TrainingPlan,
    TrainingSession,
)
from app.models.org import now
from app.services import model_charts
from tests.analysis_data import DLT, YJH, build_cases

D = dt.date
pytestmark = [pytest.mark.every_engine, pytest.mark.usefixtures("today_is")]  # 2026-11-27
# every_engine: chart aggregates in each engine's SQL


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
    for name in ("scoped_regions", "light_book"):
        g.pop(name, None)
    return client


def _region(code: str) -> Region:
    return db.session.scalar(select(Region).where(Region.code == code))


def _department(code: str, kind: str) -> int:
    return db.session.scalar(
        select(Department.id).where(Department.region_id == _region(code).id, Department.kind == kind)
    )


def _staff(username: str) -> Staff:
    return db.session.scalar(select(Staff).where(Staff.username == username))


def build_reviews(batch: str = "") -> None:
    """达拉特旗: three meetings (one cancelled) and five decisions; 伊金霍洛旗: one meeting, one decision."""

    def meeting(code: str, held_on: dt.date, state: str, topic: str) -> JointReview:
        review = JointReview(
            region_id=_region(code).id, held_on=held_on, state=state, topic=f"{topic}{batch}", kind="joint_review"
        )
        db.session.add(review)
        db.session.flush()
        return review

    def decide(review: JointReview, code: str, kind: str, state: str, due: dt.date, closed: dt.date | None = None):
        db.session.add(
            Decision(
                review_id=review.id,
                text=f"议定{review.topic}{kind}",
                department_id=_department(code, kind),
                due_on=due,
                state=state,
                closed_on=closed,
                updated_at=now(),
            )
        )

    r1 = meeting(DLT, D(2026, 10, 12), "held", "十月联审")
    r2 = meeting(DLT, D(2026, 11, 5), "preparing", "十一月联审")
    meeting(DLT, D(2026, 11, 20), "cancelled", "取消的联审")
    r4 = meeting(YJH, D(2026, 10, 15), "held", "伊旗联审")
    decide(r1, DLT, "水利部门", "open", D(2026, 11, 1))  # overdue
    decide(r1, DLT, "自然资源部门", "open", D(2026, 12, 10))  # open, on time
    decide(r1, DLT, "水利部门", "done", D(2026, 11, 1), D(2026, 10, 30))
    decide(r2, DLT, "住建部门", "open", D(2026, 11, 26))  # overdue
    decide(r2, DLT, "住建部门", "cancelled", D(2026, 12, 1))
    decide(r4, YJH, "水利部门", "open", D(2026, 11, 2))  # overdue, in another banner
    db.session.commit()


def build_training(batch: str = "") -> None:
    """达拉特旗 2026: 10 planned hours, sessions of 3 and 4 hours; 伊金霍洛旗: 6 planned, one session of 2 hours."""

    def plan(code: str, year: int, hours: str) -> TrainingPlan:
        found = TrainingPlan(
            region_id=_region(code).id, year=year, title=f"培训{code}{year}{batch}", hours=Decimal(hours)
        )
        db.session.add(found)
        db.session.flush()
        return found

    def session(owner: TrainingPlan, held_on: dt.date, hours: str, marks: dict[str, str]) -> None:
        found = TrainingSession(plan_id=owner.id, held_on=held_on, hours=Decimal(hours), topic="专题")
        db.session.add(found)
        db.session.flush()
        for username, status in marks.items():
            db.session.add(TrainingAttendance(session_id=found.id, staff_id=_staff(username).id, status=status))

    dlt = plan(DLT, 2026, "10")
    session(
        dlt, D(2026, 3, 10), "3", {"dlt_agent": "present", "dlt_liaison_water": "absent", "dlt_liaison_land": "excused"}
    )
    session(dlt, D(2026, 6, 15), "4", {"dlt_agent": "present", "dlt_liaison_water": "present"})
    earlier = plan(DLT, 2025, "8")  # another year: never in the 2026 figures
    session(earlier, D(2025, 5, 5), "8", {"dlt_agent": "present"})
    yjh = plan(YJH, 2026, "6")
    session(yjh, D(2026, 6, 20), "2", {"agent": "present", "liaison": "absent"})
    db.session.commit()


@pytest.fixture
def data(app):
    cases = build_cases()
    build_reviews()
    build_training()
    return cases


def _ok(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _charts(html: str) -> dict[str, dict]:
    """Each chart of a page by its key, from the JSON the page hands to ECharts."""
    found = re.findall(r'id="chart-([\w-]+)" data-chart="([^"]+)"', html)
    return {key: json.loads(html_lib.unescape(spec)) for key, spec in found}


def _series(spec: dict, index: int = 0) -> dict[str, object]:
    return dict(zip(spec["categories"], [d["value"] for d in spec["series"][index]["data"]], strict=True))


def _record_count(html: str) -> int:
    found = re.search(r"<strong>[^<]*:</strong>\s*(\d+)", html)
    return int(found.group(1)) if found else 0


# --- cases -----------------------------------------------------------------------------------------------------


def test_case_figures_match_the_fixture(data, staff):
    figures = model_charts.case_figures(staff("admin"))
    assert figures.by_state == {"in_progress": 2, "completed": 1, "evaluated": 2, "submitted": 1}
    assert figures.by_channel == {"window": 3, "website": 1, "app": 1, "hotline": 1}
    dlt, yjh = data["regions"][DLT], data["regions"][YJH]
    assert {i: (o, c) for i, _, o, c in figures.by_region} == {dlt: (3, 2), yjh: (0, 1)}
    assert figures.months[0] == 202512 and figures.months[-1] == 202611
    assert figures.applied == {202608: 1, 202609: 2, 202610: 2, 202611: 1}
    assert figures.completed == {202609: 1, 202611: 2}
    # c3 has an item past its due date (red); c1 (items closed) and c6 (no step limit yet) have no late deadline.
    assert figures.lights == {"red": 1, "yellow": 0, "green": 2}


def test_the_cases_page_links_each_figure_to_a_list_of_exactly_its_cases(data, login):
    client = _fresh(login("supervisor"))
    charts = _charts(_ok(client.get("/analysis/charts/cases")))
    assert set(charts) == {"cases-state", "cases-lights", "cases-months", "cases-regions", "cases-channel"}
    assert sum(v for v in _series(charts["cases-state"]).values()) == 6
    checked = 0
    for key in ("cases-state", "cases-lights", "cases-months", "cases-channel"):
        for series in charts[key]["series"]:
            for point in series["data"]:
                if point["url"] and point["value"]:
                    assert _record_count(_ok(client.get(point["url"]))) == point["value"], (key, point)
                    checked += 1
    assert checked >= 10


# --- catalog ---------------------------------------------------------------------------------------------------


def test_catalog_figures_count_the_items_in_force_of_the_scope(data, staff):
    region = _region(DLT)
    items = db.session.scalars(select(CatalogItem).where(CatalogItem.region_id == region.id)).all()
    retired = items[0]
    retired.retired_at = now()
    items[1].promised_limit_days, items[1].legal_limit_days = 7, 20
    db.session.commit()
    in_force = [i for i in items if i.retired_at is None]
    figures = model_charts.catalog_figures(staff("dlt_supervisor"))
    assert figures.by_stage == dict(Counter(i.stage for i in in_force))
    assert figures.by_type == dict(Counter(i.item_type for i in in_force))
    assert sum(n for _, n in figures.by_department) == len(in_force)
    assert figures.by_region == [(region.id, region.name, len(in_force))]
    stage = items[1].stage
    legal = [i.legal_limit_days for i in in_force if i.stage == stage and i.legal_limit_days is not None]
    promised = [i.promised_limit_days for i in in_force if i.stage == stage and i.promised_limit_days is not None]
    assert figures.limits_by_stage[stage] == (
        round(sum(legal) / len(legal), 1) if legal else None,
        round(sum(promised) / len(promised), 1) if promised else None,
    )
    held_to = [i.time_limit_days for i in in_force]
    for (low, high), n in zip(model_charts.LIMIT_BANDS, figures.limit_bands, strict=True):
        assert n == sum(1 for d in held_to if d is not None and low <= d <= (high or 10**6)), (low, high)
    assert figures.no_limit == sum(1 for d in held_to if d is None)


def test_the_city_catalog_adds_up_every_region_in_scope(data, staff):
    city = model_charts.catalog_figures(staff("supervisor"))
    one = model_charts.catalog_figures(staff("supervisor"), region_id=_region(DLT).id)
    assert sum(n for _, _, n in city.by_region) == sum(city.by_stage.values()) > sum(one.by_stage.values())
    assert len(one.by_region) == 1


# --- joint reviews -----------------------------------------------------------------------------------------------


def test_review_figures_of_a_banner(data, staff):
    figures = model_charts.review_figures(staff("dlt_supervisor"))
    assert figures.meetings == {202610: 1, 202611: 2}  # the cancelled one was dated too
    assert figures.by_kind == {"joint_review": 2}
    assert figures.decisions == {202610: (1, 1, 1), 202611: (0, 0, 1)}
    assert figures.totals == {"done": 1, "open": 3, "overdue": 2, "cancelled": 1}
    assert sorted(figures.by_department) == [("住建部门", 0, 0, 1), ("水利部门", 1, 0, 1), ("自然资源部门", 0, 1, 0)]


def test_review_figures_of_the_city_include_every_banner(data, staff):
    figures = model_charts.review_figures(staff("supervisor"))
    assert figures.meetings == {202610: 2, 202611: 2}
    assert figures.totals == {"done": 1, "open": 4, "overdue": 3, "cancelled": 1}
    only_yjh = model_charts.review_figures(staff("supervisor"), region_id=_region(YJH).id)
    assert only_yjh.totals == {"done": 0, "open": 1, "overdue": 1, "cancelled": 0}


def test_the_reviews_page_links_meetings_and_decisions_to_their_lists(data, login):
    client = _fresh(login("dlt_supervisor"))
    charts = _charts(_ok(client.get("/analysis/charts/reviews")))
    checked = 0
    for key in ("reviews-months", "reviews-state"):
        for point in charts[key]["series"][0]["data"]:
            if point["url"] and point["value"]:
                assert _record_count(_ok(client.get(point["url"]))) == point["value"], (key, point)
                checked += 1
    assert checked == 5  # two months of meetings; done, overdue and cancelled decisions


# --- training ----------------------------------------------------------------------------------------------------


def test_training_figures_of_a_year(data, staff):
    figures = model_charts.training_figures(staff("supervisor"), 2026)
    rows = {r.name: (r.planned_hours, r.held_hours, r.present, r.recorded, r.attendance_rate) for r in figures.regions}
    assert rows == {
        "达拉特旗": (Decimal(10), Decimal(7), 3, 5, 60.0),
        "伊金霍洛旗": (Decimal(6), Decimal(2), 1, 2, 50.0),
    }
    assert figures.hours_by_month == {202603: Decimal(3), 202606: Decimal(6)}
    assert figures.statuses == {"present": 4, "absent": 2, "excused": 1}
    banner = model_charts.training_figures(staff("dlt_supervisor"), 2025)
    assert [(r.name, r.held_hours, r.attendance_rate) for r in banner.regions] == [("达拉特旗", Decimal(8), 100.0)]


# --- scope, pages, queries, hosts --------------------------------------------------------------------------------

SUBJECTS = ("cases", "catalog", "reviews", "training")


def test_a_banner_supervisors_charts_hold_no_other_banners_numbers(data, login):
    client = _fresh(login("dlt_supervisor"))
    for subject in SUBJECTS:
        html = _ok(client.get(f"/analysis/charts/{subject}?region={_region(YJH).id}"))  # asking is not enough
        assert "伊金霍洛旗" not in html, subject
    charts = _charts(_ok(client.get("/analysis/charts/cases")))
    assert sum(d["value"] for d in charts["cases-state"]["series"][0]["data"]) == 5
    charts = _charts(_ok(client.get("/analysis/charts/training")))
    assert charts["training-hours"]["categories"] == ["达拉特旗"]


def test_the_chart_pages_are_for_supervisors(data, login):
    for user in ("dlt_agent", "dlt_liaison_water"):
        client = _fresh(login(user))
        for subject in SUBJECTS:
            assert client.get(f"/analysis/charts/{subject}").status_code in (302, 403)
    client = _fresh(login("supervisor"))
    assert client.get("/analysis/charts/nonsense").status_code == 404
    assert client.get("/analysis/charts/").status_code == 302


def test_each_chart_page_costs_the_same_queries_for_a_small_and_a_ten_times_larger_fixture(app, login):
    build_cases()
    build_reviews()
    build_training()
    client = _fresh(login("supervisor"))
    small = {}
    for subject in SUBJECTS:
        client.get(f"/analysis/charts/{subject}")
        with counted() as statements:
            _ok(client.get(f"/analysis/charts/{subject}"))
        small[subject] = len(statements)
    build_cases(copies=10, batch="B")
    for n in range(9):
        build_reviews(batch=f"-{n}")
        build_training(batch=f"-{n}")
    _fresh(client)
    for subject in SUBJECTS:
        client.get(f"/analysis/charts/{subject}")
        with counted() as statements:
            _ok(client.get(f"/analysis/charts/{subject}"))
        assert len(statements) == small[subject], subject


def test_no_chart_page_references_an_external_host(data, login):
    client = _fresh(login("supervisor"))
    for subject in SUBJECTS:
        html = _ok(client.get(f"/analysis/charts/{subject}"))
        assert "vendor/echarts/echarts.min.js" in html
        assert re.findall(r'(?:src|href)="((?:https?:)?//[^"]+)"', html) == [], subject
