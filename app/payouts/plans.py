"""Payout plans: the tranches a decision grants, and the process steps that move them."""

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import record_event
from app.errors import InvalidInput
from app.formatting import kronor, to_local_date
from app.grants import budget
from app.grants.declarations import ProcessDeclarations
from app.grants.models import Application, Decision
from app.grants.rules import amount as to_amount
from app.grants.rules import plan_problems
from app.payouts.models import Payout


def create_payouts(session: Session, decl: ProcessDeclarations, decision: Decision,
                   plan: Sequence[Mapping] | None, *, actor_id: int | None) -> list[Payout]:
    """The decision's tranches (the declared payout plan's), in date order; a grant with no
    plan is paid at once."""
    application = decision.application
    rows = [row for row in plan or [] if isinstance(row, Mapping)]
    problems = plan_problems(decl, rows, decision.amount) if rows else []
    if problems:
        raise InvalidInput("Utbetalningsplanen stämmer inte.",
                           {decl.path("payout_plan"): problems})
    tranches = sorted((str(decl.value("tranche_date", row)), to_amount(
        decl.value("tranche_amount", row)), (decl.value("tranche_condition", row) or "").strip())
        for row in rows) or [(to_local_date(decision.decided_at).isoformat(), decision.amount, "")]
    payouts = []
    for number, (due_on, amount, condition) in enumerate(tranches, start=1):
        payouts.append(Payout(
            application_id=application.id, decision_id=decision.id, tranche=number,
            reference=payout_reference(application.diarienummer, number),
            amount=amount, due_on=date.fromisoformat(due_on),
            condition=condition, status="waiting" if condition else "planned"))
    session.add_all(payouts)
    session.flush()
    record_event(session, "payouts_planned",
                 f"Utbetalningsplan: {len(payouts)} utbetalning(ar), {kronor(decision.amount)}",
                 actor_id=actor_id, instance_id=application.process_instance_id,
                 details={"payouts": [p.id for p in payouts]})
    return payouts


def payout_reference(diarienummer: str | None, tranche: int) -> str:
    """The stable payout reference, also the pain.001 EndToEndId: `TF-KS-2027-0123-1`."""
    number = (diarienummer or "").replace("/", "-")
    return f"TF-{number}-{tranche}"[:35]


def payouts_of(session: Session, application_id: int) -> list[Payout]:
    return list(session.scalars(select(Payout).where(Payout.application_id == application_id)
                                .order_by(Payout.tranche)))


def sent_amount(session: Session, application_id: int) -> Decimal:
    """What has left the fund for the case, or is on its way in a live batch."""
    return sum((p.amount for p in payouts_of(session, application_id)
                if p.status in ("batched", "paid")), Decimal(0))


def meet_conditions(session: Session, application: Application, now: datetime, *,
                    actor_id: int | None, reason: str) -> list[Payout]:
    """The process has met the conditions: waiting tranches become attestable."""
    met = _move(session, application, ("waiting",), "planned", actor_id, "payout_conditions_met",
                "Villkor uppfyllt ({reason}): {count} utbetalning(ar) kan attesteras", reason)
    for payout in met:
        payout.condition_met_at = now
    return met


def cancel_unpaid(session: Session, application: Application, *, actor_id: int | None,
                  reason: str) -> list[Payout]:
    """Tranches not yet in a batch are cancelled (e.g. an återkrav ends the case); their money
    goes back to the fund's ledger."""
    cancelled = _move(session, application, ("waiting", "planned", "attested"), "cancelled",
                      actor_id, "payouts_cancelled",
                      "{count} utbetalning(ar) avbrutna: {reason}", reason)
    if cancelled:
        budget.record_grant_cancellation(session, application,
                                         sum(p.amount for p in cancelled),
                                         actor_id=actor_id, note=f"avbrutna utbetalningar, "
                                                                 f"{reason}")
    return cancelled


def _move(session: Session, application: Application, from_states: tuple[str, ...],
          to_state: str, actor_id: int | None, action: str, summary: str,
          reason: str) -> list[Payout]:
    moved = [p for p in payouts_of(session, application.id) if p.status in from_states]
    for payout in moved:
        payout.status = to_state
    if moved:
        record_event(session, action, summary.format(count=len(moved), reason=reason),
                     actor_id=actor_id, instance_id=application.process_instance_id,
                     details={"payouts": [p.id for p in moved]})
    return moved
