"""Every planner table as CSV (UTF-8 with a BOM, so Excel reads Hangul) or XLSX."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font

from .common import Table

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(value):
    """A cell value as the file stores it: numbers stay numbers, labels become text."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (bool, int, float, date)):
        return value
    return str(value)


def _rows(table: Table) -> list[list]:
    rows = [[_cell(value) for value in row] for row in table.rows]
    if table.footer:
        rows.append([_cell(value) for value in table.footer])
    return rows


def to_csv(table: Table) -> bytes:
    """The table as CSV bytes: a header row, the rows, then the footer row if any."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.header())
    for row in _rows(table):
        writer.writerow(
            ["" if value is None else value.isoformat() if isinstance(value, date) else value for value in row]
        )
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(table: Table) -> bytes:
    """The table as an XLSX workbook with one sheet, a bold header row and real numbers and dates."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table.key[:31]
    sheet.append(table.header())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in _rows(table):
        sheet.append(row)
    for index, column in enumerate(table.columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(10, min(40, len(str(column.label)) + 4))
        if not column.numeric:
            continue
        for cells in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            for cell in cells:
                if isinstance(cell.value, float):
                    cell.number_format = "#,##0.0#"
                elif isinstance(cell.value, int):
                    cell.number_format = "#,##0"
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export(table: Table, fmt: str) -> tuple[bytes, str, str]:
    """(body, mimetype, filename) of ``table`` in ``fmt`` ('csv' or 'xlsx')."""
    if fmt == "xlsx":
        return to_xlsx(table), XLSX_MIMETYPE, f"{table.key}.xlsx"
    return to_csv(table), CSV_MIMETYPE, f"{table.key}.csv"
