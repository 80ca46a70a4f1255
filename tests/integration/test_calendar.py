"""The working-day service: entering an unknown year (by file or day by day), overrides, and the warning."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from app.domain.enums import DayKind
from app.domain.errors import FileRejected, UnknownCalendarYear, ValidationError
from app.extensions import db
from app.models import CalendarDay, CalendarYear
from app.services import calendar
from app.services.tabular import read_table
from tests.helpers import xlsx_bytes

pytestmark = pytest.mark.every_engine  # due dates recomputed in bulk

D = dt.date
# An invented 2027 schedule for tests only (the real one comes from the State Council notice).
SCHEDULE_2027 = [
    ["日期", "类型", "名称"],
    ["2027-01-01", "休", "元旦"],
    ["2027-02-06", "班", "春节调休"],
    ["2027-02-08", "休", "春节"],
    ["2027-02-09", "休", "春节"],
]


def _import(rows, year=2027, actor=None, complete=True):
    """An excerpt of a notice (a few days, not the ~30 of a real one): entered as the whole schedule."""
    table = read_table(xlsx_bytes(rows), "2027.xlsx", 2 * 1024 * 1024)
    return calendar.import_year(table, year, "测试用节假日安排", actor, complete=complete)


def test_a_limit_reaching_into_an_unentered_year_is_an_error_not_a_guess(app):
    with pytest.raises(UnknownCalendarYear):
        calendar.add_working_days(D(2026, 12, 15), 20)


def test_once_next_years_schedule_is_imported_the_limit_computes(app, staff):
    done = _import(SCHEDULE_2027, actor=staff("admin"))
    assert (done.holidays, done.workdays) == (3, 1)
    # 2026-12-15 (Tue) + 20 working days: Dec 16–31 gives 12, then Jan 4–8 (17), 11–13 (20); Jan 1 is off.
    assert calendar.add_working_days(D(2026, 12, 15), 20) == D(2027, 1, 13)
    assert calendar.work_calendar().is_workday(D(2027, 2, 6))  # the make-up Saturday
    assert not calendar.work_calendar().is_workday(D(2027, 2, 8))


def test_a_bad_schedule_file_names_the_rows_and_enters_nothing(app, staff):
    rows = [*SCHEDULE_2027, ["2028-01-01", "休", "元旦"], ["2027-03-01", "放假吗", ""], ["明天", "休", ""]]
    with pytest.raises(FileRejected) as raised:
        _import(rows, actor=staff("admin"))
    assert {p.row for p in raised.value.problems} == {6, 7, 8}
    assert db.session.scalar(select(func.count(CalendarDay.id))) == 0
    assert db.session.get(CalendarYear, 2027) is None


def test_a_builtin_year_cannot_be_replaced_by_a_file(app, staff):
    rows = [["日期", "类型"], ["2026-10-09", "休"]]
    with pytest.raises(ValidationError):
        _import(rows, year=2026, actor=staff("admin"))
    assert db.session.scalar(select(func.count(CalendarDay.id))) == 0


def test_a_year_entered_day_by_day_computes_only_once_confirmed(app, staff):
    admin = staff("admin")
    with pytest.raises(ValidationError):
        calendar.confirm_year(2027, "国务院办公厅通知", admin)  # no holiday entered yet
    calendar.set_day(D(2027, 1, 1), DayKind.HOLIDAY, "元旦", "", admin)
    with pytest.raises(UnknownCalendarYear):
        calendar.add_working_days(D(2026, 12, 31), 1)
    calendar.confirm_year(2027, "国务院办公厅通知", admin)
    assert calendar.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)


def test_an_admin_override_of_one_day_changes_the_arithmetic(app, staff):
    assert calendar.add_working_days(D(2026, 11, 5), 1) == D(2026, 11, 6)
    calendar.set_day(D(2026, 11, 6), DayKind.HOLIDAY, "防汛应急停工", "", staff("admin"))
    assert calendar.add_working_days(D(2026, 11, 5), 1) == D(2026, 11, 9)


def test_admins_are_warned_from_october_while_next_year_is_missing(app):
    assert calendar.missing_next_year(D(2026, 9, 30), 10) is None
    assert calendar.missing_next_year(D(2026, 10, 1), 10) == 2027
    assert calendar.missing_next_year(D(2025, 11, 1), 10) is None  # 2026 is built in


def test_the_warning_banner_reaches_everyone_once_a_page_and_goes_once_entered(app, login, staff):
    app.config["TODAY"] = "2026-11-27"
    try:
        admin = login("admin").get("/").get_data(as_text=True)
        assert admin.count("2027 年的法定节假日安排尚未录入") == 1 and 'href="/calendar/years/"' in admin
        for name in ("dlt_agent", "supervisor", "dlt_liaison_water"):
            page = login(name).get("/").get_data(as_text=True)
            assert page.count("2027 年的法定节假日安排尚未录入") == 1, name
            assert "待管理员录入后自动计算" in page and 'href="/calendar/years/"' not in page, name
        _import(SCHEDULE_2027, actor=staff("admin"))
        assert "法定节假日安排尚未录入" not in login("admin").get("/").get_data(as_text=True)
    finally:
        app.config.pop("TODAY")


def test_the_schedule_page_imports_a_year_and_the_calculator_then_answers(login):
    client = login("admin")
    before = client.get("/calendar/calculator/?start=2026-12-15&days=20").get_data(as_text=True)
    assert "2027 年的法定节假日安排尚未录入" in before
    response = client.post(
        "/calendar/years/import",
        data={"year": 2027, "source": "测试通知", "file": (io.BytesIO(xlsx_bytes(SCHEDULE_2027)), "2027.xlsx")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "放假 3 天" in page and "通常约有" in page  # three days off: not taken for a whole year unasked
    assert "法定节假日安排尚未录入" in client.get("/calendar/calculator/?start=2026-12-15&days=20").get_data(
        as_text=True
    )
    response = client.post(
        "/calendar/years/import",
        data={
            "year": 2027,
            "source": "测试通知",
            "complete": "y",
            "file": (io.BytesIO(xlsx_bytes(SCHEDULE_2027)), "2027.xlsx"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "2027 年已录入：放假 3 天，调休上班 1 天。" in response.get_data(as_text=True)
    after = client.get("/calendar/calculator/?start=2026-12-15&days=20").get_data(as_text=True)
    assert "2027-01-13" in after


def test_a_file_with_far_fewer_days_off_than_a_year_has_is_refused_unless_said_to_be_whole(app, staff):
    with pytest.raises(FileRejected) as refused:
        _import([["日期", "类型", "名称"], ["2027-01-01", "休", "元旦"]], actor=staff("admin"), complete=False)
    assert "1" in str(refused.value.problems[0].params["n"]) and refused.value.problems[0].params["usual"] >= 20
    assert not calendar.work_calendar().knows_year(2027)  # nothing entered, nothing confirmed


def test_the_template_to_fill_in_has_the_columns_the_import_reads(login):
    response = login("admin").get("/calendar/years/template?year=2027")
    assert response.status_code == 200 and "holiday-schedule-2027.xlsx" in response.headers["Content-Disposition"]
    table = read_table(response.data, "holiday-schedule-2027.xlsx", 2 * 1024 * 1024)
    header_row, header = table.header_row(lambda cells: "日期" in cells)
    assert header[:3] == ["日期", "类型", "名称"]
    rows = [cells[:3] for _, cells in table.rows_after(header_row) if cells[1:2] in (["休"], ["班"])]
    assert rows == [["2027-01-01", "休", "元旦"], ["2027-02-07", "班", "春节调休上班"]]
    assert login("dlt_agent").get("/calendar/years/template?year=2027").status_code in (302, 403)
