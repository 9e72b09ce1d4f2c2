"""The conformance harness: one BPMN construct per file in tests/fixtures/conformance/, driven
step by step through our engine and through bare SpiffWorkflow in memory, compared after every
step.

Our side saves after every step and reloads with a brand-new Engine (no cached spec); the bare
side is SpiffBpmnParser + BpmnWorkflow with SpiffWorkflow's own script engine and nothing saved.
A difference is a bug in our engine (or a construct the catalogue must refuse).
"""

import json
import re
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.specs.event_definitions import (
    ErrorEventDefinition,
    MessageEventDefinition,
    SignalEventDefinition,
)
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from app.engine.instances import Engine
from app.engine.models import HumanTask, ProcessInstance
from app.engine.serializer import json_native
from app.engine.specs import Catalogue, load_catalogue
from app.engine.timers import run_due_timers
from app.engine.workflows import current_data
from app.errors import BpmnError
from tests.conftest import FIXTURES

CONFORMANCE = FIXTURES / "conformance"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"


# -- steps --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Complete:
    """Complete the READY human task with this bpmn id (the one whose data has `where`)."""

    task: str
    data: dict = field(default_factory=dict)
    where: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Wait:
    """Let time pass, then fire what is due."""

    days: float = 0
    hours: float = 0
    seconds: float = 0

    def delta(self) -> timedelta:
        return timedelta(days=self.days, hours=self.hours, seconds=self.seconds)


@dataclass(frozen=True)
class Message:
    name: str
    payload: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Signal:
    name: str
    payload: dict | None = None


@dataclass
class Scenario:
    process_id: str
    steps: list
    data: dict = field(default_factory=dict)
    operations: dict[str, Callable] = field(default_factory=dict)


# -- the clock SpiffWorkflow's timers read ------------------------------------------------------

class _ShiftedDatetime(datetime):
    offset = timedelta(0)

    @classmethod
    def now(cls, tz=None):
        return datetime.now(tz) + cls.offset


@contextmanager
def shifted_clock():
    """Let tests move SpiffWorkflow's timer clock forward (both runs read the same clock)."""
    original = spiff_timer.datetime
    _ShiftedDatetime.offset = timedelta(0)
    spiff_timer.datetime = _ShiftedDatetime
    try:
        yield _ShiftedDatetime
    finally:
        spiff_timer.datetime = original


# -- our engine ---------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def conformance_catalogue() -> Catalogue:
    return load_catalogue(CONFORMANCE, CONFORMANCE / "forms")


class EngineRun:
    """A scenario on our engine: every step in its own transaction, on a new Engine."""

    def __init__(self, sessions, scenario: Scenario):
        self.sessions, self.scenario = sessions, scenario
        with sessions() as session:
            instance = self.engine().start_instance(session, scenario.process_id, actor_id=None,
                                                    data=dict(scenario.data))
            session.commit()
            self.instance_id = instance.id

    def engine(self) -> Engine:
        return Engine(conformance_catalogue(), self.scenario.operations, {})

    def apply(self, step) -> None:
        if isinstance(step, Wait):
            run_due_timers(self.sessions, self.engine(), now=_ShiftedDatetime.now(UTC))
            return
        with self.sessions() as session:
            if isinstance(step, Complete):
                task_id = self._task_id(session, step)
                self.engine().complete_task(session, task_id, step.data, actor_id=None)
            elif isinstance(step, Message):
                self.engine().send_message(session, self.instance_id, step.name, step.payload,
                                           actor_id=None)
            elif isinstance(step, Signal):
                self.engine().send_signal(session, self.instance_id, step.name, step.payload,
                                          actor_id=None)
            session.commit()

    def _task_id(self, session, step: Complete) -> str:
        rows = session.scalars(select(HumanTask).where(
            HumanTask.instance_id == self.instance_id, HumanTask.completed_at.is_(None),
            HumanTask.task_name == step.task)).all()
        workflow = self.workflow(session)
        matching = [r.id for r in rows
                    if _matches(workflow.get_task_from_id(UUID(r.id)).data, step.where)]
        assert matching, f"no open task {step.task} with {step.where}"
        return matching[0]

    def workflow(self, session) -> BpmnWorkflow:
        return self.engine().load_workflow(session, self.instance(session))

    def instance(self, session) -> ProcessInstance:
        return session.get(ProcessInstance, self.instance_id)

    def snapshot(self) -> dict:
        with self.sessions() as session:
            open_tasks = session.scalars(select(HumanTask.task_name).where(
                HumanTask.instance_id == self.instance_id, HumanTask.completed_at.is_(None)))
            result = snapshot(self.workflow(session))
            assert sorted(open_tasks) == result["ready"], "human_tasks projection"
            instance = self.instance(session)
            assert instance.status == ("completed" if result["completed"] else "running")
            assert instance.data == result["data"], "instance.data"
            return result


# -- bare SpiffWorkflow -------------------------------------------------------------------------

class _ErrorThrown(Exception):
    """Stops a service task whose operation raised a BPMN error that was thrown at it."""


class BareScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's own script engine, with service tasks calling the scenario's operations.
    An operation's BpmnError is thrown at its task the way an error end event throws one."""

    def __init__(self, operations: dict):
        super().__init__()
        self.operations = operations

    def call_service(self, task, operation_name=None, operation_params=None, **_kwargs):
        params = {name: spec["value"] for name, spec in (operation_params or {}).items()}
        try:
            return json.dumps(self.operations[operation_name](None, task.data, **params) or {})
        except BpmnError as err:
            definition = ErrorEventDefinition(err.code, code=err.code)
            task.workflow.top_workflow.catch(BpmnEvent(definition, payload=err.details,
                                                       target=task.workflow))
            raise _ErrorThrown() from err


class BareRun:
    """The same scenario in memory, never saved."""

    def __init__(self, scenario: Scenario):
        parser = SpiffBpmnParser(validator=VALIDATOR)
        for path in sorted(CONFORMANCE.glob("*.bpmn")):
            parser.add_bpmn_xml(spiff_timer_bodies(path.read_text(encoding="utf-8")),
                                filename=path.name)
        for path in sorted(CONFORMANCE.glob("*.dmn")):
            parser.add_dmn_file(str(path))
        self.workflow = BpmnWorkflow(parser.get_spec(scenario.process_id),
                                     parser.get_subprocess_specs(scenario.process_id),
                                     script_engine=BareScriptEngine(scenario.operations))
        self.workflow.task_tree.data.update(scenario.data)
        self.advance()

    def advance(self) -> None:
        while True:
            try:
                self.workflow.do_engine_steps()
                return
            except _ErrorThrown:
                continue

    def apply(self, step) -> None:
        if isinstance(step, Wait):
            self.workflow.refresh_timers()
        elif isinstance(step, Complete):
            task = next(t for t in self.workflow.get_tasks(state=TaskState.READY, manual=True)
                        if t.task_spec.bpmn_id == step.task and _matches(t.data, step.where))
            task.set_data(**step.data)
            task.run()
        elif isinstance(step, Message):
            self.workflow.send_event(BpmnEvent(MessageEventDefinition(step.name),
                                               payload=step.payload))
        elif isinstance(step, Signal):
            self.workflow.send_event(BpmnEvent(SignalEventDefinition(step.name),
                                               payload=step.payload))
        self.advance()

    def snapshot(self) -> dict:
        return snapshot(self.workflow)


def spiff_timer_bodies(text: str):
    """Quote bare ISO 8601 timer bodies (PT2S, R3/PT1H, a date-time): SpiffWorkflow itself
    evaluates timer bodies as Python, so this is the same timer as it must be written for it."""
    root = etree.fromstring(text.encode())
    for tag in ("timeDuration", "timeDate", "timeCycle"):
        for node in root.iter(f"{{{BPMN}}}{tag}"):
            body = (node.text or "").strip()
            if re.match(r"(P|R\d*/|\d{4}-)", body):
                node.text = json.dumps(body)
    return root


# -- comparing ----------------------------------------------------------------------------------

def snapshot(workflow: BpmnWorkflow) -> dict:
    """What must be equal on both sides: tasks done and ready, waiting events, data."""
    def ids(tasks):
        return sorted(t.task_spec.bpmn_id for t in tasks if t.task_spec.bpmn_id)

    return {
        "completed_tasks": ids(workflow.get_tasks(state=TaskState.COMPLETED)),
        "ready": ids(workflow.get_tasks(state=TaskState.READY, manual=True)),
        "waiting_for": sorted(e.name for e in workflow.waiting_events()),
        "completed": workflow.completed,
        "data": json_native(current_data(workflow)),
    }


def run_scenario(sessions, scenario: Scenario) -> dict:
    """Run a scenario on both sides, compare after the start and after every step; return the
    final snapshot."""
    with shifted_clock() as clock:
        ours, bare = EngineRun(sessions, scenario), BareRun(scenario)
        assert ours.snapshot() == bare.snapshot(), "after the start"
        for number, step in enumerate(scenario.steps, 1):
            if isinstance(step, Wait):
                clock.offset += step.delta()
            bare.apply(step)
            ours.apply(step)
            assert ours.snapshot() == bare.snapshot(), f"after step {number}: {step}"
    return ours.snapshot()


def _matches(data: dict, where: dict) -> bool:
    return all(data.get(key) == value for key, value in where.items())
