"""Uploaded spreadsheets: what is not one is refused with a reason, before any row is read."""

from __future__ import annotations

import os

import pytest

from app.domain.errors import FileRejected
from app.services.tabular import read_table
from tests.helpers import xlsx_bytes

LIMIT = 2 * 1024 * 1024


def _refusal(data, name="catalog.xlsx"):
    with pytest.raises(FileRejected) as raised:
        read_table(data, name, LIMIT)
    return [p.template for p in raised.value.problems]


def test_an_xlsx_reads_as_text_rows():
    table = read_table(xlsx_bytes([["序号", "事项名称"], [1, "取水许可审批"], [2.0, "=1+1"]]), "a.xlsx", LIMIT)
    assert table.rows == [["序号", "事项名称"], ["1", "取水许可审批"], ["2", "=1+1"]]


def test_an_empty_file_is_refused():
    assert _refusal(b"") == ["The file is empty."]


def test_ten_megabytes_of_junk_is_refused_for_its_size():
    assert _refusal(os.urandom(10 * 1024 * 1024)) == ["The file is %(size)s KB; at most %(limit)s KB is accepted."]


def test_junk_that_is_not_a_spreadsheet_is_refused():
    assert _refusal(b"hello, this is not excel" * 10) == ["This is not an Excel (.xlsx) file."]


def test_a_zip_that_is_not_a_workbook_is_refused():
    assert _refusal(b"PK\x03\x04" + os.urandom(2000)) == ["This is not an Excel (.xlsx) file."]


def test_an_old_xls_is_refused_with_advice():
    assert _refusal(b"\xd0\xcf\x11\xe0" + b"\0" * 600) == [
        "This is an old .xls file; save it as .xlsx and upload again."
    ]


def test_a_gbk_csv_reads():
    table = read_table("日期,类型\n2027-01-01,休\n".encode("gbk"), "a.csv", LIMIT)
    assert table.rows == [["日期", "类型"], ["2027-01-01", "休"]]


def test_a_csv_cell_longer_than_the_csv_reader_takes_is_refused_not_an_error():
    assert _refusal(("名称," + "长" * 200_000 + "\n").encode(), "a.csv") == [
        "A cell of the CSV file holds more than %(limit)s characters."
    ]
