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
from app.models import Case, CaseItem, MonthlyReport
from app.services import reports
from app.services.ledger import LedgerScope, region_scope_for, write_ledger
from tests.factories import bulk_cases

pytestmark = pytest.mark.every_engine  # report figures aggregated in SQL

NOV = dt.date(2026, 11, 1)


@pytest.fixture
def on_day(app):
    def set_day(day: str) -> None:
        app.config["TODAY"] = day

    yield set_day
    app.config.pop("TODAY", None)


def test_the_status_is_missing_without_a_report():  # on time / late around the 24th: test_clock, in Ordos time
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
    assert figures["overdue_handling"] == 4  # half the items of the 4 cases were due on 11-05 (two per case → 4)
    assert figures["late_filing"] == 0  # every item is filed


def _set_item(case_id, position, **values):
    db.session.execute(
        update(CaseItem).where(CaseItem.case_id == case_id, CaseItem.position == position).values(**values)
    )


def _both_kinds_of_overdue():
    """达拉特旗 on 2026-11-27 with 5 items past their due date and 2 past their planned filing."""
    ids = bulk_cases("150621", 6)  # odd cases' items were due 11-05, even cases' 12-10; all accepted
    bulk_cases("150622", 2, batch="Z")  # another banner's overdue item counts only there
    late, soon = dt.date(2026, 11, 20), dt.date(2026, 12, 1)
    _set_item(ids[0], 0, state="planned", accepted_on=None, planned_filing_on=late)  # 逾期申报
    _set_item(ids[0], 1, state="preparing", accepted_on=None, planned_filing_on=soon)  # not yet due
    _set_item(ids[1], 0, state="supplement", paused_since=dt.date(2026, 11, 10))  # paused after due: 超期办理
    _set_item(ids[1], 1, state="approved", closed_on=dt.date(2026, 11, 20))  # closed late: no longer open
    _set_item(ids[2], 0, state="supplement", paused_since=dt.date(2026, 11, 1))  # paused in time
    _set_item(ids[4], 0, state="planned", accepted_on=None, planned_filing_on=dt.date(2026, 11, 2))  # 逾期申报
    db.session.commit()


def test_the_monthly_report_and_the_ledger_count_overdue_items_alike(app, region, on_day):
    on_day("2026-11-27")
    _both_kinds_of_overdue()
    figures = reports.month_figures(region("150621").id, NOV)
    assert (figures["overdue_handling"], figures["late_filing"]) == (5, 2)
    for code in ("150621", "150600"):  # the banner's own ledger and the city's, row 达拉特旗
        scope_region, ids = region_scope_for(code)
        buffer = io.BytesIO()
        stats = write_ledger(buffer, LedgerScope(ids, scope_region.name))
        book = openpyxl.load_workbook(buffer)
        summary = book["汇总"]
        head = [c.value for c in summary[3]]
        row = next(r for r in summary.iter_rows(min_row=4, values_only=True) if r[0] == "达拉特旗")
        assert row[head.index("超期办理")] == figures["overdue_handling"]
        assert row[head.index("逾期申报")] == figures["late_filing"]
        listed = [r for r in book["超期事项"].iter_rows(min_row=4, values_only=True) if r[1] == "达拉特旗"]
        assert sorted(r[-1] for r in listed) == ["超期办理"] * 5 + ["逾期申报"] * 2
    assert stats.overdue == 7 + 2  # the city's overdue sheet adds 准格尔旗's two items due 11-05


def test_the_board_and_the_report_workbook_show_both_overdue_figures(login, on_day):
    on_day("2026-11-27")
    _both_kinds_of_overdue()
    agent = login("dlt_agent")
    page = agent.get("/reports/?month=2026-11").get_data(as_text=True)
    assert 'data-key="overdue_handling">5<' in page and 'data-key="late_filing">2<' in page
    assert "超期办理" in page and "逾期申报" in page and "口径与台账一致" in page
    agent.post("/reports/submit", data={"month": "2026-11", "problems": ""})
    supervisor = login("supervisor")
    board = supervisor.get("/reports/board?month=2026-11").get_data(as_text=True)
    assert 'data-key="overdue_handling">5<' in board and 'data-key="late_filing">2<' in board
    sheet = openpyxl.load_workbook(io.BytesIO(supervisor.get("/reports/rollup?month=2026-11").data)).active
    head = [c.value for c in sheet[2]]
    row = next(r for r in sheet.iter_rows(min_row=3, values_only=True) if r[0] == "达拉特旗")
    assert (row[head.index("超期办理")], row[head.index("逾期申报")]) == (5, 2)


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
