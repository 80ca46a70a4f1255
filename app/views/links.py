"""Views for 纵向三级联动: the links list, linking a case to its counterpart at the other level, ending a link
and recording an outside party's state."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, ModelView, expose, has_access
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext, lazy_gettext
from markupsafe import Markup

from app.domain.errors import DomainError, NotFound
from app.domain.links import ACTION_LABELS, Direction, LinkState
from app.domain.workflow import CaseState
from app.models import Case
from app.models.followup import CaseLink
from app.services import links
from app.services.clock import today
from app.services.search import enum_is
from app.views.base import (
    EagerInterface,
    actor,
    error_text,
    form_date,
    form_version,
    run_service,
    safe_next,
    scoped_regions,
)
from app.views.cases import ListFilter, SearchableListMixin, _label


class LinkScopeFilter(BaseFilter):
    """Links either of whose cases lies in the user's regions."""

    name = "scope"

    def apply(self, query: Any, value: Any) -> Any:
        return query.filter(CaseLink.id.in_(links.visible_link_ids(actor())))


def _readable_case_ids() -> set[int]:
    """Cases the user may open from the list: their regions' and those readable through an active link (cached)."""
    if "link_readable" not in g:
        g.link_readable = links.readable_case_ids(actor())
    return g.link_readable


def _case_cell(case: Case | None) -> Markup | str:
    if case is None:
        return ""
    try:
        state = gettext(CaseState(case.state).label)
    except ValueError:
        state = case.state
    number = (
        Markup('<a class="case-no" href="{}">{}</a>').format(url_for("CasePageView.case", case_id=case.id), case.number)
        if case.region_id in scoped_regions() or case.id in _readable_case_ids()
        else Markup('<span class="case-no">{}</span>').format(case.number)
    )
    return Markup('{}<br><small class="text-muted">{} · {}</small>').format(number, case.region.name, state)


LINK_FILTERS = {
    "state": ListFilter(
        lazy_gettext("State"),
        lambda v: enum_is(CaseLink.state, LinkState, v),
        lambda: [(m.value, gettext(m.label)) for m in LinkState],
    ),
    "direction": ListFilter(
        lazy_gettext("Direction"),
        lambda v: enum_is(CaseLink.direction, Direction, v),
        lambda: [(m.value, gettext(m.label)) for m in Direction],
    ),
}


class CaseLinkView(SearchableListMixin, ModelView):
    """纵向联动: every link touching the user's regions, both sides with their states."""

    route_base = "/links"
    datamodel = EagerInterface(
        CaseLink, eager=("case.region", "case.items", "counterpart.region"), order=("-linked_on", "-id")
    )
    base_permissions = ["can_list"]
    base_filters = [["id", LinkScopeFilter, None]]
    list_title = lazy_gettext("Cross-level links")
    list_columns = [
        "case",
        "direction",
        "counterpart",
        "external_party",
        "external_state",
        "purpose",
        "state",
        "linked_on",
        "ended_on",
    ]
    list_filters = LINK_FILTERS
    search_columns = [*LINK_FILTERS, "linked_on"]
    order_columns = ["linked_on", "ended_on"]
    label_columns = {
        "case": lazy_gettext("Case"),
        "direction": lazy_gettext("Counterpart is at"),
        "counterpart": lazy_gettext("Counterpart case"),
        "external_party": lazy_gettext("Other party"),
        "external_state": lazy_gettext("Other party's state"),
        "purpose": lazy_gettext("Purpose"),
        "state": lazy_gettext("State"),
        "linked_on": lazy_gettext("Linked on"),
        "ended_on": lazy_gettext("Ended on"),
    }
    formatters_columns = {
        "case": _case_cell,
        "counterpart": _case_cell,
        "direction": _label(Direction),
        "state": _label(LinkState),
        "linked_on": lambda d: d.isoformat() if d else "",
        "ended_on": lambda d: d.isoformat() if d else "",
    }
    page_size = 25

    @expose("/")
    @has_access
    @permission_name("list")
    def index(self) -> Any:
        return redirect(url_for(".list"))


class LinkPageView(BaseView):
    """Link a case to its counterpart at the other level, end a link, record an outside party's state."""

    route_base = "/caselinks"
    default_view = "link"
    base_permissions = ["can_link", "can_end", "can_state"]

    @expose("/case/<int:case_id>", methods=["GET", "POST"])
    @has_access
    def link(self, case_id: int) -> Any:
        """The form: a counterpart case number, or an outside party by name; the purpose; the date."""
        from app.services.cases import case_for

        user = actor()
        try:
            case = case_for(case_id, user)
        except NotFound:
            abort(404)
        form = request.form
        problem = ""
        if request.method == "POST":
            kind = form.get("kind", "case")
            link_request = links.LinkRequest(
                purpose=form.get("purpose", ""),
                counterpart_number=form.get("counterpart_number", "") if kind == "case" else "",
                external_party=form.get("external_party", "") if kind == "external" else "",
                external_reference=form.get("external_reference", "") if kind == "external" else "",
                external_state=form.get("external_state", "") if kind == "external" else "",
                direction=form.get("direction", ""),
                on=form_date(form.get("on")),
            )
            try:
                links.link_case(case.id, link_request, user)
            except DomainError as error:
                problem = error_text(error)
            else:
                return self._done(case.id, gettext("Case linked to the other level."))
        return self.render_template(
            "links/new.html",
            title=gettext("Link to the other level"),
            case=case,
            values=form,
            problem=problem,
            Direction=Direction,
            today=today(),
        )

    def _done(self, case_id: int, message: str) -> Any:
        flash(message, "success")
        return redirect(url_for("CasePageView.case", case_id=case_id))

    @expose("/<int:link_id>/end", methods=["POST"])
    @has_access
    @permission_name("end")
    def end(self, link_id: int) -> Any:
        link = self._link(link_id)
        run_service(
            lambda: links.end_link(
                link.id,
                actor(),
                request.form.get("note", ""),
                form_date(request.form.get("on")) or today(),
                form_version(),
            ),
            gettext("Done: %(action)s.", action=gettext(ACTION_LABELS["end"])),
        )
        return redirect(safe_next(url_for("CaseLinkView.list")))

    @expose("/<int:link_id>/state", methods=["POST"])
    @has_access
    @permission_name("state")
    def state(self, link_id: int) -> Any:
        """The outside party's state as learned on a date; a refusal shows the form again with what was typed."""
        link = self._link(link_id)
        form = request.form
        try:
            links.record_external_state(
                link.id, form.get("external_state", ""), actor(), form_date(form.get("on")), form_version()
            )
        except DomainError as error:
            return self.render_template(
                "links/state.html",
                title=gettext("Other party's state"),
                link=link,
                values=form,
                problem=error_text(error),
                today=today(),
            )
        return self._done(link.case_id, gettext("Other party's state recorded."))

    def _link(self, link_id: int) -> CaseLink:
        try:
            return links.load_link(link_id, actor())
        except NotFound:
            abort(404)


def register(appbuilder: AppBuilder) -> None:
    """Add this module's views and menu entries."""
    appbuilder.add_view(
        CaseLinkView,
        "Cross-level links",
        label=lazy_gettext("Cross-level links"),
        icon="fa-exchange",
        category="Cases",
    )
    appbuilder.add_view_no_menu(LinkPageView)
