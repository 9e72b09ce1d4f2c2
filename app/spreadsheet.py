"""CSV and XLSX for Swedish spreadsheet programs: semicolons, CRLF, decimal commas, ISO dates
— and never a formula. Every CSV and XLSX cell the app writes goes through here, so text a user
typed (a title starting with `=`, `+`, `-` or `@`) is shown as text and never run by Excel
(CSV injection)."""

import csv
import io
import itertools
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path

import xlsxwriter

CENT = Decimal("0.01")
# What a spreadsheet program would take for the start of a formula (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def csv_cell(value: object) -> str:
    """A value as a CSV cell: amounts with a decimal comma, dates as ÅÅÅÅ-MM-DD, text that
    could start a formula prefixed with an apostrophe (kept as text)."""
    if isinstance(value, Decimal):
        return f"{value.quantize(CENT):f}".replace(".", ",")
    if isinstance(value, date):
        return value.isoformat()
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(headings: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    """The table as CSV text (semicolons, CRLF line ends), every cell through csv_cell."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([csv_cell(heading) for heading in headings])
    writer.writerows([csv_cell(value) for value in row] for row in rows)
    return out.getvalue()


def xlsx_cell(sheet, row: int, column: int, value: object, cell_format=None) -> None:
    """Write one XLSX cell: text as text (never a formula), numbers and dates as such."""
    if value == "" or value is None:
        return
    if isinstance(value, str):
        sheet.write_string(row, column, xlsx_text(value))
    elif isinstance(value, Decimal | int | float):
        sheet.write_number(row, column, value, cell_format)
    elif isinstance(value, date):
        sheet.write_datetime(row, column, datetime.combine(value, time()), cell_format)
    else:
        sheet.write_string(row, column, xlsx_text(str(value)))


def xlsx_text(value: str) -> str:
    """Text without the control characters XLSX cannot hold."""
    return ILLEGAL_CHARACTERS.sub("", value)


def xlsx_tables(tables: Iterable[tuple[str, str, list[str], list[list]]], title: str,
                created_at: datetime) -> bytes:
    """A workbook of one sheet per table (sheet name, heading, column names, rows); the same
    input gives the same bytes (fixed document date)."""
    with tempfile.TemporaryDirectory(prefix="tf-xlsx-") as folder:
        path = Path(folder) / "tables.xlsx"
        workbook = xlsxwriter.Workbook(str(path), {
            "tmpdir": folder, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False})
        workbook.set_properties({"title": title, "created": created_at.astimezone(UTC).replace(
            tzinfo=None, microsecond=0)})
        bold = workbook.add_format({"bold": True})
        formats = {Decimal: workbook.add_format({"num_format": MONEY_FORMAT}),
                   date: workbook.add_format({"num_format": DATE_FORMAT})}
        for sheet_name, heading, columns, rows in tables:
            sheet = workbook.add_worksheet(_sheet_name(sheet_name))
            sheet.write_string(0, 0, xlsx_text(heading), bold)
            for number, name in enumerate(columns):
                sheet.write_string(1, number, xlsx_text(name), bold)
                sheet.set_column(number, number, max(12, min(40, len(name) + 4)))
            for row_number, row in enumerate(rows, start=2):
                for column, value in enumerate(row):
                    xlsx_cell(sheet, row_number, column, value, formats.get(type(value)))
        workbook.close()
        return path.read_bytes()


def _sheet_name(name: str) -> str:
    """A sheet name Excel takes: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", "-", name)[:31] or "Blad"


def csv_lines(headings: Iterable[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """The table as CSV text, a line at a time (for a list too long to hold): a BOM so Excel
    reads UTF-8, then the same cells as csv_text."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    out.write("\ufeff")
    for row in itertools.chain([headings], rows):
        writer.writerow([csv_cell(value) for value in row])
        yield out.getvalue()
        out.seek(0)
        out.truncate()


def write_xlsx_table(path: str, sheet_name: str, headings: Sequence[str],
                     rows: Iterable[Sequence[object]]) -> None:
    """Write the table to an XLSX file in constant memory (rows streamed to disk): bold
    headings, amounts and dates as numbers with formats, text never a formula."""
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "tmpdir": str(Path(path).parent),
                                          "strings_to_formulas": False, "strings_to_urls": False,
                                          "strings_to_numbers": False})
    bold = workbook.add_format({"bold": True})
    formats = {Decimal: workbook.add_format({"num_format": "#,##0.00"}),
               date: workbook.add_format({"num_format": "yyyy-mm-dd"}),
               datetime: workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})}
    sheet = workbook.add_worksheet(sheet_name[:31])
    sheet.freeze_panes(1, 0)
    for column, heading in enumerate(headings):
        sheet.set_column(column, column, max(12, min(len(heading) + 4, 40)))
        sheet.write_string(0, column, heading, bold)
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            _write_cell(sheet, number, column, value, formats)
    workbook.close()


def _write_cell(sheet, row: int, column: int, value: object, formats: dict) -> None:
    """xlsx_cell, with times of day (naive, as Excel keeps them) and booleans as such."""
    if isinstance(value, datetime):
        sheet.write_datetime(row, column, value.replace(tzinfo=None), formats[datetime])
    elif isinstance(value, bool):
        sheet.write_boolean(row, column, value)
    else:
        xlsx_cell(sheet, row, column, value, formats.get(type(value)))
