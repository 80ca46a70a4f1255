"""申报材料 on cases: the checklist each case item keeps of its materials, and the one-time notice.

Interface for the one-time notice (一次性告知书):

    notice(case_id: int, actor: Staff) -> list[ItemNotice]

One ItemNotice per item of the case the actor may see (same row scope as the case page: a liaison only
their own department's items; withdrawn items left out), in the case's item order. `ItemNotice.item` is
the CaseItem (name, department, stage, time_limit_days, …); `ItemNotice.materials` lists NoticeMaterial
rows (name, form, form_label — an English msgid to translate —, form_chinese, count, notes, deferrable):
the case's own checklist where the item has one (materials marked 无需提交 left out), else the catalog's
materials in use for the item.

The checklist rows move through the one engine (`app.services.engine`, subject "material") along
`app.domain.materials.MATERIAL_TRANSITIONS`; each move is an entry on the case's timeline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.domain.engine import Step, Transition
from app.domain.enums import RoleName
from app.domain.errors import N_, Forbidden, NotFound, ValidationError
from app.domain.lights import Light
from app.domain.materials import (
    FORM_CHINESE,
    MATERIAL_LABELS,
    MATERIAL_TRANSITIONS,
    NEED_CHECKS,
    ORIGINAL_FORMS,
    MaterialForm,
    MaterialState,
    clean_spec,
    may_defer,
    not_returned,
    promise_deadline,
    timeline_note,
)
from app.domain.workflow import OPEN_CASE_VALUES, OPEN_ITEM_VALUES, ItemState
from app.extensions import db
from app.models import Case, CaseItem, CaseMaterial, CatalogMaterial, Staff
from app.services import engine
from app.services.case_loading import case_for
from app.services.clock import today
from app.services.engine import committing, record_event, touch
from app.services.lights import LightBook, light_book
from app.services.scope import is_liaison_only, role_names, visible_region_ids

SUBJECT = "material"


# --- scope -----------------------------------------------------------------------------------------------


def _in_scope(item: CaseItem, actor: Staff) -> bool:
    if item.case.region_id not in visible_region_ids(actor):
        return False
    return not is_liaison_only(actor) or item.department_id == actor.department_id


def _load_material(material_id: int, actor: Staff) -> CaseMaterial:
    row = db.session.get(CaseMaterial, material_id)
    if row is None or not _in_scope(row.case_item, actor):
        raise NotFound()
    return row


def _load_item(item_id: int, actor: Staff) -> CaseItem:
    item = db.session.get(CaseItem, item_id)
    if item is None or not _in_scope(item, actor):
        raise NotFound()
    return item


def _invalid(action: str, state: str) -> engine.InvalidMove:
    return engine.InvalidMove(action=MATERIAL_LABELS.get(action, action), state=MaterialState(state).label)


engine.register(
    engine.Machine(
        subject=SUBJECT,
        labels=MATERIAL_LABELS,
        states=MaterialState,
        table=MATERIAL_TRANSITIONS,
        load=_load_material,
        need_checks=NEED_CHECKS,
        invalid=_invalid,
        earliest=lambda row: row.case_item.case.applied_on,
        case_id=lambda row: row.case_item.case_id,
        item_id=lambda row: row.case_item_id,
    )
)


# --- the checklist is made from the catalog ----------------------------------------------------------------


def _catalog_rows(catalog_item_id: int) -> list[CatalogMaterial]:
    query = (
        select(CatalogMaterial)
        .where(CatalogMaterial.catalog_item_id == catalog_item_id, CatalogMaterial.retired_at.is_(None))
        .order_by(CatalogMaterial.position, CatalogMaterial.id)
    )
    return list(db.session.scalars(query))


def create_checklist(item: CaseItem) -> list[CaseMaterial]:
    """Copy the catalog's materials in use onto a new case item (in the caller's transaction, no commit)."""
    rows = [
        CaseMaterial(
            case_item_id=item.id,
            catalog_material_id=material.id,
            position=material.position,
            name=material.name,
            form=material.form,
            count=material.count,
            notes=material.notes,
            deferrable=material.deferrable,
            state=MaterialState.PENDING.value,
            updated_by_id=item.updated_by_id,
        )
        for material in _catalog_rows(item.catalog_item_id)
    ]
    db.session.add_all(rows)
    return rows


def add_material(
    item_id: int,
    actor: Staff,
    name: str,
    form: str = MaterialForm.ORIGINAL.value,
    count: int | str = 1,
    notes: str = "",
    deferrable: bool = False,
) -> CaseMaterial:
    """An extra material this case's item needs beyond the catalog's list (the agent adds it)."""
    item = _load_item(item_id, actor)
    if RoleName.AGENT.value not in role_names(actor):
        raise Forbidden()
    _require_open(item.case)
    spec = clean_spec(name, form, count, notes, deferrable)
    if any(row.name == spec.name for row in item.materials):
        raise ValidationError(N_("The material “%(name)s” is listed twice for the same item."), name=spec.name)
    with committing(item):
        position = max((row.position for row in item.materials), default=0) + 1
        row = CaseMaterial(
            case_item_id=item.id,
            position=position,
            name=spec.name,
            form=spec.form,
            count=spec.count,
            notes=spec.notes,
            deferrable=spec.deferrable,
            state=MaterialState.PENDING.value,
        )
        touch(row, actor)
        db.session.add(row)
        db.session.flush()
        record_event(
            SUBJECT,
            row.id,
            "add_material",
            actor,
            case_id=item.case_id,
            item_id=item.id,
            to_state=row.state,
            on_date=today(),
            note=row.name,
        )
    db.session.expire(item, ["materials"])
    return row


def _require_open(case: Case) -> None:
    if case.state not in OPEN_CASE_VALUES:
        raise ValidationError(N_("The case is closed; its materials checklist can no longer change."))


# --- recording what happened to a material -----------------------------------------------------------------


def move_material(
    material_id: int,
    action: str,
    actor: Staff,
    on: dt.date | None = None,
    *,
    note: str = "",
    promised_on: dt.date | None = None,
    expected_version: int | None = None,
) -> CaseMaterial:
    """Record a step on one material (receive, mark_missing, promise, return, waive, require); refuses by name."""
    row = _load_material(material_id, actor)
    remark = (note or "").strip()
    shown_date = promised_on if action == "promise" else None
    step = Step(
        on or today(),
        timeline_note(row.name, remark, shown_date),
        {"remark": remark, "promised_on": promised_on},
    )
    return engine.move(SUBJECT, material_id, action, actor, step, expected_version)


RECEIVABLE = frozenset({MaterialState.PENDING.value, MaterialState.MISSING.value})


def receive(material_id: int, actor: Staff, on: dt.date | None = None, **kw: object) -> CaseMaterial:
    """Receive a material; the same document asked by another item of the case (营业执照) is received with it."""
    row = move_material(material_id, "receive", actor, on, **kw)  # type: ignore[arg-type]
    for twin in _twins(row, actor):
        note = f"与“{row.case_item.name}”共用"
        move_material(twin.id, "receive", actor, on, note=note)
    return row


def _twins(row: CaseMaterial, actor: Staff) -> list[CaseMaterial]:
    """Rows of the other items of the case asking for the same document (same name and form), still to receive."""
    case = row.case_item.case
    return [
        other
        for item in _visible_items(case, actor)
        if item.id != row.case_item_id
        for other in item.materials
        if other.name == row.name and other.form == row.form and other.state in RECEIVABLE
    ]


def receive_all(item_id: int, actor: Staff, on: dt.date | None = None) -> int:
    """收取全部 at the window: every material of the item still to receive (pending or missing), on one date."""
    item = _load_item(item_id, actor)
    due = [row.id for row in item.materials if row.state in RECEIVABLE]
    received = 0
    for material_id in due:
        row = db.session.get(CaseMaterial, material_id)
        if row is not None and row.state in RECEIVABLE:  # a twin received with an earlier one is done already
            receive(material_id, actor, on)
            received += 1
    return received


def mark_missing(material_id: int, actor: Staff, note: str = "", **kw: object) -> CaseMaterial:
    return move_material(material_id, "mark_missing", actor, note=note, **kw)  # type: ignore[arg-type]


def promise(material_id: int, actor: Staff, promised_on: dt.date | None, **kw: object) -> CaseMaterial:
    return move_material(material_id, "promise", actor, promised_on=promised_on, **kw)  # type: ignore[arg-type]


def give_back(material_id: int, actor: Staff, on: dt.date | None = None, **kw: object) -> CaseMaterial:
    return move_material(material_id, "return", actor, on, **kw)  # type: ignore[arg-type]


def waive(material_id: int, actor: Staff, reason: str, **kw: object) -> CaseMaterial:
    return move_material(material_id, "waive", actor, note=reason, **kw)  # type: ignore[arg-type]


def return_all(case_id: int, actor: Staff, on: dt.date | None = None, note: str = "") -> int:
    """Record every received original of the case (in the actor's scope) as returned: 归档返还 in one go."""
    case = case_for(case_id, actor)
    rows = [row for item in _visible_items(case, actor) for row in item.materials]
    due = [row.id for row in rows if row.state == MaterialState.RECEIVED.value and row.form in ORIGINAL_FORMS]
    for material_id in due:
        move_material(material_id, "return", actor, on, note=note)
    return len(due)


# --- reading ------------------------------------------------------------------------------------------------


def _visible_items(case: Case, actor: Staff) -> list[CaseItem]:
    return [i for i in case.items if not is_liaison_only(actor) or i.department_id == actor.department_id]


@dataclass
class MaterialLine:
    """One checklist row as the case page shows it: the row, its 容缺 light, the steps offered."""

    row: CaseMaterial
    light: Light
    actions: list[Transition]

    @property
    def deadline(self) -> dt.date | None:
        return promise_deadline(self.row.state, self.row.promised_on)


@dataclass
class ItemChecklist:
    item: CaseItem
    lines: list[MaterialLine] = field(default_factory=list)


@dataclass
class CasePanel:
    """The case page's 申报材料 panel: per item in the reader's scope, its materials."""

    items: list[ItemChecklist]
    can_add: bool
    not_returned: list[str]
    labels: dict[str, str]

    @property
    def empty(self) -> bool:
        return not any(entry.lines for entry in self.items)

    @staticmethod
    def form_label(row: CaseMaterial) -> str:
        """The row's form as an English msgid (translated by the template)."""
        return MaterialForm(row.form).label

    @staticmethod
    def state_label(row: CaseMaterial) -> str:
        return MaterialState(row.state).label

    @staticmethod
    def forms() -> list[tuple[str, str]]:
        return MaterialForm.choices()

    @staticmethod
    def may_defer(row: CaseMaterial) -> bool:
        return may_defer(row)


def panel(case: Case, actor: Staff, book: LightBook | None = None) -> CasePanel:
    """What the 申报材料 panel shows `actor` on `case` (loaded with `case_for`, so already in scope)."""
    book = book or light_book()
    roles = role_names(actor)
    is_open = case.state in OPEN_CASE_VALUES
    items = _visible_items(case, actor)
    _load_rows(items)
    entries = []
    for item in items:
        lines = [
            MaterialLine(
                row,
                book.light(promise_deadline(row.state, row.promised_on)),
                engine.offered(SUBJECT, row, actor),
            )
            for row in item.materials
        ]
        entries.append(ItemChecklist(item, lines))
    rows = [row for item in items for row in item.materials]
    # 原件尚未返还 matters when the case can close: once no item is still open (a window holds originals for months).
    closing = is_open and bool(case.items) and all(i.state not in OPEN_ITEM_VALUES for i in case.items)
    return CasePanel(
        entries,
        can_add=is_open and RoleName.AGENT.value in roles,
        not_returned=not_returned(rows) if closing else [],
        labels=MATERIAL_LABELS,
    )


def _load_rows(items: list[CaseItem]) -> None:
    """Every item's checklist in one query (not one per item)."""
    ids = [item.id for item in items]
    if not ids:
        return
    db.session.scalars(
        select(CaseItem).where(CaseItem.id.in_(ids)).options(selectinload(CaseItem.materials))  # type: ignore[attr-defined]
    ).all()


@dataclass(frozen=True)
class NoticeMaterial:
    """One material as the one-time notice lists it."""

    name: str
    form: str
    count: int
    notes: str
    deferrable: bool
    state: str = MaterialState.PENDING.value  # where the case's checklist stands (pending before it exists)
    promised_on: dt.date | None = None

    @property
    def outstanding(self) -> bool:
        """Still to hand in: not received yet, recorded missing, or promised under 容缺."""
        return self.state in (MaterialState.PENDING.value, MaterialState.MISSING.value, MaterialState.PROMISED.value)

    @property
    def state_label(self) -> str:
        return MaterialState(self.state).label

    @property
    def form_label(self) -> str:
        """The form's English msgid (原件 / 复印件 / 原件及复印件 once translated)."""
        return MaterialForm(self.form).label

    @property
    def form_chinese(self) -> str:
        return FORM_CHINESE[MaterialForm(self.form)]


@dataclass(frozen=True)
class ItemNotice:
    item: CaseItem
    materials: list[NoticeMaterial]


def _as_notice(row: CaseMaterial | CatalogMaterial, item: CaseItem) -> NoticeMaterial:
    """A checklist row with where it stands, or (no checklist yet) the catalog's row, still to hand in."""
    deferrable = bool(row.deferrable) and bool(item.allows_incomplete)
    if isinstance(row, CaseMaterial):
        return NoticeMaterial(row.name, row.form, row.count, row.notes, deferrable, row.state, row.promised_on)
    return NoticeMaterial(row.name, row.form, row.count, row.notes, deferrable)


def notice(case_id: int, actor: Staff) -> list[ItemNotice]:
    """The one-time notice's content: every item of the case in scope with every material it requires."""
    case = case_for(case_id, actor)
    items = [i for i in _visible_items(case, actor) if i.state != ItemState.WITHDRAWN.value]
    _load_rows(items)
    result = []
    for item in items:
        if item.materials:
            rows = [_as_notice(r, item) for r in item.materials if r.state != MaterialState.NOT_NEEDED.value]
        else:
            rows = [_as_notice(r, item) for r in _catalog_rows(item.catalog_item_id)]
        result.append(ItemNotice(item, rows))
    return result


def outstanding(case: Case) -> list[str]:
    """Names of originals received for the case and not yet returned (what blocks 办结 and 终止)."""
    return not_returned(row for item in case.items for row in item.materials)
