"""申报材料 on cases: record what became of each material (the panel lives on the case page), and its own page."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext

from app.domain.errors import NotFound
from app.domain.materials import MATERIAL_LABELS, MaterialForm, MaterialState
from app.services import materials as materials_service
from app.services.case_loading import case_for
from app.services.clock import today
from app.services.lights import light_book
from app.views.base import actor, form_date, form_version, run_service, safe_next
from app.views.cells import light_badge


def _back(case_id: int) -> Any:
    """To the page the form came from (the case page's panel), never off the site."""
    return redirect(safe_next(url_for("CasePageView.case", case_id=case_id, _anchor="materials")))


class MaterialsView(BaseView):
    """The materials checklist of a case: its page (read), and the steps agents record on its rows."""

    route_base = "/materials"
    default_view = "checklist"
    base_permissions = ["can_checklist", "can_move", "can_add", "can_return_all"]

    @expose("/case/<int:case_id>")
    @has_access
    def checklist(self, case_id: int) -> Any:
        user = actor()
        try:
            case = case_for(case_id, user)
        except NotFound:
            abort(404)
        return self.render_template(
            "materials/page.html",
            title=gettext("Materials checklist of %(number)s", number=case.number),
            case=case,
            materials=materials_service.panel(case, user, light_book()),
            light_badge=light_badge,
            today=today(),
            MaterialForm=MaterialForm,
            MaterialState=MaterialState,
            standalone=True,
        )

    @expose("/<int:material_id>/move/<action>", methods=["POST"])
    @has_access
    def move(self, material_id: int, action: str) -> Any:
        form = request.form
        case_id = form.get("case_id", type=int) or 0
        run_service(
            lambda: materials_service.move_material(
                material_id,
                action,
                actor(),
                form_date(form.get("on")) or today(),
                note=form.get("note", ""),
                promised_on=form_date(form.get("promised_on")),
                expected_version=form_version(),
            ),
            gettext("Recorded: %(action)s.", action=gettext(MATERIAL_LABELS.get(action, action))),
        )
        return _back(case_id)

    @expose("/add", methods=["POST"])
    @has_access
    def add(self) -> Any:
        form = request.form
        run_service(
            lambda: materials_service.add_material(
                form.get("item_id", type=int) or 0,
                actor(),
                form.get("name", ""),
                form.get("form", MaterialForm.ORIGINAL.value),
                form.get("count", "1"),
                form.get("notes", ""),
                bool(form.get("deferrable")),
            ),
            gettext("Material added to the checklist."),
        )
        return _back(form.get("case_id", type=int) or 0)

    @expose("/item/<int:item_id>/receive_all", methods=["POST"])
    @has_access
    @permission_name("move")
    def receive_all(self, item_id: int) -> Any:
        """收取全部: every material of the item still to receive, on the date given."""
        done: list[int] = []
        run_service(
            lambda: done.append(
                materials_service.receive_all(item_id, actor(), form_date(request.form.get("on")) or today())
            )
        )
        if done:
            flash(gettext("%(n)s materials received.", n=done[0]), "success")
        return _back(request.form.get("case_id", type=int) or 0)

    @expose("/case/<int:case_id>/return_all", methods=["POST"])
    @has_access
    def return_all(self, case_id: int) -> Any:
        form = request.form
        run_service(
            lambda: materials_service.return_all(
                case_id, actor(), form_date(form.get("on")) or today(), form.get("note", "")
            ),
            gettext("Every received original is recorded as returned."),
        )
        return _back(case_id)


def register(appbuilder: AppBuilder) -> None:
    """Add this module's views and menu entries (none: the checklist is reached from the case page)."""
    appbuilder.add_view_no_menu(MaterialsView)
