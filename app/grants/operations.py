"""Service-task operations of the grant processes, called by name from BPMN."""

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.audit import record_event
from app.config import DEFAULTS
from app.engine.instances import OperationContext
from app.engine.models import HumanTask
from app.formatting import STOCKHOLM, kronor
from app.grants import budget
from app.grants.applications import application_of_step, copy_summary
from app.grants.declarations import ProcessDeclarations, declarations_of_instance
from app.grants.diarium import next_diarienummer
from app.grants.funds import with_fund_settings
from app.grants.models import (
    FORMAL_OUTCOMES,
    OUTCOME_CODES,
    OUTCOME_NAMES,
    Application,
    Decision,
    RepaymentClaim,
)
from app.grants.notices import applicant_recipients, notice_context, send_notice
from app.grants.rules import amount as to_amount
from app.grants.rules import decided_amount
from app.letters.issue import issue_letter  # also registers the letters table at start-up
from app.letters.render import deciding_organ
from app.notifications.outbox import enqueue
from app.payouts.operations import PAYOUT_OPERATIONS
from app.payouts.plans import cancel_unpaid, create_payouts, sent_amount
from app.storage import storage_from_config


def register_application(ctx: OperationContext, data: dict) -> dict:
    """Registrera: give the submitted application its diarienummer (once) and a receipt."""
    application = application_of_step(ctx)
    if application.diarienummer is None:
        year = ctx.now.astimezone(STOCKHOLM).year
        prefix = application.round.fund.diarie_prefix
        number = next_diarienummer(ctx.session, prefix, year, ctx.config["DIARIE_PATTERN"])
        with ctx.session.no_autoflush:  # the case row is written once, with the whole step
            copy_summary(declarations_of_instance(ctx.session, ctx.instance), application,
                         data)
            application.diarienummer = number
            application.submitted_at = application.registered_at = ctx.now
            record_event(ctx.session, "registered", f"Registrerad med diarienummer {number}",
                         actor_id=ctx.actor_id, instance_id=ctx.instance.id)
            enqueue(ctx.session, "kvitto", applicant_recipients(ctx.session, application, data),
                    notice_context(application, data, ctx.config), instance_id=ctx.instance.id,
                    dedupe_key=f"{ctx.instance.id}:kvitto")
    return {"diarienummer": application.diarienummer,
            "registrerad": application.registered_at.astimezone(STOCKHOLM).date().isoformat()}


def record_decision(ctx: OperationContext, data: dict) -> dict:
    """Registrera beslut: store the decision as made (never changed afterwards) and turn the
    reservation into a grant, or release it on avslag."""
    application = application_of_step(ctx)
    decl = declarations_of_instance(ctx.session, ctx.instance)
    outcome = OUTCOME_CODES.get(decl.outcome("decision_outcome", data) or "")
    if outcome is None:
        raise ValueError(f"okänt beslut {decl.value('decision_outcome', data)!r}")
    granted = decided_amount(decl, data)  # what the decision says, for every outcome
    level = data.get("beslutsniva", "delegat")
    decision = _add_decision(
        ctx, application, outcome=outcome, amount=granted,
        motivation=decl.value("decision_motivation", data) or "",
        conditions=decl.value("decision_conditions", data) or "",
        level=level, organ=deciding_organ(with_fund_settings(application.round.fund, ctx.config),
                                          level, decl.value("decision_organ", data)),
        delegation_reference=data.get("delegationspunkt", ""),
        presenter_id=_preparer_id(ctx, decl),
        meeting_date=_date(decl.value("meeting_date", data)),
        meeting_paragraph=decl.value("meeting_paragraph", data))
    _issue_letter(ctx, decision, data)  # before the round's lock (see _issue_letter)
    if granted > 0:
        budget.convert_to_grant(ctx.session, application, granted, actor_id=ctx.actor_id)
        create_payouts(ctx.session, decl, decision, decl.value("payout_plan", data),
                       actor_id=ctx.actor_id)
    else:
        budget.release(ctx.session, application, actor_id=ctx.actor_id, reason="Avslag")
    _decided(ctx, decision, f"Beslut: {OUTCOME_NAMES[outcome]}, {kronor(granted)}")
    return {"beslut_id": decision.id, "beviljat": str(granted)}


def record_formal_decision(ctx: OperationContext, data: dict) -> dict:
    """Registrera avvisning/avskrivning: the officer's decision at the formal check, on
    formal grounds (no amount), with its letter."""
    application = application_of_step(ctx)
    decl = declarations_of_instance(ctx.session, ctx.instance)
    said = decl.outcome("check_outcome", data) or ""
    outcome = OUTCOME_CODES.get(said)
    if outcome not in FORMAL_OUTCOMES:
        raise ValueError(f"okänt utfall {decl.value('check_outcome', data)!r}")
    config = with_fund_settings(application.round.fund, ctx.config)
    decision = _add_decision(
        ctx, application, outcome=outcome, amount=Decimal(0),
        motivation=decl.value(f"{said}_motivation", data) or "", level="delegat",
        organ=deciding_organ(config, "delegat"),
        delegation_reference=config["LETTER_FORMAL_DELEGATION"])
    _issue_letter(ctx, decision, data)  # before the round's lock (see _issue_letter)
    budget.release(ctx.session, application, actor_id=ctx.actor_id,
                   reason=FORMAL_OUTCOMES[outcome])
    _decided(ctx, decision, f"Beslut: {FORMAL_OUTCOMES[outcome]}")
    enqueue(ctx.session, "beslut", applicant_recipients(ctx.session, application, data),
            notice_context(application, data, config), instance_id=ctx.instance.id,
            dedupe_key=f"{ctx.instance.id}:beslut:{decision.id}")
    return {"beslut_id": decision.id, "beviljat": "0"}


def _add_decision(ctx: OperationContext, application: Application, **fields) -> Decision:
    """The decision as made, on the case; never changed afterwards."""
    decision = Decision(application_id=application.id, decided_by_id=ctx.actor_id,
                        decided_at=ctx.now, **fields)
    ctx.session.add(decision)
    application.granted_amount = decision.amount
    application.decided_at = ctx.now
    ctx.session.flush()
    return decision


def _issue_letter(ctx: OperationContext, decision: Decision, data: dict) -> None:
    """Issue the decision's beslutsbrev in the same step (one letter per decision, even on a
    retry). Called BEFORE the budget locks the round's row: rendering the PDF takes far longer
    than the rest of the step, and other decisions of the round must not wait for it."""
    config = {**DEFAULTS, **ctx.config}  # a bare context (CLI, tests) gets the defaults
    issue_letter(ctx.session, storage_from_config(config), decision, config, data)


def _decided(ctx: OperationContext, decision: Decision, summary: str) -> None:
    record_event(ctx.session, "decided", summary, actor_id=ctx.actor_id,
                 instance_id=ctx.instance.id,
                 details={"decision": decision.id, "level": decision.level})


def register_withdrawal(ctx: OperationContext, data: dict) -> dict:
    """Registrera återkallelse: the case's open tasks are already closed; free its money."""
    application = application_of_step(ctx)
    released = budget.release(ctx.session, application, actor_id=ctx.actor_id,
                              reason="Ansökan återkallad")
    record_event(ctx.session, "withdrawn", "Ansökan återkallad av sökande",
                 actor_id=ctx.actor_id, instance_id=ctx.instance.id)
    return {"slappt": str(released)}


def register_repayment_claim(ctx: OperationContext, data: dict) -> dict:
    """Registrera återkrav: tranches not yet sent are cancelled; of the money sent, what was
    not used is claimed back (finance reclaims it)."""
    application = application_of_step(ctx)
    decl = declarations_of_instance(ctx.session, ctx.instance)
    cancel_unpaid(ctx.session, application, actor_id=ctx.actor_id, reason="återkrav")
    sent = sent_amount(ctx.session, application.id)
    unused = sent - (to_amount(decl.value("used_amount", data)) or Decimal(0))
    claimed = to_amount(decl.value("claim_amount", data)) or max(unused, Decimal(0))
    if claimed <= 0:
        return {"aterkrav": "0"}
    claim = RepaymentClaim(application_id=application.id, amount=claimed,
                           reason=decl.value("report_review_message", data)
                           or "Oförbrukade medel",
                           created_by_id=ctx.actor_id)
    ctx.session.add(claim)
    ctx.session.flush()
    record_event(ctx.session, "repayment_claim", f"Återkrav registrerat: {kronor(claimed)}",
                 actor_id=ctx.actor_id, instance_id=ctx.instance.id,
                 details={"claim": claim.id})
    return {"aterkrav_id": claim.id, "aterkrav": str(claimed)}


def _preparer_id(ctx: OperationContext, decl: ProcessDeclarations) -> int | None:
    """The officer who prepared the case (the declared proposal step), if it has one."""
    proposal = decl.tasks_of("proposal")
    if not proposal:
        return None
    return ctx.session.scalars(
        select(HumanTask.completed_by_id).where(
            HumanTask.instance_id == ctx.instance.id, HumanTask.task_name.in_(proposal),
            HumanTask.outcome == "completed").order_by(HumanTask.completed_at.desc())).first()


def _date(value) -> date | None:
    return date.fromisoformat(value) if value else None


# The names BPMN service tasks use (spiffworkflow:serviceTaskOperator id="…").
SERVICE_OPERATIONS = {
    "registrera_ansokan": register_application,
    "registrera_beslut": record_decision,
    "registrera_formellt_beslut": record_formal_decision,
    "registrera_aterkallelse": register_withdrawal,
    "registrera_aterkrav": register_repayment_claim,
    "skicka_meddelande": send_notice,
    "reservera_budget": budget.reserve_operation,
    "slapp_reservation": budget.release_operation,
    **PAYOUT_OPERATIONS,
}
