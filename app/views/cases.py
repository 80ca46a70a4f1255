"""Case screens: the case and item lists, the case page (steps, plan, items, timeline), the application form,
enterprise and project records, and the work queues."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, ModelView, expose, has_access
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.sqla.filters import FilterInFunction
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext, lazy_gettext
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from app.domain.coordination import ACTION_LABELS as COORDINATION_LABELS
from app.domain.coordination import DecisionState, EscalationState, ReviewState
from app.domain.enums import Stage
from app.domain.errors import DomainError, NotFound
from app.domain.lights import Light
from app.domain.privacy import mask_phone
from app.domain.urgency import due_pending
from app.domain.workflow import (
    ACTION_LABELS,
    CASE_TRANSITIONS,
    NOT_FILED_ITEM_VALUES,
    CaseState,
    Channel,
    ItemState,
    Need,
    ProjectCategory,
    Satisfaction,
)
from app.extensions import db
from app.models import Case, CaseItem, CatalogItem, Enterprise, Project, Staff
from app.services import applications, coordination, leads, links, materials, paper, search, typical
from app.services import cases as case_service
from app.services.case_loading import case_for
from app.services.clock import today
from app.services.lights import case_lights
from app.services.scope import is_liaison_only
from app.texts import enum_label
from app.views import page_parts
from app.views.base import (
    EagerInterface,
    ServiceModelView,
    actor,
    error_text,
    flash_error,
    form_date,
    form_version,
    region_scope,
    safe_next,
    scoped_regions,
)
from app.views.cells import case_link, date_cell, light_badge, lights, pending_badge, phone
from app.views.exports import LedgerExportMixin
from app.views.lists import (
    ListFilter,
    SearchableListMixin,
    agent_choices,
    department_choices,
    department_scope,
    enum_choices,
    region_choices,
    warning_choices,
)
from app.views.timeline import case_step_labels, event_state, event_step, state_label

SEARCH_HINT = lazy_gettext("Case no., enterprise, credit code or project code")

CASE_FILTERS = {
    "search": ListFilter(
        lazy_gettext("Search"), search.case_matches, operator=lazy_gettext("contains"), placeholder=SEARCH_HINT
    ),
    "state": ListFilter(
        lazy_gettext("State"), lambda v: search.enum_is(Case.state, CaseState, v), enum_choices(CaseState)
    ),
    "channel": ListFilter(
        lazy_gettext("Channel"), lambda v: search.enum_is(Case.channel, Channel, v), enum_choices(Channel)
    ),
    "region": ListFilter(lazy_gettext("Region"), lambda v: search.id_is(Case.region_id, v), region_choices),
    "agent": ListFilter(lazy_gettext("Agent"), lambda v: search.id_is(Case.agent_id, v), agent_choices),
    # An agent's desk: their cases and the new applications nobody has taken (what their queue and tiles count).
    "desk": ListFilter(lazy_gettext("On the desk of"), search.on_desk, agent_choices),
    "warning": ListFilter(lazy_gettext("Warning"), search.case_warning, warning_choices),
    "enterprise": ListFilter(
        lazy_gettext("Enterprise or credit code"), search.enterprise_matches, operator=lazy_gettext("contains")
    ),
    "project": ListFilter(
        lazy_gettext("Project name or code"), search.project_matches, operator=lazy_gettext("contains")
    ),
    # What the dashboards count: each figure links here with the same criterion.
    "overdue": ListFilter(
        lazy_gettext("Own deadline passed"),
        search.case_overdue,
        lambda: [(k.value, gettext(k.label)) for k in search.CASE_OVERDUE_KINDS],
    ),
    "evaluation": ListFilter(lazy_gettext("Evaluation"), search.evaluated_as, enum_choices(Satisfaction)),
    "applied_in": ListFilter(lazy_gettext("Applied in (month)"), search.applied_in, placeholder="YYYY-MM"),
    "completed_in": ListFilter(lazy_gettext("Completed in (month)"), search.completed_in, placeholder="YYYY-MM"),
}

CASE_LABELS = {
    "number": lazy_gettext("Case no."),
    "ref": lazy_gettext("Case no."),
    "region": lazy_gettext("Region"),
    "project": lazy_gettext("Project"),
    "applicant": lazy_gettext("Project"),
    "agent": lazy_gettext("Agent"),
    "desk": lazy_gettext("On the desk of"),
    "state": lazy_gettext("State"),
    "channel": lazy_gettext("Channel"),
    "applied_on": lazy_gettext("Applied on"),
    "planned_end": lazy_gettext("Planned end"),
    "traffic": lazy_gettext("Urgency"),
}


def _applicant_cell(case: Case) -> Markup:
    # The project and enterprise as submitted: a later correction does not rewrite an old case's row.
    return Markup('{}<br><small class="text-muted">{}</small>').format(case.project_name, case.enterprise_name)


class _CaseListInterface(EagerInterface):
    """The case list's rows, and their lights from one query over the page's open items (not every item)."""

    def query(self, *args: Any, **kwargs: Any) -> Any:
        count, cases = super().query(*args, **kwargs)
        g.case_lights = case_lights(lights(), cases)
        return count, cases


def _case_light(case: Case) -> Markup:
    known = g.get("case_lights") or {}
    return light_badge(known[case.id] if case.id in known else lights().case(case))


class CaseView(SearchableListMixin, LedgerExportMixin, ModelView):
    """All cases of the user's regions, searchable; the number opens the case page."""

    route_base = "/caselist"
    datamodel = _CaseListInterface(Case, eager=("region", "agent"), order=("-applied_on", "-id"))
    base_permissions = ["can_list", "can_ledger"]
    ledger_source = "cases"
    base_filters = region_scope()
    list_title = lazy_gettext("Cases")
    list_template = "cases/list.html"
    extra_args = {"state_choices": CaseState.choices()}
    list_columns = ["ref", "region", "applicant", "agent", "state", "channel", "applied_on", "planned_end", "traffic"]
    list_filters = CASE_FILTERS
    search_columns = [*CASE_FILTERS, "applied_on", "planned_end"]
    order_columns = ["number", "state", "applied_on", "planned_end"]
    label_columns = CASE_LABELS
    formatters_columns = {
        "ref": case_link,
        "applicant": _applicant_cell,
        "state": enum_label(CaseState),
        "channel": enum_label(Channel),
        "traffic": _case_light,
        "planned_end": date_cell,
        "applied_on": date_cell,
    }
    page_size = 25


ITEM_FILTERS = {
    "search": ListFilter(
        lazy_gettext("Search"),
        search.item_matches,
        operator=lazy_gettext("contains"),
        placeholder=lazy_gettext("Item, case no., enterprise, credit code or project code"),
    ),
    "state": ListFilter(
        lazy_gettext("State"), lambda v: search.enum_is(CaseItem.state, ItemState, v), enum_choices(ItemState)
    ),
    "stage": ListFilter(lazy_gettext("Stage"), lambda v: search.enum_is(CaseItem.stage, Stage, v), enum_choices(Stage)),
    "department": ListFilter(
        lazy_gettext("Department"), lambda v: search.id_is(CaseItem.department_id, v), department_choices
    ),
    "region": ListFilter(
        lazy_gettext("Region"), lambda v: search.in_cases(search.id_is(Case.region_id, v)), region_choices
    ),
    "warning": ListFilter(lazy_gettext("Warning"), search.item_warning, warning_choices),
    "enterprise": ListFilter(
        lazy_gettext("Enterprise or credit code"),
        lambda v: search.in_cases(search.enterprise_matches(v)),
        operator=lazy_gettext("contains"),
    ),
    "project": ListFilter(
        lazy_gettext("Project name or code"),
        lambda v: search.in_cases(search.project_matches(v)),
        operator=lazy_gettext("contains"),
    ),
    "progress": ListFilter(
        lazy_gettext("Open or closed"),
        search.item_progress,
        lambda: [
            (search.ItemProgress.OPEN.value, gettext("Still open")),
            (search.ItemProgress.CLOSED.value, gettext("Closed")),
        ],
    ),
    "retired": ListFilter(
        lazy_gettext("Catalog entry retired"), search.item_catalog_retired, lambda: [("1", gettext("Yes"))]
    ),
}


class CaseItemView(SearchableListMixin, LedgerExportMixin, ModelView):
    """Items of cases, searchable: agents and supervisors see their regions', liaisons their department's."""

    route_base = "/caseitems"
    datamodel = EagerInterface(CaseItem, eager=("case", "department"), order=("case_id", "position", "id"))
    base_permissions = ["can_list", "can_ledger"]
    ledger_filters_items = True
    ledger_source = "items"
    list_template = "cases/item_list.html"
    base_filters = [*region_scope("case.region_id"), ["department_id", FilterInFunction, department_scope]]
    list_title = lazy_gettext("Case items")
    list_columns = [
        "case",
        "name",
        "department",
        "stage",
        "state",
        "planned_filing_on",
        "accepted_on",
        "due_on",
        "closed_on",
        "traffic",
    ]
    list_filters = ITEM_FILTERS
    search_columns = [*ITEM_FILTERS, "name", "planned_filing_on", "accepted_on", "due_on", "closed_on", "used_days"]
    order_columns = ["name", "state", "planned_filing_on", "accepted_on", "due_on", "closed_on"]
    label_columns = {
        "case": lazy_gettext("Case no."),
        "name": lazy_gettext("Item name"),
        "department": lazy_gettext("Department"),
        "stage": lazy_gettext("Stage"),
        "state": lazy_gettext("State"),
        "planned_filing_on": lazy_gettext("Planned filing"),
        "accepted_on": lazy_gettext("Accepted on"),
        "due_on": lazy_gettext("Due on"),
        "closed_on": lazy_gettext("Closed on"),
        "used_days": lazy_gettext("Working days used"),
        "traffic": lazy_gettext("Urgency"),
    }
    formatters_columns = {
        "case": case_link,
        "stage": enum_label(Stage),
        "state": enum_label(ItemState),
        "traffic": lambda item: light_badge(lights().item(item)),
        "planned_filing_on": date_cell,
        "accepted_on": date_cell,
        "due_on": date_cell,
        "closed_on": date_cell,
    }
    page_size = 50


# --- enterprise and project screens ---------------------------------------------------------------------


class EnterpriseForm(DynamicForm):
    name = StringField(lazy_gettext("Enterprise name"), validators=[DataRequired(), Length(max=200)])
    credit_code = StringField(lazy_gettext("Unified social credit code"), validators=[DataRequired(), Length(max=18)])
    address = StringField(lazy_gettext("Address"), validators=[Length(max=300)])
    postcode = StringField(lazy_gettext("Postcode"), validators=[Length(max=6)])
    legal_representative = StringField(lazy_gettext("Legal representative"), validators=[Length(max=50)])
    phone = StringField(lazy_gettext("Phone"), validators=[Length(max=32)])
    contact_person = StringField(lazy_gettext("Contact person"), validators=[Length(max=50)])
    contact_phone = StringField(lazy_gettext("Contact phone"), validators=[Length(max=32)])


ENTERPRISE_LABELS = {name: field.args[0] for name, field in EnterpriseForm.__dict__.items() if hasattr(field, "args")}


class HistoryShowMixin:
    """A record page that also shows its corrections (field, old → new, who, when) under the detail."""

    history_subject = ""
    history_labels: dict[str, Any] = {}
    show_template = "cases/show_with_history.html"

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk: Any) -> Any:
        pk = self._deserialize_pk_if_composite(pk)  # type: ignore[attr-defined]
        widgets = self._show(pk)  # type: ignore[attr-defined]  # 404 outside the user's scope
        return self.render_template(  # type: ignore[attr-defined]
            self.show_template,
            pk=pk,
            title=self.show_title,  # type: ignore[attr-defined]
            widgets=widgets,
            related_views=self._related_views,  # type: ignore[attr-defined]
            history=case_service.history(self.history_subject, int(pk), actor()),
            change_text=self._change_text,
        )

    def _change_text(self, note: str) -> str:
        # Notes keep field keys ("name: A → B"); show each field under its label in the user's language.
        parts = []
        for change in note.split("; "):
            key, _, rest = change.partition(": ")
            label = self.history_labels.get(key)
            parts.append(f"{label}: {rest}" if label is not None and rest else change)
        return "；".join(parts)


class EnterpriseView(HistoryShowMixin, ServiceModelView):
    route_base = "/enterprises"
    datamodel = EagerInterface(Enterprise, eager=("region",), order=("name",))
    history_subject = "enterprise"
    history_labels = ENTERPRISE_LABELS
    base_permissions = ["can_list", "can_show", "can_edit"]
    base_filters = region_scope()
    list_title = lazy_gettext("Enterprises")
    show_title = lazy_gettext("Enterprise")
    edit_title = lazy_gettext("Correct enterprise data")
    list_columns = ["name", "credit_code", "region", "legal_representative", "contact_person", "contact_phone"]
    show_columns = [
        "name",
        "credit_code",
        "region",
        "address",
        "postcode",
        "legal_representative",
        "phone",
        "contact_person",
        "contact_phone",
    ]
    search_columns = ["name", "credit_code"]
    edit_form = EnterpriseForm
    edit_columns = list(ENTERPRISE_LABELS)
    label_columns = {**ENTERPRISE_LABELS, "region": lazy_gettext("Region")}
    formatters_columns = {"phone": phone, "contact_phone": phone}

    def service_edit(self, item: Enterprise, form: EnterpriseForm) -> None:
        case_service.update_enterprise(item.id, {k: getattr(form, k).data for k in ENTERPRISE_LABELS}, actor())


class ProjectForm(DynamicForm):
    name = StringField(lazy_gettext("Project name"), validators=[DataRequired(), Length(max=200)])
    address = StringField(lazy_gettext("Project address"), validators=[Length(max=300)])
    code = StringField(
        lazy_gettext("Project code"),
        validators=[Length(max=30)],
        description=lazy_gettext("As issued by the national online approval platform, e.g. 2026-150621-44-01-123456"),
    )
    total_investment = StringField(lazy_gettext("Total investment (10,000 yuan)"))
    planned_investment = StringField(lazy_gettext("Planned investment this year (10,000 yuan)"))
    fund_source = StringField(lazy_gettext("Fund source"), validators=[Length(max=100)])
    land_nature = StringField(lazy_gettext("Land nature"), validators=[Length(max=100)])
    is_key_project = BooleanField(lazy_gettext("Key project"))
    category = SelectField(
        lazy_gettext("Project category"),
        choices=[SelectChoice(c.value, lazy_gettext(c.label)) for c in ProjectCategory],
    )
    main_use_and_scale = TextAreaField(lazy_gettext("Main use and scale"))
    leader_in_charge = StringField(lazy_gettext("Leader in charge"), validators=[Length(max=50)])
    progress_before = TextAreaField(lazy_gettext("Approval progress so far"))


PROJECT_LABELS = {name: field.args[0] for name, field in ProjectForm.__dict__.items() if hasattr(field, "args")}


class ProjectView(HistoryShowMixin, ServiceModelView):
    route_base = "/projects"
    datamodel = EagerInterface(Project, eager=("region", "enterprise"), order=("-id",))
    history_subject = "project"
    history_labels = PROJECT_LABELS
    base_permissions = ["can_list", "can_show", "can_edit"]
    base_filters = region_scope()
    list_title = lazy_gettext("Projects")
    show_title = lazy_gettext("Project")
    edit_title = lazy_gettext("Correct project data")
    list_columns = ["name", "code", "enterprise", "region", "total_investment", "is_key_project", "category"]
    show_columns = ["name", "enterprise", "region", *[k for k in PROJECT_LABELS if k != "name"]]
    search_columns = ["name", "code", "is_key_project"]
    edit_form = ProjectForm
    edit_columns = list(PROJECT_LABELS)
    label_columns = {**PROJECT_LABELS, "region": lazy_gettext("Region"), "enterprise": lazy_gettext("Enterprise")}
    formatters_columns = {
        "category": enum_label(ProjectCategory),
        "is_key_project": lambda v: gettext("Yes") if v else gettext("No"),
    }

    def service_edit(self, item: Project, form: ProjectForm) -> None:
        case_service.update_project(item.id, {k: getattr(form, k).data for k in PROJECT_LABELS}, actor())


# --- the case page ---------------------------------------------------------------------------------------


class CasePageView(BaseView):
    """One case: its state and next steps, enterprise and project, items and schedule, timeline."""

    route_base = "/cases"
    default_view = "new"
    base_permissions = ["can_case", "can_new", "can_move", "can_items", "can_plan", "can_agent", "can_item"]

    def _case(self, case_id: int) -> Case:
        try:
            return case_for(case_id, actor())
        except NotFound:
            abort(404)

    @expose("/<int:case_id>")
    @has_access
    def case(self, case_id: int) -> Any:
        # 纵向三级联动: a case outside the user's regions opens read-only while an active link ties it to theirs.
        linked = False
        try:
            case = case_for(case_id, actor())
        except NotFound:
            case, linked = self._linked_case(case_id), True
        user = actor()
        items = [i for i in case.items if not is_liaison_only(user) or i.department_id == user.department_id]
        book = lights()
        access = links.read_only_access(case) if linked else case_service.case_access(case, user)
        catalog = []
        if access.can_add_items:
            catalog = db.session.execute(  # the checkboxes need the id, number and name only
                select(CatalogItem.id, CatalogItem.seq, CatalogItem.name)
                .where(CatalogItem.region_id == case.region_id, CatalogItem.retired_at.is_(None))
                .order_by(CatalogItem.seq)
            ).all()
        agents = case_service.region_agents(case.region_id) if access.can_assign_agent else []
        return self.render_template(
            "cases/page.html",
            title=case.number,
            case=case,
            items=items,
            book=book,
            light_badge=light_badge,
            case_actions=access.case_actions,
            item_actions=access.item_actions,
            action_labels=case_step_labels(),
            state_label=state_label,
            event_step=event_step,
            event_state=event_state,
            Need=Need,
            CaseState=CaseState,
            ItemState=ItemState,
            Stage=Stage,
            Channel=Channel,
            ProjectCategory=ProjectCategory,
            Satisfaction=Satisfaction,
            catalog=catalog,
            chosen={i.catalog_item_id for i in case.items if i.state != ItemState.WITHDRAWN.value},
            agents=agents,
            events=links.linked_timeline(case) if linked else case_service.timeline(case.id, user),
            submitted=case_service.submitted_as(case),
            close_reason=case_service.note_for(case, user, case.close_reason),
            evaluation_comments=case_service.note_for(case, user, case.evaluation.comments if case.evaluation else ""),
            other_cases=[c for c in case_service.project_cases(case.project_id, user) if c.id != case.id],
            coordination=coordination.for_case(case, user),
            links=links.for_case(case, user),
            paper=paper.forms_for(case, user),
            materials=None if linked else materials.panel(case, user, book),
            lead=None if linked else leads.for_case(case, user),
            typical=typical.for_case(case, user),
            can_escalate=not linked and coordination.can_escalate(case, user),
            ReviewState=ReviewState,
            DecisionState=DecisionState,
            EscalationState=EscalationState,
            NOT_FILED_ITEM_VALUES=NOT_FILED_ITEM_VALUES,
            due_pending=due_pending,
            pending_label=pending_badge(),
            phone=mask_phone if linked else phone,
            private=lambda text: case_service.private_text(case, user, text),
            today=today(),
            can_edit_plan=access.can_edit_plan,
        )

    def _linked_case(self, case_id: int) -> Case:
        try:
            return links.linked_case_for(case_id, actor())
        except NotFound:
            abort(404)

    def _back(self, case_id: int) -> Any:
        return redirect(safe_next(url_for(".case", case_id=case_id)))

    def _run(self, call: Any, success: str) -> bool:
        try:
            call()
        except DomainError as error:
            flash_error(error)
            return False
        flash(success, "success")
        return True

    @expose("/<int:case_id>/move/<action>", methods=["POST"])
    @has_access
    @permission_name("move")
    def move(self, case_id: int, action: str) -> Any:
        form = request.form
        self._run(
            lambda: case_service.move_case(
                case_id,
                action,
                actor(),
                form_date(form.get("on")) or today(),
                note=form.get("note", ""),
                expected_version=form_version(),
                materials_note=form.get("materials_note", ""),
                archived=bool(form.get("archived")),
                level=form.get("level", ""),
            ),
            gettext("Done: %(action)s.", action=gettext(ACTION_LABELS.get(action, action))),
        )
        return self._back(case_id)

    @expose("/<int:case_id>/items", methods=["POST"])
    @has_access
    @permission_name("items")
    def items(self, case_id: int) -> Any:
        ids = [int(v) for v in request.form.getlist("catalog_item_id") if v.isdigit()]
        self._run(
            lambda: case_service.choose_items(
                case_id, ids, request.form.get("other_text", ""), actor(), form_version()
            ),
            gettext("Items added to the case."),
        )
        return self._back(case_id)

    @expose("/<int:case_id>/plan", methods=["POST"])
    @has_access
    @permission_name("plan")
    def plan(self, case_id: int) -> Any:
        case = self._case(case_id)
        lines = []
        for item in case.items:
            position = request.form.get(f"position_{item.id}", "")
            lines.append(
                case_service.PlanLine(
                    item.id,
                    int(position) if position.isdigit() else item.position,
                    form_date(request.form.get(f"filing_{item.id}")),
                )
            )
        self._run(
            lambda: case_service.plan_schedule(
                case_id, lines, actor(), form_date(request.form.get("planned_end")), form_version()
            ),
            gettext("Service plan saved."),
        )
        return self._back(case_id)

    @expose("/<int:case_id>/agent", methods=["POST"])
    @has_access
    @permission_name("agent")
    def agent(self, case_id: int) -> Any:
        agent_id = search.form_id(request.form.get("agent_id"))
        if agent_id is None:
            flash(gettext("Choose the agent from the list."), "danger")
            return self._back(case_id)
        self._run(
            lambda: case_service.assign_agent(case_id, agent_id, actor(), form_version()),
            gettext("Agent named."),
        )
        return self._back(case_id)

    @expose("/item/<int:item_id>/<action>", methods=["POST"])
    @has_access
    @permission_name("item")
    def item(self, item_id: int, action: str) -> Any:
        """One step on an item — a date and a note in one form — from the case page or a work queue."""
        form = request.form
        before = db.session.get(CaseItem, item_id)
        was_pending = before is not None and due_pending(before.state, before.due_on, before.time_limit_days)
        done = self._run(
            lambda: case_service.move_item(
                item_id,
                action,
                actor(),
                form_date(form.get("on")) or today(),
                note=form.get("note", ""),
                expected_version=form_version(),
                incomplete=bool(form.get("incomplete")),
                promised_on=form_date(form.get("promised_on")),
                commitment=bool(form.get("commitment")),
            ),
            gettext("Done: %(action)s.", action=gettext(ACTION_LABELS.get(action, action))),
        )
        moved = db.session.get(CaseItem, item_id)
        if done and not was_pending and due_pending(moved.state, moved.due_on, moved.time_limit_days):
            # Said once, by the step that left the date pending (受理); later steps do not repeat it.
            flash(
                gettext(
                    "The due date cannot be computed yet: the holiday schedule of the year it falls in is "
                    "missing. It will be filled in once an administrator enters that year."
                ),
                "warning",
            )
        if is_liaison_only(actor()):
            default = url_for("WorkQueueView.items")
        elif moved is None:
            default = url_for("CaseView.list")
        else:
            default = url_for(".case", case_id=moved.case_id)
        return redirect(safe_next(default))

    # --- the application form (Attachment 4) ----------------------------------------------------------

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self) -> Any:
        user = actor()
        region_ids = scoped_regions()
        # An application from a tracked lead (提前介入, ?lead_id=) starts filled from it, in the lead's region.
        lead = self._lead(user)
        if lead is not None and request.method == "GET":
            try:
                leads.convertible_lead(lead.id, user)
            except DomainError as error:
                flash_error(error)
                return redirect(url_for("LeadPageView.lead", lead_id=lead.id))
        # An agent registers in their own region; a user without one (an admin) sees the first in scope.
        region_id = request.form.get("region_id", type=int) or user.region_id or next(iter(region_ids), None)
        region_id = lead.region_id if lead is not None else region_id
        # Registering the counterpart case a cross-level link request asks for (?link_id=): filled from the
        # requesting case; registering it accepts the request in the same transaction.
        link = self._link_request(user)
        region_id = link.target_region_id if link is not None else region_id
        if region_id not in region_ids:
            abort(404)
        catalog = list(
            db.session.scalars(
                select(CatalogItem)
                .where(CatalogItem.region_id == region_id, CatalogItem.retired_at.is_(None))
                .order_by(CatalogItem.seq)
            )
        )
        values = request.form
        if request.method == "GET" and lead is not None:
            values = MultiDict(leads.application_values(lead))
        elif request.method == "GET" and link is not None:
            values = MultiDict(links.application_values(link))
        problems: dict[str, str] = {}
        if request.method == "POST":
            problems = {name: error_text(e) for name, e in applications.office_problems(values).items()}
            if not problems:
                try:
                    case = case_service.submit_application(
                        region_id,
                        {k: values.get(f"enterprise_{k}", "") for k in ENTERPRISE_LABELS},
                        {k: values.get(f"project_{k}", "") for k in PROJECT_LABELS},
                        values.get("channel", ""),
                        form_date(values.get("applied_on")) or today(),
                        [int(v) for v in values.getlist("catalog_item_id") if v.isdigit()],
                        user,
                        other_items_text=values.get("other_text", ""),
                        note=values.get("note", ""),
                        lead_id=lead.id if lead is not None else None,
                        then=(lambda case: links.accept_into_new_case(link.id, case, user)) if link else None,
                    )
                except DomainError as error:
                    problems[""] = error_text(error)
                else:
                    flash(gettext("Application %(number)s registered.", number=case.number), "success")
                    return redirect(url_for(".case", case_id=case.id))
            flash(gettext("The application was not registered: correct the fields marked below."), "danger")
        return self.render_template(
            "cases/new.html",
            title=gettext("New application"),
            values=values,
            lead=lead,
            link=link,
            region_id=region_id,
            catalog=catalog,
            chosen={int(v) for v in values.getlist("catalog_item_id") if v.isdigit()},
            problems=problems,
            enterprise_labels=ENTERPRISE_LABELS,
            project_labels=PROJECT_LABELS,
            Channel=Channel,
            ProjectCategory=ProjectCategory,
            Stage=Stage,
            today=today(),
        )

    def _link_request(self, user: Staff) -> Any:
        """The link request named by the form or the query string, when the user's region answers it (else 404)."""
        link_id = search.form_id(request.values.get("link_id"))
        if link_id is None:
            return None
        try:
            return links.request_to_answer(link_id, user)
        except NotFound:
            abort(404)

    def _lead(self, user: Staff) -> Any:
        """The lead named by the form or the query string, in the user's scope (404 otherwise)."""
        lead_id = search.form_id(request.values.get("lead_id"))
        if lead_id is None:
            return None
        try:
            return leads.load_lead(lead_id, user)
        except NotFound:
            abort(404)


QUEUE_ROWS = 200  # the most urgent first; the full lists are under 代办案件 and 案件事项
# Case steps the agent queue links to the case page: naming the agent, choosing items, the schedule.
ON_CASE_PAGE = frozenset(t.action for t in CASE_TRANSITIONS if {Need.AGENT, Need.ITEMS, Need.SCHEDULE} & set(t.needs))


class WorkQueueView(BaseView):
    """Landing pages: a liaison's open items, an agent's open cases, most urgent first."""

    route_base = "/queue"
    default_view = "items"
    base_permissions = ["can_items", "can_cases"]

    @expose("/items")
    @has_access
    def items(self) -> Any:
        decisions = coordination.department_decisions(actor())
        return self.render_template(
            "cases/queue_items.html",
            title=gettext("My department's open items"),
            rows=case_service.department_queue(actor(), QUEUE_ROWS, lights()),
            badges={light: light_badge(light) for light in Light},
            pending_label=pending_badge(),
            item_states=page_parts.labels(ItemState),
            case_url=page_parts.url_with_id("CasePageView.case", "case_id"),
            item_steps=page_parts.steps_url("CasePageView.item", "item_id"),
            chip=page_parts.StepChips(ACTION_LABELS),
            decisions=decisions,
            decision_actions={d.id: coordination.decision_actions(d, actor()) for d in decisions},
            decision_labels=COORDINATION_LABELS,
            book=lights(),
            light_badge=light_badge,
            action_labels=ACTION_LABELS,
            Need=Need,
            ItemState=ItemState,
            today=today(),
        )

    @expose("/cases")
    @has_access
    def cases(self) -> Any:
        return self.render_template(
            "cases/queue_cases.html",
            title=gettext("My cases"),
            rows=case_service.agent_queue(actor(), QUEUE_ROWS, lights()),
            badges={light: light_badge(light) for light in Light},
            case_states=page_parts.labels(CaseState),
            case_url=page_parts.url_with_id("CasePageView.case", "case_id"),
            case_steps=page_parts.steps_url("CasePageView.move", "case_id"),
            chip=page_parts.StepChips(ACTION_LABELS),
            action_names=page_parts.translated(ACTION_LABELS),
            on_case_page=ON_CASE_PAGE,
            light_badge=light_badge,
            Satisfaction=Satisfaction,
            today=today(),
        )
