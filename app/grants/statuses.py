"""A case's status at a glance: one of a few kinds (pågår, försenad, beviljad, avslag …)
that lists and the case page show as a badge beside the case's own status text."""

from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from app.engine.models import HumanTask
from app.grants.models import Application, Decision

# The kinds, in the words the badge shows (translated in the template).
STATUS_KINDS = ("utkast", "pagar", "forsenad", "beviljad", "avslag", "avslutad")
REFUSAL = "avslag"


def status_kind(application: Application, overdue: bool, refused: bool) -> str:
    """Classify the case: a draft, granted, refused, closed otherwise, late (an open task
    past its deadline) or under way."""
    if application.submitted_at is None:
        return "utkast"
    granted = application.decided_at is not None and (application.granted_amount or 0) > 0
    if application.closed_at is not None and not granted:
        return "avslag" if refused else "avslutad"
    if overdue:
        return "forsenad"
    if granted:
        return "beviljad"
    return "avslag" if refused else "pagar"


def overdue_instances(session: Session, instance_ids: set[int], now: datetime) -> set[int]:
    """The process instances (of those given) with an open task past its deadline."""
    if not instance_ids:
        return set()
    return set(session.scalars(select(HumanTask.instance_id).distinct().where(
        HumanTask.instance_id.in_(instance_ids), HumanTask.completed_at.is_(None),
        HumanTask.due_at < now)))


def status_kinds(session: Session, applications: list[Application],
                 now: datetime) -> dict[int, str]:
    """The status kind of each application, by application id (two queries in all)."""
    late = overdue_instances(session, {a.process_instance_id for a in applications}, now)
    refused = refused_applications(session, {a.id for a in applications})
    return {a.id: status_kind(a, a.process_instance_id in late, a.id in refused)
            for a in applications}


def refused_applications(session: Session, application_ids: set[int]) -> set[int]:
    """The applications (of those given) refused by decision (a correction keeps the
    outcome, so any refusal counts)."""
    if not application_ids:
        return set()
    return set(session.scalars(select(Decision.application_id).distinct().where(
        Decision.application_id.in_(application_ids), Decision.outcome == REFUSAL)))


def status_kind_condition(kind: str, now: datetime) -> ColumnElement[bool]:
    """The SQL condition on Application for one status kind (the rule of status_kind)."""
    draft = Application.submitted_at.is_(None)
    granted = and_(Application.decided_at.is_not(None),
                   func.coalesce(Application.granted_amount, 0) > 0)
    refused = exists().where(Decision.application_id == Application.id,
                             Decision.outcome == REFUSAL)
    overdue = exists().where(HumanTask.instance_id == Application.process_instance_id,
                             HumanTask.completed_at.is_(None), HumanTask.due_at < now)
    ended = and_(Application.closed_at.is_not(None), ~granted)
    going = and_(~draft, ~ended, ~overdue)
    return {
        "utkast": draft,
        "avslutad": and_(~draft, ended, ~refused),
        "avslag": and_(~draft, or_(and_(ended, refused), and_(going, ~granted, refused))),
        "forsenad": and_(~draft, ~ended, overdue),
        "beviljad": and_(going, granted),
        "pagar": and_(going, ~granted, ~refused),
    }[kind]
