"""Batch and återkrav summaries: CSV golden files, XLSX read back cell by cell."""

import csv
import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.payouts import summary
from tests.payout_examples import (
    BATCH,
    CLAIMS,
    SETTINGS,
    assert_golden,
    batch_with,
    make_claim,
    make_line,
)

PAYOUT_HEADER = ["Referens", "Diarienummer", "Ärende", "Mottagare", "Typ", "Ansvar", "Projekt",
                 "Organisationsnummer", "Konto", "Utbetalningsdag", "Delutbetalning", "Fond",
                 "Fondens ansvar", "Belopp (kr)"]
PAYOUT_ROWS = [
    ["TF-KS-2027-0123-1", "KS-2027/0123", "Trygghetsvandring i Vårby – kvällstid",
     "Kultur- och fritidsnämnden", "Intern överföring", "4200", "TF27-0123", "", "",
     date(2027, 3, 20), 1, "Trygghetsfonden", "1100", Decimal("250000.00")],
    ["TF-KS-2027-0145-2", "KS-2027/0145", "Belysning vid Flemingsbergs station",
     "Natur- och byggnadsnämnden", "Intern överföring", "5300", "TF27-0145", "", "",
     date(2027, 3, 20), 2, "Trygghetsfonden", "1100", Decimal("87500.50")],
    ["TF-KS-2027-0150-1", "KS-2027/0150", "Kameraövervakning i Skogås centrum",
     "Huge Fastigheter AB", "Betalning", "", "TF27-0150", "556036-0793", "Bankgiro 5050-1055",
     date(2027, 3, 20), 1, "Trygghetsfonden", "1100", Decimal("120000.00")],
    ["TF-KS-2027-0151-1", "KS-2027/0151", "Trygga skolvägar – Länna",
     "Södertörns “Trygghetsförbund”", "Betalning", "", "TF27-0151", "222000-1230",
     "Plusgiro 12 34 56-6", date(2027, 3, 20), 1, "Trygghetsfonden", "1100", Decimal("45000.25")],
    ["TF-KS-2027-0152-2", "KS-2027/0152", "Ljus i Sjödalen",
     "Huddinge Samhällsfastigheter AB’s Länna–del", "Betalning", "", "TF27-0152",
     "802481-1575", "IBAN SE18 5000 0000 0583 9825 7467", date(2027, 3, 20), 2,
     "Trygghetsfonden", "1100", Decimal("30000.00")],
]
PAYOUT_TOTALS = [("Summa interna överföringar", Decimal("337500.50")),
                 ("Summa betalningar", Decimal("195000.25")), ("Summa", Decimal("532500.75"))]
CLAIM_HEADER = ["Referens", "Diarienummer", "Ärende", "Mottagare", "Organisationsnummer",
                "Belopp (kr)", "Skäl", "Registrerat"]
CLAIM_ROWS = [
    ["AK-KS-2027-0150-1", "KS-2027/0150", "Kameraövervakning i Skogås centrum",
     "Huge Fastigheter AB", "556036-0793", Decimal("20000.00"),
     "Ej förbrukade medel; återbetalas enligt beslut “2027-08-30”", date(2027, 9, 2)],
    ["AK-KS-2027-0151-1", "KS-2027/0151", "Trygga skolvägar – Länna",
     "Södertörns “Trygghetsförbund”", "222000-1230", Decimal("4500.75"), "Slutrapport saknas",
     date(2027, 8, 15)],
]


def with_totals(rows: list[list], totals: list[tuple[str, Decimal]]) -> list[list]:
    width = len(rows[0])
    amount_at = next(i for i, value in enumerate(rows[0]) if isinstance(value, Decimal))
    result = [list(row) for row in rows]
    for label, amount in totals:
        result.append([label] + [""] * (width - 1))
        result[-1][amount_at] = amount
    return result


def sheet_values(data: bytes, title: str) -> tuple[list, list[list]]:
    """Return the sheet's title cell and its other rows with Excel's values made comparable."""
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == [title]
    rows = [[_comparable(cell) for cell in row]
            for row in workbook[title].iter_rows(values_only=True)]
    return rows[0], rows[1:]


def _comparable(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, float):
        return Decimal(str(value))
    return "" if value is None else value


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    body = data[3:].decode("utf-8")
    assert body.endswith("\r\n") and body.count("\n") == body.count("\r\n")
    return list(csv.reader(io.StringIO(body, newline=""), delimiter=";"))


def test_batch_csv_matches_golden_file():
    assert_golden("batch.csv", summary.write_csv(BATCH, SETTINGS))


def test_claims_csv_matches_golden_file():
    assert_golden("claims.csv", summary.write_claims_csv(CLAIMS))


def test_batch_csv_has_swedish_number_format_and_a_total_last():
    rows = read_csv(summary.write_csv(BATCH, SETTINGS))
    assert rows[0] == PAYOUT_HEADER
    assert rows[1][-1] == "250000,00" and rows[2][-1] == "87500,50"
    assert rows[1][9] == "2027-03-20"
    assert rows[-1][0] == "Summa" and rows[-1][-1] == "532500,75"
    assert len(rows) == 1 + len(PAYOUT_ROWS) + len(PAYOUT_TOTALS)


def test_batch_xlsx_cells():
    data = summary.write_xlsx(BATCH, SETTINGS)
    title, rows = sheet_values(data, "Utbetalningar")
    assert title[0] == ("Huddinge kommun, utbetalningsbatch UB-2027-0001: utbetalningsdag "
                        "2027-03-20, skapad 2027-03-14 av ekonom1")
    assert rows == [PAYOUT_HEADER, *with_totals(PAYOUT_ROWS, PAYOUT_TOTALS)]


def test_batch_xlsx_formatting_and_properties():
    workbook = load_workbook(io.BytesIO(summary.write_xlsx(BATCH, SETTINGS)))
    sheet = workbook["Utbetalningar"]
    assert sheet.freeze_panes == "A3"
    assert all(cell.font.b for cell in sheet[2])
    assert sheet["N3"].number_format == summary.MONEY_FORMAT
    assert sheet["J3"].number_format == summary.DATE_FORMAT
    assert round(sheet.column_dimensions["C"].width) == 41  # 40 characters plus padding
    assert sheet[sheet.max_row][0].value == "Summa" and sheet[sheet.max_row][0].font.b
    assert workbook.properties.creator == "ekonom1"
    assert workbook.properties.created == datetime(2027, 3, 14, 8, 30, 15)


def test_xlsx_is_deterministic():
    data = summary.write_xlsx(BATCH, SETTINGS)
    assert data == summary.write_xlsx(BATCH, SETTINGS)
    assert summary.write_claims_xlsx(CLAIMS) == summary.write_claims_xlsx(CLAIMS)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # no clock time anywhere
        # XlsxWriter gives every member one fixed date
        assert {member.date_time for member in archive.infolist()} == {(1980, 1, 31, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert core.count("2027-03-14T08:30:15Z") == 2  # created and modified


def test_claims_list_only_bolag_claims_with_a_total():
    title, rows = sheet_values(summary.write_claims_xlsx(CLAIMS), "Återkrav")
    assert title[0] == "Återkrav att fakturera, registrerade till och med 2027-09-02"
    assert rows == [CLAIM_HEADER, *with_totals(CLAIM_ROWS, [("Summa", Decimal("24500.75"))])]
    csv_rows = read_csv(summary.write_claims_csv(CLAIMS))
    assert csv_rows[0] == CLAIM_HEADER
    assert csv_rows[-1] == ["Summa", "", "", "", "", "24500,75", "", ""]


def test_no_claims_give_an_empty_list_with_a_zero_total():
    rows = read_csv(summary.write_claims_csv([make_claim()]))
    assert rows == [CLAIM_HEADER, ["Summa", "", "", "", "", "0,00", "", ""]]
    _, xlsx_rows = sheet_values(summary.write_claims_xlsx([]), "Återkrav")
    assert xlsx_rows[-1][0] == "Summa"


@pytest.mark.parametrize("title", ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)"])
def test_text_that_looks_like_a_formula_stays_text(title):
    batch = batch_with(make_line(title=title, payee_name="A\x00B"))
    rows = read_csv(summary.write_csv(batch, SETTINGS))
    assert rows[1][2] == "'" + title
    workbook = load_workbook(io.BytesIO(summary.write_xlsx(batch, SETTINGS)))
    cell = workbook["Utbetalningar"]["C3"]
    assert (cell.value, cell.data_type) == (title, "s")
    assert workbook["Utbetalningar"]["D3"].value == "AB"


def test_a_semicolon_in_a_text_is_quoted_in_csv():
    rows = read_csv(summary.write_csv(batch_with(make_line(title="Ljus; kameror")), SETTINGS))
    assert rows[1][2] == "Ljus; kameror"
