"""Ledger exports from a list: “export ledger” on a list, and the background job's page when it is large."""

from __future__ import annotations

import copy
import io
from typing import Any

from flask import Response, abort, current_app, g, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_appbuilder.urltools import get_filter_args
from flask_babel import get_locale, gettext, lazy_gettext

from app.domain.errors import NotFound
from app.domain.exports import UNKNOWN_SOURCE, WORKER_LOST, ExportExpired, ExportNotReady, JobCannotRun
from app.models import ExportJob, Staff
from app.services.clock import today
from app.services.exports import download_path, job_expired, job_expires_at, job_for
from app.services.ledger import LedgerScope, count_rows, write_ledger
from app.services.scope import sees_full_phones
from app.tasks import start_export
from app.views.base import actor, scoped_regions
from app.views.errors import render_error


class LedgerExportMixin:
    """Adds “export ledger” to a list: the list's current filters and the user's scope decide the rows."""

    ledger_filters_items = False
    ledger_source = ""  # the name a background export keeps, to rebuild this list's rows in a worker

    def ledger_scope(self) -> LedgerScope:
        """The rows of this list as the request's filter arguments and the user's scope select them."""
        filters = copy.copy(self._filters)  # FAB's filters are shared by the view: each call fills its own
        get_filter_args(filters, disallow_if_not_in_search=False)
        joined = filters.get_joined_filters(self._base_filters)
        ids = self.datamodel.apply_filters(self.datamodel.session.query(self.datamodel.obj.id), joined).statement
        user = actor()
        return LedgerScope(
            region_ids=scoped_regions(),
            title_region=user.region.name if user.region else gettext("All regions"),
            item_ids=ids if self.ledger_filters_items else None,
            case_ids=None if self.ledger_filters_items else ids,
            full_phones=sees_full_phones(user),
        )

    @expose("/ledger")
    @has_access
    @permission_name("ledger")
    def ledger(self) -> Any:
        scope = self.ledger_scope()
        english = str(get_locale()) == "en"
        name = f"ledger-{today().isoformat()}.xlsx"
        rows = count_rows(scope)
        if rows > current_app.config["LEDGER_BACKGROUND_ROWS"]:
            job = start_export(self.ledger_source, request.query_string.decode(), rows, name, english, actor())
            return redirect(url_for("LedgerJobView.job", token=job.token))
        buffer = io.BytesIO()
        write_ledger(buffer, scope, english=english, max_rows=current_app.config["LEDGER_MAX_ROWS"])
        return Response(
            buffer.getvalue(),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


def job_ledger_scope(job: ExportJob, owner: Staff) -> LedgerScope:
    """A background export's rows, rebuilt in a worker: its list's saved filters, its owner's scope as it is now."""
    views = current_app.appbuilder.baseviews
    view = next((v for v in views if isinstance(v, LedgerExportMixin) and v.ledger_source == job.source), None)
    if not job.source or view is None:
        raise JobCannotRun(UNKNOWN_SOURCE)
    with current_app.test_request_context(query_string=job.params):
        g.user = owner
        return view.ledger_scope()


def job_problem(job: ExportJob) -> str:
    """Why a job failed, in the reader's language."""
    if job.error == WORKER_LOST:
        return gettext(
            "The export was tried %(tries)s times and each time its worker stopped before it finished. "
            "Export the ledger again; if it happens again, tell the administrator.",
            tries=job.tries,
        )
    # A domain error's message, or an unexpected error's text as it was (gettext("") would be the catalog header).
    return gettext(job.error) if job.error else ""


EXPORT_EXPIRED_PAGE = (lazy_gettext("The export has expired"), lazy_gettext(ExportExpired.template))


class LedgerJobView(BaseView):
    """A background ledger export: progress while it runs, the download when it is done, until it expires."""

    route_base = "/ledger"
    default_view = "job"
    base_permissions = ["can_job", "can_download"]

    def _job(self, token: str) -> ExportJob:
        try:
            return job_for(token, actor())
        except NotFound:
            abort(404)

    @expose("/jobs/<token>")
    @has_access
    def job(self, token: str) -> Any:
        job = self._job(token)
        expired = job_expired(job)
        return self.render_template(
            "cases/ledger_job.html",
            title=gettext("Ledger export"),
            job=job,
            status="expired" if expired else job.status,
            expires_at=job_expires_at(job),
            problem=job_problem(job) if job.status == "failed" else "",
        )

    @expose("/jobs/<token>/download")
    @has_access
    def download(self, token: str) -> Any:
        job = self._job(token)
        try:
            path = download_path(job)
        except ExportExpired:
            return render_error(410, EXPORT_EXPIRED_PAGE)
        except ExportNotReady:
            abort(404)
        return send_file(path, as_attachment=True, download_name=job.file_name)
