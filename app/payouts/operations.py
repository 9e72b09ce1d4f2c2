"""Service-task operations of the payout part of the process."""

from decimal import Decimal

from app.audit import record_event
from app.engine.instances import OperationContext
from app.formatting import kronor
from app.grants.applications import application_of_step
from app.grants.declarations import declarations_of_instance
from app.grants.notices import applicant_recipients, notice_context
from app.notifications.outbox import enqueue
from app.payouts.plans import meet_conditions


def register_payout(ctx: OperationContext, data: dict) -> dict:
    """Registrera utbetalning: finance has paid a tranche; tell the applicant."""
    application = application_of_step(ctx)
    # The payload of the declared payout_done message (batches._tell_process sends it).
    paid = declarations_of_instance(ctx.session, ctx.instance).payload("payout_done", data)
    amount = kronor(Decimal(str(paid.get("belopp") or 0)))
    tranche = paid.get("utbetalning", "")
    record_event(ctx.session, "payout_paid",
                 f"Utbetalning {tranche} utbetald: {amount} ({paid.get('batch', '')})",
                 actor_id=ctx.actor_id, instance_id=ctx.instance.id, details=paid)
    enqueue(ctx.session, "utbetalning", applicant_recipients(ctx.session, application, data),
            {**notice_context(application, data, ctx.config), "belopp": amount,
             "datum": paid.get("utbetald", ""), "utbetalning": tranche},
            instance_id=ctx.instance.id, dedupe_key=f"{ctx.instance.id}:utbetalning:{tranche}")
    return {"utbetalning": tranche, "utbetald": paid.get("utbetald", "")}


def meet_payout_conditions(ctx: OperationContext, data: dict) -> dict:
    """Uppfyll utbetalningsvillkor: the återrapport is approved; conditional tranches
    become attestable."""
    met = meet_conditions(ctx.session, application_of_step(ctx), ctx.now, actor_id=ctx.actor_id,
                          reason="återrapporten godkänd")
    return {"villkor_uppfyllda": len(met)}



PAYOUT_OPERATIONS = {
    "registrera_utbetalning": register_payout,
    "uppfyll_utbetalningsvillkor": meet_payout_conditions,
}
