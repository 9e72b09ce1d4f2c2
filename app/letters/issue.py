"""Issue the letter of a decision exactly once; build a preview from the latest proposal."""

import hashlib
from collections.abc import Mapping
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.db import utcnow
from app.engine.models import HumanTask
from app.grants.declarations import GRANTING, declarations_of_instance
from app.grants.models import OUTCOME_CODES, Application, Decision
from app.grants.rules import amount as to_amount
from app.letters.models import Letter
from app.letters.render import DecisionFacts, letter_context, letter_filename, render_pdf
from app.storage import FileStorage, put_in_transaction


def letter_of_decision(session: Session, decision_id: int) -> Letter | None:
    return session.scalars(select(Letter).where(Letter.decision_id == decision_id)).first()


def decisions_with_letters(session: Session, decision_ids) -> set[int]:
    """The ids among `decision_ids` that have an issued letter."""
    ids = list(decision_ids)
    if not ids:
        return set()
    return set(session.scalars(select(Letter.decision_id).where(Letter.decision_id.in_(ids))))


def issue_letter(session: Session, storage: FileStorage, decision: Decision, config: Mapping,
                 data: Mapping | None = None) -> Letter:
    """Render, store and register the decision's letter; if it has one already, return that."""
    existing = letter_of_decision(session, decision.id)
    if existing is not None:
        return existing
    application = decision.application
    case_data = application.instance.data if data is None else data
    pdf = render_pdf(letter_context(decision, application, case_data, config))
    key = put_in_transaction(session, storage, pdf)
    letter = Letter(decision_id=decision.id, storage_key=key,
                    sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf),
                    filename=letter_filename(application.diarienummer), created_at=utcnow())
    session.add(letter)
    session.flush()
    return letter


def proposed_decision(session: Session, application: Application, data: Mapping,
                      decider: User | None = None) -> DecisionFacts:
    """The decision the latest proposal (the declared proposal step) would make, for a
    preview letter (without a proposal: a grant of the requested amount)."""
    decl = declarations_of_instance(session, application.instance)
    said = decl.outcome("proposal_outcome", data) or "granted"
    amount = Decimal(0) if said not in GRANTING else (
        to_amount(decl.value("proposal_amount", data)) or application.requested_amount
        or Decimal(0))
    return DecisionFacts(
        outcome=OUTCOME_CODES[said], amount=amount,
        motivation=decl.value("proposal_motivation", data) or "",
        conditions=decl.value("proposal_conditions", data)
        or decl.value("decision_conditions", data) or "",
        decided_at=utcnow(), level=data.get("beslutsniva") or "delegat",
        delegation_reference=data.get("delegationspunkt") or "",
        decided_by=decider, presenter=_preparer(session, decl, application))


def _preparer(session: Session, decl, application: Application) -> User | None:
    proposal = decl.tasks_of("proposal")
    if not proposal:
        return None
    return session.scalars(
        select(User).join(HumanTask, HumanTask.completed_by_id == User.id).where(
            HumanTask.instance_id == application.process_instance_id,
            HumanTask.task_name.in_(proposal), HumanTask.outcome == "completed")
        .order_by(HumanTask.completed_at.desc())).first()
