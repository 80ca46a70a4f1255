"""Performance assessment (考核) against a hand-built October 2026: every figure, value and score computed by
hand, the rows behind each figure, scope, the weights and their history, the Excel export, query counts."""

from __future__ import annotations

import datetime as dt
import io
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from sqlalchemy import event, func, inspect, select

from app.domain.assessment import KEYS, Level
from app.domain.errors import Forbidden, NotFound
from app.extensions import db
from app.models import (
    AssessmentWeights,
    Case,
    CaseItem,
    CatalogItem,
    Decision,
    Department,
    Enterprise,
    Evaluation,
    JointReview,
    MonthlyReport,
    Project,
    Region,
)
from app.models.training import TrainingAttendance, TrainingPlan, TrainingSession
from app.services import assessment

D = dt.date
OCT = (D(2026, 10, 1), D(2026, 10, 31))
DLT, YJH = "150621", "150627"
WATER, LAND = "取水许可审批", "建设用地规划许可证核发"
pytestmark = [
    pytest.mark.every_engine,
    pytest.mark.usefixtures("today_is"),
]  # today: 2026-11-27, so the preset month is October 2026
# every_engine: scores aggregated in each engine's SQL


def _catalog(region_id: int, name: str) -> CatalogItem:
    return db.session.scalar(select(CatalogItem).where(CatalogItem.region_id == region_id, CatalogItem.name == name))


class Builder:
    """Inserts cases, items, evaluations, decisions, reports and training with known dates."""

    def __init__(self, region_code: str) -> None:
        self.region = db.session.scalar(select(Region).where(Region.code == region_code))
        self.water, self.land = _catalog(self.region.id, WATER), _catalog(self.region.id, LAND)
        self.company = db.session.scalar(select(Enterprise).where(Enterprise.region_id == self.region.id))
        if self.company is None:
            self.company = Enterprise(region_id=self.region.id, name="考核测试企业", credit_code="91350100M000100Y43")
            db.session.add(self.company)
            db.session.flush()
        self.cases: dict[str, Case] = {}

    def case(self, key: str, state: str, applied: dt.date, closed: dt.date | None = None) -> Case:
        project = Project(region_id=self.region.id, enterprise_id=self.company.id, name=f"项目{key}")
        db.session.add(project)
        db.session.flush()
        case = Case(
            number=f"{self.region.code}-2026-{key}",
            region_id=self.region.id,
            project_id=project.id,
            channel="window",
            state=state,
            applied_on=applied,
            closed_on=closed,
            enterprise_name=self.company.name,
            credit_code=self.company.credit_code,
            project_name=project.name,
        )
        db.session.add(case)
        db.session.flush()
        self.cases[key] = case
        return case

    def item(self, case: Case, entry: CatalogItem, state: str, **dates: Any) -> CaseItem:
        item = CaseItem(
            case_id=case.id,
            catalog_item_id=entry.id,
            catalog_version=entry.version,
            name=entry.name,
            department_id=entry.department_id,
            stage=entry.stage,
            time_limit_days=dates.pop("limit", 20),
            state=state,
            **dates,
        )
        db.session.add(item)
        db.session.flush()
        return item

    def evaluation(self, case: Case, level: str, on: dt.date) -> None:
        db.session.add(Evaluation(case_id=case.id, level=level, evaluated_on=on))


@pytest.fixture
def october(app, staff):
    """达拉特旗's October 2026, built by hand (the expected figures are worked out in each test).

    Cases: c1 completed 10-15, c2 evaluated (closed 10-20), c3 in progress, c4 completed 09-30 (before),
    c5 terminated 10-10, c6 completed 11-05 (open at the month's end), c7 evaluated in August.
    Items (water W, land L): i1 W approved 10-10 (due 10-12, 8 of 20 days), i2 L approved 10-14 (due 10-13,
    21 days), i3 W rejected 10-20 (due 10-20, 15 days), i4 L withdrawn 10-05, i5 W in review (accepted
    10-01), i6 L approved 11-03 (accepted 10-08), i7 W approved 10-25 with no due date yet, i8 W approved in
    July. Evaluations: c2 非常满意 10-22, c7 不满意 10-03, c4 满意 09-30 (before). Decisions of a 达拉特旗
    meeting: D1 W open due 10-20, D2 W done 10-25 (due 10-22), D3 L done 10-10 (due 10-12), D4 L done 11-05
    (due 10-28), D5 L open due 11-10, D6 L cancelled 10-05 (due 10-30). The October report first submitted
    on the 24th, again on the 28th. Training: a 0.5 h session on 10-12 (agent and water liaison present,
    land liaison absent, supervisor excused) and a 2 h one in September.
    """
    b = Builder(DLT)
    c1 = b.case("c1", "completed", D(2026, 9, 1), D(2026, 10, 15))
    c2 = b.case("c2", "evaluated", D(2026, 9, 2), D(2026, 10, 20))
    c3 = b.case("c3", "in_progress", D(2026, 9, 10))
    c4 = b.case("c4", "evaluated", D(2026, 8, 1), D(2026, 9, 30))
    b.case("c5", "terminated", D(2026, 9, 5), D(2026, 10, 10))
    c6 = b.case("c6", "completed", D(2026, 10, 1), D(2026, 11, 5))
    c7 = b.case("c7", "evaluated", D(2026, 6, 1), D(2026, 8, 1))
    w, land = b.water, b.land
    approved, rejected = "approved", "rejected"
    b.item(c1, w, approved, accepted_on=D(2026, 9, 14), due_on=D(2026, 10, 12), closed_on=D(2026, 10, 10), used_days=8)
    b.item(
        c1, land, approved, accepted_on=D(2026, 9, 14), due_on=D(2026, 10, 13), closed_on=D(2026, 10, 14), used_days=21
    )
    b.item(c2, w, rejected, accepted_on=D(2026, 9, 21), due_on=D(2026, 10, 20), closed_on=D(2026, 10, 20), used_days=15)
    b.item(c2, land, "withdrawn", closed_on=D(2026, 10, 5))
    b.item(c3, w, "in_review", accepted_on=D(2026, 10, 1), due_on=D(2026, 11, 10))
    b.item(
        c6, land, approved, accepted_on=D(2026, 10, 8), due_on=D(2026, 11, 6), closed_on=D(2026, 11, 3), used_days=18
    )
    b.item(c3, w, approved, accepted_on=D(2026, 10, 9), closed_on=D(2026, 10, 25))
    b.item(c7, w, approved, accepted_on=D(2026, 7, 1), due_on=D(2026, 7, 29), closed_on=D(2026, 7, 20), used_days=12)
    b.evaluation(c2, "very_satisfied", D(2026, 10, 22))
    b.evaluation(c7, "dissatisfied", D(2026, 10, 3))
    b.evaluation(c4, "satisfied", D(2026, 9, 30))

    meeting = JointReview(region_id=b.region.id, held_on=D(2026, 9, 15), topic="十月会商", state="published")
    db.session.add(meeting)
    db.session.flush()
    for text, dept, state, due, closed in (
        ("D1", w.department_id, "open", D(2026, 10, 20), None),
        ("D2", w.department_id, "done", D(2026, 10, 22), D(2026, 10, 25)),
        ("D3", land.department_id, "done", D(2026, 10, 12), D(2026, 10, 10)),
        ("D4", land.department_id, "done", D(2026, 10, 28), D(2026, 11, 5)),
        ("D5", land.department_id, "open", D(2026, 11, 10), None),
        ("D6", land.department_id, "cancelled", D(2026, 10, 30), D(2026, 10, 5)),
    ):
        db.session.add(
            Decision(review_id=meeting.id, text=text, department_id=dept, state=state, due_on=due, closed_on=closed)
        )

    for version, at in ((1, dt.datetime(2026, 10, 24, 15, 0)), (2, dt.datetime(2026, 10, 28, 9, 0))):
        db.session.add(
            MonthlyReport(region_id=b.region.id, month=D(2026, 10, 1), version=version, figures="{}", submitted_at=at)
        )

    plan = TrainingPlan(region_id=b.region.id, year=2026, title="十月培训")
    db.session.add(plan)
    db.session.flush()
    october_session = TrainingSession(plan_id=plan.id, held_on=D(2026, 10, 12), hours=Decimal("0.5"), topic="时限")
    september_session = TrainingSession(plan_id=plan.id, held_on=D(2026, 9, 20), hours=Decimal("2"), topic="流程")
    db.session.add_all([october_session, september_session])
    db.session.flush()
    for session, name, status in (
        (october_session, "dlt_agent", "present"),
        (october_session, "dlt_liaison_water", "present"),
        (october_session, "dlt_liaison_land", "absent"),
        (october_session, "dlt_supervisor", "excused"),
        (september_session, "dlt_agent", "present"),
    ):
        db.session.add(TrainingAttendance(session_id=session.id, staff_id=staff(name).id, status=status))
    db.session.commit()
    return b


def _result(a: assessment.Assessment, name: str) -> assessment.UnitResult:
    return next(r for r in a.results if r.unit.name == name)


def test_a_banners_figures_are_counted_by_the_rules(october, staff):
    a = assessment.assess(Level.BANNER, *OCT, staff("supervisor"))
    f = _result(a, "达拉特旗").figures
    assert (f.handled, f.open_at_end) == (2, 2)  # c1, c2 completed; c3 and c6 open on 10-31
    assert (f.decided, f.on_time) == (3, 2)  # i1, i2, i3 have due dates; i2 was a day late
    assert (f.timed, f.used_days, f.limit_days) == (3, 44, 60)
    assert dict(f.evaluations) == {"very_satisfied": 1, "dissatisfied": 1}
    assert (f.decisions_due, f.overdue_decisions) == (4, 3)  # D1..D4 due (D5 later, D6 cancelled); D3 in time
    assert (f.reports_due, f.reports_on_time) == (1, 1)  # first submitted on the 24th
    assert (f.training_hours, f.staff) == (Decimal("1.0"), 4)


def test_a_banners_values_and_score_match_the_hand_computation(october, staff):
    a = assessment.assess(Level.BANNER, *OCT, staff("supervisor"))
    r = _result(a, "达拉特旗")
    training = 100 * 0.25 * 365 / (12 * 31)  # 1.0 h ÷ 4 staff against 12 h a year over 31 days
    assert r.values == pytest.approx(
        {
            "cases_handled": 50.0,
            "on_time_rate": 200 / 3,
            "working_days": 100 * (1 - 44 / 60),
            "satisfaction": 62.5,  # (5 + 2) ÷ 2 = 3.5 → 2.5 × 25
            "overdue_decisions": 25.0,  # 1 − 3 ÷ 4
            "monthly_reports": 100.0,
            "training_hours": training,
        }
    )
    by_hand = (15 * 50 + 25 * 200 / 3 + 15 * 100 * 16 / 60 + 15 * 62.5 + 10 * 25 + 10 * 100 + 10 * training) / 100
    assert round(by_hand, 1) == 52.5 and r.score.total == 52.5
    assert r.rank == 1


def test_banners_without_activity_score_on_what_they_have_and_rank_below(october, staff):
    a = assessment.assess(Level.BANNER, *OCT, staff("supervisor"))
    other = _result(a, "伊金霍洛旗")
    assert {k for k, v in other.values.items() if v is not None} == {"monthly_reports"}
    assert other.values["monthly_reports"] == 0.0  # its October report is missing
    assert other.score.total == 0.0 and other.rank == 2
    assert len(a.results) == 9 and a.results[0].unit.name == "达拉特旗"


def test_departments_figures_values_and_scores_match_the_hand_computation(october, staff):
    a = assessment.assess(Level.DEPARTMENT, *OCT, staff("dlt_supervisor"))
    assert a.region.code == DLT
    water = next(r for r in a.results if r.unit.id == october.water.department_id)
    land = next(r for r in a.results if r.unit.id == october.land.department_id)
    f = water.figures
    assert (f.handled, f.open_at_end, f.decided, f.on_time) == (3, 1, 2, 2)  # i1, i3, i7 decided; i5 open
    assert (f.used_days, f.limit_days, f.decisions_due, f.overdue_decisions) == (23, 40, 2, 2)
    assert dict(f.evaluations) == {"very_satisfied": 1, "dissatisfied": 1}  # c2 and c7 had water items
    assert water.values["monthly_reports"] is None
    training = 100 * 0.5 * 365 / (12 * 31)
    assert water.score.total == round((15 * 75 + 25 * 100 + 15 * 42.5 + 15 * 62.5 + 10 * 0 + 10 * training) / 90, 1)
    assert water.score.total == 63.2
    g = land.figures
    assert (g.handled, g.open_at_end, g.decided, g.on_time, g.used_days, g.limit_days) == (1, 1, 1, 0, 21, 20)
    assert g.evaluation_count == 0 and land.values["satisfaction"] is None  # its only evaluated item was withdrawn
    assert (g.decisions_due, g.overdue_decisions) == (2, 1) and land.values["working_days"] == 0.0
    assert land.score.total == round((15 * 50 + 0 + 0 + 10 * 50 + 0) / 75, 1) == 16.7
    # The service centre (政务服务局) has only its agent's training; the other departments have no data at all.
    lead = a.results[1]
    assert lead.unit.code == "政务服务部门" and lead.score.total == round(training, 1)
    assert [r.rank for r in a.results] == [1, 2, 3] + [None] * (len(a.results) - 3)
    assert a.results[0].unit.id == water.unit.id and a.results[2].unit.id == land.unit.id


def test_every_figure_has_exactly_the_rows_it_counts(october, staff):
    supervisor = staff("supervisor")
    a = assessment.assess(Level.BANNER, *OCT, supervisor)
    dlt = _result(a, "达拉特旗")
    period = a.period
    rows = {key: assessment.indicator_rows(key, Level.BANNER, [dlt.unit], period, str) for key in KEYS}
    handled = rows["cases_handled"].rows
    assert [r[1] for r in handled] == ["150621-2026-c1", "150621-2026-c2", "150621-2026-c3", "150621-2026-c6"]
    assert [r[6] for r in handled] == ["Handled", "Handled", "Open at the end", "Open at the end"]
    on_time = rows["on_time_rate"].rows
    assert [(r[5].isoformat(), r[6].isoformat(), r[7]) for r in on_time] == [
        ("2026-10-12", "2026-10-10", "Yes"),
        ("2026-10-13", "2026-10-14", "No"),
        ("2026-10-20", "2026-10-20", "Yes"),
    ]
    assert sum(r[6] for r in rows["working_days"].rows) == 44 and sum(r[7] for r in rows["working_days"].rows) == 60
    assert sorted((r[4], r[6]) for r in rows["satisfaction"].rows) == [("Dissatisfied", 2), ("Very satisfied", 5)]
    assert [(r[2], r[7]) for r in rows["overdue_decisions"].rows] == [
        ("D3", "No"),
        ("D1", "Yes"),
        ("D2", "Yes"),
        ("D4", "Yes"),
    ]
    assert [(r[1], r[3], r[4]) for r in rows["monthly_reports"].rows] == [
        ("2026-10", D(2026, 10, 24), "Submitted on time")
    ]
    assert sorted((r[1], r[6]) for r in rows["training_hours"].rows) == [("刘晓燕", 0.5), ("张海军", 0.5)]
    assert rows["on_time_rate"].case_ids[0] == october.cases["c1"].id


def test_the_rows_page_lists_the_items_of_the_on_time_rate_with_their_dates(october, login):
    client = login("supervisor")
    unit = october.region.id
    page = client.get(f"/assessment/rows?indicator=on_time_rate&level=banner&unit={unit}&from=2026-10-01&to=2026-10-31")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    table = html.split('class="table table-bordered table-condensed assessment-rows"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") == 4  # the header and three items
    assert "2026-10-13" in table and "2026-10-14" in table
    assert f'href="/cases/{october.cases["c1"].id}"' in table
    assert 'class="row-count">3<' in html


def test_the_scores_page_links_every_figure_to_its_rows(october, login):
    html = login("supervisor").get("/assessment/").get_data(as_text=True)
    assert "2026-10-01 – 2026-10-31" in html
    row = html.split(f'id="unit-{october.region.id}"', 1)[1].split("</tr>", 1)[0]
    for key in KEYS:
        assert f"indicator={key}" in row
    assert "2/3" in row  # on time / decided
    assert "52.5" in row and "3/4" in row
    assert "vendor/echarts/echarts.min.js" in html and "https://" not in html.split("<body", 1)[1]


def test_a_department_page_shows_the_departments_of_the_chosen_region(october, login, region):
    html = login("supervisor").get(
        f"/assessment/?level=department&region={region(DLT).id}&from=2026-10-01&to=2026-10-31"
    )
    text = html.get_data(as_text=True)
    assert "达拉特旗水利局" in text and "鄂尔多斯市水利局" not in text
    assert "63.2" in text


def test_a_banner_supervisor_sees_only_their_banner(october, staff, login, region):
    own = staff("dlt_supervisor")
    a = assessment.assess(Level.BANNER, *OCT, own)
    assert [r.unit.name for r in a.results] == ["达拉特旗"]
    assert [r.code for r in assessment.department_regions(own)] == [DLT]
    with pytest.raises(NotFound):
        assessment.assess(Level.DEPARTMENT, *OCT, own, region_id=region("150600").id)
    client = login("dlt_supervisor")
    html = client.get("/assessment/").get_data(as_text=True)
    assert "达拉特旗" in html and "伊金霍洛旗" not in html and "东胜区" not in html
    yjh = region(YJH).id
    assert client.get(f"/assessment/rows?indicator=on_time_rate&level=banner&unit={yjh}").status_code == 404
    city_water = db.session.scalar(
        select(Department.id).where(Department.region_id == region("150600").id, Department.kind == "水利部门")
    )
    assert client.get(f"/assessment/rows?indicator=on_time_rate&level=department&unit={city_water}").status_code == 404
    assert client.get(f"/assessment/?level=department&region={region('150600').id}").status_code == 404
    export = client.get("/assessment/export?from=2026-10-01&to=2026-10-31")
    book = openpyxl.load_workbook(io.BytesIO(export.data), read_only=True)
    units = {row[1] for row in book["考核得分"].iter_rows(min_row=4, values_only=True)}
    assert units == {"达拉特旗"}
    book.close()


def test_the_city_supervisor_sees_every_banner_and_the_city_departments(october, staff):
    city = staff("supervisor")
    assert len(assessment.assess(Level.BANNER, *OCT, city).results) == 9
    regions = assessment.department_regions(city)
    assert regions[0].code == "150600" and len(regions) == 10
    assert assessment.assess(Level.DEPARTMENT, *OCT, city).region.code == "150600"


def test_agents_and_liaisons_may_not_see_the_assessment(october, staff, login):
    with pytest.raises(Forbidden):
        assessment.assess(Level.BANNER, *OCT, staff("dlt_agent"))
    for username in ("dlt_agent", "dlt_liaison_water"):
        response = login(username).get("/assessment/")
        assert response.status_code in (302, 403)


def test_the_export_holds_scores_the_rows_behind_them_and_the_weights(october, login):
    response = login("supervisor").get("/assessment/export?level=banner&from=2026-10-01&to=2026-10-31")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('assessment-banner-2026-10-01-2026-10-31.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == [
        "考核得分",
        "办结明细",
        "按时办结明细",
        "办理用时明细",
        "评价明细",
        "议定事项明细",
        "月报明细",
        "培训学时明细",
        "权重",
    ]
    scores = book["考核得分"]
    header = [c.value for c in scores[3]]
    dlt = next(row for row in scores.iter_rows(min_row=4, values_only=True) if row[1] == "达拉特旗")
    record = dict(zip(header, dlt, strict=True))
    assert record["名次"] == 1 and record["综合得分"] == 52.5
    assert (record["办结数"], record["期末在办"], record["办结事项"], record["按时办结"]) == (2, 2, 3, 2)
    assert (record["用时合计"], record["时限合计"], record["到期议定事项"], record["超期议定事项"]) == (44, 60, 4, 3)
    assert record["按时办结率"] == 66.7 and record["满意度"] == 62.5
    on_time = [row for row in book["按时办结明细"].iter_rows(min_row=4, values_only=True) if row[0] == "达拉特旗"]
    assert [(r[5].date(), r[6].date(), r[7]) for r in on_time] == [
        (D(2026, 10, 12), D(2026, 10, 10), "是"),
        (D(2026, 10, 13), D(2026, 10, 14), "否"),
        (D(2026, 10, 20), D(2026, 10, 20), "是"),
    ]
    reports = list(book["月报明细"].iter_rows(min_row=4, values_only=True))
    assert len(reports) == 9 and ("达拉特旗", "2026-10") in {(r[0], r[1]) for r in reports}
    weights = {row[0]: row[2] for row in book["权重"].iter_rows(min_row=4, values_only=True)}
    assert weights["按时办结率"] == 25 and sum(weights.values()) == 100
    book.close()


def test_the_english_export_has_english_sheets_and_headers(october, login):
    client = login("supervisor")
    client.get("/lang/en")
    response = client.get("/assessment/export?level=department&from=2026-10-01&to=2026-10-31")
    book = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    assert book.sheetnames[0] == "Scores" and "Monthly report rows" not in book.sheetnames
    assert book.sheetnames[-1] == "Weights"
    book.close()


def test_an_admin_sets_new_weights_and_the_old_set_stays_in_the_history(october, staff, login):
    admin = staff("admin")
    first = assessment.save_weights(
        {"cases_handled": "10", "on_time_rate": "40", "working_days": "10", "satisfaction": "10"}
        | {"overdue_decisions": "10", "monthly_reports": "10", "training_hours": "10"},
        "重视按时办结",
        admin,
    )
    second = assessment.save_weights({k: ("40" if k == "satisfaction" else "10") for k in KEYS}, "重视满意度", admin)
    history = assessment.weights_history(admin)
    assert [w.id for w in history] == [second.id, first.id]
    assert history[1].weights["on_time_rate"] == Decimal("40") and history[1].note == "重视按时办结"
    assert history[0].set_by == "何志远"
    assert assessment.current_weights().id == second.id
    a = assessment.assess(Level.BANNER, *OCT, staff("supervisor"))
    r = _result(a, "达拉特旗")
    v = r.values
    expected = (10 * (v["cases_handled"] + v["on_time_rate"] + v["working_days"]) + 40 * v["satisfaction"]) / 100
    expected += 10 * (v["overdue_decisions"] + v["monthly_reports"] + v["training_hours"]) / 100
    assert r.score.total == round(expected, 1)
    older = assessment.assess(Level.BANNER, *OCT, staff("supervisor"), weights_id=first.id)
    assert older.weights.note == "重视按时办结" and _result(older, "达拉特旗").score.total != r.score.total
    html = login("admin").get("/assessment/weights").get_data(as_text=True)
    assert "重视按时办结" in html and "重视满意度" in html


def test_bad_weights_are_refused_with_every_problem_shown_and_nothing_lost(october, login):
    client = login("admin")
    form = {k: "10" for k in KEYS} | {"on_time_rate": "-5", "satisfaction": "abc", "note": "调整"}
    response = client.post("/assessment/weights", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "权重不能为负数" in html or "A weight cannot be negative." in html
    assert 'value="abc"' in html and 'value="-5"' in html and "调整" in html
    assert db.session.scalar(select(func.count(AssessmentWeights.id))) == 0
    response = client.post("/assessment/weights", data={k: "10" for k in KEYS} | {"note": "合计不对"})
    assert db.session.scalar(select(func.count(AssessmentWeights.id))) == 0
    assert "70" in response.get_data(as_text=True)


def test_only_administrators_set_weights(october, staff, login):
    with pytest.raises(Forbidden):
        assessment.save_weights({k: str(v) for k, v in assessment.DEFAULT_WEIGHTS.items()}, "x", staff("supervisor"))
    form = {k: str(v) for k, v in assessment.DEFAULT_WEIGHTS.items()} | {"note": "试图修改"}
    assert login("supervisor").post("/assessment/weights", data=form).status_code in (302, 403)
    assert db.session.scalar(select(func.count(AssessmentWeights.id))) == 0


def test_the_weights_table_has_a_column_for_every_indicator():
    columns = {c.key for c in inspect(AssessmentWeights).columns}
    assert set(KEYS) <= columns


def test_a_reversed_period_is_refused_with_a_message_and_the_last_month_shown(october, login):
    html = login("supervisor").get("/assessment/?from=2026-10-31&to=2026-10-01").get_data(as_text=True)
    assert "2026-10-01 – 2026-10-31" in html
    assert "The period ends before it begins." in html or "结束日期早于开始日期" in html


@contextmanager
def _counted():
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def _more_data(times: int, batch: str) -> None:
    """`times` more completed cases with decided items, evaluations and overdue decisions in 达拉特旗's October."""
    b = Builder(DLT)
    meeting = db.session.scalar(select(JointReview).where(JointReview.region_id == b.region.id))
    for n in range(times):
        case = b.case(f"{batch}{n}", "evaluated", D(2026, 9, 1), D(2026, 10, 2 + n % 20))
        for entry in (b.water, b.land):
            b.item(
                case,
                entry,
                "approved",
                accepted_on=D(2026, 9, 7),
                due_on=D(2026, 10, 9),
                closed_on=D(2026, 10, 8),
                used_days=n % 20,
            )
        b.evaluation(case, "satisfied", D(2026, 10, 28))
        db.session.add(
            Decision(review_id=meeting.id, text=f"X{n}", department_id=b.water.department_id, due_on=D(2026, 10, 1))
        )
    db.session.commit()


def test_the_query_count_does_not_grow_with_the_data(october, staff, login):
    client = login("supervisor")
    client.get("/assessment/")  # warm FAB's caches
    pages = ("/assessment/", "/assessment/?level=department", "/assessment/export")
    counts = []
    for extra, batch in ((3, "s"), (30, "l")):
        _more_data(extra, batch)
        with _counted() as small:
            for page in pages:
                assert client.get(page).status_code == 200
        counts.append(len(small))
        with _counted() as direct:
            assessment.assess(Level.BANNER, *OCT, staff("supervisor"))
        counts.append(len(direct))
    assert counts[0] == counts[2] and counts[1] == counts[3]
    assert counts[1] <= 12
