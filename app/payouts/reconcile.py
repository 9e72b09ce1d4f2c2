"""The fund ledger reconciles: every balance equals the sum of the rows it stands for."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit import record_event
from app.formatting import kronor
from app.grants import budget
from app.grants.ledger_models import LedgerReconciliation
from app.grants.models import Application, Decision, RepaymentClaim, Round
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
    rows = session.execute(select(Payout.decision_id, Decision.amount, func.sum(Payout.amount))
                           .join(Application, Application.id == Payout.application_id)
                           .join(Decision, Decision.id == Payout.decision_id)
                           .where(Application.round_id == round_id,
                                  Payout.status != "cancelled")
                           .group_by(Payout.decision_id, Decision.amount))
    return [f"Beslut {decision_id}: utbetalningsplanen ({kronor(total)}) är större än "
            f"beviljat ({kronor(granted)})."
            for decision_id, granted, total in rows if Decimal(total) > granted]


def reconcile_rounds(session: Session, *, actor_id: int | None,
                     now: datetime) -> list[LedgerReconciliation]:
    """Reconcile every round, keep each result (when, by whom, what was wrong) and audit the
    run. Reads every round's whole history: the button on the budget page and the worker
    call it, never a page view."""
    results = []
    for round_id in session.scalars(select(Round.id).order_by(Round.id)):
        results.append(LedgerReconciliation(round_id=round_id, ran_at=now, actor_id=actor_id,
                                            problems=reconcile(session, round_id)))
    session.add_all(results)
    session.flush()
    broken = sum(1 for r in results if r.problems)
    record_event(session, "ledger_reconciled",
                 f"Huvudboken avstämd: {len(results)} omgångar, {broken} stämmer inte",
                 actor_id=actor_id, details={"rounds": len(results), "broken": broken})
    return results


def reconcile_if_due(session: Session, *, now: datetime,
                     interval: float) -> list[LedgerReconciliation] | None:
    """The worker's reconciliation: run it when the newest run (by anyone) is older than
    `interval` seconds, or there is none; return its results (None: not due)."""
    newest = session.scalar(select(func.max(LedgerReconciliation.ran_at)))
    if newest is not None and (now - newest).total_seconds() < interval:
        return None
    return reconcile_rounds(session, actor_id=None, now=now)


def last_reconciliations(session: Session, round_ids: list[int]
                         ) -> dict[int, LedgerReconciliation]:
    """The latest reconciliation of each round (of those given) that has had one, by round
    id, in one statement."""
    latest = (select(func.max(LedgerReconciliation.id))
              .where(LedgerReconciliation.round_id.in_(round_ids))
              .group_by(LedgerReconciliation.round_id))
    return {r.round_id: r for r in session.scalars(
        select(LedgerReconciliation).where(LedgerReconciliation.id.in_(latest)))}


def _total(session: Session, query) -> Decimal:
    return Decimal(str(session.scalar(query) or 0)).quantize(Decimal("0.01"))
