"""Shared view plumbing: the acting user, scope filters, translated domain errors, service-backed forms."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, request
from flask_appbuilder import ModelView
from flask_appbuilder.baseviews import BaseModelView
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterInFunction, FilterRelation, SQLAFilterConverter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.urltools import get_order_args, get_page_args, get_page_size_args
from flask_babel import gettext, lazy_gettext
from markupsafe import Markup
from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from wtforms import DateField
from wtforms.fields.core import UnboundField

from app.domain.errors import DomainError, FileRejected
from app.models import Staff
from app.services.clock import stamp
from app.services.scope import visible_region_ids
from app.texts import error_text, full_name, translated_params

__all__ = ["error_text", "full_name"]  # re-exported: the views import them from here


def actor() -> Staff:
    """The logged-in user the services act for."""
    return g.user


def scoped_regions() -> list[int]:
    """Region ids the current user may see; cached for the request, keyed by the user.

    Keyed because `g` lives as long as the app context, which a test (or a CLI task) may share between
    requests of different users.
    """
    user_id = getattr(g.user, "id", None)
    cached = g.get("scoped_regions")
    if cached is None or cached[0] != user_id:
        cached = g.scoped_regions = (user_id, visible_region_ids(g.user))
    return cached[1]


def region_scope(column: str = "region_id") -> list[list[Any]]:
    """A FAB `base_filters` entry limiting rows to the user's regions."""
    return [[column, FilterInFunction, scoped_regions]]


def display_value(value: Any) -> Any:
    """How a plain value reads on a list or detail page: 是/否, blank for nothing, times to the minute."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, dt.datetime):
        return stamp(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple) and not isinstance(value, Markup):
        return gettext("、").join(str(v) for v in value)
    return value


def humanize_columns(view: BaseModelView) -> None:
    """Give every shown column without a formatter of its own the plain display of `display_value`.

    FAB prints `None`, `True` and `2026-11-27 23:01:07.123456` (server time) as they are.
    """
    columns = set(getattr(view, "list_columns", None) or []) | set(getattr(view, "show_columns", None) or [])
    for fieldsets in (getattr(view, "show_fieldsets", None), getattr(view, "user_show_fieldsets", None)):
        for _title, fieldset in fieldsets or []:
            columns.update(fieldset.get("fields", []))
    formatters = dict(view.formatters_columns or {})
    for column in columns - set(formatters):
        formatters[column] = display_value
    view.formatters_columns = formatters


def name_blank_choices(view: BaseModelView) -> None:
    """Label the empty choice of FAB's relation selects: WTForms 3.3 shows its value `__None` otherwise."""
    for form in (getattr(view, name, None) for name in ("add_form", "edit_form", "search_form")):
        for field in vars(form or object).values():
            if isinstance(field, UnboundField) and issubclass(field.field_class, QuerySelectField):
                field.kwargs["blank_text"] = lazy_gettext("(none)")


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
            flash(prefix + gettext(problem.template, **translated_params(problem.params)), "danger")
        if len(error.problems) > 50:
            flash(gettext("… and %(n)s more problems.", n=len(error.problems) - 50), "danger")


class _KeptFilterConverter(SQLAFilterConverter):
    """FAB's column → filters conversion, done once per column of a model instead of on every query.

    FAB builds the filters of every column of the model for each query a list runs (hundreds of filter objects a
    page); they depend on the model alone and hold no state of a request, so each column's are kept on the
    interface. Callers get their own list: FAB extends some of them in place.
    """

    def convert(self, col_name: str) -> Any:
        kept = self.datamodel.__dict__.setdefault("_kept_filters", {})
        if col_name not in kept:
            kept[col_name] = super().convert(col_name)
        found = kept[col_name]
        return list(found) if found else found


class EagerInterface(SQLAInterface):
    """SQLAInterface that loads the listed relations in one extra query each, not one per row."""

    filter_converter_class = _KeptFilterConverter

    def __init__(self, obj: type, eager: Sequence[str] = (), order: Sequence[str] = ()) -> None:
        super().__init__(obj)
        self.eager = tuple(eager)
        self.default_order = tuple(order)

    def apply_all(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        query = super().apply_all(query, *args, **kwargs)
        return query.options(*(self._load(path) for path in self.eager))

    def query_count(self, query: Any, filters: Any = None, select_columns: Any = None) -> int:
        """The rows a list holds, counted up to LIST_COUNT_CAP and no further: past it the list says “10,000+”.

        FAB counts every row for its pagination: at 100,000 cases that `count(*)` was most of a list's SQL.
        Counting a LIMITed subquery costs the same however large the table grows.
        """
        cap = int(current_app.config.get("LIST_COUNT_CAP", 10_000))
        inner = self._apply_inner_all(query, filters, select_columns=select_columns, aliases_mapping={})
        rows = inner.with_entities(literal_column("1")).order_by(None).limit(cap + 1).subquery()
        count = self.session.scalar(select(func.count()).select_from(rows)) or 0
        g.list_count_capped = cap if count > cap else None
        return count  # at most cap + 1: the pages reach past the cap, so a full last page still has a next one

    def _load(self, path: str) -> Any:
        """`selectinload` of a relation, or of a chain of them (`"item.region"`)."""
        model, option = self.obj, None
        for name in path.split("."):
            attribute = getattr(model, name)
            option = selectinload(attribute) if option is None else option.selectinload(attribute)
            model = attribute.property.mapper.class_
        return option

    def apply_order_by(self, query: Any, order_column: str, order_direction: str, *args: Any, **kwargs: Any) -> Any:
        # The user's sort first; the declared order after it keeps pages stable and rows grouped.
        query = super().apply_order_by(query, order_column, order_direction, *args, **kwargs)
        columns = [
            getattr(self.obj, name[1:]).desc() if name.startswith("-") else getattr(self.obj, name)
            for name in self.default_order
        ]
        return query.order_by(*columns)


class DateInput(DateField):
    """A date field that says 日期格式不正确 for a value that is no date (WTForms: "Not a valid date value").

    Use it with `InputRequired`, not `DataRequired`: the latter replaces the format error by "required".
    """

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(gettext("The date format is not valid.")) from error


_INPUT_CLASSES = {
    "StringField": "form-control",
    "IntegerField": "form-control",
    "SelectField": "form-control my_select2",  # FAB's ab.js turns .my_select2 into a searchable select
    "DateField": "form-control",
    "DateInput": "form-control",
}


def style_form(form: Any) -> Any:
    """Give hand-written form fields the Bootstrap look of FAB's generated ones.

    Required fields keep their mark (*) but not the browser's `required` check: the browser stops at
    the first empty field, in its own language; the server shows every problem at once, at its field.
    """
    for field in form:
        css = _INPUT_CLASSES.get(field.type)
        if css:
            field.render_kw = {**(field.render_kw or {}), "class": css}
            if field.type in ("DateField", "DateInput"):
                field.render_kw["type"] = "date"
        if field.flags.required:
            field.render_kw = {**(field.render_kw or {}), "required": False}
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

    def check_form(self, form: Any, item: Any = None) -> bool:
        """Rules beyond the fields' own validators, put at their fields; False when any fails."""
        return True

    def _valid(self, form: Any, item: Any = None) -> bool:
        # Both run, so that every problem shows at once, each at its field.
        fields_ok = form.validate()
        return self.check_form(form, item) and fields_ok

    def _add(self) -> Any:
        form = style_form(self.add_form.refresh())
        self.fill_form(form)
        if request.method == "POST" and self._valid(form):
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
            if self._valid(form, item):
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


# --- query strings of FAB's list views, checked once for every view ----------------------------------

MAX_PAGE_SIZE = 100  # the largest size FAB's own page-size menu offers
MAX_PAGE = 100_000
MAX_ID = 2**31 - 1  # ids are INTEGER columns: 32 bits on PostgreSQL and MariaDB
_DIGITS = re.compile(r"\d{1,10}")
_FILTER_ARG = re.compile(r"_flt_(\d)_(.*)")  # FAB's own pattern: one digit, then the column


def valid_id(value: Any) -> bool:
    """Whether a path or form value can be a row id (a positive 32-bit integer)."""
    if isinstance(value, int):
        return 0 < value <= MAX_ID
    return isinstance(value, str) and bool(_DIGITS.fullmatch(value)) and 0 < int(value) <= MAX_ID


_ISO_DATE = re.compile(r"(\d{4,})-\d{1,2}-\d{1,2}")
# The years a date typed into the back office can mean: far enough back for old ledgers, far enough ahead for any
# plan; past them working-day arithmetic overflows (9999-12-31 + 1 day) or no holiday calendar can exist.
DATE_YEARS = range(1900, 2201)


def _past_32_bits(key: str, value: Any) -> bool:
    text = value.strip() if isinstance(value, str) else ""
    return (key == "id" or key.endswith("_id")) and text.isascii() and text.isdigit() and int(text) > MAX_ID


def out_of_range_argument(args: Mapping[str, Any]) -> int | None:
    """404 for an id field (`id`, `…_id`) of the query string past 32 bits, 400 for a date outside DATE_YEARS."""
    for key, value in args.items(multi=True):  # type: ignore[call-arg]
        if _past_32_bits(key, value):
            return 404
        date = _ISO_DATE.fullmatch(value.strip()) if isinstance(value, str) else None
        if date is not None and int(date.group(1)) not in DATE_YEARS:
            return 400
    return None


def without_impossible_ids(form: MultiDict) -> MultiDict | None:
    """A form whose id fields past 32 bits are emptied (no record has such an id): the form then answers as to a
    choice not made, with its own message; None when nothing had to change. Dates are the forms' to check."""
    if not any(_past_32_bits(key, value) for key, value in form.items(multi=True)):
        return None
    return type(form)((key, "" if _past_32_bits(key, value) else value) for key, value in form.items(multi=True))


def _typed_ok(view: BaseModelView, column: str, flt: BaseFilter, value: str) -> bool:
    """Whether a filter value can be compared with its column (the database would raise otherwise)."""
    if value == "":
        return True
    model = view.datamodel
    if isinstance(flt, FilterRelation):
        return valid_id(value)
    try:
        if model.is_integer(column):
            return bool(re.fullmatch(r"-?\d{1,19}", value)) and abs(int(value)) <= MAX_ID
        if model.is_float(column) or model.is_numeric(column):
            float(value)
        elif model.is_datetime(column):
            dt.datetime.fromisoformat(value)
        elif model.is_date(column):
            dt.date.fromisoformat(value)
    except ValueError:
        return False
    except (KeyError, AttributeError):
        return True  # a computed column of a custom filter: the filter itself reads the text
    return True


def checked_list_args(view: BaseModelView | None, views: Mapping[str, BaseModelView]) -> ImmutableMultiDict | None:
    """The request's list arguments once checked: 400 for a malformed one, page sizes capped.

    FAB reads `page_<View>`, `psize_<View>`, `_oc_<View>` and `_flt_<n>_<column>` with bare `int()`
    and `getattr`: a letter was a 500, an undeclared column sorted the list (even by a masked phone
    number), and the page size had no limit. Returns new arguments when some had to be capped.
    """
    args = request.args
    capped = False
    changed: list[tuple[str, str]] = []
    for key, value in args.items(multi=True):
        if key.startswith(("page_", "psize_")) or key == "pk":
            if not _DIGITS.fullmatch(value):
                abort(400)
            number = int(value)
            if key.startswith("psize_"):
                if number < 1:
                    abort(400)
                if number > MAX_PAGE_SIZE:
                    value, capped = str(MAX_PAGE_SIZE), True
            elif (key.startswith("page_") and number > MAX_PAGE) or (key == "pk" and not valid_id(number)):
                abort(400)
        elif key.startswith("_oc_"):
            target = views.get(key[4:])
            if target is not None and value not in (target.order_columns or ()):
                abort(400)
        elif view is not None and (match := _FILTER_ARG.fullmatch(key)):
            index, column = int(match.group(1)), match.group(2)
            filters = view._filters
            if column in filters.get_search_filters():
                choices = filters._all_filters.get(column, [])
                if index >= len(choices) or not _typed_ok(view, column, choices[index], value):
                    abort(400)
        changed.append((key, value))
    return ImmutableMultiDict(changed) if capped else None


def sortable_columns(view: BaseModelView, declared: Iterable[str] | None) -> list[str]:
    """The columns a list may be sorted by: those the view declares, else FAB's guess minus formatted ones.

    A formatted column shows something other than what it stores (a masked phone number, a label of
    an internal code): sorting by the stored value would leak it or order rows in a way nobody sees.
    """
    if declared is not None:
        return list(declared)
    formatted = set(getattr(view, "formatters_columns", {}) or {})
    return [c for c in view.order_columns or () if c not in formatted]


# --- what a step form sends --------------------------------------------------------------------------------


def form_date(raw: str | None) -> dt.date | None:
    """A date typed in a form (ISO), or None for an empty or unreadable one (the service names what is missing)."""
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def form_version() -> int | None:
    """The version of the record the form was drawn from (optimistic locking), if it sent one."""
    raw = request.form.get("version", "")
    return int(raw) if raw.isdigit() else None


def safe_next(default: str) -> str:
    """The page a form asks to go back to, if it is a path on this site; otherwise `default`."""
    target = request.form.get("next") or request.args.get("next") or ""
    parts = urlsplit(target)
    return target if target.startswith("/") and not parts.netloc and not target.startswith("//") else default
