"""会商联审 screens: the meetings list, a meeting's page (attendance, decisions, minutes), printable minutes,
waiting escalations, the decisions list; and the escalation form posted from a case page."""

from __future__ import annotations

import io
from typing import Any

from flask import Response, abort, redirect, request, url_for
from flask_appbuilder import BaseView, ModelView, expose, has_access
from flask_appbuilder.models.sqla.filters import FilterInFunction
from flask_appbuilder.security.decorators import permission_name
from flask_babel import get_locale, gettext, lazy_gettext
from markupsafe import Markup
from sqlalchemy import select

from app.domain.coordination import (
    ACTION_LABELS,
    REVIEW_DEPARTMENT_KINDS,
    ConvenedBy,
    DecisionState,
    ReviewKind,
    ReviewState,
)
from app.domain.enums import RoleName, Stage
from app.domain.errors import NotFound
from app.extensions import db
from app.models import Case, CaseEvent, Decision, Department, JointReview
from app.services import coordination, paper, search
from app.services.clock import today
from app.services.scope import role_names, visible_department_ids
from app.texts import enum_label
from app.views.base import (
    EagerInterface,
    actor,
    flash_error,
    form_date,
    form_version,
    region_scope,
    run_service,
    safe_next,
)
from app.views.cells import light_badge, lights
from app.views.lists import ListFilter, SearchableListMixin, agent_choices


def _review_link(review: JointReview) -> Markup:
    return Markup('<a href="{}">{}</a>').format(url_for("ReviewPageView.review", review_id=review.id), review.topic)


class JointReviewView(ModelView):
    """Every meeting of the user's levels, newest first; the topic opens the meeting's page."""

    route_base = "/reviewlist"
    datamodel = EagerInterface(JointReview, eager=("region",), order=("-held_on", "-id"))
    base_permissions = ["can_list", "can_ledger"]
    base_filters = region_scope()
    list_title = lazy_gettext("Joint reviews")
    list_columns = ["held_on", "region", "kind", "ref", "state", "chair"]
    search_columns = ["topic", "held_on"]
    order_columns = ["held_on"]
    label_columns = {
        "held_on": lazy_gettext("Meeting date"),
        "region": lazy_gettext("Region"),
        "kind": lazy_gettext("Kind"),
        "ref": lazy_gettext("Topic"),
        "topic": lazy_gettext("Topic"),
        "state": lazy_gettext("State"),
        "chair": lazy_gettext("Chaired by"),
    }
    formatters_columns = {"kind": enum_label(ReviewKind), "state": enum_label(ReviewState), "ref": _review_link}
    list_template = "coordination/list.html"

    @expose("/ledger")
    @has_access
    @permission_name("ledger")
    def ledger(self) -> Any:
        """The 会商联审台账 of the user's levels: meetings and every decision with its state."""
        buffer = io.BytesIO()
        coordination.write_review_ledger(buffer, actor(), english=str(get_locale()) == "en")
        return Response(
            buffer.getvalue(),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="joint-reviews-{today().isoformat()}.xlsx"'},
        )


def decision_scope() -> list[int]:
    return visible_department_ids(actor())


DECISION_FILTERS = {
    "desk": ListFilter(lazy_gettext("Cases on the desk of"), search.decision_on_desk, agent_choices),
}


class DecisionView(SearchableListMixin, ModelView):
    """议定事项 of the user's levels (a liaison: their department's), with their lights."""

    route_base = "/decisions"
    datamodel = EagerInterface(Decision, eager=("department", "review", "case"), order=("due_on", "id"))
    base_permissions = ["can_list"]
    base_filters = [["department_id", FilterInFunction, decision_scope]]
    list_title = lazy_gettext("Decisions of joint reviews")
    list_columns = ["review", "text", "department", "case", "due_on", "state", "closed_on", "traffic"]
    list_filters = DECISION_FILTERS
    search_columns = ["text", "state", "due_on", *DECISION_FILTERS]
    order_columns = ["due_on", "closed_on"]
    label_columns = {
        "review": lazy_gettext("Meeting"),
        "text": lazy_gettext("Decision"),
        "department": lazy_gettext("Responsible department"),
        "case": lazy_gettext("Case no."),
        "due_on": lazy_gettext("Deadline"),
        "state": lazy_gettext("State"),
        "closed_on": lazy_gettext("Closed on"),
        "traffic": lazy_gettext("Urgency"),
        "desk": lazy_gettext("Cases on the desk of"),
    }
    formatters_columns = {
        "review": _review_link,
        "state": enum_label(DecisionState),
        "traffic": lambda d: light_badge(lights().decision(d)),
    }


def _step(mover: Any, record_id: int, action: str) -> None:
    """One step from a step form (date, note, version): call the service's mover, flash its outcome."""
    run_service(
        lambda: mover(
            record_id,
            action,
            actor(),
            form_date(request.form.get("on")) or today(),
            note=request.form.get("note", ""),
            expected_version=form_version(),
        ),
        gettext("Done: %(action)s.", action=gettext(ACTION_LABELS.get(action, action))),
    )


class ReviewPageView(BaseView):
    """A meeting: plan it, record attendance, hold it, record decisions, write and issue the minutes."""

    route_base = "/reviews"
    default_view = "escalations"
    base_permissions = [
        "can_review",
        "can_new",
        "can_attendance",
        "can_minutes",
        "can_move",
        "can_decide",
        "can_decision",
        "can_escalations",
        "can_escalate",
        "can_print",
    ]

    def _review(self, review_id: int) -> JointReview:
        try:
            return coordination.load_review(review_id, actor())
        except NotFound:
            abort(404)

    def _back(self, review_id: int) -> Any:
        return redirect(safe_next(url_for(".review", review_id=review_id)))

    @expose("/<int:review_id>")
    @has_access
    def review(self, review_id: int) -> Any:
        review = self._review(review_id)
        user = actor()
        roles = role_names(user)
        convener = bool(roles & {RoleName.SUPERVISOR.value, RoleName.AGENT.value})
        events = db.session.scalars(
            select(CaseEvent)
            .where(CaseEvent.subject_type == "review", CaseEvent.subject_id == review.id)
            .order_by(CaseEvent.at, CaseEvent.id)
        ).all()
        return self.render_template(
            "coordination/review.html",
            title=review.topic,
            review=review,
            convener=convener,
            review_actions=coordination.review_actions(review, user) if convener else [],
            decision_actions={d.id: coordination.decision_actions(d, user) for d in review.decisions},
            action_labels=ACTION_LABELS,
            ReviewState=ReviewState,
            ReviewKind=ReviewKind,
            ConvenedBy=ConvenedBy,
            DecisionState=DecisionState,
            Stage=Stage,
            events=events,
            book=lights(),
            light_badge=light_badge,
            today=today(),
        )

    def _minutes_page(self, review_id: int, for_pdf: bool = False) -> str:
        try:
            sheet = coordination.minutes_sheet(review_id, actor())
        except NotFound:
            abort(404)
        return self.render_template(
            "coordination/minutes.html",
            title=gettext("Minutes"),
            locale=str(get_locale()),
            sheet=sheet,
            review=sheet.review,
            for_pdf=for_pdf,
            printed_on=today(),
            ReviewKind=ReviewKind,
            ConvenedBy=ConvenedBy,
            DecisionState=DecisionState,
        )

    @expose("/<int:review_id>/print")
    @has_access
    @permission_name("print")
    def print_minutes(self, review_id: int) -> Any:
        return self._minutes_page(review_id)

    @expose("/<int:review_id>/minutes.pdf")
    @has_access
    @permission_name("print")
    def minutes_pdf(self, review_id: int) -> Any:
        page = self._minutes_page(review_id, for_pdf=True)
        try:
            document = paper.render_pdf(page)
        except (paper.PdfUnavailable, paper.PdfFailed) as error:
            flash_error(error)
            return redirect(url_for(".print_minutes", review_id=review_id))
        return Response(
            document,
            mimetype="application/pdf",
            headers={"Content-Disposition": f'inline; filename="minutes-{review_id}.pdf"'},
        )

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self) -> Any:
        user = actor()
        region_id = request.values.get("region_id", type=int) or user.region_id
        departments = list(
            db.session.scalars(
                select(Department).where(Department.region_id == region_id, Department.active).order_by(Department.id)
            )
        )
        waiting = [e for e in coordination.waiting_escalations(user) if e.region_id == region_id]
        form = request.form
        if request.method == "POST":
            numbers = [n.strip() for n in form.get("case_numbers", "").replace("，", ",").split(",") if n.strip()]
            case_ids = list(db.session.scalars(select(Case.id).where(Case.number.in_(numbers))))
            plan = coordination.ReviewPlan(
                region_id=region_id,
                held_on=form_date(form.get("held_on")) or today(),
                topic=form.get("topic", ""),
                kind=form.get("kind", ""),
                convened_by=form.get("convened_by", ""),
                chair=form.get("chair", ""),
                stages=tuple(form.getlist("stage")),
                department_ids=tuple(int(v) for v in form.getlist("department_id") if v.isdigit()),
                case_ids=tuple(case_ids) if len(case_ids) == len(numbers) else (-1,),
                escalation_ids=tuple(int(v) for v in form.getlist("escalation_id") if v.isdigit()),
            )
            made: list[JointReview] = []
            if run_service(lambda: made.append(coordination.plan_review(plan, user)), gettext("Meeting planned.")):
                return redirect(url_for(".review", review_id=made[0].id))
        return self.render_template(
            "coordination/new.html",
            title=gettext("Plan a joint review"),
            values=form,
            region_id=region_id,
            departments=departments,
            # Nothing ticked for the convener: who is asked depends on the projects (members are marked).
            chosen={int(v) for v in form.getlist("department_id") if v.isdigit()},
            member_kinds=REVIEW_DEPARTMENT_KINDS,
            waiting=waiting,
            ReviewKind=ReviewKind,
            ConvenedBy=ConvenedBy,
            Stage=Stage,
            today=today(),
        )

    @expose("/<int:review_id>/reschedule", methods=["GET", "POST"])
    @has_access
    @permission_name("move")
    def reschedule(self, review_id: int) -> Any:
        review = self._review(review_id)
        form = request.form
        if request.method == "POST":
            done = run_service(
                lambda: coordination.reschedule_review(
                    review.id,
                    form_date(form.get("held_on")),
                    form.get("topic", ""),
                    form.get("chair", ""),
                    tuple(int(v) for v in form.getlist("department_id") if v.isdigit() and len(v) < 12),
                    actor(),
                    form_version(),
                ),
                gettext("Meeting rescheduled."),
            )
            if done:
                return self._back(review_id)
        departments = db.session.scalars(
            select(Department)
            .where(Department.region_id == review.region_id, Department.active)
            .order_by(Department.id)
        ).all()
        chosen = (
            {int(v) for v in form.getlist("department_id") if v.isdigit()}
            if request.method == "POST"
            else {p.department_id for p in review.participants}
        )
        return self.render_template(
            "coordination/reschedule.html",
            title=gettext("Reschedule the meeting"),
            review=review,
            values=form,
            departments=departments,
            chosen=chosen,
            member_kinds=REVIEW_DEPARTMENT_KINDS,
        )

    @expose("/<int:review_id>/attendance", methods=["POST"])
    @has_access
    @permission_name("attendance")
    def attendance(self, review_id: int) -> Any:
        review = self._review(review_id)
        form = request.form
        marks = {
            p.department_id: (
                form.get(f"attended_{p.department_id}") == "1",
                form.get(f"attendee_{p.department_id}", ""),
            )
            for p in review.participants
            if form.get(f"attended_{p.department_id}") in ("0", "1")
        }
        done = gettext("Attendance recorded.")
        run_service(lambda: coordination.record_attendance(review.id, marks, actor(), form_version()), done)
        return self._back(review_id)

    @expose("/<int:review_id>/minutes", methods=["POST"])
    @has_access
    @permission_name("minutes")
    def minutes(self, review_id: int) -> Any:
        run_service(
            lambda: coordination.write_minutes(review_id, request.form.get("minutes", ""), actor(), form_version()),
            gettext("Minutes saved."),
        )
        return self._back(review_id)

    @expose("/<int:review_id>/move/<action>", methods=["POST"])
    @has_access
    @permission_name("move")
    def move(self, review_id: int, action: str) -> Any:
        _step(coordination.move_review, review_id, action)
        return self._back(review_id)

    @expose("/<int:review_id>/decide", methods=["POST"])
    @has_access
    @permission_name("decide")
    def decide(self, review_id: int) -> Any:
        form = request.form
        days = form.get("due_days", "").strip()
        target = form.get("subject", "")
        case_id = int(target[5:]) if target.startswith("case-") and target[5:].isdigit() else None
        item_id = int(target[5:]) if target.startswith("item-") and target[5:].isdigit() else None
        run_service(
            lambda: coordination.decide(
                review_id,
                form.get("text", ""),
                form.get("department_id", type=int) or 0,
                actor(),
                person=form.get("person", ""),
                case_id=case_id,
                item_id=item_id,
                due_days=int(days) if days.isdigit() and len(days) < 4 else None,
                due_on=form_date(form.get("due_on")),
            ),
            gettext("Decision recorded."),
        )
        return self._back(review_id)

    @expose("/decision/<int:decision_id>/<action>", methods=["POST"])
    @has_access
    @permission_name("decision")
    def decision(self, decision_id: int, action: str) -> Any:
        _step(coordination.move_decision, decision_id, action)
        return redirect(safe_next(url_for("DecisionView.list")))

    @expose("/escalations")
    @has_access
    def escalations(self) -> Any:
        return self.render_template(
            "coordination/escalations.html",
            title=gettext("Escalations waiting for a joint review"),
            rows=coordination.waiting_escalations(actor()),
        )

    @expose("/escalate/<int:case_id>", methods=["POST"])
    @has_access
    def escalate(self, case_id: int) -> Any:
        form = request.form
        item = form.get("item_id", "")
        run_service(
            lambda: coordination.escalate(
                case_id,
                actor(),
                form.get("reason", ""),
                form.get("tried", ""),
                int(item) if item.isdigit() and len(item) < 12 else None,
                form_date(form.get("on")),
            ),
            gettext("Escalated: it waits for the next joint review."),
        )
        return redirect(safe_next(url_for("CasePageView.case", case_id=case_id)))
