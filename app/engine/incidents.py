"""Incidents: automatic steps that failed. The step's transaction is rolled back, the failure
recorded in a transaction of its own, and an administrator can retry it."""

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import record_event
from app.db import utcnow
from app.engine.doctor import revive_instance
from app.engine.instances import Engine, StepFailed
from app.engine.models import Incident, ProcessInstance
from app.errors import IncidentRaised, NotAllowed, NotFound

T = TypeVar("T")


def run_step(session: Session, action: dict, step: Callable[[], T]) -> T:
    """Run one engine step and commit it; on StepFailed roll back, record an incident, raise."""
    try:
        result = step()
        session.commit()
        return result
    except StepFailed as failure:
        session.rollback()
        incident = record_incident(session, failure, action)
        session.commit()
        raise IncidentRaised(
            f"Ett automatiskt steg misslyckades ({failure.element}). Inget har sparats. "
            f"Händelsen är registrerad som incident {incident.id} och administratören kan "
            "köra om steget.",
            incident.id,
        ) from failure
    except Exception:
        session.rollback()
        raise


def record_incident(session: Session, failure: StepFailed, action: dict) -> Incident:
    """Record a failure (or count another attempt of an open incident of the same step)."""
    query = select(Incident).where(
        Incident.instance_id == failure.instance_id,
        Incident.element == failure.element,
        Incident.resolved_at.is_(None),
    )
    incident = session.scalars(query).first()
    instance = session.get(ProcessInstance, failure.instance_id)
    instance_id = instance.id if instance is not None else None  # a failed start left none
    if incident is None:
        incident = Incident(instance_id=instance_id, process_id=failure.process_id,
                            element=failure.element, message=failure.message, action=action,
                            actor_id=action.get("actor_id"))
        session.add(incident)
    else:
        incident.attempts += 1
        incident.message, incident.action = failure.message, action
    if instance is not None and action.get("kind") == "timers":
        instance.has_incident = True
    session.flush()
    record_event(session, "incident", f"Fel i automatiskt steg {failure.element}: "
                 f"{failure.message}", instance_id=instance_id,
                 details={"incident": incident.id})
    return incident


def open_incidents(session: Session) -> list[Incident]:
    """Return the unresolved incidents, newest first."""
    query = select(Incident).where(Incident.resolved_at.is_(None)).order_by(Incident.id.desc())
    return list(session.scalars(query))


def retry_incident(session: Session, engine: Engine, incident_id: int, *, actor_id: int) -> None:
    """Run an incident's action again and commit; raise IncidentRaised if it fails again."""
    incident = session.get(Incident, incident_id)
    if incident is None or incident.resolved_at is not None:
        raise NotFound("Incidenten finns inte eller är redan åtgärdad.")
    action = dict(incident.action)

    def step():
        perform_action(session, engine, action)
        current = session.get(Incident, incident_id)
        current.resolved_at, current.resolved_by_id = utcnow(), actor_id
        if current.instance_id is not None:
            session.get(ProcessInstance, current.instance_id).has_incident = False
        record_event(session, "incident_retried",
                     f"Incident {incident_id} åtgärdad genom omkörning",
                     actor_id=actor_id, instance_id=current.instance_id)

    run_step(session, action, step)


def perform_action(session: Session, engine: Engine, action: dict) -> None:
    """Carry out a recorded engine action."""
    if action["kind"] == "complete_task":
        engine.complete_task(session, action["task_id"], action["data"],
                             actor_id=action.get("actor_id"))
    elif action["kind"] == "timers":
        instance = session.get(ProcessInstance, action["instance_id"])
        instance.has_incident = False
        engine.fire_timers(session, action["instance_id"])
    elif action["kind"] == "stuck":
        revive_instance(session, engine, action)
    else:
        raise NotAllowed("Steget kan inte köras om härifrån; användaren får göra om det.")
