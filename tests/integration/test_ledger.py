"""The work ledger in Excel: layout, types, fills, safe text, sheet splitting, printing, filters and row scope."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import update

from app.domain.ledger import (
    CASES,
    CELL_FONT_PT,
    EVALUATIONS,
    ITEMS,
    MIN_PRINTED_PT,
    column_pixels,
    print_layout,
    printable_pixels,
    text_lines,
)
from app.extensions import db
from app.models import Case
from app.services.ledger import LedgerScope, region_scope_for, write_ledger
from tests.factories import bulk_cases

pytestmark = [
    pytest.mark.every_engine,  # ledger aggregates in each engine's SQL
    pytest.mark.usefixtures("today_is"),  # 2026-11-27
]


def _ledger(code="150621", max_rows=1_048_576, english=False, **scope):
    region, ids = region_scope_for(code)
    buffer = io.BytesIO()
    stats = write_ledger(buffer, LedgerScope(ids, region.name, **scope), english=english, max_rows=max_rows)
    buffer.seek(0)
    return openpyxl.load_workbook(buffer), stats


def test_the_workbook_has_the_official_layout(app):
    bulk_cases("150621", 6)
    book, stats = _ledger()
    assert book.sheetnames == ["案件台账", "事项台账", "超期事项", "服务评价", "汇总"]
    items = book["事项台账"]
    assert "达拉特旗" in items["A1"].value and "代办帮办专项工作台账" in items["A1"].value
    merged = {str(r) for r in items.merged_cells.ranges}
    assert {"A1:Q1", "A2:E2", "F2:I2", "J2:M2", "N2:P2"} <= merged  # title and two-level headers
    assert [c.value for c in items[3]][:3] == ["案件编号", "地区", "项目名称"]
    assert items.freeze_panes == "A4"
    assert items.auto_filter.ref == "A3:Q15"
    assert items.page_setup.orientation == "landscape" and items.page_setup.paperSize == 9
    assert items.column_dimensions["F"].width >= 20 and items["F4"].alignment.wrap_text
    assert stats.items == 12 and stats.cases == 6


def test_dates_are_dates_amounts_are_numbers_and_overdue_rows_are_red(app):
    bulk_cases("150621", 2)  # case 0 due 2026-12-10 (fine), case 1 due 2026-11-05 (overdue on 11-27)
    db.session.execute(update(Case).values(total_investment=98000.5))  # as submitted
    db.session.commit()
    book, stats = _ledger()
    items = book["事项台账"]
    rows = list(items.iter_rows(min_row=4, values_only=False))
    due = {row[0].value + row[5].value: row for row in rows}
    late = next(row for key, row in due.items() if key.startswith("150621-2026-B0001"))
    fine = next(row for key, row in due.items() if key.startswith("150621-2026-B0000"))
    assert late[11].is_date and late[11].value == dt.datetime(2026, 11, 5)
    assert late[16].value == "已超期"
    assert late[0].fill.fgColor.rgb.endswith("F8CBAD")
    assert fine[0].fill.fgColor.rgb in ("00000000", None) or not fine[0].fill.fgColor.rgb.endswith("F8CBAD")
    assert isinstance(late[13].value, int) and isinstance(late[14].value, int)
    cases = book["案件台账"]
    amount = cases.cell(row=4, column=11)
    assert amount.value == 98000.5 and amount.number_format == "#,##0.00"
    assert stats.overdue == 2 and book["超期事项"].max_row == 3 + 2


def test_formula_like_text_is_stored_as_text(app):
    bulk_cases("150621", 1)
    nasty = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]
    for n, value in enumerate(nasty):
        db.session.execute(update(Case).values(project_name=value))
        db.session.commit()
        book, _ = _ledger()
        cell = book["事项台账"]["C4"]
        assert cell.data_type == "s", value
        # A carriage return is stored in Excel's own escape (_x000D_), which Excel shows as the character.
        assert cell.value in (value, value.replace("\r", "_x000D_")), n


def test_a_sheet_past_its_row_limit_continues_on_the_next(app):
    bulk_cases("150621", 9)  # 18 item rows; 3 header rows + 5 data rows per sheet
    book, stats = _ledger(max_rows=8)
    names = [n for n in book.sheetnames if n.startswith("事项台账")]
    assert names == ["事项台账", "事项台账 (2)", "事项台账 (3)", "事项台账 (4)"]
    data_rows = sum(book[n].max_row - 3 for n in names)
    assert data_rows == 18 == stats.items
    assert book["事项台账 (2)"]["A3"].value == "案件编号"  # headers repeat on every part
    # Each sheet's continuations sit right after it, and keep their own print titles after the move.
    assert book.sheetnames == [
        "案件台账",
        "案件台账 (2)",
        "事项台账",
        "事项台账 (2)",
        "事项台账 (3)",
        "事项台账 (4)",
        "超期事项",
        "超期事项 (2)",
        "服务评价",
        "汇总",
    ]
    assert stats.sheets == book.sheetnames
    assert book["事项台账 (3)"].print_title_rows == "$2:$3"
    assert book["案件台账 (2)"].print_title_cols == "$A:$A"
    assert book["事项台账 (4)"].print_area == "'事项台账 (4)'!$A$2:$Q$6"


def _effective_pt(sheet) -> float:
    return CELL_FONT_PT * sheet.page_setup.scale / 100


def test_every_printed_sheet_is_readable_at_seven_points_or_more(app):
    bulk_cases("150621", 2)
    book, _ = _ledger()
    for name in ("案件台账", "事项台账", "超期事项", "服务评价"):
        sheet = book[name]
        assert not sheet.sheet_properties.pageSetUpPr or not sheet.sheet_properties.pageSetUpPr.fitToPage, name
        assert _effective_pt(sheet) >= MIN_PRINTED_PT, (name, sheet.page_setup.scale)
        assert sheet.print_title_rows == "$2:$3", name  # group and column headers on every page
        assert sheet.oddHeader.center.text and "代办帮办专项工作台账" in sheet.oddHeader.center.text
        assert "&P" in sheet.oddFooter.center.text
    # The item sheet prints one page wide; the 22 case columns print in two column groups, the case
    # number repeated on the second, a row's second half on the page right after its first.
    assert not book["事项台账"].col_breaks.brk
    cases = book["案件台账"]
    assert [b.id for b in cases.col_breaks.brk] == [14]  # 基本情况 + 项目情况 | 办理情况
    assert cases.print_title_cols == "$A:$A"
    assert cases.page_setup.pageOrder == "overThenDown"


def test_the_summary_prints_one_page_wide_with_its_region_column(app):
    bulk_cases("150621", 2)
    book, _ = _ledger("150600")
    summary = book["汇总"]
    assert summary.sheet_properties.pageSetUpPr.fitToPage
    assert (summary.page_setup.fitToWidth or 1, summary.page_setup.fitToHeight) == (1, 0)  # 1 is the default
    assert summary.print_title_cols == "$A:$A" and summary.print_title_rows == "$2:$3"
    assert summary.page_setup.orientation == "landscape"
    assert summary["B4"].border.left.style == "thin"


def test_empty_cells_of_plain_rows_keep_the_grid(app):
    bulk_cases("150621", 1)  # both items due 2026-12-10: plain rows, not yet closed
    book, _ = _ledger()
    row = [c for c in book["事项台账"][4]]
    closed_on = row[12]
    assert closed_on.value is None and not closed_on.fill.fgColor.rgb.endswith("F8CBAD")
    assert closed_on.border.left.style == "thin" and closed_on.border.bottom.style == "thin"
    assert book["案件台账"]["V4"].border.top.style == "thin"  # no close reason, still a bordered cell


def test_long_names_wrap_and_their_rows_grow(app):
    bulk_cases("150621", 1)
    long_name = "鄂尔多斯市达拉特旗绿色能源与现代煤化工循环经济产业园区投资建设发展有限责任公司"
    db.session.execute(update(Case).values(enterprise_name=long_name))
    db.session.commit()
    book, _ = _ledger()
    items = book["事项台账"]
    assert items["D4"].value == long_name and items["D4"].alignment.wrap_text
    assert items.row_dimensions[4].height >= 4 * 13  # 41 characters in a 17-character column: four lines
    assert book["案件台账"].row_dimensions[3].height >= 2 * 13  # so do headers such as 当年计划投资（万元）


def test_print_layouts_pack_whole_column_groups_at_a_readable_scale():
    min_scale = MIN_PRINTED_PT * 100 / CELL_FONT_PT
    for spec in (CASES, ITEMS, EVALUATIONS):
        layout = print_layout(spec)
        assert layout.scale >= min_scale
        widths = [column_pixels(c.width) for c in spec.columns]
        group_starts, start = set(), 0
        for group in spec.groups:
            group_starts.add(start)
            start += len(group.columns)
        assert set(layout.breaks) <= group_starts  # a page never splits a column group
        for first, last in layout.page_columns(len(widths)):
            keys = sum(widths[: spec.keys]) if first else 0
            assert keys + sum(widths[first : last + 1]) <= printable_pixels(layout.scale)


def test_text_lines_counts_chinese_characters_as_wide():
    assert text_lines("取水许可审批", 12) == 1
    assert text_lines("a" * 12, 12) == 1
    assert text_lines("鄂尔多斯市达拉特旗绿色能源有限责任公司", 12) == 4  # six characters a line
    assert text_lines("第一行\n第二行", 12) == 2


def test_a_banner_ledger_holds_no_row_of_another_banner(app):
    bulk_cases("150621", 3)
    bulk_cases("150622", 2, batch="Z")
    book, _ = _ledger("150621")
    for name in ("案件台账", "事项台账"):
        regions = {row[1] for row in book[name].iter_rows(min_row=4, values_only=True)}
        assert regions == {"达拉特旗"}
    city, _ = _ledger("150600")
    assert {row[1] for row in city["案件台账"].iter_rows(min_row=4, values_only=True)} == {"达拉特旗", "准格尔旗"}


def test_the_period_keeps_cases_open_during_it(app):
    ids = bulk_cases("150621", 3)
    db.session.execute(update(Case).where(Case.id == ids[0]).values(state="completed", closed_on=dt.date(2026, 9, 20)))
    db.session.execute(update(Case).where(Case.id == ids[1]).values(applied_on=dt.date(2026, 11, 20)))
    db.session.commit()
    book, stats = _ledger(date_from=dt.date(2026, 10, 1), date_to=dt.date(2026, 10, 31))
    assert stats.cases == 1
    assert "2026-10-01 至 2026-10-31" in book["案件台账"]["A1"].value


def test_english_ledgers_have_english_headers_and_labels(app):
    bulk_cases("150621", 1)
    book, _ = _ledger(english=True)
    assert book.sheetnames[:2] == ["Cases", "Items"]
    assert book["Items"]["A3"].value == "Case no."
    assert book["Items"]["I4"].value == "Accepted by department"


def test_the_export_from_the_item_list_keeps_the_users_filters_and_scope(login):
    bulk_cases("150621", 4)
    bulk_cases("150622", 2, batch="Z")
    client = login("dlt_supervisor")
    response = client.get("/caseitems/ledger?_flt_2_name=取水")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    rows = list(book["事项台账"].iter_rows(min_row=4, values_only=True))
    assert len(rows) == 4 and {r[5] for r in rows} == {"取水许可审批"} and {r[1] for r in rows} == {"达拉特旗"}


def test_the_export_from_the_case_list_of_a_banner_agent_has_only_that_banner(login):
    bulk_cases("150621", 2)
    bulk_cases("150622", 2, batch="Z")
    response = login("dlt_agent").get("/caselist/ledger")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert {r[1] for r in book["案件台账"].iter_rows(min_row=4, values_only=True)} == {"达拉特旗"}


def test_a_city_list_filtered_to_one_banner_exports_that_banners_ledger_up_to_today(login, region):
    bulk_cases("150621", 2)
    bulk_cases("150622", 2, batch="Z")
    response = login("supervisor").get(f"/caselist/ledger?_flt_0_region={region('150621').id}")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    for name in ("案件台账", "事项台账", "汇总"):
        title = book[name]["A1"].value
        assert title.startswith("达拉特旗 ") and "鄂尔多斯市" not in title, title
        assert "截至 2026-" in title and "起 至" not in title, title
    everything = openpyxl.load_workbook(io.BytesIO(login("supervisor").get("/caselist/ledger").data))
    assert everything["案件台账"]["A1"].value.startswith("鄂尔多斯市 ")  # two banners: the user's own region


def test_a_large_export_runs_in_the_background_with_progress_and_a_download(login, app):
    import time

    bulk_cases("150621", 30)
    app.config["LEDGER_BACKGROUND_ROWS"] = 10
    try:
        client = login("dlt_supervisor")
        response = client.get("/caselist/ledger")
        assert response.status_code == 302 and "/ledger/jobs/" in response.headers["Location"]
        job_url = response.headers["Location"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            # The test's app context is shared with the client's requests, and with it one session:
            # end its read snapshot so each poll sees what the worker committed, as a real request would.
            db.session.rollback()
            page = client.get(job_url).get_data(as_text=True)
            if 'data-status="done"' in page or 'data-status="failed"' in page:
                break
            time.sleep(0.2)
        assert 'data-status="done"' in page, page
        download = client.get(job_url + "/download")
        assert download.status_code == 200
        data = download.data
        download.close()
        book = openpyxl.load_workbook(io.BytesIO(data))
        assert book["事项台账"].max_row == 3 + 60
        # Nobody else can poll or fetch another user's export.
        assert login("dlt_agent").get(job_url + "/download").status_code == 404
    finally:
        app.config["LEDGER_BACKGROUND_ROWS"] = 20000


def test_the_cli_writes_a_regions_ledger(app, tmp_path):
    bulk_cases("150621", 2)
    out = tmp_path / "ledger.xlsx"
    result = app.test_cli_runner().invoke(args=["ledger", "export", "--region", "150621", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 cases, 4 items" in result.output
    assert openpyxl.load_workbook(out)["事项台账"].max_row == 3 + 4
    bad = app.test_cli_runner().invoke(args=["ledger", "export", "--region", "999999", "--out", str(out)])
    assert bad.exit_code != 0 and "no region with code 999999" in bad.output
