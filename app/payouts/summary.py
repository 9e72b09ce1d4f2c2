"""Write summaries for people: a batch's payouts and the bolag återkrav to invoice, XLSX and CSV.

The CSV is what Swedish Excel opens without a wizard: UTF-8 with BOM, semicolons, CRLF and a
decimal comma. Text that a spreadsheet would take for a formula is kept as text.
"""

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path

import xlsxwriter

from app.payouts import identifiers
from app.payouts.lines import ClaimLine, ExportBatch, ExportSettings, PayoutLine, fund_side
from app.payouts.sie import LOCAL_TIME
from app.spreadsheet import DATE_FORMAT, MONEY_FORMAT, csv_text
from app.spreadsheet import xlsx_cell as _write
from app.spreadsheet import xlsx_text as _text

PAYOUT_COLUMNS = (
    ("Referens", 22), ("Diarienummer", 14), ("Ärende", 40), ("Mottagare", 32), ("Typ", 17),
    ("Ansvar", 8), ("Projekt", 12), ("Organisationsnummer", 20), ("Konto", 34),
    ("Utbetalningsdag", 15), ("Delutbetalning", 14), ("Fond", 24), ("Fondens ansvar", 14),
    ("Belopp (kr)", 16),
)
CLAIM_COLUMNS = (
    ("Referens", 22), ("Diarienummer", 14), ("Ärende", 40), ("Mottagare", 32),
    ("Organisationsnummer", 20), ("Belopp (kr)", 16), ("Skäl", 40), ("Registrerat", 12),
)
# Control characters XML 1.0 cannot carry (tab, newline and carriage return can).


@dataclass(frozen=True)
class _Table:
    sheet: str
    title: str
    columns: tuple[tuple[str, int], ...]
    rows: list[list]
    totals: list[tuple[str, Decimal]]  # (label, amount) rows after the data; "Summa" last
    created_at: datetime
    creator: str

    @property
    def amount_column(self) -> int:
        return [name for name, _ in self.columns].index("Belopp (kr)")


def write_xlsx(batch: ExportBatch, settings: ExportSettings) -> bytes:
    """Return the batch as an XLSX workbook with the sheet "Utbetalningar"."""
    return _xlsx(_payout_table(batch, settings))


def write_csv(batch: ExportBatch, settings: ExportSettings) -> bytes:
    """Return the batch as a CSV file for Swedish Excel."""
    return _csv(_payout_table(batch, settings))


def write_claims_xlsx(claims: Sequence[ClaimLine]) -> bytes:
    """Return the bolag återkrav to invoice as an XLSX workbook with the sheet "Återkrav"."""
    return _xlsx(_claim_table(claims))


def write_claims_csv(claims: Sequence[ClaimLine]) -> bytes:
    """Return the bolag återkrav to invoice as a CSV file for Swedish Excel."""
    return _csv(_claim_table(claims))


def _payout_table(batch: ExportBatch, settings: ExportSettings) -> _Table:
    internal, external = batch.internal, batch.external
    local = batch.created_at.astimezone(LOCAL_TIME)
    title = (f"{settings.kommun_name}, utbetalningsbatch {batch.number}: utbetalningsdag "
             f"{batch.execution_date}, skapad {local:%Y-%m-%d} av {batch.created_by}")
    return _Table(
        "Utbetalningar", title, PAYOUT_COLUMNS,
        [_payout_row(line, settings) for line in (*internal, *external)],
        [("Summa interna överföringar", _sum(internal)), ("Summa betalningar", _sum(external)),
         ("Summa", _sum(batch.lines))],
        batch.created_at, batch.created_by)


def _payout_row(line: PayoutLine, settings: ExportSettings) -> list:
    account = identifiers.describe_account(line.account_kind, line.account)
    fund_cost_centre, _, fund = fund_side(line, settings)
    return [line.reference, line.diarienummer, line.title, line.payee_name,
            "Intern överföring" if line.internal else "Betalning", line.cost_centre,
            line.project, identifiers.format_org_number(line.org_number),
            account if line.account else "", line.due_on, line.tranche, fund, fund_cost_centre,
            line.amount]


def _claim_table(claims: Sequence[ClaimLine]) -> _Table:
    external = [claim for claim in claims if not claim.internal]
    latest = max((claim.created_on for claim in external), default=date(2000, 1, 1))
    rows = [[claim.reference, claim.diarienummer, claim.title, claim.payee_name,
             identifiers.format_org_number(claim.org_number), claim.amount, claim.reason,
             claim.created_on]
            for claim in external]
    return _Table("Återkrav", f"Återkrav att fakturera, registrerade till och med {latest}",
                  CLAIM_COLUMNS, rows, [("Summa", _sum(external))],
                  datetime.combine(latest, time(), UTC), "Trygghetsfonden")


def _sum(records: Sequence[PayoutLine | ClaimLine]) -> Decimal:
    return sum((record.amount for record in records), Decimal(0))


def _total_row(table: _Table, label: str, amount: Decimal) -> list:
    row: list = [""] * len(table.columns)
    row[0], row[table.amount_column] = label, amount
    return row


def _csv(table: _Table) -> bytes:
    rows = [*table.rows, *(_total_row(table, *total) for total in table.totals)]
    return csv_text((name for name, _ in table.columns), rows).encode("utf-8-sig")


def _xlsx(table: _Table) -> bytes:
    """XlsxWriter in constant-memory mode (rows streamed to a temporary file, inline strings),
    and the same input gives the same bytes (fixed document dates; XlsxWriter dates zip
    members one fixed date)."""
    with tempfile.TemporaryDirectory(prefix="tf-xlsx-") as folder:
        path = Path(folder) / "summary.xlsx"
        _write_workbook(path, table)
        return path.read_bytes()


def _write_workbook(path: Path, table: _Table) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "tmpdir": str(path.parent),
                                            "strings_to_formulas": False,
                                            "strings_to_urls": False,
                                            "strings_to_numbers": False})
    stamp = table.created_at.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    workbook.set_properties({"title": table.title, "author": table.creator,
                             "created": stamp})
    bold = workbook.add_format({"bold": True})
    formats = {
        Decimal: workbook.add_format({"num_format": MONEY_FORMAT}),
        date: workbook.add_format({"num_format": DATE_FORMAT}),
    }
    bold_money = workbook.add_format({"bold": True, "num_format": MONEY_FORMAT})
    sheet = workbook.add_worksheet(table.sheet)
    for number, (_, width) in enumerate(table.columns):
        sheet.set_column(number, number, width)
    sheet.freeze_panes(2, 0)
    sheet.write_string(0, 0, _text(table.title), bold)
    for number, (name, _) in enumerate(table.columns):
        sheet.write_string(1, number, name, bold)
    row_number = 2
    for row in table.rows:
        for column, value in enumerate(row):
            _write(sheet, row_number, column, value, formats.get(type(value)))
        row_number += 1
    for label, amount in table.totals:
        sheet.write_string(row_number, 0, label, bold)
        sheet.write_number(row_number, table.amount_column, amount, bold_money)
        row_number += 1
    workbook.close()
