"""Issue the letter of a decision exactly once; build a preview from the latest proposal."""

import hashlib
from collections.abc import Mapping
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.db import utcnow
from app.engine.models import HumanTask
from app.grants.models import Application, Decision
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
    """The decision the latest proposal (beredning) would make, for a preview letter."""
    outcome = data.get("forslag") or "bifall"
    amount = Decimal(0) if outcome not in ("bifall", "delvis_bifall") else (
        to_amount(data.get("forslag_belopp")) or application.requested_amount or Decimal(0))
    return DecisionFacts(
        outcome=outcome, amount=amount, motivation=data.get("forslag_motivering", ""),
        conditions=data.get("villkor") or data.get("beslut_villkor") or "",
        decided_at=utcnow(), level=data.get("beslutsniva") or "delegat",
        delegation_reference=data.get("delegationspunkt") or "",
        decided_by=decider, presenter=_preparer(session, application))


def _preparer(session: Session, application: Application) -> User | None:
    return session.scalars(
        select(User).join(HumanTask, HumanTask.completed_by_id == User.id).where(
            HumanTask.instance_id == application.process_instance_id,
            HumanTask.task_name == "beredning", HumanTask.outcome == "completed")
        .order_by(HumanTask.completed_at.desc())).first()
