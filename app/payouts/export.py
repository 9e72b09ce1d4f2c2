"""From payouts and claims in the database to the plain records the file writers take."""

import re
from collections.abc import Iterable, Mapping

from app.formatting import to_local_date
from app.grants.funds import fund_settings
from app.grants.models import Application, RepaymentClaim
from app.payouts.lines import ClaimLine, PayoutLine
from app.payouts.models import Payout

DIARIENUMMER = re.compile(r"(?P<prefix>[^\W\d_]+)-(?P<year>\d{4})/(?P<seq>\d+)")


def project_code(diarienummer: str | None, pattern: str) -> str:
    """The case's project object (SIE dimension 6): `KS-2027/0123` → `TF27-0123`."""
    match = DIARIENUMMER.fullmatch(diarienummer or "")
    if match is None:
        return (diarienummer or "").replace("/", "-")
    return pattern.format(prefix=match["prefix"], year=match["year"],
                          year2=match["year"][2:], seq=match["seq"])


def payout_lines(payouts: Iterable[Payout], config: Mapping) -> list[PayoutLine]:
    return [PayoutLine(
        reference=payout.reference, amount=payout.amount, due_on=payout.due_on,
        tranche=payout.tranche, account_kind=payout.application.organisation.account_kind or "",
        account=payout.application.organisation.account or "",
        bic=payout.application.organisation.bic or "",
        **_case(payout.application, config)) for payout in payouts]


def claim_lines(claims: Iterable[RepaymentClaim], config: Mapping) -> list[ClaimLine]:
    return [ClaimLine(
        reference=f"AK-{(claim.application.diarienummer or '').replace('/', '-')}-{claim.id}",
        amount=claim.amount, created_on=to_local_date(claim.created_at), reason=claim.reason,
        **_case(claim.application, config)) for claim in claims]


def _case(application: Application, config: Mapping) -> dict:
    """The case's part of a line; the fund's ansvar and project pattern are the fund's own,
    else the global settings."""
    organisation = application.organisation
    fund = application.round.fund
    settings = fund_settings(fund, config)
    return {
        "diarienummer": application.diarienummer or "",
        "title": application.title,
        "payee_name": organisation.name,
        "payee_kind": organisation.kind,
        "cost_centre": organisation.cost_centre or "",
        "project": project_code(application.diarienummer, settings.project_pattern),
        "org_number": organisation.org_number or "",
        "fund_name": fund.name,
        "fund_cost_centre": settings.cost_centre,
        "fund_cost_centre_name": settings.cost_centre_name,
        "transfer_account": settings.transfer_account,
    }
