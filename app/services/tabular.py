"""Read an uploaded spreadsheet (.xlsx or .csv) into rows of text, refusing what is not one."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from flask import current_app, has_app_context

from app.domain.errors import N_, FileRejected, Problem
from app.domain.xlsx_guard import (
    NOT_XLSX,
    TOO_MANY_ROWS,
    XlsxLimits,
    column_letters,
    formula_problem,
    inspect_xlsx,
    refuse,
)

MAX_COLUMNS = 40
DAMAGED = N_("The file is damaged and could not be read. Open it in Excel, save it again and upload the new file.")
_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the pre-2007 .xls format
_CSV_CELL = csv.field_size_limit()


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


def upload_limits() -> XlsxLimits:
    """The UPLOAD_XLSX_* limits of the running app (the defaults outside one)."""
    return XlsxLimits.from_config(current_app.config) if has_app_context() else XlsxLimits()


def read_table(data: bytes, filename: str, max_bytes: int, limits: XlsxLimits | None = None) -> Table:
    """Parse the first sheet of an .xlsx (or a UTF-8/GBK .csv); FileRejected says why not."""
    limits = limits or upload_limits()
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
        rows = _read_xlsx(data, limits)
    elif filename.lower().endswith(".csv"):
        rows = _read_csv(data)
    else:
        raise refuse(NOT_XLSX)
    if len(rows) > limits.max_rows:
        raise refuse(TOO_MANY_ROWS, limit=limits.max_rows)
    return Table(rows)


def _read_xlsx(data: bytes, limits: XlsxLimits) -> list[list[str]]:
    """The first sheet's cells as text, once xlsx_guard found the file within its limits and formula-free."""
    from openpyxl import load_workbook

    inspection = inspect_xlsx(data, limits)
    try:
        # Formulas are read as formulas (not data_only): a cached value is never imported, even if one
        # slipped past the guard.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds on a damaged zip
        raise refuse(DAMAGED) from None
    try:
        sheet = workbook[inspection.sheet_name]
        rows: list[list[str]] = []
        formulas: list[Problem] = []
        for number, row in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS), start=1):
            cells = []
            for cell in row:
                if cell.data_type == "f":
                    formulas.append(
                        formula_problem(number, f"{column_letters(len(cells) + 1)}{number}", str(cell.value))
                    )
                cells.append(_text(cell.value))
            while cells and not cells[-1]:
                cells.pop()
            rows.append(cells)
            if len(rows) > limits.max_rows:
                break
    except FileRejected:
        raise
    except Exception:  # the guard read the XML; openpyxl may still find a value it cannot take
        raise refuse(DAMAGED) from None
    finally:
        workbook.close()
    if formulas:
        raise FileRejected(formulas)
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
    try:
        rows = [[cell.strip() for cell in row[:MAX_COLUMNS]] for row in csv.reader(io.StringIO(text))]
    except csv.Error:  # a cell over the csv module's field limit: a refusal, not an error page
        raise FileRejected(
            [Problem(None, None, N_("A cell of the CSV file holds more than %(limit)s characters."), limit=_CSV_CELL)]
        ) from None
    while rows and not any(rows[-1]):
        rows.pop()
    return rows
