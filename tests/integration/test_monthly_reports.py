"""Monthly reports: figures from the ledger, on time / late / missing around the 24th, versions kept."""

from __future__ import annotations

import datetime as dt
import io
import json

import openpyxl
import pytest
from sqlalchemy import select, update

from app.domain.errors import NotFound, ValidationError
from app.extensions import db
from app.models import Case, MonthlyReport
from app.services import reports
from tests.factories import bulk_cases

NOV = dt.date(2026, 11, 1)


@pytest.fixture
def on_day(app):
    def set_day(day: str) -> None:
        app.config["TODAY"] = day

    yield set_day
    app.config.pop("TODAY", None)


def test_the_status_turns_late_after_the_24th_and_missing_without_a_report():
    assert reports.status_of(dt.datetime(2026, 11, 24, 23, 59), NOV) == "on_time"
    assert reports.status_of(dt.datetime(2026, 11, 25, 0, 0), NOV) == "late"
    assert reports.status_of(None, NOV) == "missing"


def test_the_city_board_shows_each_banner_on_time_late_or_missing(app, staff, region, on_day):
    on_day("2026-11-20")
    reports.submit_report(region("150621").id, NOV, "", staff("dlt_agent"))
    on_day("2026-11-26")
    reports.submit_report(region("150622").id, NOV, "审批人员紧张", _banner_agent("150622", staff))
    rows = {r.region.code: r.status for r in reports.board(region("150600").id, NOV, staff("supervisor"))}
    assert rows["150621"] == "on_time"
    assert rows["150622"] == "late"
    assert rows["150627"] == "missing"
    assert len(rows) == 9


def _banner_agent(code, staff):
    """An agent of another banner, made on the spot (the demo users cover the city and 达拉特旗 only)."""
    from app.models import Department, Region, Staff

    banner = db.session.scalar(select(Region).where(Region.code == code))
    agent = Staff(
        username=f"agent_{code}",
        email=f"agent_{code}@test.invalid",
        first_name="代办员",
        last_name="",
        active=True,
        roles=list(staff("dlt_agent").roles),
        region=banner,
        department=db.session.scalar(
            select(Department).where(Department.region_id == banner.id, Department.kind == "政务服务部门")
        ),
    )
    db.session.add(agent)
    db.session.commit()
    return agent


def test_a_resubmission_is_a_new_version_and_keeps_the_first_time(app, staff, region, on_day):
    on_day("2026-11-23")
    first = reports.submit_report(region("150621").id, NOV, "第一版", staff("dlt_agent"))
    on_day("2026-11-27")
    second = reports.submit_report(region("150621").id, NOV, "更正后", staff("dlt_supervisor"))
    assert (first.version, second.version) == (1, 2)
    kept = db.session.scalars(select(MonthlyReport).order_by(MonthlyReport.version)).all()
    assert [r.problems for r in kept] == ["第一版", "更正后"]
    board = {r.region.code: r for r in reports.board(region("150600").id, NOV, staff("supervisor"))}
    assert board["150621"].status == "on_time" and board["150621"].latest.version == 2


def test_the_figures_come_from_the_cases_of_the_month(app, staff, region, on_day):
    on_day("2026-11-27")
    ids = bulk_cases("150621", 4)
    db.session.execute(update(Case).where(Case.id == ids[0]).values(applied_on=dt.date(2026, 11, 3)))
    db.session.execute(update(Case).where(Case.id == ids[1]).values(state="completed", closed_on=dt.date(2026, 11, 10)))
    db.session.execute(
        update(Case).where(Case.id == ids[2]).values(state="terminated", closed_on=dt.date(2026, 10, 10))
    )
    db.session.commit()
    figures = reports.month_figures(region("150621").id, NOV)
    assert figures["new"] == 1
    assert figures["completed"] == 1 and figures["terminated"] == 0
    assert figures["in_progress"] == 2  # ids[0] and ids[3]: ids[1] closed in November, ids[2] in October
    assert figures["overdue"] == 4  # half the items of the 4 cases were due on 11-05 (two per case → 4)


def test_only_banners_report_and_only_their_own_staff(app, staff, region, on_day):
    on_day("2026-11-20")
    with pytest.raises(ValidationError):
        reports.submit_report(region("150600").id, NOV, "", staff("agent"))
    with pytest.raises(NotFound):
        reports.submit_report(region("150622").id, NOV, "", staff("dlt_agent"))
    with pytest.raises(ValidationError):
        reports.submit_report(region("150621").id, dt.date(2026, 12, 1), "", staff("dlt_agent"))


def test_the_pages_submit_show_the_board_and_download_excel(login, region, on_day):
    on_day("2026-11-20")
    agent = login("dlt_agent")
    page = agent.get("/reports/?month=2026-11").get_data(as_text=True)
    assert "2026-11-24" in page
    agent.post("/reports/submit", data={"month": "2026-11", "problems": "用地指标不足"})
    page = agent.get("/reports/?month=2026-11").get_data(as_text=True)
    assert 'data-status="on_time"' in page and "用地指标不足" in page
    supervisor = login("supervisor")
    board = supervisor.get("/reports/board?month=2026-11").get_data(as_text=True)
    assert 'data-region="150621" data-status="on_time"' in board
    assert 'data-region="150622" data-status="missing"' in board
    rollup = supervisor.get("/reports/rollup?month=2026-11")
    sheet = openpyxl.load_workbook(io.BytesIO(rollup.data)).active
    rows = {r[0]: r for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows["达拉特旗"][1] == "按时报送" and rows["准格尔旗"][1] == "未报送"
    assert rows["达拉特旗"][-1] == "用地指标不足"
    report = db.session.scalar(select(MonthlyReport))
    single = openpyxl.load_workbook(io.BytesIO(supervisor.get(f"/reports/{report.id}/download").data)).active
    assert single.cell(row=3, column=1).value == "达拉特旗"
    assert json.loads(report.figures)["new"] == single.cell(row=3, column=5).value
    # Another banner's staff cannot fetch it.
    assert login("dlt_liaison_water").get(f"/reports/{report.id}/download").status_code in (403, 404)
