"""Catalog screens: each region's list, its history, retire/restore, Excel import and export."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.security.decorators import permission_name
from flask_babel import get_locale, gettext, lazy_gettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup
from sqlalchemy import select
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.domain.catalog import check_item
from app.domain.enums import CatalogAction, FastTrack, ItemType, Stage
from app.domain.errors import DomainError
from app.domain.materials import MaterialForm, describe_list, parse_list
from app.extensions import db
from app.models import CatalogChange, CatalogItem, Department, Region
from app.services import catalog as catalog_service
from app.services.scope import is_admin
from app.services.seeding import SERVICE_LEVELS
from app.services.tabular import read_table
from app.texts import enum_label
from app.views.base import (
    EagerInterface,
    ServiceModelView,
    actor,
    error_text,
    full_name,
    region_scope,
    run_service,
    scoped_regions,
)


def _choices(enum: Any) -> list[SelectChoice]:
    return [SelectChoice(member.value, lazy_gettext(member.label)) for member in enum]


def _yes_no(value: Any) -> str:
    return gettext("Yes") if value else gettext("No")


def _blank(value: Any) -> Any:
    return "" if value is None else value


# How a field's value was written into the history (`services.catalog._as_text`): codes and true/false.
_CODE_LABELS = {m.value: m.label for enum in (ItemType, Stage, FastTrack) for m in enum}


def _change_value(value: Any) -> Any:
    if value is None:
        return ""
    if "\n" in value:  # a list (申报材料): one line each
        return Markup("<br>").join(value.split("\n"))
    if value in ("true", "false"):
        return gettext("Yes") if value == "true" else gettext("No")
    return gettext(_CODE_LABELS[value]) if value in _CODE_LABELS else value


def _actor_or_setup(actor: Any) -> Any:
    # Rows written by `flask seed` (the reference catalog) have no acting user.
    return full_name(actor) if actor is not None else gettext("System setup")


def _in_use_or_retired(value: Any) -> str:
    return gettext("In use") if value is None else gettext("Retired %(at)s", at=value.strftime("%Y-%m-%d"))


FIELD_LABELS: dict[str, Any] = {
    "seq": lazy_gettext("No."),
    "name": lazy_gettext("Item name"),
    "department_id": lazy_gettext("Department"),
    "item_type": lazy_gettext("Item type"),
    "stage": lazy_gettext("Stage"),
    "legal_limit_days": lazy_gettext("Legal time limit (working days)"),
    "promised_limit_days": lazy_gettext("Promised time limit (working days)"),
    "allows_incomplete": lazy_gettext("Acceptance with missing materials"),
    "allows_commitment": lazy_gettext("Notification and commitment"),
    "fast_track": lazy_gettext("Fast-track service"),
    "unpublished": lazy_gettext("Not published (national security or secrecy)"),
    "is_other": lazy_gettext("Other item (named in free text by the applicant)"),
}


# History rows name the field they changed; the 申报材料 list is one more "field" there.
HISTORY_FIELDS: dict[str, Any] = {**FIELD_LABELS, "materials": lazy_gettext("Required materials")}
MATERIALS_HELP = lazy_gettext(
    "One material per line: name（原件 / 复印件 / 原件及复印件，number of copies 份，可容缺 if it may come later）"
    "：notes. A line with the name alone is one original."
)


class CatalogItemForm(DynamicForm):
    """Fields of a catalog item; department choices are filled per request."""

    seq = IntegerField(FIELD_LABELS["seq"], validators=[Optional(), NumberRange(1, 9999)])
    name = StringField(FIELD_LABELS["name"], validators=[DataRequired(), Length(max=200)])
    department_id = SelectField(FIELD_LABELS["department_id"], coerce=int, validators=[DataRequired()])
    item_type = SelectField(FIELD_LABELS["item_type"], choices=_choices(ItemType))
    stage = SelectField(FIELD_LABELS["stage"], choices=_choices(Stage))
    legal_limit_days = IntegerField(FIELD_LABELS["legal_limit_days"], validators=[Optional(), NumberRange(1, 365)])
    promised_limit_days = IntegerField(
        FIELD_LABELS["promised_limit_days"], validators=[Optional(), NumberRange(1, 365)]
    )
    allows_incomplete = BooleanField(FIELD_LABELS["allows_incomplete"])
    allows_commitment = BooleanField(FIELD_LABELS["allows_commitment"])
    fast_track = SelectField(FIELD_LABELS["fast_track"], choices=_choices(FastTrack))
    unpublished = BooleanField(FIELD_LABELS["unpublished"])
    is_other = BooleanField(FIELD_LABELS["is_other"])
    materials_text = TextAreaField(
        HISTORY_FIELDS["materials"],
        description=MATERIALS_HELP,
        render_kw={"rows": 8, "class": "form-control"},
        validators=[Length(max=20000)],
    )
    reason = StringField(
        lazy_gettext("Reason for the change"),
        validators=[Length(max=500)],
        description=lazy_gettext("Kept in the item's history."),
    )
    version = HiddenField()


class CatalogItemEditForm(CatalogItemForm):
    """A change of an existing item must say why: the reason is kept in its history."""

    reason = StringField(
        lazy_gettext("Reason for the change"),
        validators=[DataRequired(), Length(max=500)],
        description=lazy_gettext("Kept in the item's history."),
    )


class CatalogItemAddForm(CatalogItemForm):
    """A new item also names the region whose catalog it joins."""

    region_id = SelectField(lazy_gettext("Region"), coerce=int, validators=[DataRequired()])


def _form_values(form: CatalogItemForm) -> dict[str, Any]:
    return {name: getattr(form, name).data for name in FIELD_LABELS}


def _with_materials(form: CatalogItemForm) -> dict[str, Any]:
    """The form's values with its 申报材料 list (checked in `check_form`); a form sent without the field leaves
    the list as it is, an emptied field clears it."""
    values = _form_values(form)
    if "materials_text" in request.form:
        values["materials"] = parse_list(form.materials_text.data)
    return values


def _service_regions() -> list[Region]:
    """Regions with their own catalog that the user may see."""
    query = (
        select(Region)
        .where(Region.id.in_(scoped_regions()), Region.level.in_(SERVICE_LEVELS))
        .order_by(Region.level, Region.code)
    )
    return list(db.session.scalars(query))


class CatalogChangeView(ModelView):
    """Every change of every catalog item, newest first; nothing here can be edited."""

    datamodel = EagerInterface(CatalogChange, eager=("actor", "item.region"))
    list_template = "catalog/history.html"
    base_permissions = ["can_list", "can_show"]
    base_filters = region_scope("item.region_id")
    base_order = ("changed_at", "desc")
    list_title = lazy_gettext("Catalog history")
    show_title = lazy_gettext("Catalog change")
    list_columns = [
        "changed_at",
        "item.region",
        "item",
        "version",
        "action",
        "field",
        "old_value",
        "new_value",
        "reason",
        "actor",
    ]
    show_columns = list_columns
    search_columns = ["action", "reason"]
    order_columns = ["changed_at", "version", "action"]
    label_columns = {
        "changed_at": lazy_gettext("Changed at"),
        "item": lazy_gettext("Item"),
        "version": lazy_gettext("Version"),
        "action": lazy_gettext("Action"),
        "field": lazy_gettext("Field"),
        "old_value": lazy_gettext("Old value"),
        "new_value": lazy_gettext("New value"),
        "reason": lazy_gettext("Reason"),
        "actor": lazy_gettext("By"),
        "item.region": lazy_gettext("Region"),
    }
    formatters_columns = {
        "actor": _actor_or_setup,
        "old_value": _change_value,
        "new_value": _change_value,
        "action": enum_label(CatalogAction),
        "field": lambda value: str(HISTORY_FIELDS[value]) if value in HISTORY_FIELDS else (value or ""),
    }


class ReasonForm(FlaskForm):
    reason = StringField(lazy_gettext("Reason"), validators=[DataRequired(), Length(max=500)])
    version = HiddenField()


class ImportForm(FlaskForm):
    region_id = SelectField(lazy_gettext("Region"), coerce=int, validators=[DataRequired()])
    file = FileField(lazy_gettext("Excel file (.xlsx)"), validators=[FileRequired()])
    reason = StringField(lazy_gettext("Reason"), validators=[Length(max=500)])


class CatalogItemView(ServiceModelView):
    """A region's catalog; admins maintain it, everyone in the region reads it."""

    route_base = "/catalog"
    datamodel = EagerInterface(CatalogItem, eager=("region", "department"), order=("region_id", "seq"))
    base_permissions = [
        "can_list",
        "can_show",
        "can_add",
        "can_edit",
        "can_retire",
        "can_restore",
        "can_export",
        "can_import",
    ]
    base_filters = region_scope()
    page_size = 50
    list_template = "catalog/list.html"
    show_template = "catalog/show.html"
    list_title = lazy_gettext("Catalog items")
    show_title = lazy_gettext("Catalog item")
    add_title = lazy_gettext("Add catalog item")
    edit_title = lazy_gettext("Edit catalog item")
    list_columns = [
        "region",
        "seq",
        "name",
        "department",
        "stage",
        "item_type",
        "legal_limit_days",
        "promised_limit_days",
        "retired_at",
    ]
    show_columns = [
        "region",
        "seq",
        "name",
        "department",
        "item_type",
        "stage",
        "legal_limit_days",
        "promised_limit_days",
        "allows_incomplete",
        "allows_commitment",
        "fast_track",
        "unpublished",
        "is_other",
        "retired_at",
        "version",
        "updated_at",
        "updated_by",
    ]
    search_columns = ["region", "name", "seq", "legal_limit_days", "promised_limit_days", "retired_at"]
    order_columns = ["seq", "name", "stage", "legal_limit_days", "promised_limit_days", "retired_at"]
    add_form = CatalogItemAddForm
    edit_form = CatalogItemEditForm
    add_columns = ["region_id", *FIELD_LABELS, "materials_text", "reason"]
    edit_columns = [*FIELD_LABELS, "materials_text", "reason"]
    label_columns = {
        **FIELD_LABELS,
        "materials_text": HISTORY_FIELDS["materials"],
        "region": lazy_gettext("Region"),
        "department": lazy_gettext("Department"),
        "retired_at": lazy_gettext("Status"),
        "version": lazy_gettext("Version"),
        "updated_at": lazy_gettext("Last changed"),
        "updated_by": lazy_gettext("Changed by"),
    }
    formatters_columns = {
        "stage": enum_label(Stage),
        "item_type": enum_label(ItemType),
        "fast_track": enum_label(FastTrack),
        "allows_incomplete": _yes_no,
        "allows_commitment": _yes_no,
        "unpublished": _yes_no,
        "is_other": _yes_no,
        "legal_limit_days": _blank,
        "promised_limit_days": _blank,
        "retired_at": _in_use_or_retired,
        "updated_by": _actor_or_setup,
    }
    related_views = [CatalogChangeView]

    # --- add / edit through the catalog service --------------------------------------------------

    def fill_form(self, form: CatalogItemForm, item: CatalogItem | None = None) -> None:
        if item is None:
            regions = _service_regions()
            form.region_id.choices = [SelectChoice(r.id, r.name) for r in regions]
            region_ids = [r.id for r in regions]
        else:
            region_ids = [item.region_id]
        departments = db.session.scalars(
            select(Department)
            .where(Department.region_id.in_(region_ids), Department.active.is_(True))
            .order_by(Department.region_id, Department.id)
        )
        form.department_id.choices = [SelectChoice(d.id, d.name) for d in departments]
        if item is not None and request.method == "GET":
            form.version.data = str(item.version)
            form.reason.data = ""
            specs = catalog_service.item_materials(item)
            form.materials_text.data = describe_list(specs) if specs else ""

    def check_form(self, form: CatalogItemForm, item: CatalogItem | None = None) -> bool:
        # The catalog's own rules (e.g. promised limit within the legal one), each at its field.
        problems = check_item(_form_values(form))
        for name, template, params in problems:
            field = getattr(form, name)
            if not field.errors:
                field.errors = [*field.errors, gettext(template, **params)]
        try:
            parse_list(form.materials_text.data)
        except DomainError as error:
            form.materials_text.errors = [*form.materials_text.errors, error_text(error)]
            return False
        return not problems

    def service_add(self, form: CatalogItemForm) -> None:
        values = _with_materials(form)
        catalog_service.add_item(form.region_id.data, values, actor(), form.reason.data or "")

    def service_edit(self, item: CatalogItem, form: CatalogItemForm) -> None:
        version = int(form.version.data) if (form.version.data or "").isdigit() else None
        values = _with_materials(form)
        catalog_service.update_item(item.id, values, actor(), form.reason.data or "", version)

    def render_template(self, template: str, **kwargs: Any) -> Any:
        # The item page lists its 申报材料 under the fields (the rows in use, in order).
        if template == self.show_template and (request.view_args or {}).get("pk") is not None:
            item = self.datamodel.get(request.view_args["pk"], self._base_filters)
            kwargs["catalog_materials"] = catalog_service.item_materials(item) if item is not None else []
            kwargs["item_retired"] = item is not None and item.retired_at is not None  # 停用 or 恢复, not both
            kwargs["MaterialForm"] = MaterialForm
        return super().render_template(template, **kwargs)

    # --- retire / restore ---------------------------------------------------------------------------

    def _scoped_item(self, pk: int) -> CatalogItem:
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        return item

    def _reason_page(self, pk: int, retire: bool) -> Any:
        item = self._scoped_item(pk)
        form = ReasonForm()
        if request.method == "GET":
            form.version.data = str(item.version)
        if form.validate_on_submit():
            version = int(form.version.data) if (form.version.data or "").isdigit() else None
            service = catalog_service.retire_item if retire else catalog_service.restore_item
            message = gettext("Item retired.") if retire else gettext("Item restored.")
            if run_service(lambda: service(item.id, actor(), form.reason.data, version), message):
                return redirect(url_for(f"{self.endpoint}.show", pk=item.id))
        title = gettext("Retire catalog item") if retire else gettext("Restore catalog item")
        return self.render_template("catalog/reason.html", item=item, form=form, title=title, retire=retire)

    @expose("/retire/<int:pk>", methods=["GET", "POST"])
    @has_access
    def retire(self, pk: int) -> Any:
        return self._reason_page(pk, retire=True)

    @expose("/restore/<int:pk>", methods=["GET", "POST"])
    @has_access
    def restore(self, pk: int) -> Any:
        return self._reason_page(pk, retire=False)

    # --- Excel ------------------------------------------------------------------------------------------

    @expose("/export")
    @has_access
    def export(self) -> Any:
        regions = _service_regions()
        region_id = request.args.get("region_id", type=int)
        if region_id is None and len(regions) == 1:
            region_id = regions[0].id
        if region_id is None:
            return self.render_template("catalog/export.html", regions=regions, title=gettext("Export catalog"))
        if region_id not in {r.id for r in regions}:
            abort(404)
        english = str(get_locale()) == "en"
        name, data = catalog_service.export_catalog(region_id, actor(), english_headers=english)
        return Response(
            data,
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @expose("/import", methods=["GET", "POST"])
    @has_access
    @permission_name("import")
    def import_(self) -> Any:
        form = ImportForm()
        # No region is preselected: a file applied to the wrong region overwrites that region's catalog.
        form.region_id.choices = [
            SelectChoice(0, gettext("— choose the region whose catalog this file is —")),
            *(SelectChoice(r.id, r.name) for r in _service_regions()),
        ]
        if form.validate_on_submit():
            upload = form.file.data
            limit = current_app.config["UPLOAD_MAX_BYTES"]
            result: list[catalog_service.ImportReport] = []

            def run() -> None:
                table = read_table(upload.read(limit + 1), upload.filename or "", limit)
                result.append(catalog_service.import_catalog(form.region_id.data, table, actor(), form.reason.data))

            if run_service(run):
                report = result[0]
                self._flash_report(report)
                return redirect(url_for(f"{self.endpoint}.list", _flt_0_region=form.region_id.data))
        return self.render_template("catalog/import.html", form=form, title=gettext("Import catalog"))

    @staticmethod
    def _flash_report(report: catalog_service.ImportReport) -> None:
        if not report.changed:
            flash(gettext("The file matches the catalog; nothing was changed."), "info")
            return
        flash(
            gettext(
                "Imported: %(created)s added, %(updated)s changed, %(retired)s retired, %(restored)s restored, "
                "%(unchanged)s unchanged.",
                created=len(report.created),
                updated=len(report.updated),
                retired=len(report.retired),
                restored=len(report.restored),
                unchanged=report.unchanged,
            ),
            "success",
        )

    def can_maintain(self) -> bool:
        """Whether the add/edit/retire buttons apply to this user (templates ask)."""
        return is_admin(actor())
