"""SIE 4I: golden files, CP437 and CRLF, record order, balanced verifikationer, escaping."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from app.payouts import sie, sie_reader
from tests.payout_examples import (
    BATCH,
    CLAIMS,
    EXTERNAL,
    INTERNAL,
    SETTINGS,
    assert_golden,
    batch_with,
    make_claim,
    make_line,
)

HEADER = ["#FLAGGA", "#PROGRAM", "#FORMAT", "#GEN", "#SIETYP", "#ORGNR", "#FNAMN", "#VALUTA",
          "#DIM", "#DIM"]


def claims_file() -> bytes:
    return sie.write_claims(CLAIMS, SETTINGS, date(2027, 9, 3), "ekonom1")


def test_batch_matches_golden_file():
    assert_golden("batch.se", sie.write_payouts(BATCH, SETTINGS))


def test_claims_match_golden_file():
    assert_golden("claims.se", claims_file())


def test_writers_are_deterministic():
    assert sie.write_payouts(BATCH, SETTINGS) == sie.write_payouts(BATCH, SETTINGS)
    assert claims_file() == claims_file()


@pytest.mark.parametrize("data", [sie.write_payouts(BATCH, SETTINGS), claims_file()])
def test_file_is_cp437_with_crlf_everywhere(data):
    assert data.endswith(b"\r\n")
    assert data.count(b"\n") == data.count(b"\r\n") == data.count(b"\r")
    assert b"r\x86n " in data  # "från": å is 0x86 in CP437
    assert "Kultur- och fritidsnämnden".encode("cp437") in data
    assert b"\xc3" not in data  # no UTF-8


def test_batch_records_in_order_with_one_balanced_verifikation_per_internal_payout():
    parsed = sie_reader.read(sie.write_payouts(BATCH, SETTINGS))
    assert parsed.labels[:len(HEADER)] == HEADER
    objects = parsed.fields("#OBJEKT")
    assert objects == [
        ("1", "1100", "KS Trygghetsfond"), ("1", "4200", "Kultur- och fritidsnämnden"),
        ("1", "5300", "Natur- och byggnadsnämnden"),
        ("6", "TF27-0123", "Trygghetsvandring i Vårby - kvällstid"),
        ("6", "TF27-0145", "Belysning vid Flemingsbergs station"),
    ]
    assert parsed.labels[len(HEADER) + len(objects)] == "#VER"
    assert parsed.fields("#GEN") == [("20270314", "ekonom1")]
    assert parsed.fields("#ORGNR") == [("212000-0068",)]
    assert len(parsed.vouchers) == len(INTERNAL)
    assert len(parsed.fields("#TRANS")) == 2 * len(INTERNAL)
    for voucher, line in zip(parsed.vouchers, INTERNAL, strict=True):
        assert voucher.total == Decimal("0.00")
        assert (voucher.series, voucher.number, voucher.day, voucher.registered_on,
                voucher.sign) == ("T", "", date(2027, 3, 20), date(2027, 3, 14), "ekonom1")
        assert voucher.text == f"Trygghetsfonden {line.diarienummer}"
        fund, payee = voucher.transactions
        assert fund.account == payee.account == "7990"
        assert fund.objects == (("1", "1100"), ("6", line.project))
        assert payee.objects == (("1", line.cost_centre), ("6", line.project))
        assert (fund.amount, payee.amount) == (-line.amount, line.amount)
        assert payee.text == f"Till {line.payee_name}"
        assert fund.day == payee.day == date(2027, 3, 20)


def test_claims_reverse_internal_claims_only():
    parsed = sie_reader.read(claims_file())
    (voucher,) = parsed.vouchers
    fund, payee = voucher.transactions
    assert voucher.text == "Återkrav KS-2027/0123"
    assert b'"\x8fterkrav KS-2027/0123"' in claims_file()  # Å is 0x8F
    assert (fund.amount, payee.amount) == (Decimal("15000.00"), Decimal("-15000.00"))
    assert payee.objects == (("1", "4200"), ("6", "TF27-0123"))
    assert voucher.total == 0


def test_texts_are_mapped_to_cp437_escaped_and_on_one_line():
    line = make_line(payee_name='Nämnd “Ö” – 5 € för \'x\' "y"\r\n\tslut\\', project="")
    data = sie.write_payouts(batch_with(line), SETTINGS)
    assert b'"Till N\x84mnd \\"\x99\\" - 5 EUR f\x94r \'x\' \\"y\\" slut/"' in data
    (voucher,) = sie_reader.read(data).vouchers
    assert voucher.transactions[1].text == 'Till Nämnd "Ö" - 5 EUR för \'x\' "y" slut/'
    assert voucher.transactions[1].objects == (("1", "4200"),)  # no project dimension


def test_characters_outside_cp437_become_question_marks():
    data = sie.write_payouts(batch_with(make_line(payee_name="Łódź 😀 nämnd")), SETTINGS)
    assert "Till ?ódz ? nämnd".encode("cp437") in data


def test_settings_choose_series_accounts_and_dimensions():
    settings = replace(SETTINGS, sie_series="B", transfer_account="3990", dim_cost_centre=20,
                       dim_project=21, fund_cost_centre="900", fund_cost_centre_name="Fond")
    parsed = sie_reader.read(sie.write_payouts(BATCH, settings))
    assert parsed.fields("#DIM") == [("20", "Ansvar"), ("21", "Projekt")]
    assert parsed.fields("#OBJEKT")[0] == ("20", "900", "Fond")
    fund, _ = parsed.vouchers[0].transactions
    assert (parsed.vouchers[0].series, fund.account) == ("B", "3990")
    assert fund.objects == (("20", "900"), ("21", "TF27-0123"))


def test_each_object_is_declared_once():
    lines = [make_line(reference=f"TF-{n}", amount=Decimal(n)) for n in range(1, 4)]
    parsed = sie_reader.read(sie.write_payouts(batch_with(*lines), SETTINGS))
    assert [fields[1] for fields in parsed.fields("#OBJEKT")] == ["1100", "4200", "TF27-0123"]
    assert len(parsed.vouchers) == 3


def test_a_batch_without_internal_lines_is_refused():
    with pytest.raises(ValueError, match="inga interna"):
        sie.write_payouts(batch_with(*EXTERNAL), SETTINGS)
    with pytest.raises(ValueError, match="inga interna"):
        sie.write_claims([make_claim(payee_kind="bolag")], SETTINGS, date(2027, 9, 3), "x")


@pytest.mark.parametrize(("overrides", "message"), [
    ({"amount": Decimal("0.00")}, "större än noll"),
    ({"amount": Decimal("10.005")}, "fler än två decimaler"),
    ({"cost_centre": ""}, "TF-KS-2027-0123-1: Ansvarskoden ska ha"),
    ({"cost_centre": '42"00'}, "Ansvarskoden ska ha"),
])
def test_invalid_lines_are_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        sie.write_payouts(batch_with(make_line(**overrides)), SETTINGS)


def test_amounts_have_two_decimals_and_no_thousands_separator():
    assert sie.format_amount(Decimal("1234567.5")) == "1234567.50"
    assert sie.format_amount(Decimal("-250000")) == "-250000.00"
    assert sie.format_amount(Decimal("0.1")) == "0.10"


@pytest.mark.parametrize("data", [
    b"#FLAGGA 0\n", b"#FLAGGA 0\r\n#SIETYP 4", b"#VER \"T\" \"\" 20270101 \"x\"\r\n{\r\n",
    b"#TRANS 7990 {} 1.00\r\n", b"}\r\n",
])
def test_reader_refuses_malformed_files(data):
    with pytest.raises(ValueError):
        sie_reader.read(data)
