"""Training screens (培训): plans with their sessions and attendance, hours per person, the 培训台账 export."""

from __future__ import annotations

import io
from typing import Any

from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.forms import DynamicForm
from flask_babel import get_locale, gettext, lazy_gettext
from wtforms import DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.domain.errors import N_, DomainError, NotFound, ValidationError
from app.domain.training import FIRST_YEAR, LAST_YEAR, AttendanceStatus
from app.models.training import TrainingPlan
from app.services import training
from app.services.clock import today
from app.services.roles import role_label
from app.services.scope import visible_region_ids
from app.views.base import DateInput, EagerInterface, ServiceModelView, actor, flash_error, region_scope

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

PLAN_LABELS = {
    "region": lazy_gettext("Level"),
    "region_id": lazy_gettext("Level"),
    "year": lazy_gettext("Year"),
    "title": lazy_gettext("Title"),
    "starts_on": lazy_gettext("Starts on"),
    "ends_on": lazy_gettext("Ends on"),
    "organiser": lazy_gettext("Organiser"),
    "audience": lazy_gettext("Audience"),
    "hours": lazy_gettext("Planned hours"),
    "content": lazy_gettext("Content"),
    "trainer": lazy_gettext("Trainer"),
}
TIMELINE_ACTIONS = {
    "created": lazy_gettext("Plan created"),
    "edit": lazy_gettext("Plan corrected"),
    "session": lazy_gettext("Session added"),
    "attendance": lazy_gettext("Training attendance recorded"),
}


class PlanForm(DynamicForm):
    year = IntegerField(PLAN_LABELS["year"], validators=[InputRequired(), NumberRange(FIRST_YEAR, LAST_YEAR)])
    title = StringField(PLAN_LABELS["title"], validators=[DataRequired(), Length(max=200)])
    starts_on = DateInput(PLAN_LABELS["starts_on"], validators=[Optional()])
    ends_on = DateInput(PLAN_LABELS["ends_on"], validators=[Optional()])
    organiser = StringField(
        PLAN_LABELS["organiser"],
        validators=[Length(max=100)],
        description=lazy_gettext("e.g. 市行政审批和政务服务局"),
    )
    audience = StringField(
        PLAN_LABELS["audience"],
        validators=[Length(max=200)],
        description=lazy_gettext("e.g. 代办员、部门代办员"),
    )
    hours = DecimalField(
        PLAN_LABELS["hours"],
        places=1,
        validators=[Optional(), NumberRange(0.1, 9999.9)],
        render_kw={"class": "form-control", "type": "number", "step": "0.5", "min": "0.5", "style": "width:10em"},
    )
    trainer = StringField(PLAN_LABELS["trainer"], validators=[Length(max=100)])
    content = TextAreaField(
        PLAN_LABELS["content"], validators=[Length(max=4000)], render_kw={"class": "form-control", "rows": 5}
    )


class PlanAddForm(PlanForm):
    region_id = SelectField(
        PLAN_LABELS["region_id"],
        coerce=int,
        validators=[DataRequired()],
        description=lazy_gettext("The city or banner whose training this is; its staff attend."),
    )


def _plan_values(form: PlanForm) -> dict[str, Any]:
    return {key: form[key].data for key in training.PLAN_FIELDS}


def _status_labels() -> dict[str, str]:
    return {s.value: gettext(s.label) for s in AttendanceStatus}


def _year() -> int:
    raw = request.args.get("year", "")
    return int(raw) if raw.isdigit() and FIRST_YEAR <= int(raw) <= LAST_YEAR else today().year


def _hours_text(value: Any) -> str:
    """Hours as people write them: 3, 1.5 (never 3.0 or 1.50)."""
    if value is None:
        return ""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


class TrainingPlanView(ServiceModelView):
    """培训计划: plans per year and level; the plan page holds its sessions, attendance and timeline."""

    route_base = "/training/plans"
    datamodel = EagerInterface(TrainingPlan, eager=("region",), order=("-id",))
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_session", "can_attendance", "can_ledger"]
    base_filters = region_scope()
    base_order = ("year", "desc")
    list_title = lazy_gettext("Training plans")
    show_title = lazy_gettext("Training plan")
    add_title = lazy_gettext("New training plan")
    edit_title = lazy_gettext("Edit training plan")
    list_columns = ["year", "region", "title", "starts_on", "ends_on", "organiser", "hours", "trainer"]
    show_columns = ["year", "region", "title", "starts_on", "ends_on", "organiser", "audience", "hours", "trainer"]
    order_columns = ["year", "title", "starts_on"]
    search_columns = ["year", "title", "organiser", "trainer"]
    add_form = PlanAddForm
    edit_form = PlanForm
    add_columns = ["region_id", *training.PLAN_FIELDS]
    edit_columns = list(training.PLAN_FIELDS)
    label_columns = PLAN_LABELS
    formatters_columns = {"hours": _hours_text}
    show_template = "training/plan.html"
    list_template = "training/plan_list.html"

    def fill_form(self, form: DynamicForm, item: TrainingPlan | None = None) -> None:
        if item is None:
            regions = training.plan_regions(actor())
            form.region_id.choices = [SelectChoice(r.id, r.name) for r in regions]
            if request.method == "GET":
                form.year.data = form.year.data or today().year
                if actor().region_id in {r.id for r in regions}:
                    form.region_id.data = actor().region_id

    def check_form(self, form: DynamicForm, item: TrainingPlan | None = None) -> bool:
        starts, ends, year = form.starts_on.data, form.ends_on.data, form.year.data
        ok = True
        for field in (form.starts_on, form.ends_on):
            if field.data is not None and isinstance(year, int) and field.data.year != year:
                field.errors = [*field.errors, gettext("The dates of a plan lie in its year (%(year)s).", year=year)]
                ok = False
        if starts is not None and ends is not None and ends < starts:
            form.ends_on.errors = [*form.ends_on.errors, gettext("The end date is before the start date.")]
            ok = False
        return ok

    def service_add(self, form: PlanAddForm) -> None:
        training.create_plan(form.region_id.data, _plan_values(form), actor())

    def service_edit(self, item: TrainingPlan, form: PlanForm) -> None:
        training.update_plan(item.id, _plan_values(form), actor())

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk: Any) -> Any:
        pk = self._deserialize_pk_if_composite(pk)
        widgets = self._show(pk)  # 404 outside the user's scope
        plan = self.datamodel.get(pk, self._base_filters)
        return self._plan_page(plan, widgets)

    def _plan_page(self, plan: TrainingPlan, widgets: Any = None, session_form: dict[str, str] | None = None) -> Any:
        return self.render_template(
            self.show_template,
            pk=plan.id,
            title=self.show_title,
            widgets=widgets or self._show(plan.id),
            related_views=[],
            plan=plan,
            counts=training.session_counts(plan.id),
            staff_count=training.staff_count(plan.region_id),
            history=training.history(plan.id, actor()),
            actions=TIMELINE_ACTIONS,
            note_text=self._note_text,
            hours_text=_hours_text,
            session_form=session_form or {},
        )

    def _note_text(self, action: str, note: str) -> str:
        """Timeline notes keep field keys and status codes; show them in the user's language."""
        if action == "edit":
            parts = []
            for change in note.split("; "):
                key, _, rest = change.partition(": ")
                label = PLAN_LABELS.get(key)
                parts.append(f"{label}: {rest}" if label is not None and rest else change)
            note = "; ".join(parts)
        if action == "attendance":
            for status in AttendanceStatus:
                note = note.replace(f"{status.value} ", f"{gettext(status.label)} ")
        if str(get_locale()) != "en":
            note = (
                note.replace(": ", "：")
                .replace("; ", "；")
                .replace(", ", "，")
                .replace(" (", "（")
                .replace(" h)", " 学时）")
            )
        return note

    @expose("/<int:pk>/session", methods=["POST"])
    @has_access
    def session(self, pk: int) -> Any:
        """Add a session to a plan (date, hours, topic); a refusal keeps the input on the plan page."""
        plan = self.datamodel.get(pk, self._base_filters)
        if plan is None:
            abort(404)
        values = {key: request.form.get(key, "").strip() for key in ("held_on", "hours", "topic")}
        try:
            held_on = _date(values["held_on"])
            training.add_session(plan.id, held_on, values["hours"], values["topic"], actor())
        except DomainError as error:
            flash_error(error)
            return self._plan_page(plan, session_form=values)
        flash(gettext("Session added."), "success")
        return redirect(url_for(".show", pk=plan.id))

    @expose("/attendance/<int:session_id>", methods=["GET", "POST"])
    @has_access
    def attendance(self, session_id: int) -> Any:
        """One form for a session: each staff member of the plan's region present, absent or excused."""
        try:
            session, rows = training.attendance_sheet(session_id, actor())
        except NotFound:
            abort(404)
        posted: dict[int, str] = {}
        if request.method == "POST":
            try:
                posted = _posted_statuses()
                changed = training.record_attendance(session.id, posted, actor())
            except DomainError as error:
                flash_error(error)
            else:
                flash(gettext("Attendance recorded (%(n)s changed).", n=changed), "success")
                return redirect(url_for(".show", pk=session.plan_id))
        return self.render_template(
            "training/attendance.html",
            title=gettext("Training attendance"),
            training_session=session,
            rows=[(person, posted.get(person.id, status)) for person, status in rows],
            statuses=[(s.value, gettext(s.label)) for s in AttendanceStatus],
            hours_text=_hours_text,
            post_of=_post_of,
        )

    @expose("/ledger")
    @has_access
    def ledger(self) -> Any:
        """The 培训台账 of a year in the user's scope: plans, sessions, attendance, hours per person."""
        year = _year()
        english = str(get_locale()) == "en"
        labels = {**_status_labels(), "yes": "Yes" if english else "是"}
        buffer = io.BytesIO()
        training.write_training_ledger(buffer, year, actor(), labels, english=english)
        return Response(
            buffer.getvalue(),
            mimetype=XLSX,
            headers={"Content-Disposition": f'attachment; filename="training-{year}.xlsx"'},
        )


def _post_of(person: Any) -> str:
    """Where a person works: their department, or their role for staff without one (a supervisor)."""
    if person.department is not None:
        return person.department.name
    return gettext("、").join(gettext(role_label(role.name)) for role in person.roles)


def _date(raw: str) -> Any:
    import datetime as dt

    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(N_("The date format is not valid.")) from None


def _posted_statuses() -> dict[int, str]:
    """`status-<staff id>` fields of the attendance form; blank ones (not recorded) are left out."""
    statuses = {}
    for key, value in request.form.items():
        if not key.startswith("status-") or not value:
            continue
        raw_id = key.removeprefix("status-")
        if not raw_id.isdigit() or len(raw_id) > 18:
            raise training.AttendanceRefused(problem=N_("a person who is not staff of the plan's region"))
        statuses[int(raw_id)] = value
    return statuses


class TrainingHoursView(BaseView):
    """培训学时: hours per person for a year and who had no training; other staff see their own hours."""

    route_base = "/training/hours"
    default_view = "hours"
    base_permissions = ["can_hours"]

    @expose("/")
    @has_access
    def hours(self) -> Any:
        user, year = actor(), _year()
        manager = training.can_manage(user)
        regions = training.plan_regions(user) if manager else []
        raw = request.args.get("region", "")
        region_id = int(raw) if raw.isdigit() and int(raw) in visible_region_ids(user) else None
        rows = training.hours_by_person(year, user, region_id)
        return self.render_template(
            "training/hours.html",
            title=gettext("Training hours"),
            year=year,
            manager=manager,
            regions=regions,
            region_id=region_id,
            rows=rows,
            untrained=[row for row in rows if row.sessions == 0],
            mine=training.my_sessions(year, user),
            statuses=_status_labels(),
            hours_text=_hours_text,
        )
