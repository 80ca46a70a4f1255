"""Catalog Excel: the export re-imports unchanged, imports apply with history, bad files change nothing."""

from __future__ import annotations

import io
import os

import openpyxl
import pytest
from flask_appbuilder import Model
from sqlalchemy import func, select

from app.domain.errors import FileRejected
from app.extensions import db
from app.models import CatalogItem
from app.services import catalog
from app.services.tabular import read_table
from tests.helpers import xlsx_bytes

LIMIT = 2 * 1024 * 1024
HEADER = ["序号", "承办部门", "事项名称", "事项类型", "所属阶段", "法定时限（工作日）", "承诺时限（工作日）"]


def _snapshot():
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table)) for table in Model.metadata.sorted_tables
    } | {"versions": db.session.scalar(select(func.sum(CatalogItem.version)))}


def _import(region_id, data, actor, name="catalog.xlsx"):
    return catalog.import_catalog(region_id, read_table(data, name, LIMIT), actor, "测试导入")


def test_the_export_reimports_unchanged(app, staff, region):
    dalate = region("150621")
    catalog.update_item(
        db.session.scalar(select(CatalogItem.id).where(CatalogItem.region_id == dalate.id, CatalogItem.seq == 14)),
        {"promised_limit_days": 10, "allows_incomplete": True, "fast_track": "multi_assessment"},
        staff("admin"),
        "准备导出",
    )
    catalog.retire_item(
        db.session.scalar(select(CatalogItem.id).where(CatalogItem.region_id == dalate.id, CatalogItem.seq == 30)),
        staff("admin"),
        "本旗无此事项",
    )
    _, data = catalog.export_catalog(dalate.id, staff("admin"))
    before = _snapshot()
    report = _import(dalate.id, data, staff("admin"))
    assert not report.changed
    assert report.unchanged == 31
    assert _snapshot() == before


def test_the_english_export_reimports_unchanged_too(app, staff, region):
    _, data = catalog.export_catalog(region("150600").id, staff("admin"), english_headers=True)
    assert not _import(region("150600").id, data, staff("admin")).changed


def test_the_export_is_a_real_workbook_with_numbers_and_a_frozen_header(app, staff, region):
    _, data = catalog.export_catalog(region("150621").id, staff("dlt_agent"))
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert "达拉特旗" in sheet["A1"].value
    assert [c.value for c in sheet[2]][:3] == ["序号", "承办部门", "事项名称"]
    assert sheet.freeze_panes == "A3"
    assert isinstance(sheet["A3"].value, int)
    assert sheet.max_row == 2 + 31


def test_an_import_adds_updates_and_retires_with_history(app, staff, region):
    dalate = region("150621")
    rows = [
        [*HEADER, "状态"],
        [14, "水利部门", "取水许可审批", "行政许可", "立项用地规划许可", 20, 15, "在用"],
        [None, "自然资源部门", "乡村建设规划许可证核发", "行政许可", "工程建设许可", 20, None, "在用"],
        [30, "统战部门", "宗教活动场所内改建或者新建建筑物审批", "行政许可", "立项用地规划许可", 20, None, "已停用"],
    ]
    report = _import(dalate.id, xlsx_bytes(rows), staff("admin"))
    assert report.updated == ["取水许可审批"]
    assert report.created == ["乡村建设规划许可证核发"]
    assert report.retired == ["宗教活动场所内改建或者新建建筑物审批"]
    new = db.session.scalar(select(CatalogItem).where(CatalogItem.name == "乡村建设规划许可证核发"))
    assert new.region_id == dalate.id and new.department.name == "达拉特旗自然资源局"


BAD_FILES = {
    "wrong columns": (xlsx_bytes([["编号", "名字"], [1, "取水许可审批"]]), "catalog.xlsx"),
    "unknown department": (
        xlsx_bytes([HEADER, [1, "宣传部门", "取水许可审批", "行政许可", "立项用地规划许可", 20, None]]),
        "catalog.xlsx",
    ),
    "duplicate names": (
        xlsx_bytes(
            [
                HEADER,
                [1, "水利部门", "取水许可审批", "行政许可", "立项用地规划许可", 20, None],
                [2, "水利部门", "取水许可审批", "行政许可", "立项用地规划许可", 15, None],
            ]
        ),
        "catalog.xlsx",
    ),
    "non-numeric limit": (
        xlsx_bytes([HEADER, [1, "水利部门", "取水许可审批", "行政许可", "立项用地规划许可", "二十天", None]]),
        "catalog.xlsx",
    ),
    "empty": (xlsx_bytes([HEADER]), "catalog.xlsx"),
    "empty file": (b"", "catalog.xlsx"),
    "not an Excel file": ("序号,事项名称\n1,取水许可审批\n".encode(), "catalog.docx"),
    "10 MB of junk": (os.urandom(10 * 1024 * 1024), "catalog.xlsx"),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_a_bad_file_is_refused_with_a_located_message_and_changes_nothing(app, staff, region, case):
    data, name = BAD_FILES[case]
    # A good row first: it must not be applied when a later row is bad.
    before = _snapshot()
    with pytest.raises(FileRejected) as raised:
        _import(region("150621").id, data, staff("admin"), name)
    assert raised.value.problems
    assert _snapshot() == before


def test_unknown_department_and_bad_number_name_row_and_column(app, staff, region):
    rows = [
        HEADER,
        [14, "水利部门", "取水许可审批", "行政许可", "立项用地规划许可", 20, 10],
        [1, "宣传部门", "某审批", "行政许可", "立项用地规划许可", "二十", None],
    ]
    before = _snapshot()
    with pytest.raises(FileRejected) as raised:
        _import(region("150621").id, xlsx_bytes(rows), staff("admin"))
    located = {(p.row, p.column) for p in raised.value.problems}
    assert located == {(3, "承办部门"), (3, "法定时限（工作日）")}
    assert _snapshot() == before  # row 2 was good, and still nothing changed


def test_the_import_page_lists_each_problem_and_keeps_the_catalog(login, region):
    client = login("admin")
    data, _ = BAD_FILES["duplicate names"]
    response = client.post(
        "/catalog/import",
        data={"region_id": region("150621").id, "reason": "", "file": (io.BytesIO(data), "c.xlsx")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "文件未导入，未做任何更改。" in page
    assert "第 3 行" in page and "事项名称" in page


def test_a_file_whose_title_names_another_region_is_refused_and_changes_nothing(app, staff, region):
    city, dongsheng = region("150600"), region("150602")
    _, data = catalog.export_catalog(city.id, staff("admin"))
    before = _snapshot()
    with pytest.raises(FileRejected) as refused:
        _import(dongsheng.id, data, staff("admin"))
    problem = refused.value.problems[0]
    assert problem.params == {"named": "鄂尔多斯市", "region": "东胜区"} and problem.row == 1
    assert _snapshot() == before
    assert not _import(city.id, data, staff("admin")).changed  # its own region takes it


def test_the_import_page_preselects_no_region_and_asks_for_one(login, region):
    client = login("admin")
    page = client.get("/catalog/import").get_data(as_text=True)
    first = page.split('id="region_id"', 1)[1].split("</option>", 1)[0]
    assert 'value="0"' in first and "请选择" in first
    data, _ = BAD_FILES["duplicate names"]
    response = client.post(
        "/catalog/import",
        data={"region_id": "0", "reason": "", "file": (io.BytesIO(data), "c.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and "has-error" in response.get_data(as_text=True)


def test_the_export_route_downloads_the_users_own_region(login):
    response = login("dlt_agent").get("/catalog/export")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert "达拉特旗" in sheet["A1"].value


def test_the_export_route_refuses_a_region_outside_the_users_scope(login, region):
    response = login("dlt_agent").get(f"/catalog/export?region_id={region('150600').id}")
    assert response.status_code == 404
