"""The fund ledger reconciles: every balance equals the sum of the rows it stands for."""

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.formatting import kronor
from app.grants import budget
from app.grants.models import Application, Decision, RepaymentClaim
from app.payouts.models import BatchItem, Payout, PayoutBatch


def reconcile(session: Session, round_id: int) -> list[str]:
    """The ledger's own invariants, then the ledger against payouts (paid and cancelled),
    batches and claims."""
    problems = budget.check_ledger(session, round_id)
    ledger = budget.ledger_for(session, round_id)
    in_round = Application.round_id == round_id
    paid = _total(session, select(func.sum(Payout.amount)).join(Application)
                  .where(in_round, Payout.status == "paid"))
    in_paid_batches = _total(session, select(func.sum(BatchItem.amount))
                             .join(PayoutBatch).join(Payout).join(Application)
                             .where(in_round, PayoutBatch.status == "paid"))
    reclaimed = _total(session, select(func.sum(RepaymentClaim.amount)).join(Application)
                       .where(in_round, RepaymentClaim.status == "settled"))
    granted = _total(session, select(func.sum(Application.granted_amount)).where(in_round))
    cancelled = _total(session, select(func.sum(Payout.amount)).join(Application)
                       .where(in_round, Payout.status == "cancelled"))
    checks = [
        ("utbetalt", ledger.paid, "utbetalningar markerade som utbetalda", paid),
        ("utbetalt", ledger.paid, "utbetalda batcher", in_paid_batches),
        ("återbetalt", ledger.reclaimed, "reglerade återkrav", reclaimed),
        ("beviljat", ledger.granted, "beviljade belopp i ärendena", granted),
        ("avbrutet", ledger.cancelled, "avbrutna utbetalningar", cancelled),
    ]
    problems += [f"Omgång {round_id}: {name} i huvudboken ({kronor(booked)}) skiljer sig från "
                 f"{what} ({kronor(actual)})." for name, booked, what, actual in checks
                 if booked != actual]
    return problems + _plan_problems(session, round_id)


def _plan_problems(session: Session, round_id: int) -> list[str]:
    """Every grant's tranches (not cancelled) sum to at most the granted amount."""
    planned: dict[int, Decimal] = defaultdict(Decimal)
    rows = session.execute(select(Payout.decision_id, func.sum(Payout.amount))
                           .join(Application).where(Application.round_id == round_id,
                                                    Payout.status != "cancelled")
                           .group_by(Payout.decision_id))
    for decision_id, total in rows:
        planned[decision_id] = Decimal(total)
    problems = []
    for decision_id, total in planned.items():
        decision = session.get(Decision, decision_id)
        if total > decision.amount:
            problems.append(f"Beslut {decision_id}: utbetalningsplanen ({kronor(total)}) är "
                            f"större än beviljat ({kronor(decision.amount)}).")
    return problems


def _total(session: Session, query) -> Decimal:
    return Decimal(str(session.scalar(query) or 0)).quantize(Decimal("0.01"))
