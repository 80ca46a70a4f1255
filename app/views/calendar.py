"""Working-day calendar screens: entered days, year schedules (typed or imported), and a calculator."""

from __future__ import annotations

import io
from typing import Any

from flask import current_app, flash, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.domain.enums import DayKind
from app.domain.errors import DomainError
from app.models import CalendarDay
from app.services import calendar as calendar_service
from app.services.clock import today
from app.services.tabular import read_table
from app.texts import enum_label
from app.views.base import DateInput, EagerInterface, ServiceModelView, actor, error_text, run_service


class CalendarDayEditForm(DynamicForm):
    kind = SelectField(
        lazy_gettext("Kind"),
        choices=[SelectChoice(k.value, lazy_gettext(k.label)) for k in DayKind],
        validators=[DataRequired()],
    )
    name = StringField(lazy_gettext("Name"), validators=[Length(max=100)], description=lazy_gettext("e.g. 春节"))
    note = StringField(lazy_gettext("Note"), validators=[Length(max=500)])


class CalendarDayForm(CalendarDayEditForm):
    day = DateInput(lazy_gettext("Date"), validators=[InputRequired()])


class CalendarDayView(ServiceModelView):
    """Days an administrator entered: holidays and make-up working days, overriding the statutory data."""

    route_base = "/calendar/days"
    datamodel = EagerInterface(CalendarDay, eager=("entered_by",))
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    base_order = ("day", "desc")
    list_title = lazy_gettext("Entered calendar days")
    show_title = lazy_gettext("Calendar day")
    add_title = lazy_gettext("Enter a calendar day")
    edit_title = lazy_gettext("Change a calendar day")
    list_columns = ["day", "kind", "name", "note", "entered_by", "entered_at"]
    show_columns = list_columns
    search_columns = ["day", "kind", "name"]
    add_form = CalendarDayForm
    edit_form = CalendarDayEditForm
    add_columns = ["day", "kind", "name", "note"]
    edit_columns = ["kind", "name", "note"]
    label_columns = {
        "day": lazy_gettext("Date"),
        "kind": lazy_gettext("Kind"),
        "name": lazy_gettext("Name"),
        "note": lazy_gettext("Note"),
        "entered_by": lazy_gettext("Entered by"),
        "entered_at": lazy_gettext("Entered at"),
    }
    formatters_columns = {"kind": enum_label(DayKind)}

    def service_add(self, form: CalendarDayForm) -> None:
        calendar_service.set_day(form.day.data, DayKind(form.kind.data), form.name.data, form.note.data, actor())

    def service_edit(self, item: CalendarDay, form: CalendarDayEditForm) -> None:
        calendar_service.set_day(item.day, DayKind(form.kind.data), form.name.data, form.note.data, actor())


class ScheduleImportForm(FlaskForm):
    year = IntegerField(lazy_gettext("Year"), validators=[DataRequired(), NumberRange(2000, 2100)])
    source = StringField(
        lazy_gettext("Source (State Council notice)"),
        validators=[DataRequired(), Length(max=300)],
        description=lazy_gettext("e.g. 国务院办公厅关于2027年部分节假日安排的通知"),
    )
    file = FileField(lazy_gettext("Excel or CSV file: 日期, 类型 (休/班), 名称"), validators=[FileRequired()])
    complete = BooleanField(
        lazy_gettext("The file is the whole schedule"),
        description=lazy_gettext("Tick only when a file with far fewer days off than usual is the whole notice."),
    )


class ConfirmYearForm(FlaskForm):
    year = IntegerField(lazy_gettext("Year"), validators=[DataRequired(), NumberRange(2000, 2100)])
    source = StringField(lazy_gettext("Source (State Council notice)"), validators=[DataRequired(), Length(max=300)])


class CalendarYearView(BaseView):
    """Which years the calendar knows, and the two ways to enter one: day by day then confirm, or a file."""

    route_base = "/calendar/years"
    default_view = "years"
    base_permissions = ["can_years", "can_import", "can_confirm"]

    def _page(self, import_form: ScheduleImportForm, confirm_form: ConfirmYearForm) -> Any:
        return self.render_template(
            "calendar/years.html",
            title=gettext("Working-day calendar"),
            statuses=calendar_service.year_statuses(today()),
            import_form=import_form,
            confirm_form=confirm_form,
        )

    @expose("/")
    @has_access
    def years(self) -> Any:
        next_year = today().year + 1
        return self._page(ScheduleImportForm(year=next_year), ConfirmYearForm(year=next_year))

    @expose("/import", methods=["POST"])
    @has_access
    @permission_name("import")
    def import_(self) -> Any:
        form = ScheduleImportForm()
        if form.validate_on_submit():
            upload = form.file.data
            limit = current_app.config["UPLOAD_MAX_BYTES"]
            result: list[calendar_service.ScheduleImport] = []

            def run() -> None:
                table = read_table(upload.read(limit + 1), upload.filename or "", limit)
                result.append(
                    calendar_service.import_year(
                        table, form.year.data, form.source.data, actor(), complete=bool(form.complete.data)
                    )
                )

            if run_service(run):
                done = result[0]
                flash(
                    gettext(
                        "%(year)s entered: %(holidays)s days off and %(workdays)s make-up working days.",
                        year=done.year,
                        holidays=done.holidays,
                        workdays=done.workdays,
                    ),
                    "success",
                )
                return redirect(url_for(".years"))
        return self._page(form, ConfirmYearForm())

    @expose("/template")
    @has_access
    @permission_name("import")
    def template(self) -> Any:
        """The import file to fill in for a year (the next one by default)."""
        year = request.args.get("year", type=int) or today().year + 1
        year = year if 2000 <= year <= 2100 else today().year + 1
        data = calendar_service.schedule_template(year)
        return send_file(
            io.BytesIO(data),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            as_attachment=True,
            download_name=f"holiday-schedule-{year}.xlsx",
        )

    @expose("/confirm", methods=["POST"])
    @has_access
    @permission_name("confirm")
    def confirm(self) -> Any:
        form = ConfirmYearForm()
        if form.validate_on_submit():
            message = gettext("%(year)s confirmed: its due dates now compute.", year=form.year.data)
            if run_service(lambda: calendar_service.confirm_year(form.year.data, form.source.data, actor()), message):
                return redirect(url_for(".years"))
        return self._page(ScheduleImportForm(), form)


class CalculatorForm(FlaskForm):
    class Meta:
        csrf = False  # a read-only calculation submitted by GET

    start = DateInput(lazy_gettext("Start date"), validators=[InputRequired()])
    days = IntegerField(lazy_gettext("Working days"), validators=[Optional(), NumberRange(0, 1000)])
    end = DateInput(lazy_gettext("End date"), validators=[Optional()])


class WorkdayCalculatorView(BaseView):
    """“N working days after D” and “working days between A and B”, on the statutory calendar."""

    route_base = "/calendar/calculator"
    default_view = "calculate"
    base_permissions = ["can_calculate"]

    @expose("/")
    @has_access
    def calculate(self) -> Any:
        form = CalculatorForm(request.args)
        answer = None
        if request.args and form.validate():
            try:
                answer = self._answer(form)
            except DomainError as error:
                flash(error_text(error), "danger")
        return self.render_template(
            "calendar/calculator.html", title=gettext("Working-day calculator"), form=form, answer=answer
        )

    @staticmethod
    def _answer(form: CalculatorForm) -> str | None:
        calendar = calendar_service.work_calendar()
        parts = []
        if form.days.data is not None:
            due = calendar.add_working_days(form.start.data, form.days.data)
            parts.append(
                gettext(
                    "%(days)s working days after %(start)s is %(due)s.",
                    days=form.days.data,
                    start=form.start.data.isoformat(),
                    due=due.isoformat(),
                )
            )
        if form.end.data is not None:
            count = calendar.working_days_between(form.start.data, form.end.data)
            parts.append(
                gettext(
                    "From %(start)s to %(end)s there are %(count)s working days.",
                    start=form.start.data.isoformat(),
                    end=form.end.data.isoformat(),
                    count=count,
                )
            )
        return " ".join(parts) or None
