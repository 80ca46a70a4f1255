"""Shared view plumbing: the acting user, scope filters, translated domain errors, service-backed forms."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import abort, flash, g, request
from flask_appbuilder import ModelView
from flask_appbuilder.models.sqla.filters import FilterInFunction
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.urltools import get_order_args, get_page_args, get_page_size_args
from flask_babel import gettext
from sqlalchemy.orm import selectinload

from app.domain.errors import DomainError, FileRejected
from app.models import Staff
from app.services.scope import visible_region_ids


def actor() -> Staff:
    """The logged-in user the services act for."""
    return g.user


def scoped_regions() -> list[int]:
    """Region ids the current user may see; cached for the request."""
    if "scoped_regions" not in g:
        g.scoped_regions = visible_region_ids(g.user)
    return g.scoped_regions


def region_scope(column: str = "region_id") -> list[list[Any]]:
    """A FAB `base_filters` entry limiting rows to the user's regions."""
    return [[column, FilterInFunction, scoped_regions]]


def _translated(params: dict[str, Any]) -> dict[str, Any]:
    # Labels passed as parameters (a state, an action) are msgids too; data such as names has no entry.
    return {k: gettext(v) if isinstance(v, str) and v else v for k, v in params.items()}


def error_text(error: DomainError) -> str:
    """The domain error in the user's language."""
    return gettext(error.template, **_translated(error.params))


def flash_error(error: DomainError) -> None:
    flash(error_text(error), "danger")
    if isinstance(error, FileRejected):
        for problem in error.problems[:50]:
            where = []
            if problem.row is not None:
                where.append(gettext("row %(row)s", row=problem.row))
            if problem.column:
                where.append(gettext("column “%(column)s”", column=problem.column))
            prefix = (", ".join(where) + ": ") if where else ""
            flash(prefix + gettext(problem.template, **_translated(problem.params)), "danger")
        if len(error.problems) > 50:
            flash(gettext("… and %(n)s more problems.", n=len(error.problems) - 50), "danger")


class EagerInterface(SQLAInterface):
    """SQLAInterface that loads the listed relations in one extra query each, not one per row."""

    def __init__(self, obj: type, eager: Sequence[str] = (), order: Sequence[str] = ()) -> None:
        super().__init__(obj)
        self.eager = tuple(eager)
        self.default_order = tuple(order)

    def apply_all(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        query = super().apply_all(query, *args, **kwargs)
        return query.options(*(selectinload(getattr(self.obj, name)) for name in self.eager))

    def apply_order_by(self, query: Any, order_column: str, order_direction: str, *args: Any, **kwargs: Any) -> Any:
        # The user's sort first; the declared order after it keeps pages stable and rows grouped.
        query = super().apply_order_by(query, order_column, order_direction, *args, **kwargs)
        columns = [
            getattr(self.obj, name[1:]).desc() if name.startswith("-") else getattr(self.obj, name)
            for name in self.default_order
        ]
        return query.order_by(*columns)


_INPUT_CLASSES = {
    "StringField": "form-control",
    "IntegerField": "form-control",
    "SelectField": "form-control my_select2",  # FAB's ab.js turns .my_select2 into a searchable select
    "DateField": "form-control",
}


def style_form(form: Any) -> Any:
    """Give hand-written form fields the Bootstrap look of FAB's generated ones."""
    for field in form:
        css = _INPUT_CLASSES.get(field.type)
        if css:
            field.render_kw = {**(field.render_kw or {}), "class": css}
            if field.type == "DateField":
                field.render_kw["type"] = "date"
    return form


class ServiceModelView(ModelView):
    """A ModelView whose add and edit call a service; a refused save keeps the user's input on screen."""

    # Service calls: (form) -> None and (item, form) -> None; they raise DomainError to refuse.
    def service_add(self, form: Any) -> None:
        raise NotImplementedError

    def service_edit(self, item: Any, form: Any) -> None:
        raise NotImplementedError

    def fill_form(self, form: Any, item: Any = None) -> None:
        """Set per-request choices (e.g. departments of the user's regions) on a fresh form."""

    def _add(self) -> Any:
        form = style_form(self.add_form.refresh())
        self.fill_form(form)
        if request.method == "POST" and form.validate():
            try:
                self.service_add(form)
            except DomainError as error:
                flash_error(error)
            else:
                flash(self.add_row_message, "success")
                return None
        self.update_redirect()
        return self._get_add_widget(form=form)

    def _edit(self, pk: Any) -> Any:
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        if request.method == "POST":
            form = style_form(self.edit_form.refresh(request.form))
            self.fill_form(form, item)
            if form.validate():
                try:
                    self.service_edit(item, form)
                except DomainError as error:
                    flash_error(error)
                else:
                    flash(self.edit_row_message, "success")
                    return None
        else:
            form = style_form(self.edit_form.refresh(obj=item))
            self.fill_form(form, item)
            self.prefill_form(form, pk)
        self.update_redirect()
        widgets = self._get_edit_widget(form=form)
        return self._get_related_views_widgets(
            item,
            filters={},
            orders=get_order_args(),
            pages=get_page_args(),
            page_sizes=get_page_size_args(),
            widgets=widgets,
        )


def run_service(call: Callable[[], Any], success: str | None = None) -> bool:
    """Call a service; flash its success or its translated refusal. True when it succeeded."""
    try:
        call()
    except DomainError as error:
        flash_error(error)
        return False
    if success:
        flash(success, "success")
    return True
