"""Service-task operations of the grant processes, called by name from BPMN."""

from decimal import Decimal

from app.audit import record_event
from app.engine.instances import OperationContext
from app.formatting import STOCKHOLM
from app.grants.applications import application_of_instance, copy_summary
from app.grants.diarium import next_diarienummer
from app.grants.models import DECISION_OUTCOMES, Application, Decision


def _application(ctx: OperationContext) -> Application:
    application = application_of_instance(ctx.session, ctx.instance.id)
    if application is None:
        raise LookupError("processinstansen hör inte till någon ansökan")
    return application


def register_application(ctx: OperationContext, data: dict) -> dict:
    """Registrera: give the submitted application its diarienummer (once)."""
    application = _application(ctx)
    if application.diarienummer is None:
        copy_summary(application, data)
        year = ctx.now.astimezone(STOCKHOLM).year
        prefix = application.round.fund.diarie_prefix
        application.diarienummer = next_diarienummer(
            ctx.session, prefix, year, ctx.config["DIARIE_PATTERN"]
        )
        application.submitted_at = application.registered_at = ctx.now
        record_event(ctx.session, "registered",
                     f"Registrerad med diarienummer {application.diarienummer}",
                     actor_id=ctx.actor_id, instance_id=ctx.instance.id)
    return {"diarienummer": application.diarienummer,
            "registrerad": application.registered_at.astimezone(STOCKHOLM).date().isoformat()}


def record_decision(ctx: OperationContext, data: dict) -> dict:
    """Registrera beslut: store the decision as made; it is never changed afterwards."""
    application = _application(ctx)
    outcome = data["beslut"]
    if outcome not in DECISION_OUTCOMES:
        raise ValueError(f"okänt beslut {outcome!r}")
    amount = {
        "bifall": application.requested_amount or Decimal(0),
        "delvis_bifall": Decimal(str(data.get("beviljat_belopp") or 0)),
        "avslag": Decimal(0),
    }[outcome]
    if outcome == "delvis_bifall" and not 0 < amount < (application.requested_amount or 0):
        raise ValueError("beviljat belopp vid delvis bifall måste vara mindre än det sökta")
    decision = Decision(application_id=application.id, outcome=outcome, amount=amount,
                        motivation=data.get("beslut_motivering", ""),
                        decided_by_id=ctx.actor_id, decided_at=ctx.now)
    ctx.session.add(decision)
    application.granted_amount = amount
    ctx.session.flush()
    record_event(ctx.session, "decided",
                 f"Beslut: {DECISION_OUTCOMES[outcome]}, {amount:.0f} kr",
                 actor_id=ctx.actor_id, instance_id=ctx.instance.id,
                 details={"decision": decision.id})
    return {"beslut_id": decision.id, "beviljat": str(amount)}


# The names BPMN service tasks use (spiffworkflow:serviceTaskOperator id="…").
SERVICE_OPERATIONS = {
    "registrera_ansokan": register_application,
    "registrera_beslut": record_decision,
}
