"""Write SIE 4I files: internal transfers from the fund to nämnder, and återkrav back to it.

A nämnd is not a legal person, so money between the fund and a nämnd is one verifikation per
payout that moves the amount between two ansvar on the transfer account. The file is CP437
(#FORMAT PC8) with CRLF line ends; the ledger numbers the verifikationer on import.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from app.payouts import identifiers
from app.payouts.charset import fit_text
from app.payouts.lines import ClaimLine, ExportBatch, ExportSettings, PayoutLine, fund_side

ENCODING = "cp437"
CENT = Decimal("0.01")
LOCAL_TIME = ZoneInfo("Europe/Stockholm")


@dataclass(frozen=True)
class _Transaction:
    account: str
    cost_centre: str
    project: str
    amount: Decimal
    text: str


@dataclass(frozen=True)
class _Voucher:
    text: str
    transactions: tuple[_Transaction, ...]


def write_payouts(batch: ExportBatch, settings: ExportSettings) -> bytes:
    """Return the SIE 4I file of a batch's internal transfers (fund credited, nämnd debited)."""
    lines = batch.internal
    if not lines:
        raise ValueError("Batchen har inga interna överföringar att bokföra.")
    vouchers = [
        _transfer(line, settings, f"{fund} {line.diarienummer}", -line.amount, f"Från {fund}",
                  f"Till {line.payee_name}")
        for line in lines for fund in [fund_side(line, settings)[2]]
    ]
    generated_on = batch.created_at.astimezone(LOCAL_TIME).date()
    return _write(settings, lines, vouchers, generated_on, batch.execution_date, batch.created_by)


def write_claims(claims: Sequence[ClaimLine], settings: ExportSettings, generated_on: date,
                 user: str) -> bytes:
    """Return the SIE 4I file reversing internal återkrav (nämnd credited, fund debited)."""
    internal = [claim for claim in claims if claim.internal]
    if not internal:
        raise ValueError("Det finns inga interna återkrav att bokföra.")
    vouchers = [
        _transfer(claim, settings, f"Återkrav {claim.diarienummer}", claim.amount,
                  f"Återkrav till {fund_side(claim, settings)[2]}",
                  f"Återkrav från {claim.payee_name}")
        for claim in internal
    ]
    return _write(settings, internal, vouchers, generated_on, generated_on, user)


def _transfer(record: PayoutLine | ClaimLine, settings: ExportSettings, text: str,
              fund_amount: Decimal, fund_text: str, payee_text: str) -> _Voucher:
    """Move an amount between the fund's ansvar and the record's on the fund's transfer
    account (the record's fund's own, else the settings'); fund_amount < 0 pays out."""
    if record.amount <= 0:
        raise ValueError(f"{record.reference}: beloppet ska vara större än noll.")
    try:
        cost_centre = identifiers.cost_centre(record.cost_centre)
    except ValueError as error:
        raise ValueError(f"{record.reference}: {error}") from None
    account = record.transfer_account or settings.transfer_account
    return _Voucher(text, (
        _Transaction(account, fund_side(record, settings)[0], record.project, fund_amount,
                     fund_text),
        _Transaction(account, cost_centre, record.project, -fund_amount, payee_text),
    ))


def _write(settings: ExportSettings, records: Sequence[PayoutLine | ClaimLine],
           vouchers: Iterable[_Voucher], generated_on: date, booked_on: date,
           user: str) -> bytes:
    lines = _header(settings, generated_on, user) + _objects(settings, records)
    for voucher in vouchers:
        lines.extend(_voucher_lines(settings, voucher, booked_on, generated_on, user))
    return ("\r\n".join(lines) + "\r\n").encode(ENCODING)


def _header(settings: ExportSettings, generated_on: date, user: str) -> list[str]:
    return [
        "#FLAGGA 0",
        f"#PROGRAM {quote(settings.program_name)} {quote(settings.program_version)}",
        "#FORMAT PC8",
        f"#GEN {generated_on:%Y%m%d} {quote(user)}",
        "#SIETYP 4",
        f"#ORGNR {identifiers.org_number(settings.org_number)}",
        f"#FNAMN {quote(settings.kommun_name)}",
        "#VALUTA SEK",
        f"#DIM {settings.dim_cost_centre} {quote('Ansvar')}",
        f"#DIM {settings.dim_project} {quote('Projekt')}",
    ]


def _objects(settings: ExportSettings, records: Sequence[PayoutLine | ClaimLine]) -> list[str]:
    """Declare the funds' ansvar first, then each other ansvar and each project once, by code."""
    funds = dict(fund_side(record, settings)[:2] for record in records)
    cost_centres = dict(funds)
    projects: dict[str, str] = {}
    for record in records:
        cost_centres.setdefault(record.cost_centre.strip(), record.payee_name)
        if record.project:
            projects.setdefault(record.project, record.title)
    ordered = [*sorted(funds), *sorted(code for code in cost_centres if code not in funds)]
    return [
        *(f"#OBJEKT {settings.dim_cost_centre} {quote(code)} {quote(cost_centres[code])}"
          for code in ordered),
        *(f"#OBJEKT {settings.dim_project} {quote(code)} {quote(projects[code])}"
          for code in sorted(projects)),
    ]


def _voucher_lines(settings: ExportSettings, voucher: _Voucher, booked_on: date,
                   generated_on: date, user: str) -> list[str]:
    total = sum((transaction.amount for transaction in voucher.transactions), Decimal(0))
    if total != 0:
        raise ValueError(f"Verifikationen {voucher.text!r} balanserar inte ({total}).")
    day = f"{booked_on:%Y%m%d}"
    lines = [
        f"#VER {quote(settings.sie_series)} \"\" {day} {quote(voucher.text)} "
        f"{generated_on:%Y%m%d} {quote(user)}",
        "{",
    ]
    for transaction in voucher.transactions:
        objects = [f"{settings.dim_cost_centre} {quote(transaction.cost_centre)}"]
        if transaction.project:
            objects.append(f"{settings.dim_project} {quote(transaction.project)}")
        lines.append(f"\t#TRANS {transaction.account} {{{' '.join(objects)}}} "
                     f"{format_amount(transaction.amount)} {day} {quote(transaction.text)}")
    lines.append("}")
    return lines


def quote(text: str) -> str:
    """Return text as a quoted SIE field: CP437, one line, a quote escaped as \\"."""
    text = fit_text(text, ENCODING).replace("\\", "/").replace('"', '\\"')
    return f'"{text}"'


def format_amount(amount: Decimal) -> str:
    """Return an amount as SIE writes it: 250000.00, -1234.50."""
    if amount != amount.quantize(CENT):
        raise ValueError(f"Beloppet {amount} har fler än två decimaler.")
    return f"{amount.quantize(CENT):f}"
