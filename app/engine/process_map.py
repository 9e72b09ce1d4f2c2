"""Where a workflow stands, element by element: what the process map of a case draws (the
states of its BPMN elements and the sequence flows taken), read from the workflow's task tree
and the version's BPMN text."""

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from lxml import etree
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.util.task import TaskState

from app.accounts.roles import role_for_lane
from app.engine.models import ProcessVersion
from app.engine.serializer import load_state
from app.engine.specs import BPMN_NS, name_in
from app.errors import Conflict

COMPLETED, CURRENT, CANCELLED, NOT_REACHED = "completed", "current", "cancelled", "not_reached"
# Which state wins when an element ran more than once (a loop, a multi-instance task).
_RANK = {CURRENT: 3, COMPLETED: 2, CANCELLED: 1, NOT_REACHED: 0}
_ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
# Element kinds the ordered list of steps leaves out (they decide, they do not happen).
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway"}
_FLOW_NODES = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
               "boundaryEvent", "task", "userTask", "serviceTask", "scriptTask", "manualTask",
               "sendTask", "receiveTask", "businessRuleTask", "callActivity", "subProcess",
               *GATEWAYS}


_BPMN_FILES: dict[str, str] = {}  # content hash → the version's BPMN text


@dataclass(frozen=True)
class Element:
    """A flow node of the diagram, in document order."""

    id: str
    kind: str  # the BPMN tag: userTask, serviceTask, exclusiveGateway, …
    name: str
    lane: str | None
    role: str | None


@dataclass
class ElementState:
    """What the workflow did at one element: its state and when it last changed."""

    state: str = NOT_REACHED
    reached_at: datetime | None = None  # first time a task of it was reached
    changed_at: datetime | None = None  # last change of its newest task


@dataclass(frozen=True)
class Diagram:
    """The BPMN text of a version, its flow nodes and its sequence flows."""

    xml: str
    elements: tuple[Element, ...]
    flows: dict[tuple[str, str], tuple[str, ...]]  # (source, target) → flow ids


def diagram_of(engine, version: ProcessVersion, lang: str) -> Diagram:
    """Return the diagram of a stored version (its BPMN file) with element names in `lang`."""
    spec, subprocess_specs = engine.specs_of(version)
    names = {}
    for process in (spec, *subprocess_specs.values()):
        for task_spec in process.task_specs.values():
            if getattr(task_spec, "bpmn_id", None):
                names[task_spec.bpmn_id] = (name_in(task_spec, lang) or task_spec.bpmn_name
                                            or task_spec.bpmn_id, task_spec.lane)
    source = _bpmn_file(version)
    nodes, flows = _parse(source)
    elements = tuple(_element(node, names.get(node[0])) for node in nodes)
    renamed = tuple(sorted((e.id, e.name) for e, (_id, _kind, name) in
                           zip(elements, nodes, strict=True) if name and e.name != name))
    return Diagram(_renamed(source, renamed) if renamed else source, elements, flows)


def _element(node: tuple[str, str, str], spec_name: tuple | None) -> Element:
    node_id, kind, name = node
    shown, lane = spec_name or (name, None)
    return Element(node_id, kind, shown or node_id, lane, role_for_lane(lane))


def _bpmn_file(version: ProcessVersion) -> str:
    """The version's BPMN text, read once per version (a stored version never changes)."""
    if version.content_hash not in _BPMN_FILES:
        files = [text for name, text in sorted(version.sources.items()) if name.endswith(".bpmn")]
        marker = f'id="{version.process_id}"'
        _BPMN_FILES[version.content_hash] = next((t for t in files if marker in t), files[0])
    return _BPMN_FILES[version.content_hash]


@lru_cache(maxsize=32)
def _parse(xml: str) -> tuple[tuple, dict]:
    root = etree.fromstring(xml.encode("utf-8"))
    nodes = []
    for node in root.iter(f"{{{BPMN_NS}}}*"):
        kind = etree.QName(node).localname
        if kind in _FLOW_NODES:
            nodes.append((node.get("id"), kind, node.get("name") or ""))
    flows: dict[tuple[str, str], tuple[str, ...]] = {}
    for flow in root.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        key = (flow.get("sourceRef"), flow.get("targetRef"))
        flows[key] = (*flows.get(key, ()), flow.get("id"))
    return tuple(nodes), flows


@lru_cache(maxsize=32)
def _renamed(xml: str, names: tuple[tuple[str, str], ...]) -> str:
    """The BPMN text with the given elements' names replaced (the reader's language)."""
    root = etree.fromstring(xml.encode("utf-8"))
    wanted = dict(names)
    for node in root.iter(f"{{{BPMN_NS}}}*"):
        if node.get("id") in wanted:
            node.set("name", wanted[node.get("id")])
    return etree.tostring(root, encoding="unicode")


class StateUnreadable(Conflict):
    """The stored state of an instance cannot be restored, so its map cannot be drawn."""

    def __init__(self, instance_id: int):
        super().__init__(f"Ärendets processtillstånd (instans {instance_id}) kan inte läsas; "
                         "kartan kan inte visas. Se incidenterna på adminsidan.")


def workflow_states(engine, instance) -> tuple[dict[str, ElementState], set[tuple[str, str]]]:
    """Return each reached element's state (by BPMN id) and the (source, target) pairs of the
    sequence flows the workflow took. Predicted tasks (future, maybe) are not reached; a
    waiting boundary event is an exit the case may take, not a step it is at."""
    spec, subprocess_specs = engine.specs_of(instance.process_version)
    try:
        workflow = load_state(instance.state, spec, subprocess_specs)
    except Exception as err:  # any fault of a stored state: say so, never a 500
        raise StateUnreadable(instance.id) from err
    states: dict[str, ElementState] = {}
    taken: set[tuple[str, str]] = set()
    for task in workflow.get_tasks():
        element_id = getattr(task.task_spec, "bpmn_id", None)
        state = _state_of(task)
        if element_id is None or state == NOT_REACHED:
            continue
        _merge(states.setdefault(element_id, ElementState()), state, task.last_state_change)
        source = _source_of(task)
        if source is not None and source != element_id:
            taken.add((source, element_id))
    return states, taken


def _state_of(task) -> str:
    if task.state == TaskState.COMPLETED:
        return COMPLETED
    if task.state & _ACTIVE:
        if task.state == TaskState.WAITING and isinstance(task.task_spec, BoundaryEvent):
            return NOT_REACHED
        return CURRENT
    if task.state == TaskState.CANCELLED and task.parent is not None \
            and task.parent.state == TaskState.COMPLETED \
            and not isinstance(task.task_spec, BoundaryEvent):
        return CANCELLED  # it was open when an interrupting event closed it
    return NOT_REACHED


def _merge(element: ElementState, state: str, changed: float) -> None:
    at = datetime.fromtimestamp(changed, UTC)
    if _RANK[state] > _RANK[element.state] or (
            state == element.state and (element.changed_at is None or at > element.changed_at)):
        element.state, element.changed_at = state, at
    if element.reached_at is None or at < element.reached_at:
        element.reached_at = at


def _source_of(task) -> str | None:
    """The BPMN element the task was reached from (boundary events have no incoming flow)."""
    if isinstance(task.task_spec, BoundaryEvent):
        return None
    parent = task.parent
    while parent is not None and getattr(parent.task_spec, "bpmn_id", None) is None:
        parent = parent.parent
    if parent is None or parent.state != TaskState.COMPLETED:
        return None
    return parent.task_spec.bpmn_id
