"""CSV for Swedish spreadsheet programs: semicolons, CRLF, decimal commas, ISO dates — and
never a formula. Every CSV the app writes goes through here, so text a user typed (a title
starting with `=`, `+`, `-` or `@`) is shown as text and never run by Excel (CSV injection)."""

import csv
import io
import itertools
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import xlsxwriter

CENT = Decimal("0.01")
# What a spreadsheet program would take for the start of a formula (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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
    if value is None or value == "":
        return
    if isinstance(value, datetime):
        sheet.write_datetime(row, column, value.replace(tzinfo=None), formats[datetime])
    elif isinstance(value, date):
        sheet.write_datetime(row, column, value, formats[date])
    elif isinstance(value, bool):
        sheet.write_boolean(row, column, value)
    elif isinstance(value, Decimal | int):
        sheet.write_number(row, column, value, formats[Decimal] if isinstance(value, Decimal)
                           else None)
    else:
        sheet.write_string(row, column, str(value))
