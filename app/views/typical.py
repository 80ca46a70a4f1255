"""Views for 典型案例: write-ups of cases, submitted to the city bureau.

The 典型案例库 (adopted write-ups of the city, searchable), the write-ups in progress (the city bureau's
queue of submitted ones among them), a write-up's page (text, versions, steps, timeline), its printable
page, and the form that starts one from a case page.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, ModelView, expose, has_access
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import permission_name
from flask_babel import get_locale, gettext, lazy_gettext
from markupsafe import Markup
from sqlalchemy import extract, select

from app.domain.enums import Stage
from app.domain.errors import DomainError, NotFound
from app.domain.typical import ACTION_LABELS, TypicalState, current_version
from app.extensions import db
from app.models import Case, CaseItem, TypicalCase
from app.services import search, typical
from app.services.case_loading import case_for
from app.services.scope import city_region_ids
from app.texts import enum_label
from app.views.base import (
    EagerInterface,
    actor,
    display_value,
    flash_error,
    form_version,
    run_service,
    safe_next,
)
from app.views.lists import ListFilter, SearchableListMixin


class TypicalScope(BaseFilter):
    """Row scope of the write-up lists: what `services.typical.visible_clause` lets the user see."""

    name = "typical scope"
    arg_name = "typical_scope"

    def apply(self, query: Any, value: Any) -> Any:
        return query.filter(typical.visible_clause(actor()))


def _writeup_link(record: TypicalCase) -> Markup:
    return Markup('<a class="typical-link" href="{}">{}</a>').format(
        url_for("TypicalPageView.writeup", typical_id=record.id), record.title
    )


def _case_cell(case: Case) -> Markup:
    return Markup('{}<br><small class="text-muted">{}</small>').format(case.number, case.project_name)


def _title_matches(value: str | None) -> Any:
    text = (value or "").strip()
    return TypicalCase.title.icontains(text, autoescape=True) if text else None


def _year_is(value: str | None) -> Any:
    return extract("year", TypicalCase.decided_on) == int(value) if value and value.isdigit() else None


def _stage_is(value: str | None) -> Any:
    """Write-ups of cases with an item in the stage: what part of the approval path the example is about."""
    if value not in {s.value for s in Stage}:
        return None
    return TypicalCase.case_id.in_(select(CaseItem.case_id).where(CaseItem.stage == value))


def region_choices() -> list[tuple[str, str]]:
    return search.region_choices(city_region_ids(actor()))


def _year_choices() -> list[tuple[str, str]]:
    return [(str(y), str(y)) for y in typical.adopted_years(actor())]


def _state_choices() -> list[tuple[str, str]]:
    return [(s.value, gettext(s.label)) for s in TypicalState if s is not TypicalState.ACCEPTED]


LABELS = {
    "ref": lazy_gettext("Write-up title"),
    "region": lazy_gettext("Region"),
    "case": lazy_gettext("Case"),
    "state": lazy_gettext("State"),
    "current_version": lazy_gettext("Version"),
    "submitted_on": lazy_gettext("Submitted on"),
    "decided_on": lazy_gettext("Adopted on"),
    "decided_by": lazy_gettext("Decided by"),
    "updated_at": lazy_gettext("Last saved"),
}
SEARCH = ListFilter(lazy_gettext("Write-up title"), _title_matches, operator=lazy_gettext("contains"))
REGION = ListFilter(lazy_gettext("Region"), lambda v: search.id_is(TypicalCase.region_id, v), region_choices)


class AdoptedOnly(BaseFilter):
    """Adopted write-ups only (True) or every other one (False)."""

    name = "adopted"
    arg_name = "adopted"

    def apply(self, query: Any, value: Any) -> Any:
        wanted = TypicalCase.state == TypicalState.ACCEPTED.value
        return query.filter(wanted if value else ~wanted)


class TypicalCaseView(SearchableListMixin, ModelView):
    """典型案例库: the write-ups the city bureau adopted, city-wide, newest first."""

    route_base = "/typicalcases"
    datamodel = EagerInterface(TypicalCase, eager=("region", "case"), order=("-decided_on", "-id"))
    base_permissions = ["can_list"]
    base_filters = [["id", TypicalScope, None], ["state", AdoptedOnly, True]]
    list_title = lazy_gettext("Typical case library")
    list_columns = ["decided_on", "region", "ref", "case"]
    list_filters = {
        "search": SEARCH,
        "region": REGION,
        "year": ListFilter(lazy_gettext("Year adopted"), _year_is, _year_choices),
        "stage": ListFilter(
            lazy_gettext("Approval stage"), _stage_is, lambda: [(s.value, gettext(s.label)) for s in Stage]
        ),
    }
    search_columns = list(list_filters)
    order_columns = ["decided_on"]
    label_columns = LABELS
    formatters_columns = {"ref": _writeup_link, "case": _case_cell, "decided_on": display_value}


class TypicalWorkView(SearchableListMixin, ModelView):
    """Write-ups not adopted (yet): drafts and returned ones of the user's region, and for the city bureau the
    submitted ones waiting for its decision."""

    route_base = "/typicalwork"
    datamodel = EagerInterface(TypicalCase, eager=("region", "case"), order=("-updated_at", "-id"))
    base_permissions = ["can_list"]
    base_filters = [["id", TypicalScope, None], ["state", AdoptedOnly, False]]
    list_title = lazy_gettext("Write-ups in progress")
    list_template = "typical/work.html"
    list_columns = ["ref", "region", "case", "state", "current_version", "submitted_on", "updated_at"]
    list_filters = {
        "search": SEARCH,
        "state": ListFilter(
            lazy_gettext("State"), lambda v: search.enum_is(TypicalCase.state, TypicalState, v), _state_choices
        ),
        "region": REGION,
    }
    search_columns = list(list_filters)
    order_columns = ["submitted_on", "updated_at"]
    label_columns = LABELS
    formatters_columns = {
        "ref": _writeup_link,
        "case": _case_cell,
        "state": enum_label(TypicalState),
        "submitted_on": display_value,
        "updated_at": display_value,
    }

    def render_template(self, template: str, **kwargs: Any) -> Any:
        # FAB's own list, with how many submitted write-ups wait for the user's decision above it.
        if template == self.list_template:
            kwargs["waiting"] = typical.waiting_count(actor())
        return super().render_template(template, **kwargs)


class TypicalPageView(BaseView):
    """One write-up: its text and versions, its steps, its timeline; the form that starts one from a case."""

    route_base = "/typical"
    default_view = "new"
    base_permissions = ["can_writeup", "can_print", "can_new", "can_save", "can_move"]

    def _record(self, typical_id: int) -> TypicalCase:
        try:
            return typical.load_writeup(typical_id, actor())
        except NotFound:
            abort(404)

    def _page(self, record: TypicalCase, values: Any = None) -> Any:
        user = actor()
        version = current_version(record)
        return self.render_template(
            "typical/page.html",
            title=record.title,
            record=record,
            current=version,
            values=values,
            can_edit=typical.can_edit(record, user),
            revising=version is not None and bool(version.outcome),
            actions=typical.offered_actions(record, user),
            action_labels=ACTION_LABELS,
            TypicalState=TypicalState,
            events=typical.timeline(record),
            can_open_case=_opens_case(record.case_id),
            when=display_value,
        )

    @expose("/<int:typical_id>")
    @has_access
    def writeup(self, typical_id: int) -> Any:
        return self._page(self._record(typical_id))

    @expose("/<int:typical_id>/print")
    @has_access
    @permission_name("print")
    def print_writeup(self, typical_id: int) -> Any:
        record = self._record(typical_id)
        if record.state != TypicalState.ACCEPTED.value:
            abort(404)  # only an adopted write-up is a typical case to print
        return self.render_template(
            "typical/print.html",
            title=record.title,
            locale=str(get_locale()),
            record=record,
            current=current_version(record),
        )

    @expose("/new/<int:case_id>", methods=["GET", "POST"])
    @has_access
    def new(self, case_id: int) -> Any:
        try:
            case = case_for(case_id, actor())
        except NotFound:
            abort(404)
        if request.method == "POST":
            form = request.form
            made: list[TypicalCase] = []
            if run_service(
                lambda: made.append(
                    typical.start_writeup(case.id, form.get("title", ""), form.get("body", ""), actor())
                ),
                gettext("Write-up saved as a draft."),
            ):
                return redirect(url_for(".writeup", typical_id=made[0].id))
        return self.render_template(
            "typical/new.html",
            title=gettext("Write up as a typical case"),
            case=case,
            values=request.form,
            can_start=typical.can_start(case, actor()),
        )

    @expose("/<int:typical_id>/save", methods=["POST"])
    @has_access
    def save(self, typical_id: int) -> Any:
        record = self._record(typical_id)
        form = request.form
        try:
            typical.save_writeup(record.id, form.get("title", ""), form.get("body", ""), actor(), form_version())
        except DomainError as error:
            flash_error(error)
            db.session.rollback()
            return self._page(self._record(typical_id), values=form)  # what was typed stays on screen
        flash(gettext("Write-up saved."), "success")
        return redirect(url_for(".writeup", typical_id=record.id))

    @expose("/<int:typical_id>/move/<action>", methods=["POST"])
    @has_access
    def move(self, typical_id: int, action: str) -> Any:
        record = self._record(typical_id)
        run_service(
            lambda: typical.move_writeup(
                record.id, action, actor(), note=request.form.get("note", ""), expected_version=form_version()
            ),
            gettext("Done: %(action)s.", action=gettext(ACTION_LABELS.get(action, action))),
        )
        try:
            typical.load_writeup(record.id, actor())
        except NotFound:
            # Submitted or decided out of the user's sight (e.g. after a return): back to the list.
            return redirect(url_for("TypicalWorkView.list"))
        return redirect(safe_next(url_for(".writeup", typical_id=record.id)))


def _opens_case(case_id: int) -> bool:
    """Whether the user may open the case page (the write-up's readers city-wide may not)."""
    try:
        case_for(case_id, actor())
    except NotFound:
        return False
    return True


def register(appbuilder: AppBuilder) -> None:
    """Add this module's views and menu entries."""
    appbuilder.add_view(
        TypicalCaseView,
        "Typical case library",
        label=lazy_gettext("Typical case library"),
        icon="fa-book",
        category="Typical cases",
        category_label=lazy_gettext("Typical cases"),
        category_icon="fa-star",
    )
    appbuilder.add_view(
        TypicalWorkView,
        "Write-ups in progress",
        label=lazy_gettext("Write-ups in progress"),
        icon="fa-pencil",
        category="Typical cases",
    )
    appbuilder.add_view_no_menu(TypicalPageView)
