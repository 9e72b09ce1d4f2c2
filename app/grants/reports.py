"""Reports: the delegated decisions of a period (anmälan av delegationsbeslut)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.formatting import STOCKHOLM
from app.grants.models import OUTCOME_NAMES, Application, Decision
from app.spreadsheet import csv_text


@dataclass
class DelegatedDecision:
    decided_on: date
    diarienummer: str
    organisation: str
    title: str
    outcome: str
    amount: object
    decided_by: str
    delegation_reference: str


def delegated_decisions(session: Session, start: date, end: date) -> list[DelegatedDecision]:
    """Return the decisions taken on delegation between start and end (inclusive)."""
    since = datetime.combine(start, time.min, STOCKHOLM)
    until = datetime.combine(end + timedelta(days=1), time.min, STOCKHOLM)
    query = (select(Decision, Application)
             .join(Application, Application.id == Decision.application_id)
             .where(Decision.level == "delegat", Decision.decided_at >= since,
                    Decision.decided_at < until)
             .order_by(Decision.decided_at, Decision.id))
    return [DelegatedDecision(
        decided_on=decision.decided_at.astimezone(STOCKHOLM).date(),
        diarienummer=application.diarienummer or "", organisation=application.organisation.name,
        title=application.title, outcome=OUTCOME_NAMES[decision.outcome],
        amount=decision.amount,
        decided_by=f"{decision.decided_by.display_name}, {decision.decided_by.title}",
        delegation_reference=decision.delegation_reference)
        for decision, application in session.execute(query)]


CSV_HEADINGS = ["Beslutsdatum", "Diarienummer", "Sökande", "Ärende", "Beslut", "Belopp (kr)",
                "Beslutsfattare", "Delegationspunkt"]


def delegated_decisions_csv(rows: list[DelegatedDecision]) -> str:
    """The report as CSV for the committee's agenda (semicolons and decimal commas, as Excel
    in Swedish expects)."""
    return csv_text(CSV_HEADINGS, ([r.decided_on, r.diarienummer, r.organisation, r.title,
                                    r.outcome, Decimal(r.amount), r.decided_by,
                                    r.delegation_reference] for r in rows))
