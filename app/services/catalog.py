"""The dynamic catalog: add, edit, retire, restore, import, export and publish — every change kept."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.domain.catalog import (
    EDITABLE_FIELDS,
    FILE_COLUMNS,
    IN_USE,
    NO,
    RETIRED,
    YES,
    ParsedRow,
    check_item,
    is_header,
    parse_rows,
)
from app.domain.enums import CatalogAction, FastTrack, ItemType, Stage, chinese_name
from app.domain.errors import N_, FileRejected, Forbidden, NotFound, Problem, ValidationError
from app.domain.materials import MaterialSpec, check_specs, describe_list
from app.extensions import db
from app.models import CatalogChange, CatalogItem, CatalogMaterial, Department, Region, Staff
from app.models.org import now
from app.services.clock import today
from app.services.engine import check_version, committing
from app.services.scope import can_see_region, is_admin
from app.services.tabular import Table
from app.services.uow import transaction

STAGE_ORDER = {stage.value: position for position, stage in enumerate(Stage)}


def _editable_item(item_id: int, actor: Staff) -> CatalogItem:
    item = db.session.get(CatalogItem, item_id)
    if item is None or not can_see_region(actor, item.region_id):
        raise NotFound()
    if not is_admin(actor):
        raise Forbidden()
    return item


def _raise_first(problems: list[tuple[str, str, dict[str, Any]]]) -> None:
    if problems:
        _, template, params = problems[0]
        raise ValidationError(template, **params)


def _check_department(region_id: int, department_id: int | None) -> Department:
    department = db.session.get(Department, department_id) if department_id else None
    if department is None or department.region_id != region_id:
        raise ValidationError(N_("Choose a department of the same region as the catalog."))
    return department


def _check_unique_name(region_id: int, name: str, item_id: int | None = None) -> None:
    query = select(CatalogItem.id).where(CatalogItem.region_id == region_id, CatalogItem.name == name)
    if item_id is not None:
        query = query.where(CatalogItem.id != item_id)
    if db.session.scalar(query) is not None:
        raise ValidationError(N_("This region's catalog already has an item named “%(name)s”."), name=name)


def _as_text(field_name: str, value: Any) -> str | None:
    if value is None:
        return None
    if field_name == "department_id":
        department = db.session.get(Department, value)
        return department.name if department else str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _record(item: CatalogItem, action: CatalogAction, actor: Staff, reason: str, **change: Any) -> None:
    db.session.add(
        CatalogChange(
            item_id=item.id,
            version=item.version,
            action=action.value,
            reason=reason,
            actor_id=actor.id,
            changed_at=now(),
            **change,
        )
    )


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(N_("Give the reason for this change; it is kept in the item's history."))
    return reason[:500]


def add_item(region_id: int, values: dict[str, Any], actor: Staff, reason: str = "") -> CatalogItem:
    """Add an item to a region's catalog."""
    if not is_admin(actor):
        raise Forbidden()
    region = db.session.get(Region, region_id)
    if region is None:
        raise NotFound()
    with transaction():
        item = _add(region, values, actor, reason.strip() or "新增事项")
    return item


def _add(region: Region, values: dict[str, Any], actor: Staff, reason: str) -> CatalogItem:
    materials = values.get("materials")
    values = {k: v for k, v in values.items() if k in EDITABLE_FIELDS}
    values["name"] = (values.get("name") or "").strip()
    _raise_first(check_item(values))
    _check_department(region.id, values.get("department_id"))
    _check_unique_name(region.id, values["name"])
    if not values.get("seq"):
        values["seq"] = (
            db.session.scalar(select(func.max(CatalogItem.seq)).where(CatalogItem.region_id == region.id)) or 0
        ) + 1
    values.setdefault("item_type", ItemType.LICENSE.value)
    values.setdefault("stage", Stage.OTHER.value)
    values.setdefault("fast_track", FastTrack.NONE.value)
    item = CatalogItem(region_id=region.id, updated_by_id=actor.id, updated_at=now(), **values)
    db.session.add(item)
    db.session.flush()
    _record(item, CatalogAction.CREATED, actor, reason)
    if materials:  # part of the item as created (like its other fields, not a change of its own)
        check_specs(materials)
        apply_material_specs(item, materials)
    return item


def update_item(
    item_id: int, values: dict[str, Any], actor: Staff, reason: str, expected_version: int | None = None
) -> list[str]:
    """Change an item's fields; returns the names of the fields that changed (none: nothing written)."""
    item = _editable_item(item_id, actor)
    check_version(item, expected_version)
    with committing(item):  # a save that lost the race reads as “changed by X at T”
        changed = _update(item, values, actor, reason)
    return changed


def _update(item: CatalogItem, values: dict[str, Any], actor: Staff, reason: str) -> list[str]:
    """Apply changed fields (and the 申报材料 list if `values` has "materials"): one version, a history row each."""
    merged = {name: getattr(item, name) for name in EDITABLE_FIELDS}
    merged.update({k: v for k, v in values.items() if k in EDITABLE_FIELDS})
    if isinstance(merged.get("name"), str):
        merged["name"] = merged["name"].strip()
    changed = [name for name in EDITABLE_FIELDS if merged[name] != getattr(item, name)]
    old_materials = item_materials(item)
    new_materials = values.get("materials")
    materials_changed = new_materials is not None and list(new_materials) != old_materials
    if not changed and not materials_changed:
        return []
    reason = _require_reason(reason)
    _raise_first(check_item(merged))
    if materials_changed:
        check_specs(new_materials)
    if "department_id" in changed:
        _check_department(item.region_id, merged["department_id"])
    if "name" in changed:
        _check_unique_name(item.region_id, merged["name"], item.id)
    old = {name: getattr(item, name) for name in changed}
    for name in changed:
        setattr(item, name, merged[name])
    if materials_changed:
        apply_material_specs(item, new_materials)
    item.updated_by_id = actor.id
    item.updated_at = now()
    db.session.flush()  # bumps item.version
    for name in changed:
        _record(
            item,
            CatalogAction.UPDATED,
            actor,
            reason,
            field=name,
            old_value=_as_text(name, old[name]),
            new_value=_as_text(name, merged[name]),
        )
    if materials_changed:
        record_material_change(item, actor, reason, old_materials, new_materials)
        changed.append("materials")
    return changed


# --- 申报材料: each item's required materials ----------------------------------------------------------


def item_materials(item: CatalogItem) -> list[MaterialSpec]:
    """The item's materials in use, in order, as the catalog states them."""
    return [
        MaterialSpec(m.name, m.form, m.count, m.notes, m.deferrable)
        for m in item.materials  # type: ignore[attr-defined]
        if m.retired_at is None
    ]


def apply_material_specs(item: CatalogItem, specs: list[MaterialSpec]) -> None:
    """Make the item's rows in use match `specs`: same names kept (updated), others retired, new ones added.

    Rows are never deleted: cases made from them keep pointing at them, and a name that comes back is the
    same row restored.
    """
    rows = {m.name: m for m in item.materials}  # type: ignore[attr-defined]
    wanted = {spec.name for spec in specs}
    for position, spec in enumerate(specs, start=1):
        row = rows.get(spec.name)
        if row is None:
            row = CatalogMaterial(catalog_item_id=item.id, name=spec.name, created_at=now())
            db.session.add(row)
            item.materials.append(row)  # type: ignore[attr-defined]
        row.position, row.form, row.count = position, spec.form, spec.count
        row.notes, row.deferrable, row.retired_at = spec.notes, spec.deferrable, None
    for name, row in rows.items():
        if name not in wanted and row.retired_at is None:
            row.retired_at = now()


def record_material_change(
    item: CatalogItem, actor: Staff | None, reason: str, old: list[MaterialSpec], new: list[MaterialSpec]
) -> None:
    db.session.expire(item, ["materials"])  # read again in the new order
    db.session.add(
        CatalogChange(
            item_id=item.id,
            version=item.version,
            action=CatalogAction.UPDATED.value,
            field="materials",
            old_value=describe_list(old),
            new_value=describe_list(new),
            reason=reason,
            actor_id=actor.id if actor is not None else None,
            changed_at=now(),
        )
    )


def set_materials(
    item_id: int, specs: list[MaterialSpec], actor: Staff, reason: str, expected_version: int | None = None
) -> bool:
    """Replace an item's list of required materials (admins); recorded in its history. False: nothing changed."""
    item = _editable_item(item_id, actor)
    check_version(item, expected_version)
    with committing(item):
        changed = _update(item, {"materials": specs}, actor, reason)
    return bool(changed)


def retire_item(item_id: int, actor: Staff, reason: str, expected_version: int | None = None) -> CatalogItem:
    """Take an item out of use (never deleted): new cases can no longer choose it, the public list hides it."""
    item = _editable_item(item_id, actor)
    check_version(item, expected_version)
    if item.retired:
        raise ValidationError(N_("The item is already retired."))
    with committing(item):  # a save that lost the race reads as “changed by X at T”
        _set_retired(item, True, actor, _require_reason(reason))
    return item


def restore_item(item_id: int, actor: Staff, reason: str, expected_version: int | None = None) -> CatalogItem:
    """Bring a retired item back into use."""
    item = _editable_item(item_id, actor)
    check_version(item, expected_version)
    if not item.retired:
        raise ValidationError(N_("The item is in use already."))
    with committing(item):  # a save that lost the race reads as “changed by X at T”
        _set_retired(item, False, actor, _require_reason(reason))
    return item


def _set_retired(item: CatalogItem, retired: bool, actor: Staff, reason: str) -> None:
    item.retired_at = now() if retired else None
    item.updated_by_id = actor.id
    item.updated_at = now()
    db.session.flush()
    _record(item, CatalogAction.RETIRED if retired else CatalogAction.RESTORED, actor, reason)


# --- import / export ----------------------------------------------------------------------------------


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.retired or self.restored)


def import_catalog(region_id: int, table: Table, actor: Staff, reason: str) -> ImportReport:
    """Apply a catalog file to a region: add new names, update changed rows, retire/restore by 状态. All or nothing."""
    if not is_admin(actor):
        raise Forbidden()
    region = db.session.get(Region, region_id)
    if region is None:
        raise NotFound()
    header_row, header = table.header_row(is_header)
    if header is None:
        names = "、".join(c.chinese for c in FILE_COLUMNS if c.required)
        raise FileRejected(
            [Problem(None, names, N_("No header row with the columns %(columns)s was found."), columns=names)]
        )
    _check_file_region(table, header_row, region)
    rows, problems = parse_rows(header_row, header, list(table.rows_after(header_row)))
    departments = {d.kind: d for d in db.session.scalars(select(Department).where(Department.region_id == region.id))}
    departments.update({d.name: d for d in list(departments.values())})
    department_column = next(header[i] for i, c in enumerate(header) if c.strip() in ("承办部门", "Department"))
    for row in rows:
        if row.department and row.department not in departments:
            problems.append(
                Problem(
                    row.row,
                    department_column,
                    N_("Unknown department “%(value)s” in %(region)s."),
                    value=row.department,
                    region=region.name,
                )
            )
    if problems:
        raise FileRejected(problems)

    reason = (reason or "").strip() or "Excel 导入"
    existing = {i.name: i for i in db.session.scalars(select(CatalogItem).where(CatalogItem.region_id == region.id))}
    report = ImportReport()
    try:
        with transaction():
            _apply_rows(region, rows, departments, existing, actor, reason, report)
    except ValidationError as error:
        raise FileRejected([Problem(None, None, error.template, **error.params)]) from error
    return report


CATALOG_TITLE = "代办帮办事项目录清单"  # the export's title row: "<region> 代办帮办事项目录清单（date）"


def _check_file_region(table: Table, header_row: int, region: Region) -> None:
    """A file whose title row names another region is that region's catalog: refused, never applied here."""
    names = sorted(db.session.scalars(select(Region.name)), key=len, reverse=True)
    for cells in table.rows[: max(header_row - 1, 0)]:
        for cell in cells:
            title = (cell or "").strip()
            if CATALOG_TITLE not in title:
                continue
            named = next((name for name in names if title.startswith(name)), None)
            if named is not None and named != region.name:
                raise FileRejected(
                    [
                        Problem(
                            1,
                            None,
                            N_(
                                "This file is the catalog of %(named)s (its title row says so), not of "
                                "%(region)s: choose %(named)s as the region, or upload %(region)s's own file."
                            ),
                            named=named,
                            region=region.name,
                        )
                    ]
                )


def _apply_rows(
    region: Region,
    rows: list[ParsedRow],
    departments: dict[str, Department],
    existing: dict[str, CatalogItem],
    actor: Staff,
    reason: str,
    report: ImportReport,
) -> None:
    """Apply parsed rows: add new names, update changed items, retire/restore by 状态."""
    for row in rows:
        values = dict(row.values)
        values["department_id"] = departments[row.department].id
        item = existing.get(values["name"])
        if item is None:
            item = _add(region, {**values, "materials": row.materials or []}, actor, reason)
            report.created.append(item.name)
            if row.retired:
                _set_retired(item, True, actor, reason)
            continue
        if row.materials is not None:
            values["materials"] = row.materials
        did_change = False
        if _update(item, values, actor, reason):
            report.updated.append(item.name)
            did_change = True
        if row.retired is not None and row.retired != item.retired:
            _set_retired(item, row.retired, actor, reason)
            (report.retired if row.retired else report.restored).append(item.name)
            did_change = True
        if not did_change:
            report.unchanged += 1


def region_items(region_id: int, actor: Staff, include_retired: bool = True) -> list[CatalogItem]:
    """A region's catalog in stage and sequence order, if the actor may see the region."""
    if not can_see_region(actor, region_id):
        raise NotFound()
    return _items(region_id, include_retired)


def _items(region_id: int, include_retired: bool) -> list[CatalogItem]:
    query = select(CatalogItem).options(joinedload(CatalogItem.department)).where(CatalogItem.region_id == region_id)
    if not include_retired:
        query = query.where(CatalogItem.retired_at.is_(None))
    items = list(db.session.scalars(query))
    items.sort(key=lambda i: (i.seq, i.name))
    return items


def export_catalog(region_id: int, actor: Staff, english_headers: bool = False) -> tuple[str, bytes]:
    """The region's catalog as an .xlsx that re-imports unchanged; returns (file name, bytes)."""
    import xlsxwriter

    items = region_items(region_id, actor)
    region = db.session.get(Region, region_id)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    sheet = workbook.add_worksheet("目录清单")
    title = workbook.add_format({"bold": True, "font_size": 14})
    head = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    text = workbook.add_format({"border": 1, "text_wrap": True})
    sheet.merge_range(
        0, 0, 0, len(FILE_COLUMNS) - 1, f"{region.name} 代办帮办事项目录清单（{today().isoformat()}）", title
    )
    widths = {"name": 48, "department": 14, "stage": 16, "item_type": 14, "materials": 60}
    for col, column in enumerate(FILE_COLUMNS):
        sheet.write_string(1, col, column.english if english_headers else column.chinese, head)
        sheet.set_column(col, col, widths.get(column.key, 11))
    for row, item in enumerate(items, start=2):
        cells: list[Any] = [
            item.seq,
            item.department.kind,
            item.name,
            chinese_name(ItemType(item.item_type)),
            chinese_name(Stage(item.stage)),
            item.legal_limit_days,
            item.promised_limit_days,
            YES if item.allows_incomplete else NO,
            YES if item.allows_commitment else NO,
            chinese_name(FastTrack(item.fast_track)),
            YES if item.unpublished else NO,
            YES if item.is_other else NO,
            describe_list(item_materials(item)),
            RETIRED if item.retired else IN_USE,
        ]
        for col, value in enumerate(cells):
            if value is None:
                sheet.write_blank(row, col, None, text)
            elif isinstance(value, int):
                sheet.write_number(row, col, value, text)
            else:
                sheet.write_string(row, col, value, text)  # never a formula, whatever the text
    sheet.freeze_panes(2, 0)
    sheet.autofilter(1, 0, max(1, len(items) + 1), len(FILE_COLUMNS) - 1)
    workbook.close()
    return f"catalog-{region.code}-{today().isoformat()}.xlsx", buffer.getvalue()


# --- publication ----------------------------------------------------------------------------------------


def published_catalog(region_code: str) -> tuple[Region, list[CatalogItem]]:
    """What the public pages show: the region's items in use and not excluded from publication."""
    region = db.session.scalar(select(Region).where(Region.code == region_code))
    if region is None:
        raise NotFound()
    items = [i for i in _items(region.id, include_retired=False) if not i.unpublished]
    items.sort(key=lambda i: (STAGE_ORDER.get(i.stage, 99), i.seq))
    return region, items


def public_record(item: CatalogItem) -> dict[str, Any]:
    """One published item as the public JSON shows it."""
    return {
        "seq": item.seq,
        "name": item.name,
        "department": item.department.name,
        "department_kind": item.department.kind,
        "item_type": chinese_name(ItemType(item.item_type)),
        "item_type_code": item.item_type,
        "stage": chinese_name(Stage(item.stage)),
        "stage_code": item.stage,
        "time_limit_days": item.time_limit_days,
        "legal_limit_days": item.legal_limit_days,
        "promised_limit_days": item.promised_limit_days,
        "allows_incomplete": item.allows_incomplete,
        "allows_commitment": item.allows_commitment,
        "fast_track": None if item.fast_track == FastTrack.NONE.value else chinese_name(FastTrack(item.fast_track)),
        "is_other": item.is_other,
    }
