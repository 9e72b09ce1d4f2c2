"""The health check: a running instance that waits for nothing has stopped, and must not do so
silently.

A running instance moves on when a user completes one of its tasks, a timer fires or a message
arrives. One with none of these, and no open incident, never moves again (e.g. a multi-instance
task whose parent did not merge after a restart). One query finds them; each is loaded to name
the element it stopped at, and gets an incident an administrator sees and can retry.
"""

from collections.abc import Callable
from dataclasses import dataclass

from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from app.audit import record_event
from app.db import utcnow
from app.engine.instances import Engine, StepFailed
from app.engine.models import HumanTask, Incident, ProcessInstance
from app.engine.tasks import awaited_events

# Names a case for messages (e.g. by its diarienummer); None when there is no case.
Describer = Callable[[Session, int], str | None]

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
NO_ELEMENT = "inget aktivt steg"


@dataclass
class StuckInstance:
    """A running instance that waits for nothing, and the elements it stopped at."""

    instance: ProcessInstance
    elements: list[str]

    @property
    def element(self) -> str:
        return (", ".join(self.elements) or NO_ELEMENT)[:200]


def _waits_for_nothing():
    """The conditions of a running instance with no open task, timer or awaited message."""
    open_task = exists().where(HumanTask.instance_id == ProcessInstance.id,
                               HumanTask.completed_at.is_(None))
    return (ProcessInstance.status == "running", ProcessInstance.next_timer_at.is_(None),
            ProcessInstance.awaits.is_(None), ~open_task)


def _has_open_incident():
    return exists().where(Incident.instance_id == ProcessInstance.id,
                          Incident.resolved_at.is_(None))


def stuck_instance_ids(session: Session, limit: int = 100) -> list[int]:
    """Return the running instances that wait for nothing and have no open incident (one
    query: healthy instances are ruled out by the database, never loaded)."""
    query = (select(ProcessInstance.id)
             .where(*_waits_for_nothing(), ~_has_open_incident())
             .order_by(ProcessInstance.id).limit(limit))
    return list(session.scalars(query))


def find_stuck_instances(session: Session, engine: Engine,
                         limit: int = 100) -> list[StuckInstance]:
    """Return the stopped instances, each locked and with the elements it stands at."""
    found = []
    for instance_id in stuck_instance_ids(session, limit):
        stuck = diagnose(session, engine, instance_id)
        if stuck is not None:
            found.append(stuck)
    return found


def diagnose(session: Session, engine: Engine, instance_id: int) -> StuckInstance | None:
    """Lock an instance the query found and confirm from its workflow that it has stopped."""
    instance = engine.lock_instance(session, instance_id)
    still = select(ProcessInstance.id).where(ProcessInstance.id == instance_id,
                                             *_waits_for_nothing(), ~_has_open_incident())
    if session.scalars(still).first() is None:  # moved on (or reported) since the query
        return None
    try:
        workflow = engine.load_workflow(session, instance)
    except Exception as err:  # a state that no longer loads cannot move either
        return StuckInstance(instance, [f"sparat tillstånd (kan inte läsas: {err})"])
    awaits = awaited_events(workflow)
    if awaits:
        # Saved before `awaits` existed: record what it awaits so the query skips it from now on
        # (a plain UPDATE: the instance itself did not change, so its version stays).
        session.execute(update(ProcessInstance.__table__)
                        .where(ProcessInstance.id == instance_id).values(awaits=awaits))
        return None
    return StuckInstance(instance, stopped_elements(workflow))


def stopped_elements(workflow) -> list[str]:
    """Return the elements a workflow stands at: its active tasks, but not the subprocesses
    around them, the boundary events (e.g. a withdrawal) waiting beside them, nor the
    engine's own joins (unless nothing else is active)."""
    tasks = [task for task in workflow.get_tasks(state=ACTIVE)
             if task.id not in workflow.subprocesses
             and not isinstance(task.task_spec, BoundaryEvent)]
    elements = [task for task in tasks if task.task_spec.bpmn_id] or tasks
    return sorted({element_label(task) for task in elements})


def element_label(task) -> str:
    """Return how incidents name a task's element: "bpmn_id (name)"."""
    spec = task.task_spec
    name = spec.bpmn_name
    child = getattr(spec, "task_spec", None)  # a multi-instance parent is named by its child
    if not name and isinstance(child, str) and child in task.workflow.spec.task_specs:
        name = task.workflow.spec.task_specs[child].bpmn_name
    return f"{spec.bpmn_id or spec.name} ({name or ''})"


def raise_stuck_incidents(session: Session, engine: Engine, *, describe: Describer | None = None,
                          limit: int = 100) -> list[Incident]:
    """Record an incident (with an audit event) for every stopped instance; the caller
    commits. An instance already reported is not reported again while its incident is open."""
    return [record_stuck(session, stuck, describe)
            for stuck in find_stuck_instances(session, engine, limit)]


def record_stuck(session: Session, stuck: StuckInstance,
                 describe: Describer | None = None) -> Incident:
    """Record the incident of one stopped instance and its audit event."""
    instance = stuck.instance
    case = describe(session, instance.id) if describe else None
    who = f"Ärende {case} (instans {instance.id})" if case else f"Instans {instance.id}"
    message = (f"{who} står still vid {stuck.element}: det har ingen öppen uppgift och väntar "
               "varken på en timer eller på ett meddelande, så det går inte vidare av sig självt.")
    incident = Incident(instance_id=instance.id, process_id=instance.process_id,
                        element=stuck.element, message=message,
                        action={"kind": "stuck", "instance_id": instance.id,
                                "element": stuck.element})
    session.add(incident)
    session.flush()
    record_event(session, "instance_stuck", f"Ärendet står still vid {stuck.element}",
                 instance_id=instance.id,
                 details={"incident": incident.id, "elements": stuck.elements})
    return incident


def revive_instance(session: Session, engine: Engine, action: dict) -> None:
    """Run a stopped instance's engine steps again and save it (which also restores missing
    task rows); raise StepFailed if it still waits for nothing."""
    instance = engine.lock_instance(session, action["instance_id"])
    if instance.status != "running":
        return
    now = utcnow()
    try:
        workflow = engine.load_workflow(session, instance, None, now)
    except Exception as err:
        raise StepFailed(instance, action["element"],
                         f"Det sparade tillståndet kan inte läsas: {err}") from err
    engine._advance(instance, workflow)  # the engine's own step and save, as after a task
    engine._save(session, instance, workflow, now)
    still = select(ProcessInstance.id).where(ProcessInstance.id == instance.id,
                                             *_waits_for_nothing())
    if session.scalars(still).first() is not None:
        raise StepFailed(instance, action["element"],
                         f"Ärendet står fortfarande still vid {action['element']}: omkörningen "
                         "gav ingen uppgift, timer eller meddelande att vänta på.")


def open_stuck_incident_count(session: Session) -> int:
    """Return how many open incidents report a stopped instance."""
    query = select(func.count()).select_from(Incident).where(
        Incident.resolved_at.is_(None), Incident.action["kind"].as_string() == "stuck")
    return session.scalar(query) or 0
