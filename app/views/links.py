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
from app.models.links import CaseLink
from app.services import links, search
from app.services.clock import today
from app.services.search import enum_is
from app.texts import enum_label
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
from app.views.lists import ListFilter, SearchableListMixin


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
        CaseLink,
        eager=("case.region", "case.items", "counterpart.region", "target_region"),
        order=("-requested_on", "-id"),
    )
    base_permissions = ["can_list"]
    base_filters = [["id", LinkScopeFilter, None]]
    list_title = lazy_gettext("Cross-level links")
    list_columns = [
        "case",
        "direction",
        "target_region",
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
        "target_region": lazy_gettext("Region asked"),
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
        "direction": enum_label(Direction),
        "target_region": lambda region: region.name if region else "",
        "state": enum_label(LinkState),
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
    """Request a link to the other level, answer the requests waiting for one's region, withdraw or end a link,
    record an outside party's state."""

    route_base = "/caselinks"
    default_view = "requests"
    base_permissions = ["can_link", "can_requests", "can_accept", "can_refuse", "can_withdraw", "can_end", "can_state"]

    @expose("/case/<int:case_id>", methods=["GET", "POST"])
    @has_access
    def link(self, case_id: int) -> Any:
        """The request: the region directly above or below and the project there, or an outside party by name."""
        from app.services.case_loading import case_for

        user = actor()
        try:
            case = case_for(case_id, user)
        except NotFound:
            abort(404)
        form = request.form
        problem = ""
        if request.method == "POST":
            kind = form.get("kind", "case")
            internal = kind != "external"
            link_request = links.LinkRequest(
                purpose=form.get("purpose", ""),
                region_id=search.form_id(form.get("region_id")) if internal else None,
                project_reference=form.get("project_reference", "") if internal else "",
                counterpart_hint=form.get("counterpart_hint", "") if internal else "",
                external_party=form.get("external_party", "") if not internal else "",
                external_reference=form.get("external_reference", "") if not internal else "",
                external_state=form.get("external_state", "") if not internal else "",
                direction=form.get("direction", ""),
                on=form_date(form.get("on")),
            )
            try:
                link = links.request_link(case.id, link_request, user)
            except DomainError as error:
                problem = error_text(error)
            else:
                done = (
                    gettext(
                        "Link requested: it becomes active when %(region)s accepts it.", region=link.target_region.name
                    )
                    if link.target_region is not None
                    else gettext("Case linked to the other level.")
                )
                return self._done(case.id, done)
        return self.render_template(
            "links/new.html",
            title=gettext("Link to the other level"),
            case=case,
            values=form,
            problem=problem,
            regions=links.link_regions(case),
            Direction=Direction,
            today=today(),
        )

    def _done(self, case_id: int, message: str) -> Any:
        flash(message, "success")
        return redirect(url_for("CasePageView.case", case_id=case_id))

    @expose("/requests")
    @has_access
    def requests(self) -> Any:
        """The requests waiting for the user's region to answer, and those their cases sent."""
        return self.render_template(
            "links/requests.html",
            title=gettext("Link requests"),
            waiting=links.requests_for(actor()),
            labels=ACTION_LABELS,
            today=today(),
        )

    @expose("/<int:link_id>/accept", methods=["GET", "POST"])
    @has_access
    def accept(self, link_id: int) -> Any:
        """The answer page: the requester's case and purpose, and one's own open cases to choose the counterpart."""
        user = actor()
        try:
            link = links.request_to_answer(link_id, user)
        except NotFound:
            abort(404)
        form = request.form
        problem = ""
        if request.method == "POST":
            try:
                links.accept_link(
                    link.id,
                    search.form_id(form.get("counterpart_case_id")),
                    user,
                    form_date(form.get("on")),
                    form.get("note", ""),
                    form_version(),
                )
            except DomainError as error:
                problem = error_text(error)
            else:
                flash(gettext("Link accepted: both cases now show each other."), "success")
                return redirect(url_for("CasePageView.case", case_id=link.counterpart_case_id))
        return self.render_template(
            "links/accept.html",
            title=gettext("Answer a link request"),
            link=link,
            candidates=links.counterpart_candidates(link) if link.state == LinkState.REQUESTED.value else [],
            can_register=links.can_register_counterpart(user),
            values=form,
            problem=problem,
            labels=ACTION_LABELS,
            CaseState=CaseState,
            LinkState=LinkState,
            today=today(),
        )

    @expose("/<int:link_id>/refuse", methods=["POST"])
    @has_access
    def refuse(self, link_id: int) -> Any:
        self._answered(link_id)
        self._move(links.refuse_link, link_id, "refuse")
        return redirect(url_for(".requests"))

    @expose("/<int:link_id>/withdraw", methods=["POST"])
    @has_access
    def withdraw(self, link_id: int) -> Any:
        link = self._link(link_id)
        self._move(links.withdraw_link, link.id, "withdraw")
        return redirect(safe_next(url_for("CasePageView.case", case_id=link.case_id)))

    @expose("/<int:link_id>/end", methods=["POST"])
    @has_access
    @permission_name("end")
    def end(self, link_id: int) -> Any:
        link = self._link(link_id)
        self._move(links.end_link, link.id, "end")
        return redirect(safe_next(url_for("CaseLinkView.list")))

    def _move(self, service: Any, link_id: int, action: str) -> bool:
        """One step of a link from a form: its note, date and version; the refusal or success flashed."""
        form = request.form
        return run_service(
            lambda: service(link_id, actor(), form.get("note", ""), form_date(form.get("on")), form_version()),
            gettext("Done: %(action)s.", action=gettext(ACTION_LABELS[action])),
        )

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

    def _answered(self, link_id: int) -> CaseLink:
        try:
            return links.request_to_answer(link_id, actor())
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
    appbuilder.add_link(
        "Link requests",
        href="/caselinks/requests",
        label=lazy_gettext("Link requests"),
        icon="fa-handshake-o",
        category="Cases",
    )
    appbuilder.add_view_no_menu(LinkPageView)
