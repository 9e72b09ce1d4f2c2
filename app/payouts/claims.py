"""Återkrav for finance: a nämnd pays back by a reversing SIE entry, a bolag gets an invoice
(from the list); either way finance marks the claim settled and the fund gets the money."""

from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit import record_event
from app.errors import Conflict, InvalidInput, NotFound
from app.formatting import STOCKHOLM, kronor
from app.grants import budget
from app.grants.models import Application, Organisation, RepaymentClaim
from app.payouts import sie, summary
from app.payouts.attest import require_finance
from app.payouts.export import claim_lines
from app.payouts.lines import ExportSettings
from app.payouts.payees import is_internal


def claims(session: Session, status: str = "open") -> list[RepaymentClaim]:
    return list(session.scalars(select(RepaymentClaim).where(RepaymentClaim.status == status)
                                .order_by(RepaymentClaim.created_at, RepaymentClaim.id)))


def settled_claims() -> Select:
    """The settled återkrav with their case and its organisation (to sort and search by)."""
    return (select(RepaymentClaim)
            .join(Application, Application.id == RepaymentClaim.application_id)
            .join(Organisation, Organisation.id == Application.organisation_id)
            .where(RepaymentClaim.status == "settled"))


def split_claims(items: list[RepaymentClaim]) -> tuple[list, list]:
    """(internal: nämnder, reversed in SIE; external: bolag, invoiced)."""
    internal = [c for c in items if is_internal(c.application.organisation)]
    return internal, [c for c in items if c not in internal]


def internal_claims_sie(session: Session, config: Mapping, user: User, today: date) -> bytes:
    """The reversing SIE 4I entries of the open återkrav of nämnder."""
    require_finance(user)
    internal, _ = split_claims(claims(session))
    if not internal:
        raise NotFound("Det finns inga öppna återkrav från nämnder.")
    return sie.write_claims(claim_lines(internal, config), ExportSettings.from_config(config),
                            today, user.username)


def external_claims_list(session: Session, config: Mapping, user: User,
                         kind: str) -> bytes:
    """The open återkrav of bolag and kommunalförbund, ready for invoicing (xlsx or csv)."""
    require_finance(user)
    _, external = split_claims(claims(session))
    lines = claim_lines(external, config)
    return summary.write_claims_xlsx(lines) if kind == "xlsx" else summary.write_claims_csv(lines)


def settle(session: Session, user: User, claim_id: int, settled_on: date,
           now: datetime) -> RepaymentClaim:
    """The money is back: mark the claim settled and book it in the fund's ledger."""
    require_finance(user)
    claim = session.scalars(select(RepaymentClaim).where(RepaymentClaim.id == claim_id)
                            .with_for_update(of=RepaymentClaim)).first()
    if claim is None:
        raise NotFound("Återkravet finns inte.")
    if claim.status != "open":
        raise Conflict("Återkravet är redan reglerat.")
    if settled_on > now.astimezone(STOCKHOLM).date():
        raise InvalidInput("Datumet ligger i framtiden.", {"reglerat_datum": [
            "Ange dagen då pengarna kom tillbaka (i dag eller tidigare)."]})
    claim.status, claim.settled_on, claim.settled_at = "settled", settled_on, now
    claim.settled_by_id = user.id
    budget.record_reclaim(session, claim.application, claim.amount, actor_id=user.id,
                          note=f"Återkrav {claim.id}")
    record_event(session, "repayment_settled",
                 f"Återkrav reglerat: {kronor(claim.amount)} ({settled_on})", actor_id=user.id,
                 instance_id=claim.application.process_instance_id, details={"claim": claim.id})
    return claim
