"""Plain records the export formats are written from (no database, no Flask).

The batch service turns payouts, organisations and settings into these; the writers in
`sie.py`, `pain001.py` and `summary.py` turn them into bytes. Keeping the writers on plain
records makes them easy to golden-test and to benchmark with 10 000 rows.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

INTERNAL_KINDS = frozenset({"namnd", "kommun"})  # no legal person of their own: SIE transfer
ACCOUNT_KINDS = ("bankgiro", "plusgiro", "iban")


@dataclass(frozen=True)
class PayoutLine:
    """One tranche of one grant, ready to export."""

    reference: str  # stable payout reference, EndToEndId: "TF-KS-2027-0123-1"
    diarienummer: str  # "KS-2027/0123"
    title: str  # the case title
    payee_name: str  # organisation name
    payee_kind: str  # "namnd" (internal, SIE) or "bolag"/"kommunalforbund" (pain.001)
    amount: Decimal  # > 0, two decimals
    due_on: date  # the planned payout day
    tranche: int  # 1-based number within the case's plan
    cost_centre: str = ""  # ansvar/kostnadsställe of a nämnd (SIE dimension 1)
    project: str = ""  # project object of the case (SIE dimension 6): "TF27-0123"
    org_number: str = ""  # "556000-0001" for an external payee
    account_kind: str = ""  # "bankgiro" | "plusgiro" | "iban" for an external payee
    account: str = ""  # bankgiro/plusgiro digits only, or a compact IBAN
    bic: str = ""  # optional, with an IBAN
    fund_name: str = ""  # the fund the money leaves (voucher and remittance texts)
    fund_cost_centre: str = ""  # the fund's ansvar; empty: ExportSettings.fund_cost_centre
    fund_cost_centre_name: str = ""  # its name in SIE #OBJEKT
    transfer_account: str = ""  # the fund's SIE account; empty: ExportSettings.transfer_account

    @property
    def internal(self) -> bool:
        return self.payee_kind in INTERNAL_KINDS


@dataclass(frozen=True)
class ClaimLine:
    """One återkrav: money a recipient pays back into the fund."""

    reference: str  # "AK-KS-2027-0123-1"
    diarienummer: str
    title: str
    payee_name: str
    payee_kind: str
    amount: Decimal
    created_on: date
    reason: str = ""
    cost_centre: str = ""
    project: str = ""
    org_number: str = ""
    fund_name: str = ""
    fund_cost_centre: str = ""
    fund_cost_centre_name: str = ""
    transfer_account: str = ""

    @property
    def internal(self) -> bool:
        return self.payee_kind in INTERNAL_KINDS


@dataclass(frozen=True)
class ExportSettings:
    """The finance configuration the formats need (FINANCE_* settings); the fund's ansvar
    here is the default of lines whose fund has none of its own."""

    kommun_name: str = "Huddinge kommun"
    org_number: str = "212000-0068"
    debtor_iban: str = "SE4550000000058398257466"
    debtor_bic: str = "ESSESESS"
    initiating_party_id: str = "5560000001"
    # "BANK": a customer id assigned by the bank (SEB, Handelsbanken, Swedbank); Nordea: "CUST".
    initiating_party_scheme: str = "BANK"
    sie_series: str = "T"
    transfer_account: str = "7990"
    fund_cost_centre: str = "1100"
    fund_cost_centre_name: str = "KS Trygghetsfond"
    dim_cost_centre: int = 1
    dim_project: int = 6
    program_name: str = "Trygghetsfonden"
    program_version: str = "1.0"

    @classmethod
    def from_config(cls, config: Mapping) -> "ExportSettings":
        def get(key, default):
            return config.get(key, default)

        return cls(
            kommun_name=get("FINANCE_KOMMUN_NAME", cls.kommun_name),
            org_number=get("FINANCE_ORG_NUMBER", cls.org_number),
            debtor_iban=get("FINANCE_DEBTOR_IBAN", cls.debtor_iban),
            debtor_bic=get("FINANCE_DEBTOR_BIC", cls.debtor_bic),
            initiating_party_id=get("FINANCE_INITIATING_PARTY_ID", cls.initiating_party_id),
            initiating_party_scheme=get("FINANCE_INITIATING_PARTY_SCHEME",
                                        cls.initiating_party_scheme),
            sie_series=get("FINANCE_SIE_SERIES", cls.sie_series),
            transfer_account=str(get("FINANCE_TRANSFER_ACCOUNT", cls.transfer_account)),
            fund_cost_centre=str(get("FINANCE_FUND_COST_CENTRE", cls.fund_cost_centre)),
            fund_cost_centre_name=get("FINANCE_FUND_COST_CENTRE_NAME",
                                      cls.fund_cost_centre_name),
            dim_cost_centre=int(get("FINANCE_DIM_COST_CENTRE", cls.dim_cost_centre)),
            dim_project=int(get("FINANCE_DIM_PROJECT", cls.dim_project)),
        )


@dataclass(frozen=True)
class ExportBatch:
    """A numbered batch as exported: every format is written from the same record."""

    number: str  # "UB-2027-0001"
    created_at: datetime  # aware, UTC
    created_by: str  # user name, e.g. "ekonom1" (SIE #GEN sign, pain.001 nothing)
    execution_date: date  # ReqdExctnDt and the SIE verifikation date
    lines: Sequence[PayoutLine]

    @property
    def internal(self) -> list[PayoutLine]:
        return [line for line in self.lines if line.internal]

    @property
    def external(self) -> list[PayoutLine]:
        return [line for line in self.lines if not line.internal]


def fund_side(record: PayoutLine | ClaimLine, settings: ExportSettings) -> tuple[str, str, str]:
    """The fund's ansvar, that ansvar's name and the fund's name for a record: the record's
    fund's own values, else the settings' (the global FINANCE_FUND_COST_CENTRE[_NAME])."""
    if record.fund_cost_centre:
        code, name = record.fund_cost_centre, record.fund_cost_centre_name or record.fund_name
    else:
        code, name = settings.fund_cost_centre, settings.fund_cost_centre_name
    return code, name, record.fund_name or name
