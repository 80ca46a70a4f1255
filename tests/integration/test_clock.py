"""One clock: timestamps are stored in the server's clock (UTC in production) and every page, sheet and
message shows them in the service's zone; today's date is Ordos's date, not the server's."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import update

from app.extensions import db
from app.models import CaseEvent, MonthlyReport
from app.services import clock, leads, reports, training
from app.services.engine import stale
from tests.factories import apply, catalog_ids
from tests.integration.test_leads import _values as lead_values

pytestmark = pytest.mark.every_engine  # timestamps as each engine stores them

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOV = dt.date(2026, 11, 1)


def stored(*shanghai_wall_clock: int) -> dt.datetime:
    """How the server's clock stores a moment given as Ordos wall-clock time (whatever zone this machine runs in)."""
    return dt.datetime(*shanghai_wall_clock, tzinfo=SHANGHAI).astimezone().replace(tzinfo=None)


def _ok(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_a_stored_time_reads_as_ordos_wall_clock_time(app):
    moment = stored(2026, 12, 7, 6, 32)  # 22:32 UTC the evening before
    assert clock.stamp(moment) == "2026-12-07 06:32"
    assert clock.local_date(moment) == dt.date(2026, 12, 7)


def test_today_is_the_date_in_ordos_not_on_the_server(app):
    app.config.pop("TODAY", None)
    assert clock.today() == dt.datetime.now(SHANGHAI).date()
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Pacific/Kiritimati"  # UTC+14: a day ahead of most servers
    try:
        assert clock.today() == dt.datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    finally:
        app.config["BABEL_DEFAULT_TIMEZONE"] = "Asia/Shanghai"


def test_a_report_sent_after_midnight_in_ordos_on_the_25th_is_late():
    assert reports.status_of(stored(2026, 11, 24, 23, 59), NOV) == "on_time"
    assert reports.status_of(stored(2026, 11, 25, 0, 30), NOV) == "late"  # 16:30 UTC on the 24th


def test_the_case_page_the_lead_page_and_the_training_plan_show_the_same_local_time(app, staff, login, today_is):
    agent = staff("dlt_agent")
    case = apply(agent, names=("取水许可审批",))
    lead = leads.create_lead(agent.region_id, lead_values(agent), catalog_ids("150621", "取水许可审批"), agent)
    plan = training.create_plan(
        agent.region_id,
        {"year": 2026, "title": "代办业务能力培训", "starts_on": dt.date(2026, 3, 1), "ends_on": dt.date(2026, 6, 30)},
        agent,
    )
    moment = stored(2026, 11, 20, 6, 32)
    db.session.execute(update(CaseEvent).values(at=moment))
    db.session.commit()
    browser = login("dlt_agent")
    for url in (f"/cases/{case.id}", f"/leads/{lead.id}", f"/training/plans/show/{plan.id}"):
        page = _ok(browser.get(url))
        assert "2026-11-20 06:32" in page, url


def test_the_monthly_board_the_report_page_and_its_sheet_show_local_submission_times(app, staff, region, login):
    app.config["TODAY"] = "2026-11-25"
    report = reports.submit_report(region("150621").id, NOV, "", staff("dlt_agent"))
    moment = stored(2026, 11, 25, 7, 5)  # 23:05 UTC on the 24th: still late in Ordos
    db.session.execute(update(MonthlyReport).where(MonthlyReport.id == report.id).values(submitted_at=moment))
    db.session.commit()
    board = _ok(login("supervisor").get("/reports/board?month=2026-11"))
    row = board.split('data-region="150621"', 1)[1].split("</tr>", 1)[0]
    assert 'data-status="late"' in row and "2026-11-25 07:05" in row
    month = _ok(login("dlt_agent").get("/reports/?month=2026-11"))
    assert "2026-11-25 07:05" in month
    sheet = openpyxl.load_workbook(io.BytesIO(login("dlt_agent").get(f"/reports/{report.id}/download").data)).active
    times = [c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, dt.datetime)]
    assert times == [dt.datetime(2026, 11, 25, 7, 5)]


def test_a_stale_form_names_the_other_save_in_local_time(app, staff):
    case = apply(staff("dlt_agent"), names=("取水许可审批",))
    case.updated_at = stored(2026, 11, 20, 6, 32)
    db.session.commit()
    assert stale(case).params["when"].startswith("2026-11-20 06:32")
