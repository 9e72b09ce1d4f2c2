"""The human-task projection: READY user tasks mirrored into a table after every save."""

from dataclasses import dataclass
from datetime import UTC, datetime

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from app.accounts.roles import role_for_lane
from app.audit import record_event
from app.engine.models import HumanTask, ProcessInstance
from app.engine.scripting import timer_definitions
from app.engine.specs import form_name_of
from app.formatting import STOCKHOLM, short_date

# Roles outside the kommunstyrelsens förvaltning: their tasks are scoped to the case's organisation.
ORGANISATION_SCOPED_ROLES = {"sokande"}


def ready_human_tasks(workflow) -> dict[str, object]:
    """Return the READY manual tasks of a workflow by UUID string."""
    return {str(t.id): t for t in workflow.get_tasks(state=TaskState.READY, manual=True)}


@dataclass(frozen=True)
class OpenTask:
    """A READY human task as the workflow holds it in the middle of a step."""

    task_name: str
    role: str | None
    assignee: str | None
    organisation_id: int | None


def open_tasks_of(workflow, instance: ProcessInstance) -> list[OpenTask]:
    """Return the human tasks open in a workflow now: what its rows will say once it is saved
    (a timer that fires in the step that opened the tasks must already see them)."""
    tasks = []
    for task in ready_human_tasks(workflow).values():
        role = role_for_lane(task.task_spec.lane)
        scoped = role in ORGANISATION_SCOPED_ROLES
        tasks.append(OpenTask(task.task_spec.bpmn_id, role, _property_value(task, "assignee"),
                              instance.organisation_id if scoped else None))
    return tasks


def sync_human_tasks(
    session: Session,
    instance: ProcessInstance,
    workflow,
    now: datetime,
    completed: tuple[str, int | None] | None = None,
) -> list[str]:
    """Make the human_tasks rows of an instance match its READY manual tasks; return the
    titles of the open ones."""
    ready = ready_human_tasks(workflow)
    rows = instance.open_tasks if _loaded(instance, "open_tasks") else session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance.id,
                                HumanTask.completed_at.is_(None))
    ).all()
    for row in rows:
        if row.id in ready:
            due_at = _due_at(ready[row.id])
            if row.due_at != due_at:
                row.due_at = due_at
            continue
        row.completed_at = now
        if completed and completed[0] == row.id:
            row.outcome, row.completed_by_id = "completed", completed[1]
        else:
            row.outcome = "cancelled"
    known = {row.id for row in rows}
    for task_id, task in ready.items():
        if task_id not in known:
            row = _new_row(session, instance, task, now)
            session.add(row)
            _record_deadline(session, row, completed[1] if completed else None)
    return [task.task_spec.bpmn_name or task.task_spec.bpmn_id for task in ready.values()]


def _record_deadline(session: Session, row: HumanTask, actor_id: int | None) -> None:
    """A new task with a deadline is a request to someone: the history says to whom, what
    and by when (e.g. a komplettering from the applicant)."""
    if row.due_at is None:
        return
    record_event(session, "task_requested",
                 f"{row.title} begärd: ska lämnas av {(row.lane or row.role or '').lower()} "
                 f"senast {short_date(row.due_at)}",
                 actor_id=actor_id, instance_id=row.instance_id, task_id=row.id,
                 details={"due_at": row.due_at.isoformat(), "assignee": row.assignee})


def _loaded(instance: ProcessInstance, attribute: str) -> bool:
    return attribute not in inspect(instance).unloaded


def _new_row(session: Session, instance: ProcessInstance, task, now: datetime) -> HumanTask:
    row = HumanTask(id=str(task.id))  # task UUIDs are new for every READY task
    spec = task.task_spec
    role = role_for_lane(spec.lane)
    row.instance_id = instance.id
    row.task_name = spec.bpmn_id
    row.title = spec.bpmn_name or spec.bpmn_id
    row.lane = spec.lane
    row.role = role
    row.form_name = form_name_of(spec)
    row.organisation_id = instance.organisation_id if role in ORGANISATION_SCOPED_ROLES else None
    row.assignee = _property_value(task, "assignee")
    fields = _property_value(task, "formFieldsVariable")
    row.field_names = list(fields) if fields else None
    row.created_at = now
    row.due_at = _due_at(task)
    row.completed_at = row.completed_by_id = row.outcome = None
    return row


def task_property(task_spec, name: str) -> str | None:
    """Return a spiffworkflow:property of a task spec."""
    properties = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
    return properties.get(name) or None


def _property_value(task, name: str):
    """Evaluate a property's expression on the task's data (`assignee`, `dueDate`, …)."""
    expression = task_property(task.task_spec, name)
    if expression is None:
        return None
    if name == "formFieldsVariable":
        return task.data.get(expression)
    return task.workflow.script_engine.evaluate(task, expression)


def _due_at(task) -> datetime | None:
    """The task's `dueDate` property, else the earliest boundary timer waiting beside it."""
    due = _property_value(task, "dueDate")
    if due:
        return _end_of_day(due)
    return _boundary_timer_at(task)


def _end_of_day(value) -> datetime | None:
    text = str(value)
    if len(text) == 10:  # a date: due at the end of that day, Swedish time
        local = datetime.fromisoformat(text).replace(hour=23, minute=59, tzinfo=STOCKHOLM)
        return local.astimezone(UTC)
    return parse_event_time(text)


def _boundary_timer_at(task) -> datetime | None:
    parent = task.parent
    times = [
        parse_event_time(sibling.internal_data.get("event_value"))
        for sibling in (parent.children if parent else [])
        if sibling is not task
        and timer_definitions(sibling.task_spec)
        and sibling.state == TaskState.WAITING
    ]
    times = [t for t in times if t is not None]
    return min(times) if times else None


def next_timer_at(workflow) -> datetime | None:
    """Return when the earliest waiting timer of the workflow is due."""
    times = [
        parse_event_time(task.internal_data.get("event_value"))
        for task in workflow.event_manager.tasks.values()
        if timer_definitions(task.task_spec)  # also the timer of an event-based gateway
    ]
    times = [t for t in times if t is not None]
    return min(times) if times else None


def timer_marks(workflow, among: dict | None = None) -> dict:
    """Return how each waiting timer of the workflow stands (state and, for a cycle, its next
    due time), by task id; with `among`, how those same tasks stand now (None when gone).
    Two marks differ exactly when a timer fired between them."""
    if among is None:
        tasks = [t for t in workflow.event_manager.tasks.values()
                 if timer_definitions(t.task_spec)]
        return {task.id: _timer_mark(task) for task in tasks}
    return {task_id: _timer_mark(workflow.get_task_from_id(task_id)) for task_id in among}


def _timer_mark(task) -> tuple | None:
    if task is None:
        return None
    value = task.internal_data.get("event_value")
    return task.state, value.get("next") if isinstance(value, dict) else None


def awaited_events(workflow) -> list[str] | None:
    """Return the names of the messages and signals the flow waits for to go on, or None.

    Timers are left out (they are in `next_timer_at`), and so are boundary events: a message
    that may cancel an activity (a withdrawal) is an optional exit, not what moves it on. An
    event-based gateway waits for each of its events at once.
    """
    names = set()
    for task in workflow.event_manager.tasks.values():
        if isinstance(task.task_spec, BoundaryEvent):
            continue
        event = task.task_spec.event_definition
        for definition in (event, *getattr(event, "event_definitions", ())):
            if isinstance(definition, MessageEventDefinition | SignalEventDefinition):
                names.add(definition.name)
    return sorted(name for name in names if name) or None


def parse_event_time(value) -> datetime | None:
    """Parse a timer's stored due time (an ISO string, or a cycle's {"next": …, "cycles": …})
    into an aware datetime."""
    if isinstance(value, dict) and value.get("cycles") != 0:
        value = value.get("next")
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def completed_tasks(session: Session, instance_id: int) -> list[HumanTask]:
    """Return the human tasks of an instance that users completed, oldest first."""
    query = (select(HumanTask)
             .where(HumanTask.instance_id == instance_id, HumanTask.outcome == "completed")
             .order_by(HumanTask.completed_at))
    return list(session.scalars(query))


def completed_by_user(session: Session, user_id: int, role: str,
                      limit: int | None = None) -> list[HumanTask]:
    """Return the tasks of one role's lane a user has completed, newest first (the `limit`
    newest: ix_human_tasks_completed_by reads only those)."""
    query = (select(HumanTask)
             .where(HumanTask.completed_by_id == user_id, HumanTask.role == role,
                    HumanTask.outcome == "completed")
             .order_by(HumanTask.completed_at.desc()).limit(limit))
    return list(session.scalars(query))


def tasks_opened_with(session: Session, task: HumanTask) -> list[HumanTask]:
    """The open tasks that the completion of `task` opened in its instance (same step)."""
    if task.completed_at is None:
        return []
    return list(session.scalars(select(HumanTask).where(
        HumanTask.instance_id == task.instance_id, HumanTask.completed_at.is_(None),
        HumanTask.created_at == task.completed_at).order_by(HumanTask.title)))
