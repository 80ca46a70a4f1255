"""The printable papers of a case: the one-time notice and Attachments 4–9, as an A4 print page and as a PDF.

`/paper/<case>/<form>` is a standalone print page (no navigation bar) with a print button; `/paper/<case>/<form>.pdf`
is the same page rendered by WeasyPrint. A case the user cannot open is a 404; a paper that does not fit the case's
state sends the user back to the case page with the reason; a server that cannot make PDFs says so on the print
page, which the browser can still print.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, redirect, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import get_locale

from app.domain.enums import Stage
from app.domain.errors import NotFound
from app.domain.paper import PaperNotAvailable
from app.domain.workflow import Satisfaction
from app.services import paper
from app.views.base import actor, flash_error


class PaperView(BaseView):
    """The papers of one case, printed from its page (agents and supervisors)."""

    route_base = "/paper"
    default_view = "sheet"
    base_permissions = ["can_print"]

    def _sheet(self, case_id: int, form: str) -> paper.Sheet | Any:
        try:
            return paper.sheet(case_id, form, actor())
        except NotFound:
            abort(404)
        except PaperNotAvailable as error:
            flash_error(error)
            return redirect(url_for("CasePageView.case", case_id=case_id))

    def _page(self, sheet: paper.Sheet, for_pdf: bool = False) -> str:
        return self.render_template(
            f"paper/{sheet.form.key}.html",
            sheet=sheet,
            for_pdf=for_pdf,  # no toolbar: it would also take the flashed messages meant for the next page
            case=sheet.case,
            locale=str(get_locale()),
            Satisfaction=Satisfaction,
            Stage=Stage,
        )

    @expose("/<int:case_id>/<form>")
    @has_access
    @permission_name("print")
    def sheet(self, case_id: int, form: str) -> Any:
        found = self._sheet(case_id, form)
        return self._page(found) if isinstance(found, paper.Sheet) else found

    @expose("/<int:case_id>/<form>.pdf")
    @has_access
    @permission_name("print")
    def pdf(self, case_id: int, form: str) -> Any:
        found = self._sheet(case_id, form)
        if not isinstance(found, paper.Sheet):
            return found
        try:
            document = paper.render_pdf(self._page(found, for_pdf=True))
        except (paper.PdfUnavailable, paper.PdfFailed) as error:
            flash_error(error)
            return redirect(url_for(".sheet", case_id=case_id, form=form))
        name = f"{found.case.number}-{found.form.key}.pdf"
        return Response(
            document,
            mimetype="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{name}"'},
        )


def register(appbuilder: AppBuilder) -> None:
    """Add this module's views and menu entries."""
    appbuilder.add_view_no_menu(PaperView)
