"""The process map of a case: every element of its own process version with its state
(completed, current, cancelled, not reached), who did each step, when, how long it took and
its due date, and the sequence flows taken. The case page draws it and lists it in order."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, undefer

from app.accounts.models import User
from app.engine.models import HumanTask, ProcessInstance
from app.engine.process_map import (
    CURRENT,
    GATEWAYS,
    NOT_REACHED,
    Element,
    ElementState,
    diagram_of,
    workflow_states,
)
from app.grants import permissions
from app.grants.models import Application


@dataclass(frozen=True)
class Run:
    """One time a person's task of the step was open: who did it (None when the reader may
    not know), from when to when, and its due date."""

    started_at: datetime
    completed_at: datetime | None
    due_at: datetime | None
    done_by: str | None
    outcome: str | None  # "completed", "cancelled", or None while open

    @property
    def duration(self) -> timedelta | None:
        return self.completed_at - self.started_at if self.completed_at else None


@dataclass
class Step:
    """One element of the diagram and what the case did there."""

    element: Element
    state: str = NOT_REACHED
    reached_at: datetime | None = None
    changed_at: datetime | None = None
    runs: list[Run] = field(default_factory=list)

    @property
    def due_at(self) -> datetime | None:
        """The earliest due date of the step's open tasks (its SLA clock runs to it)."""
        open_dues = [r.due_at for r in self.runs if r.completed_at is None and r.due_at]
        return min(open_dues) if self.state == CURRENT and open_dues else None

    @property
    def started_at(self) -> datetime | None:
        """When the step's first task opened (a person's step), else when it was reached."""
        return min(r.started_at for r in self.runs) if self.runs else self.reached_at

    @property
    def completed_at(self) -> datetime | None:
        if self.state in (CURRENT, NOT_REACHED):
            return None
        done = [r.completed_at for r in self.runs if r.completed_at]
        return max(done) if done else self.changed_at

    @property
    def duration(self) -> timedelta | None:
        """How long a person's step took, from its first task opening to its last one done
        (automatic steps take no time worth telling)."""
        if not self.runs or self.completed_at is None:
            return None
        return max(self.completed_at - self.started_at, timedelta(0))


@dataclass
class CaseMap:
    """The case's steps in document order and the ids of the sequence flows taken."""

    version_id: int
    steps: list[Step]
    flows_taken: list[str]
    now: datetime

    def listed(self) -> list[Step]:
        """The steps a person reads, in order: those reached (by when), then the rest in the
        diagram's order. Gateways (decisions, not steps) are left out."""
        shown = [s for s in self.steps if s.element.kind not in GATEWAYS]
        reached = sorted((s for s in shown if s.reached_at is not None),
                         key=lambda s: s.reached_at)
        return reached + [s for s in shown if s.reached_at is None]

    def seconds_left(self, step: Step) -> int | None:
        """Seconds until the step's due date (negative: overdue), or None without one."""
        return None if step.due_at is None else int((step.due_at - self.now).total_seconds())


def case_map(session: Session, engine, user: User, application: Application, now: datetime,
             lang: str) -> CaseMap:
    """Return the process map of a case the user may see (`application` from the access
    check), with who did each step only where the policy lets the user know."""
    instance = session.scalars(
        select(ProcessInstance).where(ProcessInstance.id == application.process_instance_id)
        .options(undefer(ProcessInstance.state))).one()
    diagram = diagram_of(engine, instance.process_version, lang)
    states, taken = workflow_states(engine, instance)
    steps = {e.id: _step(e, states.get(e.id)) for e in diagram.elements}
    tasks = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)
                            .order_by(HumanTask.created_at, HumanTask.id)
                            .options(selectinload(HumanTask.completed_by))).all()
    for task in tasks:
        if task.task_name in steps:
            steps[task.task_name].runs.append(_run(user, application, task))
    flows = sorted(flow for pair in taken for flow in diagram.flows.get(pair, ()))
    return CaseMap(instance.process_version_id, list(steps.values()), flows, now)


def _step(element: Element, state: ElementState | None) -> Step:
    if state is None:
        return Step(element)
    return Step(element, state.state, state.reached_at, state.changed_at)


def _run(user: User, application: Application, task: HumanTask) -> Run:
    who = None
    if task.completed_by is not None and permissions.can_see_who_did(user, application, task):
        who = task.completed_by.display_name
    return Run(task.created_at, task.completed_at, task.due_at, who, task.outcome)
