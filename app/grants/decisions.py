"""Decisions are never changed. A correction (rättelse, FL 36 §) is a new decision that
references the one it replaces; the amount stays (a new amount needs a new decision)."""

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit import record_event
from app.config import DEFAULTS
from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotAllowed, NotFound
from app.forms.validation import free_text_problem
from app.grants.models import Decision, JavDeclaration
from app.letters.issue import issue_letter
from app.storage import FileStorage


def is_replaced(session: Session, decision: Decision) -> bool:
    return session.scalars(
        select(Decision.id).where(Decision.replaces_id == decision.id)).first() is not None


def correct_decision(session: Session, user: User, decision_id: int, *, motivation: str,
                     conditions: str, reason: str, storage: FileStorage | None = None,
                     config: Mapping | None = None) -> Decision:
    """Record a corrected decision that replaces an earlier one; the earlier row stays.
    With `storage` and `config` the corrected decision gets its own letter at once."""
    old = session.get(Decision, decision_id)
    if old is None:
        raise NotFound("Beslutet finns inte.")
    if not user.has_role("beslutsfattare"):
        raise NotAllowed("Bara en beslutsfattare kan rätta ett beslut.")
    if session.scalars(select(JavDeclaration.id).where(
            JavDeclaration.application_id == old.application_id,
            JavDeclaration.user_id == user.id)).first() is not None:
        raise NotAllowed("Du har anmält jäv i ärendet.")
    if is_replaced(session, old):
        raise Conflict("Beslutet är redan rättat; rätta det senaste beslutet.")
    errors = {name: [problem] for name, text, most in (
        ("motivering", motivation, 10000), ("villkor", conditions, 5000), ("skal", reason, 2000))
        if (problem := free_text_problem(text.strip(), most))}
    if len(motivation.strip()) < 10:
        errors.setdefault("motivering", ["Skriv en motivering (minst 10 tecken)."])
    if not reason.strip():
        errors.setdefault("skal", ["Ange vad rättelsen gäller."])
    if errors:
        raise InvalidInput("Rättelsen innehåller fel.", errors)
    new = Decision(application_id=old.application_id, outcome=old.outcome, amount=old.amount,
                   motivation=motivation.strip(), conditions=conditions.strip(),
                   decided_by_id=user.id, decided_at=utcnow(), replaces_id=old.id,
                   level=old.level, delegation_reference=old.delegation_reference,
                   presenter_id=old.presenter_id, meeting_date=old.meeting_date,
                   meeting_paragraph=old.meeting_paragraph)
    session.add(new)
    session.flush()
    record_event(session, "decision_corrected",
                 f"Beslut {old.id} rättat genom beslut {new.id}: {reason.strip()}",
                 actor_id=user.id, instance_id=old.application.process_instance_id,
                 details={"replaces": old.id, "decision": new.id})
    if storage is not None and config is not None:
        issue_letter(session, storage, new, {**DEFAULTS, **config})
    return new
