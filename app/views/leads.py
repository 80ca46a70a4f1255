"""Views for 提前介入: leads, their checklist and their conversion into a case."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, ModelView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext, lazy_gettext
from markupsafe import Markup
from sqlalchemy import or_, select
from werkzeug.datastructures import MultiDict

from app.domain.enums import RoleName
from app.domain.errors import N_, DomainError, NotFound, ValidationError
from app.domain.leads import ACTION_LABELS, LeadSource, LeadState, TaskState
from app.domain.lights import Light
from app.extensions import db
from app.models import Lead, Region
from app.services import leads, search
from app.services.clock import today
from app.services.scope import role_names
from app.texts import enum_label
from app.views.base import (
    EagerInterface,
    actor,
    error_text,
    flash_error,
    form_date,
    form_version,
    region_scope,
    run_service,
    safe_next,
    scoped_regions,
)
from app.views.cells import light_badge, lights, phone
from app.views.lists import ListFilter, SearchableListMixin, agent_choices, enum_choices, region_choices


def _lead_link(lead: Lead) -> Markup:
    return Markup('<a class="lead-link" href="{}">{}</a>').format(
        url_for("LeadPageView.lead", lead_id=lead.id), lead.project_name
    )


def _progress(lead: Lead) -> leads.Progress:
    """The lead's checklist progress; the closing entries of the user's regions are read once per request."""
    if "lead_task_actions" not in g:
        g.lead_task_actions = leads.closing_actions(region_ids=scoped_regions())
    return leads.progress(lead, lights(), g.lead_task_actions)


def checklist_cell(lead: Lead) -> Markup:
    """“done/total” and, while tracked, the overdue tasks in the app's red (or the worst light)."""
    shown = _progress(lead)
    if not shown.total:
        return Markup('<span class="text-muted checklist">—</span>')
    cell = Markup('<span class="checklist">{}/{}</span>').format(shown.done, shown.total)
    if shown.overdue:
        return cell + Markup(' <span class="label label-danger light-red overdue-tasks">{}: {}</span>').format(
            gettext(Light.RED.label), shown.overdue
        )
    return cell + Markup(" ") + light_badge(shown.light)


def _amount(value: Any) -> str:
    return "" if value is None else f"{value:,.2f}"


def _matches(value: str | None) -> Any:
    text = (value or "").strip()
    if not text:
        return None
    return or_(
        *(c.icontains(text, autoescape=True) for c in (Lead.enterprise_name, Lead.project_name, Lead.credit_code))
    )


LEAD_FILTERS = {
    "search": ListFilter(
        lazy_gettext("Search"),
        _matches,
        operator=lazy_gettext("contains"),
        placeholder=lazy_gettext("Enterprise, project or credit code"),
    ),
    "state": ListFilter(
        lazy_gettext("State"), lambda v: search.enum_is(Lead.state, LeadState, v), enum_choices(LeadState)
    ),
    "source": ListFilter(
        lazy_gettext("Source"), lambda v: search.enum_is(Lead.source, LeadSource, v), enum_choices(LeadSource)
    ),
    "owner": ListFilter(lazy_gettext("Followed by"), lambda v: search.id_is(Lead.owner_id, v), agent_choices),
    "region": ListFilter(lazy_gettext("Region"), lambda v: search.id_is(Lead.region_id, v), region_choices),
}


class LeadView(SearchableListMixin, ModelView):
    """提前介入: the leads of the user's regions, searchable and filtered; the project opens the lead's page."""

    route_base = "/leadlist"
    datamodel = EagerInterface(Lead, eager=("region", "owner", "tasks"), order=("-found_on", "-id"))
    base_permissions = ["can_list"]
    base_filters = region_scope()
    list_title = lazy_gettext("Early intervention leads")
    list_template = "leads/list.html"
    extra_args = {"state_choices": LeadState.choices()}
    list_columns = [
        "ref",
        "enterprise_name",
        "state",
        "source",
        "expected_investment",
        "expected_landing_on",
        "owner",
        "tasks",
        "region",
        "found_on",
    ]
    list_filters = LEAD_FILTERS
    search_columns = [*LEAD_FILTERS, "found_on", "expected_landing_on"]
    order_columns = ["found_on", "expected_landing_on", "expected_investment", "state"]
    label_columns = {
        "state": lazy_gettext("State"),
        "source": lazy_gettext("Source"),
        "ref": lazy_gettext("Project"),
        "project_name": lazy_gettext("Project"),
        "enterprise_name": lazy_gettext("Enterprise"),
        "expected_investment": lazy_gettext("Expected investment (10,000 yuan)"),
        "expected_landing_on": lazy_gettext("Expected landing"),
        "owner": lazy_gettext("Followed by"),
        "tasks": lazy_gettext("Checklist"),
        "region": lazy_gettext("Region"),
        "found_on": lazy_gettext("Found on"),
    }
    formatters_columns = {
        "state": enum_label(LeadState),
        "source": enum_label(LeadSource),
        "ref": _lead_link,
        "expected_investment": _amount,
        "owner": lambda owner: (owner.first_name or "") + (owner.last_name or "") if owner else "",
        # FAB gives the cell the attribute (the tasks); their first names the lead. No task: a dash.
        "tasks": lambda tasks: checklist_cell(tasks[0].lead) if tasks else Markup('<span class="text-muted">—</span>'),
    }
    page_size = 25


# --- the lead page and its forms ---------------------------------------------------------------------------


_FORM_FIELDS = (
    "source",
    "source_detail",
    "enterprise_name",
    "credit_code",
    "contact_person",
    "contact_phone",
    "project_name",
    "project_address",
    "expected_investment",
    "expected_landing_on",
    "found_on",
    "owner_id",
    "description",
)


def _values_of(lead: Lead) -> MultiDict:
    values = [(k, "" if getattr(lead, k) is None else str(getattr(lead, k))) for k in _FORM_FIELDS]
    values += [("catalog_item_id", str(i.catalog_item_id)) for i in lead.expected_items]
    return MultiDict(values)


def _item_ids() -> list[int]:
    return [int(v) for v in request.form.getlist("catalog_item_id") if v.isdigit() and len(v) < 12]


class LeadPageView(BaseView):
    """A lead: its data, expected items, preparation checklist and timeline; abandon, take up again, convert."""

    route_base = "/leads"
    default_view = "new"
    base_permissions = ["can_lead", "can_new", "can_edit", "can_move", "can_task"]

    def _lead(self, lead_id: int) -> Lead:
        try:
            return leads.load_lead(lead_id, actor())
        except NotFound:
            abort(404)

    def _back(self, lead_id: int) -> Any:
        return redirect(safe_next(url_for(".lead", lead_id=lead_id)))

    @expose("/<int:lead_id>")
    @has_access
    def lead(self, lead_id: int) -> Any:
        lead = self._lead(lead_id)
        user = actor()
        follower = leads.can_follow(user)
        return self.render_template(
            "leads/page.html",
            title=lead.project_name,
            lead=lead,
            follower=follower and lead.state == LeadState.TRACKING.value,
            lead_actions=leads.lead_actions(lead, user),
            can_convert=leads.can_convert(lead, user),
            action_labels=ACTION_LABELS,
            progress=leads.progress(lead, lights()),
            task_states=leads.task_states(lead),
            departments=leads.region_departments(lead.region_id) if follower else [],
            events=leads.timeline(lead, actor()),
            book=lights(),
            light_badge=light_badge,
            phone=phone,
            LeadState=LeadState,
            LeadSource=LeadSource,
            TaskState=TaskState,
            today=today(),
        )

    def _form(self, title: str, region_id: int, values: Any, problems: dict[str, str], lead: Lead | None = None) -> Any:
        regions = list(db.session.scalars(select(Region).where(Region.id.in_(scoped_regions())).order_by(Region.code)))
        return self.render_template(
            "leads/form.html",
            title=title,
            lead=lead,
            region_id=region_id,
            regions=regions if lead is None and len(regions) > 1 else [],
            values=values,
            problems=problems,
            chosen={int(v) for v in values.getlist("catalog_item_id") if str(v).isdigit()},
            catalog=leads.region_catalog(region_id),
            agents=leads.region_agents(region_id),
            LeadSource=LeadSource,
            today=today(),
        )

    def _save(self, call: Any, problems: dict[str, str]) -> Any:
        """Run the service; its refusal goes to the fields (each at its own) or above the form."""
        try:
            return call()
        except leads.LeadInvalid as error:
            problems.update({k: error_text(v) for k, v in error.problems.items()})
            problems[""] = error_text(error)
        except DomainError as error:
            problems[""] = error_text(error)
        return None

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self) -> Any:
        user = actor()
        regions = scoped_regions()
        region_id = search.form_id(request.values.get("region_id")) or user.region_id or next(iter(regions), None)
        if region_id not in regions:
            abort(404)
        problems: dict[str, str] = {}
        if request.method == "POST":
            lead = self._save(lambda: leads.create_lead(region_id, request.form, _item_ids(), user), problems)
            if lead is not None:
                flash(gettext("Lead recorded."), "success")
                return redirect(url_for(".lead", lead_id=lead.id))
            values = request.form
        else:
            mine = RoleName.AGENT.value in role_names(user) and user.region_id == region_id
            values = MultiDict({"found_on": today().isoformat(), "owner_id": str(user.id) if mine else ""})
        return self._form(gettext("Record a lead"), region_id, values, problems)

    @expose("/<int:lead_id>/edit", methods=["GET", "POST"])
    @has_access
    def edit(self, lead_id: int) -> Any:
        lead = self._lead(lead_id)
        user = actor()
        problems: dict[str, str] = {}
        if request.method == "POST":
            saved = self._save(
                lambda: leads.update_lead(lead.id, request.form, _item_ids(), user, form_version()), problems
            )
            if saved is not None:
                flash(gettext("Lead saved."), "success")
                return redirect(url_for(".lead", lead_id=lead.id))
            values = request.form
        elif lead.state != LeadState.TRACKING.value:
            flash_error(leads.LeadClosed(state=LeadState(lead.state).label))
            return redirect(url_for(".lead", lead_id=lead.id))
        else:
            values = _values_of(lead)
        return self._form(gettext("Correct the lead"), lead.region_id, values, problems, lead)

    @expose("/<int:lead_id>/move/<action>", methods=["POST"])
    @has_access
    @permission_name("move")
    def move(self, lead_id: int, action: str) -> Any:
        run_service(
            lambda: leads.move_lead(
                lead_id,
                action,
                actor(),
                form_date(request.form.get("on")) or today(),
                note=request.form.get("note", ""),
                expected_version=form_version(),
            ),
            gettext("Done: %(action)s.", action=gettext(ACTION_LABELS.get(action, action))),
        )
        return self._back(lead_id)

    @expose("/<int:lead_id>/tasks", methods=["POST"])
    @has_access
    @permission_name("task")
    def add_task(self, lead_id: int) -> Any:
        form = request.form
        raw_due = form.get("due_on", "")
        due_on = form_date(raw_due)
        if raw_due and due_on is None:
            flash_error(ValidationError(N_("The date format is not correct (YYYY-MM-DD).")))
            return self._back(lead_id)
        run_service(
            lambda: leads.add_task(
                lead_id,
                form.get("text", ""),
                actor(),
                department_id=search.form_id(form.get("department_id")),
                owner=form.get("owner", ""),
                due_on=due_on,
            ),
            gettext("Task added to the checklist."),
        )
        return self._back(lead_id)

    @expose("/task/<int:task_id>/<step>", methods=["POST"])
    @has_access
    @permission_name("task")
    def task(self, task_id: int, step: str) -> Any:
        form = request.form
        user = actor()
        if step == "reopen":
            call, done = lambda: leads.reopen_task(task_id, user, form.get("note", "")), gettext("Task reopened.")
        elif step in ("done", "not_needed"):
            call = lambda: leads.close_task(  # noqa: E731
                task_id,
                user,
                form_date(form.get("on")) or today(),
                not_needed=step == "not_needed",
                note=form.get("note", ""),
            )
            done = gettext("Task marked as not needed.") if step == "not_needed" else gettext("Task done.")
        else:
            abort(404)
        lead_id = leads.lead_of_task(task_id, user)
        if lead_id is None:
            abort(404)
        run_service(call, done)
        return self._back(lead_id)


def register(appbuilder: AppBuilder) -> None:
    """Add this module's views and menu entries."""
    appbuilder.add_view(
        LeadView,
        "Leads",
        label=lazy_gettext("Early intervention"),
        icon="fa-binoculars",
        category="Cases",
    )
    appbuilder.add_view_no_menu(LeadPageView)
