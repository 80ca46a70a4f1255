"""The .xlsx check refuses what could sink the server, or import what nobody typed, before openpyxl sees a file."""

from __future__ import annotations

import io
import zipfile

import pytest

from app.domain import xlsx_guard as guard
from app.domain.errors import FileRejected
from app.domain.xlsx_guard import XlsxLimits, inspect_xlsx
from app.services.tabular import read_table
from tests import xlsx_bombs as bombs
from tests.helpers import xlsx_bytes

MB = bombs.MB


def _problems(data: bytes, limits: XlsxLimits | None = None) -> list[tuple[int | None, str, dict]]:
    with pytest.raises(guard.UnsafeWorkbook) as raised:
        inspect_xlsx(data, limits or XlsxLimits())
    return [(p.row, p.template, p.params) for p in raised.value.problems]


def _only(data: bytes, limits: XlsxLimits | None = None) -> tuple[str, dict]:
    problems = _problems(data, limits)
    assert len(problems) == 1, problems
    return problems[0][1], problems[0][2]


def test_an_honest_workbook_passes_and_names_the_sheet_to_import():
    inspection = inspect_xlsx(bombs.good_workbook())
    assert (inspection.sheet_name, inspection.sheet_part) == ("事项", "xl/worksheets/sheet1.xml")
    assert (inspection.rows, inspection.cells) == (2, 6)


def test_a_workbook_written_by_xlsxwriter_passes_with_its_shared_strings():
    inspection = inspect_xlsx(xlsx_bytes([["日期", "类型"], ["2027-01-01", "休"], [3, None, "x"]]))
    assert (inspection.sheet_name, inspection.rows, inspection.cells) == ("Sheet1", 3, 6)


def test_a_one_gigabyte_text_cell_is_refused_by_its_declared_size():
    data = bombs.huge_cell()
    assert len(data) < 2 * MB
    assert _only(data) == (guard.MEMBER_TOO_BIG, {"part": "xl/worksheets/sheet1.xml", "size": 1025, "limit": 16})


def test_a_one_gigabyte_shared_strings_part_is_refused_by_its_declared_size():
    template, params = _only(bombs.huge_shared_strings())
    assert (template, params["part"]) == (guard.MEMBER_TOO_BIG, "xl/sharedStrings.xml")


def test_shared_strings_have_their_own_lower_cap():
    data = bombs.huge_shared_strings(3 * MB)
    template, params = _only(data, XlsxLimits(max_ratio=10_000, max_shared_strings_bytes=2 * MB))
    assert (template, params["size"], params["limit"]) == (guard.SHARED_STRINGS_TOO_BIG, 4, 2)


def test_six_hundred_megabytes_of_rows_in_a_small_file_is_refused():
    data = bombs.many_rows()
    assert len(data) < 2 * MB
    template, params = _only(data)
    assert (template, params["size"]) == (guard.MEMBER_TOO_BIG, 601)


def test_rows_beyond_the_limit_are_refused_while_the_sheet_unpacks():
    data = bombs.many_rows(6 * MB)  # 6,144 rows of 1 KB: under the size caps
    assert _only(data, XlsxLimits(max_ratio=10_000)) == (guard.TOO_MANY_ROWS, {"limit": 5000})


def test_a_high_compression_ratio_is_refused_under_the_size_caps():
    template, params = _only(bombs.huge_cell(8 * MB))
    assert template == guard.RATIO_TOO_HIGH
    assert params["ratio"] > 900 and params["limit"] == 100


def test_a_size_header_that_lies_is_caught_while_unpacking():
    data = bombs.lying_size()
    assert zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml").file_size == 4096
    assert _only(data) == (guard.SIZE_MISMATCH, {"part": "xl/worksheets/sheet1.xml"})


def test_the_unpacked_total_is_capped_across_parts():
    filler = [bombs.Part(f"docProps/fill{n}.bin", [(bytes(range(256)) * 2048, 1)]) for n in range(3)]  # 512 KB each
    data = bombs.Workbook(bombs.plain([bombs.HEADER]), extra_parts=filler).build()
    assert _only(data, XlsxLimits(max_total_bytes=1 * MB)) == (guard.TOTAL_TOO_BIG, {"limit": 1})


def test_too_many_parts_are_refused():
    assert _only(bombs.many_parts(600)) == (guard.TOO_MANY_MEMBERS, {"count": 606, "limit": 500})


def test_a_compression_method_excel_never_uses_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(bombs.good_workbook())) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info), compress_type=zipfile.ZIP_LZMA)
    assert _only(buffer.getvalue()) == (guard.NOT_XLSX, {})


def test_malformed_xml_is_refused_naming_the_part_and_line():
    rows = [bombs.HEADER, "\n", '<row r="2"><c r="A2"><v>1</v></c></row>', "\n", '<row r="3"><c r="A3"><v>1</v></row>']
    data = bombs.Workbook(bombs.plain(rows)).build()
    assert _only(data) == (guard.MALFORMED_XML, {"part": "xl/worksheets/sheet1.xml", "line": 3})


def test_xml_entities_are_refused_before_they_expand():
    assert _only(bombs.billion_laughs()) == (guard.DTD_REFUSED, {"part": "xl/worksheets/sheet1.xml"})


def test_a_formula_is_refused_by_row_and_cell_and_its_cached_value_is_not_read():
    assert _problems(bombs.with_formula()) == [(3, guard.FORMULA, {"cell": "C3", "formula": "C2*2"})]


def test_a_shared_formula_without_text_is_still_a_formula():
    data = bombs.Workbook(bombs.plain([bombs.row(4, '<c r="B4"><f t="shared" si="0"/><v>7</v></c>')])).build()
    assert _problems(data) == [(4, guard.FORMULA_NO_TEXT, {"cell": "B4"})]


@pytest.mark.parametrize(
    "expression", ["[1]Sheet1!A1", "'C:\\预算\\[2026.xlsx]Sheet1'!$A$1", "SUM([budget.xlsm]Data!B:B)"]
)
def test_a_formula_referring_to_another_workbook_is_named_as_a_link(expression):
    data = bombs.Workbook(bombs.plain([bombs.row(2, bombs.formula("D2", expression, 1))])).build()
    assert _problems(data) == [(2, guard.FORMULA_OTHER_WORKBOOK, {"cell": "D2", "formula": expression})]


def test_a_structured_table_reference_is_a_formula_not_a_link():
    data = bombs.Workbook(bombs.plain([bombs.row(2, bombs.formula("D2", "SUM(表1[金额])", 1))])).build()
    assert _problems(data) == [(2, guard.FORMULA, {"cell": "D2", "formula": "SUM(表1[金额])"})]


def test_many_formulas_are_named_up_to_a_limit_then_counted():
    rows = [bombs.row(n, bombs.formula(f"A{n}", "1+1", 2)) for n in range(1, 251)]
    problems = _problems(bombs.Workbook(bombs.plain(rows)).build())
    assert len(problems) == guard.MAX_PROBLEMS + 1
    assert problems[-1] == (None, guard.MORE_FORMULAS, {"count": 50})


def test_an_external_link_part_is_refused_naming_the_linked_file():
    assert _only(bombs.with_external_link()) == (guard.EXTERNAL_LINK, {"target": "file:///C:\\预算\\2026.xlsx"})


def test_an_external_data_connection_is_refused():
    data = bombs.Workbook(
        bombs.plain([bombs.HEADER]),
        extra_parts=[bombs.Part.text("xl/connections.xml", f'<connections xmlns="{bombs.MAIN}"/>')],
    ).build()
    assert _only(data) == (guard.CONNECTIONS, {})


def test_a_cell_pointing_past_the_shared_strings_is_refused_by_row():
    assert _problems(bombs.huge_shared_strings(1024)) == [(1, guard.MISSING_TEXT, {"cell": "B1", "index": "5"})]


def test_a_cell_reference_that_is_not_one_is_refused():
    data = bombs.Workbook(bombs.plain(['<row r="1"><c r="A0"><v>1</v></c></row>'])).build()
    assert _only(data) == (guard.BAD_REFERENCE, {"part": "xl/worksheets/sheet1.xml", "ref": "A0"})


def test_too_many_cells_are_refused_even_when_empty():
    data = bombs.Workbook([(b'<row r="1">', 1), (b"<c/>" * 1001, 1), (b"</row>", 1)]).build()
    assert _only(data, XlsxLimits(max_cells=1000)) == (guard.TOO_MANY_CELLS, {"limit": 1000})


def test_a_part_that_openpyxl_would_load_whole_is_capped_by_elements():
    parts = [bombs.Part("docProps/custom.xml", [(b"<a>", 1), (b"<b/>" * 200_000, 1), (b"</a>", 1)])]
    data = bombs.Workbook(bombs.plain([bombs.HEADER]), extra_parts=parts).build()
    template, params = _only(data)
    assert (template, params["part"], params["limit"]) == (guard.TOO_MANY_ELEMENTS, "docProps/custom.xml", 100_000)


def _with_second_sheet(rows: list[str], target: str = "worksheets/sheet2.xml", **more) -> bytes:
    xml = f'<worksheet xmlns="{bombs.MAIN}"><sheetData>{"".join(rows)}</sheetData></worksheet>'
    return bombs.Workbook(
        bombs.plain([bombs.HEADER]),
        more_sheets=[("说明", target)],
        extra_parts=[bombs.Part.text(f"xl/{target}", xml)],
        **more,
    ).build()


def test_a_big_second_sheet_that_is_not_imported_is_checked_as_xml_but_not_counted():
    rows = [bombs.row(n, *(bombs.number(f"{c}{n}", n) for c in "ABCDEFGHIJ")) for n in range(1, 5001)]
    assert inspect_xlsx(_with_second_sheet(rows)).sheet_name == "事项"  # 100,000 cells, 200,000 elements


def test_a_formula_on_a_sheet_that_is_not_imported_does_not_block_the_import():
    assert inspect_xlsx(_with_second_sheet([bombs.row(1, bombs.formula("A1", "SUM(事项!C:C)", 20))])).rows == 1


def test_styles_dressed_up_as_a_sheet_are_still_counted():
    styles = [(b"<xf/>" * 110_000, 1)]  # 550 KB: under the ratio floor
    data = bombs.Workbook(
        bombs.plain([bombs.HEADER]), more_sheets=[("样式", "styles.xml")], extra_styles=styles
    ).build()
    template, params = _only(data)
    assert (template, params["part"]) == (guard.TOO_MANY_ELEMENTS, "xl/styles.xml")


def test_a_zip_without_a_workbook_is_not_an_excel_file():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert _only(buffer.getvalue()) == (guard.NOT_XLSX, {})


def test_limits_come_from_the_settings_and_keep_defaults_for_the_rest():
    limits = XlsxLimits.from_config({"UPLOAD_XLSX_MAX_ROWS": "10", "UPLOAD_XLSX_MAX_RATIO": 50, "OTHER": 1})
    assert (limits.max_rows, limits.max_ratio, limits.max_cells) == (10, 50, XlsxLimits().max_cells)


def test_reading_a_table_refuses_formulas_before_openpyxl_reads_a_value():
    with pytest.raises(FileRejected) as raised:
        read_table(bombs.with_formula(), "c.xlsx", 2 * MB)
    assert [(p.row, p.params.get("cell")) for p in raised.value.problems] == [(3, "C3")]


def test_reading_a_table_still_refuses_a_formula_the_guard_did_not_see(monkeypatch):
    monkeypatch.setattr(guard._SheetScan, "close", lambda self: None)  # as if the guard missed it
    with pytest.raises(FileRejected) as raised:
        read_table(bombs.with_formula(), "c.xlsx", 2 * MB)
    assert [(p.row, p.template, p.params) for p in raised.value.problems] == [
        (3, guard.FORMULA, {"cell": "C3", "formula": "C2*2"})
    ]


def test_reading_a_table_takes_the_row_limit_from_the_limits():
    rows = [["序号"], *([n] for n in range(1, 12))]
    with pytest.raises(FileRejected) as raised:
        read_table(xlsx_bytes(rows), "c.xlsx", 2 * MB, XlsxLimits(max_rows=10))
    assert [(p.template, p.params) for p in raised.value.problems] == [(guard.TOO_MANY_ROWS, {"limit": 10})]


def test_reading_a_table_refuses_what_openpyxl_cannot_read_with_a_message_not_an_error():
    data = bombs.Workbook(bombs.plain([bombs.row(1, '<c r="A1"><v>not a number</v></c>')])).build()
    with pytest.raises(FileRejected) as raised:
        read_table(data, "c.xlsx", 2 * MB)
    assert [p.template for p in raised.value.problems] == [
        "The file is damaged and could not be read. Open it in Excel, save it again and upload the new file."
    ]


def test_reading_an_honest_generated_workbook_gives_its_rows():
    table = read_table(bombs.good_workbook(), "c.xlsx", 2 * MB)
    assert table.rows == [["序号", "事项名称", "办理时限"], ["1", "取水许可审批", "20"]]
