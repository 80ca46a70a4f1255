"""申报材料 end to end: catalog lists (history, Excel), each case's checklist, its steps, and completion."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from flask_appbuilder import Model
from sqlalchemy import func, select

from app.domain.errors import FileRejected, Forbidden, NotFound, StaleRecord, ValidationError
from app.domain.lights import Light
from app.domain.materials import MaterialSpec, parse_list
from app.extensions import db
from app.models import Case, CaseEvent, CaseMaterial, CatalogChange, CatalogItem, CatalogMaterial, Region
from app.services import cases, catalog, materials
from app.services.cases import PlanLine
from app.services.seeding import seed_reference
from app.services.tabular import read_table
from tests.factories import apply

D = dt.date
LIMIT = 2 * 1024 * 1024
WATER = "取水许可审批"
LAND = "建设用地规划许可证核发"


def _catalog_item(name, code="150621"):
    return db.session.scalar(select(CatalogItem).join(Region).where(Region.code == code, CatalogItem.name == name))


def _snapshot():
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table)) for table in Model.metadata.sorted_tables
    } | {"versions": db.session.scalar(select(func.sum(CatalogItem.version)))}


def _planned_case(staff):
    """A planned case of 取水许可审批 and 建设用地规划许可证核发, the water item's entry allowing 容缺受理."""
    agent = staff("dlt_agent")
    _catalog_item(WATER).allows_incomplete = True
    db.session.commit()
    case = apply(agent)
    cases.accept_case(case.id, agent, D(2026, 9, 2))
    cases.entrust_case(case.id, agent, D(2026, 9, 3))
    lines = [PlanLine(item.id, n, D(2026, 9, 20)) for n, item in enumerate(case.items)]
    cases.plan_schedule(case.id, lines, agent)
    cases.fix_plan(case.id, agent, D(2026, 9, 4))
    return db.session.get(Case, case.id)


def _item(case, name):
    return next(i for i in db.session.get(Case, case.id).items if i.name == name)


def _row(case, item_name, material_name):
    return next(m for m in _item(case, item_name).materials if m.name == material_name)


# --- the catalog ---------------------------------------------------------------------------------------


def test_the_reference_catalog_is_seeded_with_materials_and_seeding_again_adds_none(app):
    item = _catalog_item("企业投资项目备案")
    names = [m.name for m in item.materials]
    assert names[:3] == ["项目备案申请表", "营业执照", "法定代表人身份证明"]
    assert item.materials[1].form == "copy" and item.materials[3].deferrable
    count = db.session.scalar(select(func.count(CatalogMaterial.id)))
    seed_reference()
    assert db.session.scalar(select(func.count(CatalogMaterial.id))) == count


def test_changing_an_items_materials_is_one_version_with_the_lists_before_and_after_in_its_history(app, staff):
    item = _catalog_item(WATER)
    version = item.version
    specs = [*catalog.item_materials(item)[1:], MaterialSpec("取水工程平面布置图", "original", 2, "", True)]
    assert catalog.set_materials(item.id, specs, staff("admin"), "按新办事指南调整", version)
    db.session.expire_all()
    item = _catalog_item(WATER)
    assert item.version == version + 1
    assert catalog.item_materials(item) == specs
    change = db.session.scalars(
        select(CatalogChange).where(CatalogChange.item_id == item.id).order_by(CatalogChange.id.desc())
    ).first()
    assert (change.field, change.version, change.reason) == ("materials", item.version, "按新办事指南调整")
    assert change.old_value.startswith("1. 取水许可申请书（原件，1份）")
    assert "取水工程平面布置图（原件，2份，可容缺）" in change.new_value
    retired = db.session.scalar(
        select(CatalogMaterial).where(
            CatalogMaterial.name == "取水许可申请书", CatalogMaterial.catalog_item_id == item.id
        )
    )
    assert retired.retired_at is not None  # kept, out of use
    assert not catalog.set_materials(item.id, specs, staff("admin"), "再次保存")  # the same list: nothing written


def test_only_an_admin_changes_materials_and_a_stale_form_is_refused(app, staff):
    item = _catalog_item(WATER)
    with pytest.raises(Forbidden):
        catalog.set_materials(item.id, [], staff("dlt_agent"), "删掉")
    with pytest.raises(StaleRecord):
        catalog.set_materials(item.id, [], staff("admin"), "删掉", expected_version=item.version - 1)
    db.session.expire_all()
    assert len(catalog.item_materials(_catalog_item(WATER))) == 4


def _import(region_id, data, actor):
    return catalog.import_catalog(region_id, read_table(data, "catalog.xlsx", LIMIT), actor, "测试导入")


def _sheet_rows(data):
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    return [[c.value for c in row] for row in sheet.iter_rows()]


def _to_xlsx(rows):
    from tests.helpers import xlsx_bytes

    return xlsx_bytes(rows)


def test_materials_round_trip_through_the_catalog_file(app, staff, region):
    dalate = region("150621")
    before_specs = {i.name: catalog.item_materials(i) for i in catalog.region_items(dalate.id, staff("admin"))}
    _, data = catalog.export_catalog(dalate.id, staff("admin"))
    rows = _sheet_rows(data)
    column = rows[1].index("申报材料")
    filing = next(r for r in rows if r[2] == "企业投资项目备案")
    assert filing[column].splitlines()[1] == "2. 营业执照（复印件，1份）：加盖公章"
    before = _snapshot()
    assert not _import(dalate.id, data, staff("admin")).changed
    assert _snapshot() == before
    # The admin edits the cell in Excel: one line changed, one added; the rest of the file as exported.
    filing[column] = (
        filing[column].replace("营业执照（复印件，1份）", "营业执照（原件及复印件，2份）")
        + "\n6. 土地权属证明（复印件，1份）"
    )
    report = _import(dalate.id, _to_xlsx(rows[1:]), staff("admin"))
    assert report.updated == ["企业投资项目备案"]
    db.session.expire_all()
    after = {i.name: catalog.item_materials(i) for i in catalog.region_items(dalate.id, staff("admin"))}
    assert after["企业投资项目备案"] == parse_list(filing[column])
    assert {k: v for k, v in after.items() if k != "企业投资项目备案"} == {
        k: v for k, v in before_specs.items() if k != "企业投资项目备案"
    }
    change = db.session.scalar(
        select(CatalogChange).where(CatalogChange.field == "materials", CatalogChange.reason == "测试导入")
    )
    assert "营业执照（原件及复印件，2份）" in change.new_value


def test_a_file_with_a_bad_material_line_is_refused_by_row_and_name_and_changes_nothing(app, staff, region):
    dalate = region("150621")
    _, data = catalog.export_catalog(dalate.id, staff("admin"))
    rows = _sheet_rows(data)[1:]
    column = rows[0].index("申报材料")
    row_number = next(n for n, r in enumerate(rows, start=1) if r[2] == WATER)
    rows[row_number - 1][column] = "1. 取水许可申请书（原件，1份）\n2. 水资源论证报告（原本，2份）"
    before = _snapshot()
    with pytest.raises(FileRejected) as raised:
        _import(dalate.id, _to_xlsx(rows), staff("admin"))
    problem = raised.value.problems[0]
    assert (problem.row, problem.column) == (row_number, "申报材料")
    assert problem.params == {"value": "原本", "name": "水资源论证报告"}
    assert _snapshot() == before


def test_an_old_file_without_the_materials_column_leaves_the_materials_alone(app, staff, region):
    dalate = region("150621")
    _, data = catalog.export_catalog(dalate.id, staff("admin"))
    rows = _sheet_rows(data)[1:]
    column = rows[0].index("申报材料")
    old = [r[:column] + r[column + 1 :] for r in rows]
    before = _snapshot()
    assert not _import(dalate.id, _to_xlsx(old), staff("admin")).changed
    assert _snapshot() == before


def test_the_item_page_lists_its_materials_and_the_edit_form_changes_them_with_a_reason(login):
    client = login("admin")
    item = _catalog_item(WATER)
    page = client.get(f"/catalog/show/{item.id}").get_data(as_text=True)
    assert "申报材料" in page and "取水许可申请书" in page and "建设项目水资源论证报告书（表）" in page
    form = client.get(f"/catalog/edit/{item.id}").get_data(as_text=True)
    assert "1. 取水许可申请书（原件，1份）" in form
    data = {
        "seq": item.seq,
        "name": item.name,
        "department_id": item.department_id,
        "item_type": item.item_type,
        "stage": item.stage,
        "legal_limit_days": item.legal_limit_days,
        "fast_track": item.fast_track,
        "version": item.version,
        "reason": "材料调整",
        "materials_text": "取水许可申请书（原件，1份）\n营业执照（复印件，1份）：加盖公章",
    }
    bad = client.post(f"/catalog/edit/{item.id}", data={**data, "materials_text": "营业执照（原本，1份）"})
    assert bad.status_code == 200 and "原本" in bad.get_data(as_text=True)
    db.session.expire_all()
    assert len(catalog.item_materials(_catalog_item(WATER))) == 4
    client.post(f"/catalog/edit/{item.id}", data=data, follow_redirects=True)
    db.session.expire_all()
    assert [m.name for m in catalog.item_materials(_catalog_item(WATER))] == ["取水许可申请书", "营业执照"]
    history = client.get(f"/catalog/show/{item.id}").get_data(as_text=True)
    assert "材料调整" in history


# --- the case's checklist ---------------------------------------------------------------------------------


def test_choosing_items_copies_the_catalogs_materials_onto_each_item(app, staff):
    case = apply(staff("dlt_agent"))
    for item in db.session.get(Case, case.id).items:
        assert [(m.name, m.form, m.count, m.deferrable) for m in item.materials] == [
            (s.name, s.form, s.count, s.deferrable) for s in catalog.item_materials(item.catalog_item)
        ]
        assert {m.state for m in item.materials} == {"pending"}


def test_each_step_is_recorded_on_the_row_and_on_the_timeline(app, staff, today_is):
    agent = staff("dlt_agent")
    case = _planned_case(staff)
    form = _row(case, WATER, "取水许可申请书")
    materials.receive(form.id, agent, D(2026, 9, 5), note="窗口收取")
    study = _row(case, WATER, "建设项目水资源论证报告书（表）")
    materials.mark_missing(study.id, agent, note="报告尚在编制")
    impact = _row(case, WATER, "取水退水对第三者影响的说明")
    materials.promise(impact.id, agent, D(2026, 12, 10), on=D(2026, 11, 20), note="申请人承诺补齐")
    licence = _row(case, WATER, "营业执照")
    materials.waive(licence.id, agent, "已通过电子证照共享")
    materials.give_back(form.id, agent, D(2026, 10, 30))
    db.session.expire_all()
    form, study = db.session.get(CaseMaterial, form.id), db.session.get(CaseMaterial, study.id)
    impact, licence = db.session.get(CaseMaterial, impact.id), db.session.get(CaseMaterial, licence.id)
    assert (form.state, form.received_on, form.returned_on) == ("returned", D(2026, 9, 5), D(2026, 10, 30))
    assert (study.state, study.note) == ("missing", "报告尚在编制")
    assert (impact.state, impact.promised_on) == ("promised", D(2026, 12, 10))
    assert (licence.state, licence.note) == ("not_needed", "已通过电子证照共享")
    events = db.session.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id, CaseEvent.subject_type == "material")
        .order_by(CaseEvent.id)
    ).all()
    assert [(e.action, e.to_state) for e in events] == [
        ("receive", "received"),
        ("mark_missing", "missing"),
        ("promise", "promised"),
        ("waive", "not_needed"),
        ("return", "returned"),
    ]
    assert events[0].note == "取水许可申请书：窗口收取"
    assert events[2].note == "取水退水对第三者影响的说明 → 2026-12-10：申请人承诺补齐"
    assert events[0].item_id == _item(case, WATER).id


def test_a_promise_only_for_a_deferrable_material_and_it_carries_the_one_light_rule(app, staff, today_is):
    agent = staff("dlt_agent")
    case = _planned_case(staff)
    with pytest.raises(ValidationError, match="容缺"):
        materials.promise(_row(case, WATER, "取水许可申请书").id, agent, D(2026, 12, 10))
    impact = _row(case, WATER, "取水退水对第三者影响的说明")
    with pytest.raises(ValidationError, match="date"):
        materials.promise(impact.id, agent, None)
    materials.promise(impact.id, agent, D(2026, 11, 30), on=D(2026, 11, 20))

    def light():
        panel = materials.panel(db.session.get(Case, case.id), agent)
        return next(line.light for entry in panel.items for line in entry.lines if line.row.id == impact.id)

    assert light() is Light.YELLOW  # 2026-11-27: one working day left
    today_is("2026-11-10")
    assert light() is Light.GREEN
    today_is("2026-12-01")
    assert light() is Light.RED


def test_completion_is_refused_while_an_original_is_not_returned_and_allowed_after(app, staff, today_is):
    agent, water, land = staff("dlt_agent"), staff("dlt_liaison_water"), staff("dlt_liaison_land")
    case = _planned_case(staff)
    form = _row(case, WATER, "取水许可申请书")
    copy = _row(case, WATER, "营业执照")
    materials.receive(form.id, agent, D(2026, 9, 5))
    materials.receive(copy.id, agent, D(2026, 9, 5))
    for item, liaison in ((_item(case, WATER), water), (_item(case, LAND), land)):
        cases.accept_item(item.id, liaison, D(2026, 9, 21))
        cases.approve_item(item.id, liaison, D(2026, 10, 12))
    with pytest.raises(ValidationError) as raised:
        cases.complete_case(case.id, agent, D(2026, 10, 20), archived=True)
    assert raised.value.params == {"names": "取水许可申请书"}  # the copy stays in the file
    assert db.session.get(Case, case.id).state == "in_progress"
    assert materials.return_all(case.id, agent, D(2026, 10, 20)) == 1
    cases.complete_case(case.id, agent, D(2026, 10, 20), archived=True, materials_note="当面返还")
    case = db.session.get(Case, case.id)
    assert case.state == "completed" and case.materials_returned and case.materials_note == "当面返还"
    with pytest.raises(ValidationError, match="closed"):
        materials.receive(_row(case, LAND, "建设用地规划许可申请表").id, agent)


def test_a_liaison_reads_only_their_departments_materials_and_records_nothing(app, staff, today_is):
    case = _planned_case(staff)
    water = staff("dlt_liaison_water")
    panel = materials.panel(db.session.get(Case, case.id), water)
    assert [entry.item.name for entry in panel.items] == [WATER]
    assert all(not line.actions for line in panel.items[0].lines)
    assert [n.item.name for n in materials.notice(case.id, water)] == [WATER]
    with pytest.raises(Forbidden):
        materials.receive(_row(case, WATER, "取水许可申请书").id, water)
    with pytest.raises(NotFound):
        materials.receive(_row(case, LAND, "建设用地规划许可申请表").id, water)
    with pytest.raises(NotFound):
        materials.receive(_row(case, WATER, "取水许可申请书").id, staff("agent"))  # another region's agent


def test_a_stale_form_is_refused_with_who_changed_the_material(app, staff, today_is):
    agent = staff("dlt_agent")
    case = _planned_case(staff)
    row = _row(case, WATER, "取水许可申请书")
    version = row.version
    materials.mark_missing(row.id, agent, expected_version=version)
    with pytest.raises(StaleRecord):
        materials.receive(row.id, agent, expected_version=version)
    db.session.expire_all()
    assert db.session.get(CaseMaterial, row.id).state == "missing"


def test_the_notice_lists_each_items_materials_from_the_case_or_else_from_the_catalog(app, staff, today_is):
    agent = staff("dlt_agent")
    case = _planned_case(staff)
    materials.waive(_row(case, WATER, "营业执照").id, agent, "电子证照共享")
    materials.add_material(_item(case, LAND).id, agent, "地形图", "original", 2, "1:500", False)
    # The catalog gains a list after the case took the item on: the notice reads the catalog for it.
    land = db.session.get(Case, case.id).items[1]
    for row in list(land.materials):
        db.session.delete(row)
    db.session.commit()
    notice = materials.notice(case.id, agent)
    by_item = {n.item.name: n.materials for n in notice}
    assert "营业执照" not in [m.name for m in by_item[WATER]]
    assert by_item[WATER][0].form_label == "Original" and by_item[WATER][0].form_chinese == "原件"
    assert [m.name for m in by_item[LAND]] == [s.name for s in catalog.item_materials(_catalog_item(LAND))]
    assert notice[0].item.department.name and notice[0].item.time_limit_days == 20


def test_a_liaison_reads_the_material_entries_of_their_own_items_only(app, staff, today_is):
    agent, water = staff("dlt_agent"), staff("dlt_liaison_water")
    case = _planned_case(staff)
    materials.receive(_row(case, WATER, "取水许可申请书").id, agent, D(2026, 9, 5))
    land_item = next(i for i in _item(case, LAND).materials)
    materials.receive(land_item.id, agent, D(2026, 9, 5))
    seen = [e for e in cases.timeline(case.id, water) if e.subject_type == "material"]
    assert [(e.action, e.item.name) for e in seen] == [("receive", WATER)]
    everyone = [e for e in cases.timeline(case.id, agent) if e.subject_type == "material"]
    assert sorted(e.item.name for e in everyone) == sorted([WATER, LAND])


def test_an_agent_adds_a_material_the_case_needs_and_it_is_on_the_timeline(app, staff, today_is):
    agent = staff("dlt_agent")
    case = _planned_case(staff)
    row = materials.add_material(_item(case, WATER).id, agent, "取水口位置图", "copy", "1", "", False)
    assert row.catalog_material_id is None and row.state == "pending"
    with pytest.raises(ValidationError, match="twice"):
        materials.add_material(_item(case, WATER).id, agent, "取水口位置图")
    assert db.session.scalar(select(CaseEvent.note).where(CaseEvent.action == "add_material")) == "取水口位置图"


# --- the case page ------------------------------------------------------------------------------------------


def test_the_case_page_shows_the_checklist_and_an_agent_records_a_step_through_it(login, staff, today_is):
    case = _planned_case(staff)
    row = _row(case, WATER, "取水许可申请书")
    client = login("dlt_agent")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'id="materials"' in page and "取水许可申请书" in page and "待收取" in page
    assert f"/materials/{row.id}/move/receive" in page
    response = client.post(
        f"/materials/{row.id}/move/receive",
        data={"on": "2026-11-20", "note": "", "version": row.version, "case_id": case.id, "next": f"/cases/{case.id}"},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{case.id}")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "已收取" in page and "原件尚未返还申请人" not in page  # said when the case can close (test below)
    timeline = page[page.index("timeline") :] if "timeline" in page else page
    assert "申报材料" in page and "取水许可申请书" in timeline


def test_a_liaison_sees_their_items_materials_without_buttons_and_cannot_post(login, staff, today_is):
    case = _planned_case(staff)
    row = _row(case, WATER, "取水许可申请书")
    client = login("dlt_liaison_water")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "取水许可申请书" in page and "建设用地规划许可申请表" not in page
    assert "/move/receive" not in page
    response = client.post(f"/materials/{row.id}/move/receive", data={"case_id": case.id})
    assert response.status_code in (302, 403)
    db.session.expire_all()
    assert db.session.get(CaseMaterial, row.id).state == "pending"


def test_no_promise_is_offered_or_taken_on_an_item_whose_catalog_forbids_acceptance_with_missing_materials(
    app, staff, today_is
):
    agent = staff("dlt_agent")
    case = _planned_case(staff)
    impact = _row(case, WATER, "取水退水对第三者影响的说明")  # a material that may come later …
    assert impact.deferrable and _item(case, WATER).allows_incomplete
    _item(case, WATER).allows_incomplete = False  # … of an item planned under a catalog entry without 容缺受理
    db.session.commit()
    panel = materials.panel(db.session.get(Case, case.id), agent)
    water = next(entry for entry in panel.items if entry.item.name == WATER)
    line = next(line for line in water.lines if line.row.name == impact.name)
    assert "promise" not in [t.action for t in line.actions] and not panel.may_defer(line.row)
    with pytest.raises(ValidationError, match="容缺受理"):
        materials.promise(impact.id, agent, D(2026, 12, 10), on=D(2026, 11, 20))
    assert db.session.get(CaseMaterial, impact.id).state == "pending"


def test_the_panel_offers_a_promise_only_where_the_catalog_allows_it_and_a_return_only_for_originals(
    app, staff, today_is
):
    agent = staff("dlt_agent")
    case = _planned_case(staff)
    for name in ("取水许可申请书", "营业执照"):
        materials.receive(_row(case, WATER, name).id, agent, D(2026, 9, 5))

    def offered():
        panel = materials.panel(db.session.get(Case, case.id), agent)
        water = next(entry for entry in panel.items if entry.item.name == WATER)
        return {line.row.name: [t.action for t in line.actions] for line in water.lines}

    steps = offered()
    assert steps["取水许可申请书"] == ["return"]
    assert steps["营业执照"] == []  # a copy stays in the case file
    assert "promise" in steps["取水退水对第三者影响的说明"]
    assert "promise" not in steps["建设项目水资源论证报告书（表）"]
    with pytest.raises(ValidationError, match="copy"):
        materials.give_back(_row(case, WATER, "营业执照").id, agent)


def test_the_window_receives_an_items_materials_at_once_and_a_shared_document_only_once(app, staff, login, today_is):
    agent = staff("dlt_agent")
    case = _planned_case(staff)
    water = _item(case, WATER)
    materials.add_material(_item(case, LAND).id, agent, "营业执照", "copy", 1, "加盖公章")  # both items ask for it
    land = _item(case, LAND)
    shared = [m.name for m in water.materials if (m.name, m.form) in {(r.name, r.form) for r in land.materials}]
    assert shared == ["营业执照"]
    page = login("dlt_agent").get(f"/cases/{case.id}").get_data(as_text=True)
    assert f"/materials/item/{water.id}/receive_all" in page
    response = login("dlt_agent").post(
        f"/materials/item/{water.id}/receive_all", data={"on": "2026-09-05", "case_id": case.id}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert {m.state for m in _item(case, WATER).materials} == {"received"}
    licence = next(m for m in _item(case, LAND).materials if m.name == "营业执照")
    assert licence.state == "received" and licence.received_on == D(2026, 9, 5)  # handed over once, for both
    others = [m.state for m in _item(case, LAND).materials if m.name != "营业执照"]
    assert others and set(others) == {"pending"}
    notes = db.session.scalars(
        select(CaseEvent.note).where(CaseEvent.subject_type == "material", CaseEvent.subject_id == licence.id)
    ).all()
    assert any("共用" in (n or "") for n in notes)
    assert materials.receive_all(water.id, agent, D(2026, 9, 6)) == 0  # nothing left to receive


def test_originals_not_yet_returned_are_flagged_when_the_case_can_close_not_while_it_runs(app, staff, login, today_is):
    agent = staff("dlt_agent")
    case = _planned_case(staff)
    materials.receive(_row(case, WATER, "取水许可申请书").id, agent, D(2026, 9, 5))
    page = login("dlt_agent").get(f"/cases/{case.id}").get_data(as_text=True)
    assert "materials-not-returned" not in page  # items still open: months before it matters
    for item in db.session.get(Case, case.id).items:
        item.state = "approved"
    db.session.commit()
    page = login("dlt_agent").get(f"/cases/{case.id}").get_data(as_text=True)
    assert "materials-not-returned" in page and "取水许可申请书" in page.split("materials-not-returned")[1][:400]
