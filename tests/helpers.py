"""Small builders shared by tests."""

from __future__ import annotations

import io

import xlsxwriter


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    """An .xlsx whose first sheet holds `rows`; strings are written as text, never as formulas."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            else:
                sheet.write(r, c, value)
    workbook.close()
    return buffer.getvalue()
