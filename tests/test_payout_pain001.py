"""pain.001.001.03: golden file, XSD validity, giro/IBAN mapping, ids, counts and sums."""

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml
from lxml import etree

from app.payouts import pain001
from tests.payout_examples import (
    BATCH,
    EXTERNAL,
    INTERNAL,
    SETTINGS,
    assert_golden,
    batch_with,
    make_line,
)

XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd"
NS = {"p": pain001.NAMESPACE}


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def parse(data: bytes, schema: etree.XMLSchema) -> etree._Element:
    document = etree.fromstring(data)
    schema.assertValid(document)
    return document


def text(element: etree._Element, path: str) -> str:
    return element.findtext(path, namespaces=NS)


def transfers(document: etree._Element) -> dict[str, etree._Element]:
    found = document.findall(".//p:CdtTrfTxInf", NS)
    return {text(transfer, "p:PmtId/p:EndToEndId"): transfer for transfer in found}


def test_batch_matches_golden_file_and_is_deterministic():
    data = pain001.write(BATCH, SETTINGS)
    assert data == pain001.write(BATCH, SETTINGS)
    assert_golden("batch.xml", data)


def test_document_is_utf8_with_declaration_and_valid_against_the_xsd(schema):
    data = pain001.write(BATCH, SETTINGS)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso')
    assert "Södertörns".encode() in data
    parse(data, schema)


def test_group_header_and_payment_information(schema):
    document = parse(pain001.write(BATCH, SETTINGS), schema)
    header = document.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    instruction = document.find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    total = str(sum(line.amount for line in EXTERNAL))
    assert text(header, "p:MsgId") == "UB-2027-0001"
    assert text(header, "p:CreDtTm") == "2027-03-14T08:30:15+00:00"
    assert text(header, "p:NbOfTxs") == text(instruction, "p:NbOfTxs") == "3"
    assert text(header, "p:CtrlSum") == text(instruction, "p:CtrlSum") == total == "195000.25"
    assert text(header, "p:InitgPty/p:Id/p:OrgId/p:Othr/p:Id") == SETTINGS.initiating_party_id
    assert text(instruction, "p:PmtMtd") == "TRF"
    assert text(instruction, "p:PmtTpInf/p:SvcLvl/p:Cd") == "NURG"
    assert text(instruction, "p:PmtTpInf/p:CtgyPurp/p:Cd") == "SUPP"
    assert text(instruction, "p:ReqdExctnDt") == "2027-03-20"
    assert text(instruction, "p:Dbtr/p:Nm") == "Huddinge kommun"
    assert text(instruction, "p:Dbtr/p:Id/p:OrgId/p:Othr/p:Id") == "2120000068"
    assert text(instruction, "p:DbtrAcct/p:Id/p:IBAN") == "SE4550000000058398257466"
    assert text(instruction, "p:DbtrAgt/p:FinInstnId/p:BIC") == "ESSESESS"


def test_only_external_lines_are_paid_each_with_a_unique_end_to_end_id(schema):
    document = parse(pain001.write(BATCH, SETTINGS), schema)
    found = document.findall(".//p:EndToEndId", NS)
    assert [element.text for element in found] == [line.reference for line in EXTERNAL]
    assert len({element.text for element in found}) == len(found)
    assert not {line.reference for line in INTERNAL} & set(transfers(document))


@pytest.fixture(scope="module")
def payees(schema) -> list[etree._Element]:
    """The credit transfers of the bankgiro, plusgiro and IBAN payees, in that order."""
    found = transfers(parse(pain001.write(BATCH, SETTINGS), schema))
    return [found[line.reference] for line in EXTERNAL]


MEMBER = "p:CdtrAgt/p:FinInstnId/p:ClrSysMmbId"
OTHER = "p:CdtrAcct/p:Id/p:Othr"


@pytest.mark.parametrize(("payee", "path", "expected"), [
    (0, f"{MEMBER}/p:ClrSysId/p:Cd", "SESBA"),
    (0, f"{MEMBER}/p:MmbId", "9900"),
    (0, f"{OTHER}/p:Id", "50501055"),
    (0, f"{OTHER}/p:SchmeNm/p:Prtry", "BGNR"),
    (1, f"{MEMBER}/p:ClrSysId/p:Cd", "SESBA"),
    (1, f"{MEMBER}/p:MmbId", "9500"),
    (1, f"{OTHER}/p:Id", "1234566"),
    (1, f"{OTHER}/p:SchmeNm/p:Cd", "BBAN"),
    (2, "p:CdtrAcct/p:Id/p:IBAN", "SE1850000000058398257467"),
    (2, "p:CdtrAgt/p:FinInstnId/p:BIC", "ESSESESS"),
    (2, MEMBER, None),
    (0, "p:PmtId/p:InstrId", "TF-KS-2027-0150-1"),
    (0, "p:Amt/p:InstdAmt", "120000.00"),
    (0, "p:Cdtr/p:Id/p:OrgId/p:Othr/p:Id", "5560360793"),
    (0, "p:RmtInf/p:Ustrd", "Trygghetsfonden KS-2027/0150"),
    (1, "p:Cdtr/p:Nm", 'Södertörns "Trygghetsförbund"'),
    (2, "p:Cdtr/p:Nm", "Huddinge Samhällsfastigheter AB's Länna-del"),
])
def test_bankgiro_plusgiro_and_iban_payees_are_mapped(payees, payee, path, expected):
    assert text(payees[payee], path) == expected


def test_amounts_are_in_sek(payees):
    assert {payee.find("p:Amt/p:InstdAmt", NS).get("Ccy") for payee in payees} == {"SEK"}


def test_an_iban_payee_without_bic_has_no_creditor_agent(schema):
    line = replace(EXTERNAL[2], bic="")
    transfer = parse(pain001.write(batch_with(line), SETTINGS), schema).find(".//p:CdtTrfTxInf", NS)
    assert transfer.find("p:CdtrAgt", NS) is None
    assert transfer.find("p:Cdtr/p:Id", NS) is not None


def test_long_and_odd_texts_are_cut_and_cleaned(schema):
    line = replace(EXTERNAL[0], payee_name="Å" * 80 + "\x00\x07", org_number="",
                   diarienummer="KS-2027/" + "9" * 200, account="5050 1055")
    data = pain001.write(batch_with(line), SETTINGS)
    transfer = parse(data, schema).find(".//p:CdtTrfTxInf", NS)
    assert text(transfer, "p:Cdtr/p:Nm") == "Å" * 70
    assert transfer.find("p:Cdtr/p:Id", NS) is None
    assert len(text(transfer, "p:RmtInf/p:Ustrd")) == 140
    assert text(transfer, "p:CdtrAcct/p:Id/p:Othr/p:Id") == "50501055"


def test_many_lines_sum_exactly(schema):
    lines = [replace(EXTERNAL[n % 3], reference=f"TF-{n}", amount=Decimal("0.10"))
             for n in range(30)]
    document = parse(pain001.write(batch_with(*lines), SETTINGS), schema)
    assert text(document, ".//p:GrpHdr/p:CtrlSum") == "3.00"
    assert text(document, ".//p:GrpHdr/p:NbOfTxs") == "30"


def test_a_batch_without_external_lines_is_refused():
    with pytest.raises(ValueError, match="inga betalningar"):
        pain001.write(batch_with(*INTERNAL), SETTINGS)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"account": "5050-1056"}, "TF-KS-2027-0150-1: Kontrollsiffran stämmer inte"),
    ({"account_kind": ""}, "Välj bankgiro, plusgiro eller IBAN."),
    ({"org_number": "556036-0794"}, "kontrollera organisationsnumret"),
    ({"bic": "XX"}, "BIC ska ha 8 eller 11 tecken"),
    ({"amount": Decimal("-1.00")}, "större än noll"),
    ({"amount": Decimal("1.001")}, "fler än två decimaler"),
])
def test_invalid_lines_are_refused(overrides, message):
    line = make_line(**{**vars(EXTERNAL[0]), **overrides})
    with pytest.raises(ValueError, match=message):
        pain001.write(batch_with(line), SETTINGS)


def test_a_batch_number_longer_than_a_message_id_is_refused():
    with pytest.raises(ValueError, match="35 tecken"):
        pain001.write(replace(BATCH, number="UB-" + "9" * 33), SETTINGS)
