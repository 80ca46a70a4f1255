"""Read an uploaded spreadsheet (.xlsx or .csv) into rows of text, refusing what is not one."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from app.domain.errors import N_, FileRejected, Problem

MAX_ROWS = 5000
MAX_COLUMNS = 40
_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the pre-2007 .xls format


@dataclass
class Table:
    """Rows of cell text, numbered as the spreadsheet numbers them (first row = 1)."""

    rows: list[list[str]]

    def header_row(self, is_header: Callable[[list[str]], bool], within: int = 5) -> tuple[int, list[str] | None]:
        for index, cells in enumerate(self.rows[:within]):
            if is_header(cells):
                return index + 1, cells
        return 0, None

    def rows_after(self, header_row: int) -> Iterator[tuple[int, list[str]]]:
        for index in range(header_row, len(self.rows)):
            cells = self.rows[index]
            if any(cells):
                yield index + 1, cells


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(data: bytes, filename: str, max_bytes: int) -> Table:
    """Parse the first sheet of an .xlsx (or a UTF-8/GBK .csv); FileRejected says why not."""
    if not data:
        raise FileRejected([Problem(None, None, N_("The file is empty."))])
    if len(data) > max_bytes:
        raise FileRejected(
            [
                Problem(
                    None,
                    None,
                    N_("The file is %(size)s KB; at most %(limit)s KB is accepted."),
                    size=len(data) // 1024,
                    limit=max_bytes // 1024,
                )
            ]
        )
    if data.startswith(_OLE_MAGIC):
        raise FileRejected([Problem(None, None, N_("This is an old .xls file; save it as .xlsx and upload again."))])
    if data.startswith(_XLSX_MAGIC):
        rows = _read_xlsx(data)
    elif filename.lower().endswith(".csv"):
        rows = _read_csv(data)
    else:
        raise FileRejected([Problem(None, None, N_("This is not an Excel (.xlsx) file."))])
    if len(rows) > MAX_ROWS:
        raise FileRejected([Problem(None, None, N_("The file has more than %(limit)s rows."), limit=MAX_ROWS)])
    return Table(rows)


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a damaged or foreign zip
        raise FileRejected([Problem(None, None, N_("This is not an Excel (.xlsx) file."))]) from None
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for values in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
            cells = [_text(v) for v in values]
            while cells and not cells[-1]:
                cells.pop()
            rows.append(cells)
            if len(rows) > MAX_ROWS:
                break
    finally:
        workbook.close()
    while rows and not any(rows[-1]):
        rows.pop()
    return rows


def _read_csv(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileRejected([Problem(None, None, N_("The CSV file is neither UTF-8 nor GBK text."))])
    if "\x00" in text:
        raise FileRejected([Problem(None, None, N_("This is not a CSV text file."))])
    rows = [[cell.strip() for cell in row[:MAX_COLUMNS]] for row in csv.reader(io.StringIO(text))]
    while rows and not any(rows[-1]):
        rows.pop()
    return rows
