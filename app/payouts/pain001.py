"""Write ISO 20022 pain.001.001.03 payment orders for a batch's external payees.

One message with one payment instruction (the kommun's account, the batch's execution day)
and one credit transfer per payout. Bankgiro and plusgiro payees are addressed as Swedish
banks expect them: through the clearing system member SESBA 9900 and 9500.
"""

from decimal import Decimal

from lxml import etree

from app.payouts import identifiers
from app.payouts.charset import fit_text
from app.payouts.lines import ExportBatch, ExportSettings, PayoutLine, fund_side
from app.payouts.sie import format_amount

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"
ENCODING = "latin-1"  # the letters Swedish banks accept; the file itself is UTF-8
CHARGE_BEARER = "SHAR"  # SLEV belongs to SEPA service level; domestic NURG payments share
_GIRO_CLEARING = {"bankgiro": "9900", "plusgiro": "9500"}


def write(batch: ExportBatch, settings: ExportSettings) -> bytes:
    """Return the pain.001.001.03 document (UTF-8) paying the batch's external lines."""
    lines = batch.external
    if not lines:
        raise ValueError("Batchen har inga betalningar till externa mottagare.")
    if len(batch.number) > 35:
        raise ValueError("Batchnumret får ha högst 35 tecken.")
    count, total = str(len(lines)), sum((line.amount for line in lines), Decimal(0))
    document = etree.Element(_tag("Document"), nsmap={None: NAMESPACE})
    initiation = _add(document, "CstmrCdtTrfInitn")
    header = _add(initiation, "GrpHdr")
    _add(header, "MsgId", batch.number)  # batch numbers are unique; banks refuse a repeat
    _add(header, "CreDtTm", batch.created_at.replace(microsecond=0).isoformat())
    _add(header, "NbOfTxs", count)
    _add(header, "CtrlSum", format_amount(total))
    _add_party(header, "InitgPty", settings.kommun_name, settings.initiating_party_id,
               settings.initiating_party_scheme)
    instruction = _add_instruction(initiation, batch, settings, count, total)
    for line in lines:
        _add_transfer(instruction, line, settings)
    body = etree.tostring(document, encoding="UTF-8", xml_declaration=False, pretty_print=True)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


def _add_instruction(parent: etree._Element, batch: ExportBatch, settings: ExportSettings,
                     count: str, total: Decimal) -> etree._Element:
    instruction = _add(parent, "PmtInf")
    _add(instruction, "PmtInfId", batch.number)
    _add(instruction, "PmtMtd", "TRF")
    _add(instruction, "BtchBookg", "false")  # one booking per payout eases reconciliation
    _add(instruction, "NbOfTxs", count)
    _add(instruction, "CtrlSum", format_amount(total))
    payment_type = _add(instruction, "PmtTpInf")
    _add(_add(payment_type, "SvcLvl"), "Cd", "NURG")
    _add(_add(payment_type, "CtgyPurp"), "Cd", "SUPP")
    _add(instruction, "ReqdExctnDt", batch.execution_date.isoformat())
    _add_party(instruction, "Dbtr", settings.kommun_name, _org_digits(settings.org_number))
    _add(_add(_add(instruction, "DbtrAcct"), "Id"), "IBAN", identifiers.iban(settings.debtor_iban))
    _add(_add(_add(instruction, "DbtrAgt"), "FinInstnId"), "BIC",
         identifiers.bic(settings.debtor_bic))
    _add(instruction, "ChrgBr", CHARGE_BEARER)
    return instruction


def _add_transfer(parent: etree._Element, line: PayoutLine, settings: ExportSettings) -> None:
    if line.amount <= 0:
        raise ValueError(f"{line.reference}: beloppet ska vara större än noll.")
    try:
        account = identifiers.account(line.account_kind, line.account)
        org_number = _org_digits(line.org_number) if line.org_number else ""
        payee_bic = identifiers.bic(line.bic)
    except ValueError as error:
        raise ValueError(f"{line.reference}: {error}") from None
    transfer = _add(parent, "CdtTrfTxInf")
    payment_id = _add(transfer, "PmtId")
    _add(payment_id, "InstrId", _text(line.reference, 35))
    _add(payment_id, "EndToEndId", _text(line.reference, 35))
    _add(_add(transfer, "Amt"), "InstdAmt", format_amount(line.amount), Ccy="SEK")
    if line.account_kind in _GIRO_CLEARING:
        member = _add(_add(_add(transfer, "CdtrAgt"), "FinInstnId"), "ClrSysMmbId")
        _add(_add(member, "ClrSysId"), "Cd", "SESBA")
        _add(member, "MmbId", _GIRO_CLEARING[line.account_kind])
    elif payee_bic:
        _add(_add(_add(transfer, "CdtrAgt"), "FinInstnId"), "BIC", payee_bic)
    _add_party(transfer, "Cdtr", line.payee_name, org_number)
    account_id = _add(_add(transfer, "CdtrAcct"), "Id")
    if line.account_kind == "iban":
        _add(account_id, "IBAN", account)
    else:
        other = _add(account_id, "Othr")
        _add(other, "Id", account)
        scheme = _add(other, "SchmeNm")
        if line.account_kind == "bankgiro":
            _add(scheme, "Prtry", "BGNR")
        else:
            _add(scheme, "Cd", "BBAN")
    fund = fund_side(line, settings)[2]
    _add(_add(transfer, "RmtInf"), "Ustrd", _text(f"{fund} {line.diarienummer}", 140))


def _add_party(parent: etree._Element, tag: str, name: str, identifier: str,
               scheme: str = "") -> None:
    party = _add(parent, tag)
    _add(party, "Nm", _text(name, 70))
    if identifier:
        other = _add(_add(_add(party, "Id"), "OrgId"), "Othr")
        _add(other, "Id", _text(identifier, 35))
        if scheme:
            _add(_add(other, "SchmeNm"), "Cd", scheme)


def _org_digits(value: str) -> str:
    return identifiers.org_number(value).replace("-", "")


def _text(value: str, max_length: int) -> str:
    text = fit_text(value, ENCODING, max_length)
    if not text:
        raise ValueError(f"Texten {value!r} blir tom i betalfilen.")
    return text


def _tag(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def _add(parent: etree._Element, name: str, text: str | None = None,
         **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, _tag(name), attributes)
    element.text = text
    return element
