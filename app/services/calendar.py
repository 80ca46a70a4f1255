"""The one working-day service: built-in statutory calendar + entered years + single-day overrides."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import xlsxwriter
from sqlalchemy import select

from app.domain.enums import DayKind, from_chinese
from app.domain.errors import N_, FileRejected, Problem, ValidationError
from app.domain.workdays import BUILTIN_YEARS, WorkCalendar, sparse_schedule, usual_days_off
from app.extensions import db
from app.models import CalendarDay, CalendarYear, Staff
from app.models.org import now
from app.services.deadlines import recalculate
from app.services.tabular import Table
from app.services.uow import transaction
from app.services.work_calendar import add_working_days, work_calendar, working_days_between

__all__ = ["add_working_days", "work_calendar", "working_days_between"]  # the calendar's readers, re-exported


@dataclass(frozen=True)
class YearStatus:
    year: int
    source: str  # "builtin", "entered" or "missing"
    holidays: int
    workdays: int


def year_statuses(today: dt.date, around: int = 1) -> list[YearStatus]:
    """Status of the built-in years near today, every entered year, and next year."""
    entered = {y.year: y for y in db.session.scalars(select(CalendarYear))}
    counts: dict[tuple[int, str], int] = {}
    for day in db.session.scalars(select(CalendarDay)):
        counts[(day.day.year, day.kind)] = counts.get((day.day.year, day.kind), 0) + 1
    years = {today.year + offset for offset in range(-around, around + 1)} | set(entered)
    result = []
    for year in sorted(years):
        source = "entered" if year in entered else "builtin" if year in BUILTIN_YEARS else "missing"
        result.append(
            YearStatus(
                year,
                source,
                counts.get((year, DayKind.HOLIDAY.value), 0),
                counts.get((year, DayKind.WORKDAY.value), 0),
            )
        )
    return result


def missing_next_year(today: dt.date, warn_from_month: int) -> int | None:
    """Next year, if its schedule is unknown and it is time to warn about it; else None."""
    if today.month < warn_from_month:
        return None
    year = today.year + 1
    # Every page asks: one row looked up, not the whole calendar loaded.
    entered = frozenset(db.session.scalars(select(CalendarYear.year).where(CalendarYear.year == year)))
    return None if WorkCalendar(entered_years=entered).knows_year(year) else year


def set_day(day: dt.date, kind: DayKind, name: str, note: str, actor: Staff) -> CalendarDay:
    """Enter or change one day's status (an override of the statutory calendar); dependent dates follow."""
    with transaction():
        entry = _set_day(day, kind, name, note, actor)
        _recalculate(day, day, actor)
    return entry


def _set_day(day: dt.date, kind: DayKind, name: str, note: str, actor: Staff) -> CalendarDay:
    entry = db.session.scalar(select(CalendarDay).where(CalendarDay.day == day))
    if entry is None:
        entry = CalendarDay(day=day)
        db.session.add(entry)
    entry.kind = kind.value
    entry.name = (name or "").strip()[:100]
    entry.note = (note or "").strip()[:500]
    entry.entered_by_id = actor.id
    entry.entered_at = now()
    db.session.flush()
    return entry


def confirm_year(year: int, source: str, actor: Staff) -> CalendarYear:
    """Declare a year's schedule complete: from now on its days compute (weekdays + entered days)."""
    with transaction():
        confirmed = _confirm_year(year, source, actor)
        _recalculate(dt.date(year, 1, 1), dt.date(year, 12, 31), actor)
    return confirmed


def _recalculate(first: dt.date, last: dt.date, actor: Staff) -> None:
    # Every stored date and count whose span touches the changed days follows, in the same transaction.
    recalculate(first, last, actor)


def _confirm_year(year: int, source: str, actor: Staff) -> CalendarYear:
    if year in BUILTIN_YEARS:
        raise ValidationError(N_("%(year)s is already known from the statutory calendar."), year=year)
    if not source.strip():
        raise ValidationError(N_("Name the State Council notice the schedule comes from."))
    days = db.session.scalars(
        select(CalendarDay).where(CalendarDay.day.between(dt.date(year, 1, 1), dt.date(year, 12, 31)))
    )
    if not any(d.kind == DayKind.HOLIDAY.value for d in days):
        raise ValidationError(N_("Enter the holidays of %(year)s before confirming the year."), year=year)
    entry = db.session.get(CalendarYear, year) or CalendarYear(year=year)
    entry.source = source.strip()[:300]
    entry.confirmed_by_id = actor.id
    entry.confirmed_at = now()
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass(frozen=True)
class ScheduleImport:
    year: int
    holidays: int
    workdays: int


_DATE_HEADERS = {"日期", "date"}
_KIND_HEADERS = {"类型", "type", "kind"}
_NAME_HEADERS = {"名称", "节日", "name", "holiday"}


def import_year(table: Table, year: int, source: str, actor: Staff, complete: bool = False) -> ScheduleImport:
    """Enter a whole year's schedule from a table (日期, 类型 休/班, 名称) and confirm it; all or nothing.

    A file with far fewer days off than a year's schedule has is refused unless `complete` says it is the whole
    notice (a one-day file was taken for a confirmed year and every due date of that year computed on it).
    """
    problems: list[Problem] = []
    header_row, header = table.header_row(lambda cells: any(c.lower() in _DATE_HEADERS for c in cells))
    if header is None:
        raise FileRejected([Problem(None, None, N_("No header row with a column named 日期 (date) was found."))])
    columns = {c.lower(): i for i, c in enumerate(header)}
    date_col = next((columns[h] for h in _DATE_HEADERS if h in columns), None)
    kind_col = next((columns[h] for h in _KIND_HEADERS if h in columns), None)
    name_col = next((columns[h] for h in _NAME_HEADERS if h in columns), None)
    if kind_col is None:
        raise FileRejected([Problem(header_row, None, N_("The column 类型 (type: 休 or 班) is missing."))])
    entries: dict[dt.date, tuple[DayKind, str, int]] = {}
    for row_number, cells in table.rows_after(header_row):
        raw_date = cells[date_col] if date_col is not None and date_col < len(cells) else ""
        raw_kind = cells[kind_col] if kind_col < len(cells) else ""
        name = cells[name_col] if name_col is not None and name_col < len(cells) else ""
        day = _parse_date(raw_date)
        if day is None:
            problems.append(Problem(row_number, header[date_col], N_("“%(value)s” is not a date."), value=raw_date))
            continue
        if day.year != year:
            problems.append(
                Problem(row_number, header[date_col], N_("%(day)s is not in %(year)s."), day=day.isoformat(), year=year)
            )
        kind = from_chinese(DayKind, raw_kind)
        if kind is None:
            problems.append(
                Problem(row_number, header[kind_col], N_("“%(value)s” is neither 休 nor 班."), value=raw_kind)
            )
            continue
        if day in entries:
            problems.append(Problem(row_number, header[date_col], N_("%(day)s is listed twice."), day=day.isoformat()))
        entries[day] = (kind, name, row_number)
    if not entries and not problems:
        problems.append(Problem(None, None, N_("The file has no data rows.")))
    if problems:
        raise FileRejected(problems)
    if not any(kind is DayKind.HOLIDAY for kind, _, _ in entries.values()):
        raise FileRejected([Problem(None, None, N_("The schedule lists no holiday."))])
    days_off, usual = sum(1 for kind, _, _ in entries.values() if kind is DayKind.HOLIDAY), usual_days_off()
    if sparse_schedule(days_off, usual) and not complete:
        raise FileRejected(
            [
                Problem(
                    None,
                    None,
                    N_(
                        "The file lists %(n)s days off; a year's schedule usually has about %(usual)s. Check that it "
                        "holds the whole notice, or tick “The file is the whole schedule” to enter it as it is."
                    ),
                    n=days_off,
                    usual=usual,
                )
            ]
        )
    with transaction():
        for day, (kind, name, _) in entries.items():
            _set_day(day, kind, name, source, actor)
        confirmed = _confirm_year(year, source, actor)
        _recalculate(dt.date(year, 1, 1), dt.date(year, 12, 31), actor)
    holidays = sum(1 for kind, _, _ in entries.values() if kind is DayKind.HOLIDAY)
    return ScheduleImport(confirmed.year, holidays, len(entries) - holidays)


def _parse_date(value: str) -> dt.date | None:
    text = value.strip().replace("/", "-").replace(".", "-")
    text = text.replace("年", "-").replace("月", "-").replace("日", "")
    if " " in text:
        text = text.split(" ")[0]
    try:
        return dt.date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))
    except ValueError:
        return None


def schedule_template(year: int) -> bytes:
    """An import file to fill in: the columns the import reads, the usual size of a year, two example rows."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(f"{year}")
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    hint = workbook.add_format({"italic": True, "font_color": "#666666"})
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["日期", "类型", "名称"], bold)
    sheet.write_datetime(1, 0, dt.datetime(year, 1, 1), date)
    sheet.write_row(1, 1, ["休", "元旦"])
    sheet.write_row(2, 1, ["班", "春节调休上班"])
    sheet.write(2, 0, f"{year}-02-07")
    sheet.write(
        4,
        0,
        f"每个放假日（含周末）一行写“休”，每个调休上班日一行写“班”；按国务院办公厅通知填写全年，"
        f"通常约 {usual_days_off()} 个放假日。以上两行为示例，请替换。",
        hint,
    )
    sheet.data_validation(1, 1, 400, 1, {"validate": "list", "source": ["休", "班"]})
    sheet.set_column(0, 0, 14)
    sheet.set_column(2, 2, 24)
    workbook.close()
    return buffer.getvalue()
