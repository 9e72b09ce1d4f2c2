"""CSV for Swedish spreadsheet programs: semicolons, CRLF, decimal commas, ISO dates — and
never a formula. Every CSV the app writes goes through here, so text a user typed (a title
starting with `=`, `+`, `-` or `@`) is shown as text and never run by Excel (CSV injection)."""

import csv
import io
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

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
