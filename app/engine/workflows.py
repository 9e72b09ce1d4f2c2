"""What a deserialized workflow says: its data, what it waits for, where it ended, and the
labels of its elements and errors in incidents."""

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.util.task import TaskState

from app.engine.scripting import BpmnErrorCaught
from app.errors import DomainError


def awaits(workflow: BpmnWorkflow, event: BpmnEvent) -> bool:
    """Whether a waiting task catches the event (ask the tasks: an event-based gateway waits
    under its own name). Event subprocesses, which start on an event, are refused by the
    catalogue check."""
    return any(t.task_spec.catches(t, event) for t in workflow.event_manager.tasks.values())


def engine_steps(workflow: BpmnWorkflow) -> bool:
    """Run the automatic steps; True when a boundary event caught an operation's BPMN error
    (the failed task stops there and the steps must go on along the boundary's flow)."""
    try:
        workflow.do_engine_steps()
    except BpmnErrorCaught:
        return True
    return False


def current_data(workflow: BpmnWorkflow) -> dict:
    """Return the case data: the workflow's data when done, else that of its newest tasks."""
    if workflow.completed:
        return dict(workflow.data)
    data = dict(workflow.last_task.data) if workflow.last_task else {}
    for state in (TaskState.WAITING, TaskState.READY):
        for task in workflow.get_tasks(state=state):
            data.update(task.data)
    return data


def end_event_name(workflow: BpmnWorkflow) -> str | None:
    """Return the name of the end event the workflow finished at."""
    ends = [t for t in workflow.get_tasks(state=TaskState.COMPLETED)
            if isinstance(t.task_spec, EndEvent) and t.workflow is workflow]
    if not ends:
        return None
    last = max(ends, key=lambda t: t.last_state_change)
    return last.task_spec.bpmn_name or last.task_spec.bpmn_id


def domain_error(err: BaseException) -> DomainError | None:
    """Find a domain error (raised by an operation) behind SpiffWorkflow's wrapping."""
    seen = 0
    while err is not None and seen < 5:
        if isinstance(err, DomainError):
            return err
        err = getattr(err, "error", None) or err.__cause__ or err.__context__
        seen += 1
    return None


def element_of(err: Exception) -> str:
    task = getattr(err, "task", None)
    return element_label(task) if task is not None else spec_label(getattr(err, "task_spec", None))


def element_label(task) -> str:
    return spec_label(task.task_spec if task is not None else None)


def spec_label(spec) -> str:
    if spec is None or not hasattr(spec, "name"):  # SpiffWorkflow sometimes passes a message
        return ""
    return f"{getattr(spec, 'bpmn_id', spec.name)} ({getattr(spec, 'bpmn_name', '') or ''})"


def error_message(err: Exception) -> str:
    message = str(err) or err.__class__.__name__
    cause = getattr(err, "error", None) or err.__cause__
    if cause is not None and str(cause) and str(cause) not in message:
        message = f"{message}: {cause}"
    return message


def catching_event_name(workflow: BpmnWorkflow, message: str) -> str:
    """The history's words for a message: the name the process gives the event that catches
    it (e.g. "Ansökan återkallad"), else the message's own name."""
    for task in workflow.event_manager.tasks.values():
        spec = task.task_spec
        if getattr(spec.event_definition, "name", None) == message and spec.bpmn_name:
            return spec.bpmn_name
    return message
