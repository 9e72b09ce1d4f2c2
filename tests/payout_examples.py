"""Small fixed batches and claims for the export-format tests, and the golden-file check.

Regenerate the golden files with `UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_payout_*.py`
and review the diff before committing it.
"""

import os
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from app.payouts.lines import ClaimLine, ExportBatch, ExportSettings, PayoutLine

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
SETTINGS = ExportSettings()


CASE = {  # a nämnd's case, the default for make_line and make_claim
    "diarienummer": "KS-2027/0123", "title": "Trygghetsvandring i Vårby – kvällstid",
    "payee_name": "Kultur- och fritidsnämnden", "payee_kind": "namnd", "cost_centre": "4200",
    "project": "TF27-0123", "fund_name": "Trygghetsfonden",
}


def make_line(**overrides) -> PayoutLine:
    values = CASE | {"reference": "TF-KS-2027-0123-1", "amount": Decimal("250000.00"),
                     "due_on": date(2027, 3, 20), "tranche": 1}
    return PayoutLine(**(values | overrides))


INTERNAL = (
    make_line(),
    make_line(reference="TF-KS-2027-0145-2", diarienummer="KS-2027/0145",
              title="Belysning vid Flemingsbergs station",
              payee_name="Natur- och byggnadsnämnden", amount=Decimal("87500.50"), tranche=2,
              cost_centre="5300", project="TF27-0145"),
)
EXTERNAL = (
    make_line(reference="TF-KS-2027-0150-1", diarienummer="KS-2027/0150",
              title="Kameraövervakning i Skogås centrum", payee_name="Huge Fastigheter AB",
              payee_kind="bolag", amount=Decimal("120000.00"), cost_centre="",
              project="TF27-0150", org_number="556036-0793", account_kind="bankgiro",
              account="50501055"),
    make_line(reference="TF-KS-2027-0151-1", diarienummer="KS-2027/0151",
              title="Trygga skolvägar – Länna", payee_name="Södertörns “Trygghetsförbund”",
              payee_kind="kommunalforbund", amount=Decimal("45000.25"), cost_centre="",
              project="TF27-0151", org_number="222000-1230", account_kind="plusgiro",
              account="1234566"),
    make_line(reference="TF-KS-2027-0152-2", diarienummer="KS-2027/0152",
              title="Ljus i Sjödalen", payee_name="Huddinge Samhällsfastigheter AB’s Länna–del",
              payee_kind="bolag", amount=Decimal("30000.00"), tranche=2, cost_centre="",
              project="TF27-0152", org_number="8024811575", account_kind="iban",
              account="SE1850000000058398257467", bic="ESSESESS"),
)
BATCH = ExportBatch(
    number="UB-2027-0001", created_at=datetime(2027, 3, 14, 8, 30, 15, 123456, tzinfo=UTC),
    created_by="ekonom1", execution_date=date(2027, 3, 20), lines=(*INTERNAL, *EXTERNAL),
)


def make_claim(**overrides) -> ClaimLine:
    values = CASE | {"reference": "AK-KS-2027-0123-1", "amount": Decimal("15000.00"),
                     "created_on": date(2027, 9, 1),
                     "reason": "Insatsen genomfördes bara under våren"}
    return ClaimLine(**(values | overrides))


CLAIMS = (
    make_claim(),
    make_claim(reference="AK-KS-2027-0150-1", diarienummer="KS-2027/0150",
               title="Kameraövervakning i Skogås centrum", payee_name="Huge Fastigheter AB",
               payee_kind="bolag", amount=Decimal("20000.00"), created_on=date(2027, 9, 2),
               reason="Ej förbrukade medel; återbetalas enligt beslut “2027-08-30”",
               cost_centre="", org_number="5560360793"),
    make_claim(reference="AK-KS-2027-0151-1", diarienummer="KS-2027/0151",
               title="Trygga skolvägar – Länna", payee_name="Södertörns “Trygghetsförbund”",
               payee_kind="kommunalforbund", amount=Decimal("4500.75"),
               created_on=date(2027, 8, 15), reason="Slutrapport saknas", cost_centre="",
               org_number="222000-1230"),
)


def batch_with(*lines: PayoutLine) -> ExportBatch:
    return replace(BATCH, lines=lines)


def assert_golden(name: str, data: bytes) -> None:
    """Compare data with tests/fixtures/golden/<name>, or rewrite it when UPDATE_GOLDEN=1."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    assert path.exists(), f"{path} is missing: run the tests once with UPDATE_GOLDEN=1"
    assert data == path.read_bytes(), f"{name} differs from its golden file"
