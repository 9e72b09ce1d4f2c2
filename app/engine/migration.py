"""Moving running cases to another version of their process, where SpiffWorkflow's workflow
migration allows it: every task the case has run or has open must exist in the target."""

from dataclasses import dataclass, field
from uuid import UUID

from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.roles import role_for_lane
from app.audit import record_event
from app.db import utcnow
from app.engine.models import ProcessInstance, ProcessVersion
from app.engine.serializer import dump_state, load_state, spec_registry
from app.engine.specs import form_name_of
from app.errors import InvalidInput, NotFound

# Tasks that have run or wait to run; the target must have their specs. Predicted tasks are
# predicted anew from the target.
LIVE = TaskState.FINISHED_MASK | TaskState.READY | TaskState.WAITING | TaskState.STARTED


@dataclass
class MoveResult:
    """Which cases moved and, for the others, why not."""

    moved: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)


def move_instances(session: Session, engine, from_version_id: int, to_version_id: int, *,
                   actor_id: int | None, instance_ids: list[int] | None = None) -> MoveResult:
    """Move the running cases of one version (or the given ones) to another version of the
    same process; a case the migration cannot carry stays where it is, with the reason."""
    source, target = _versions(session, from_version_id, to_version_id)
    query = select(ProcessInstance.id).where(ProcessInstance.process_version_id == source.id,
                                             ProcessInstance.status == "running")
    if instance_ids is not None:
        query = query.where(ProcessInstance.id.in_(instance_ids))
    result = MoveResult()
    for instance_id in session.scalars(query.order_by(ProcessInstance.id)).all():
        reason = move_instance(session, engine, instance_id, target, actor_id=actor_id)
        if reason is None:
            result.moved.append(instance_id)
        else:
            result.refused[instance_id] = reason
    return result


def move_instance(session: Session, engine, instance_id: int, target: ProcessVersion, *,
                  actor_id: int | None) -> str | None:
    """Move one running case to `target`; return why it cannot move, or None once moved."""
    instance = engine.lock_instance(session, instance_id)
    source = instance.process_version
    if instance.status != "running" or source.id == target.id:
        return "Ärendet är avslutat." if instance.status != "running" else "Redan på versionen."
    now = utcnow()
    workflow = engine.load_workflow(session, instance, actor_id, now)
    spec, subprocess_specs = engine.specs_of(target)
    top, sub_diffs = diff_workflow(spec_registry(), workflow, spec, subprocess_specs)
    reason = _refusal(top, sub_diffs, workflow, target)
    if reason:
        return reason
    # Ready tasks are reset so their next steps are predicted from the target; they keep
    # their data (a reset would give them their parent's: a review would lose its reviewer).
    ready = {task.id: task.data for task in workflow.get_tasks(state=TaskState.READY)}
    migrate_workflow(top, workflow, spec, reset_mask=TaskState.READY)
    for sub_id, sub in workflow.subprocesses.items():
        migrate_workflow(sub_diffs[sub_id], sub, subprocess_specs[sub.spec.name],
                         reset_mask=TaskState.READY)
    for task_id, data in ready.items():
        if (task := workflow.get_task_from_id(task_id)) is not None:
            task.data = data
    workflow.subprocess_specs = subprocess_specs
    _refresh_open_rows(instance, workflow)
    try:  # what a fresh worker will do with the saved state
        load_state(dump_state(workflow), spec, subprocess_specs)
    except Exception as err:  # SpiffWorkflow raises KeyError, TypeError, …
        return f"Ärendets tillstånd kan inte läsas i målversionen: {err!r}"
    instance.process_version_id, instance.process_version = target.id, target
    record_event(session, "instance_migrated",
                 f"Flyttad från version {source.id} till version {target.id}",
                 actor_id=actor_id, instance_id=instance.id,
                 details={"from": source.content_hash[:12], "to": target.content_hash[:12]})
    engine.save_moved(session, instance, workflow, now)
    return None


def _refresh_open_rows(instance: ProcessInstance, workflow) -> None:
    """Give the open human-task rows the names, lanes and forms of their tasks' new specs."""
    for row in instance.open_tasks:
        task = workflow.get_task_from_id(UUID(row.id))
        if task is None:
            continue
        spec = task.task_spec
        values = {"task_name": spec.bpmn_id, "title": spec.bpmn_name or spec.bpmn_id,
                  "lane": spec.lane, "role": role_for_lane(spec.lane),
                  "form_name": form_name_of(spec)}
        for name, value in values.items():
            if getattr(row, name) != value:
                setattr(row, name, value)


def _refusal(top, sub_diffs, workflow, target: ProcessVersion) -> str | None:
    missing = [task for task in top.removed if task.state & LIVE]
    for sub_id, sub_diff in sub_diffs.items():
        if sub_diff is None:
            name = workflow.subprocesses[sub_id].spec.name
            return f"Delprocessen '{name}' finns inte i version {target.id}."
        missing += [task for task in sub_diff.removed if task.state & LIVE]
    if not missing:
        return None
    open_ = [t for t in missing if t.state & (TaskState.READY | TaskState.WAITING)]
    task = (open_ or missing)[0]
    label = task.task_spec.bpmn_name or task.task_spec.name
    where = "är öppen i ärendet" if open_ else "har redan körts i ärendet"
    return f"Steget '{label}' ({task.task_spec.name}) {where} men finns inte i version {target.id}."


def _versions(session: Session, from_id: int, to_id: int) -> tuple:
    source, target = session.get(ProcessVersion, from_id), session.get(ProcessVersion, to_id)
    if source is None or target is None:
        raise NotFound("Processversionen finns inte.")
    if source.process_id != target.process_id:
        raise InvalidInput("Ärenden kan bara flyttas mellan versioner av samma process.",
                           {"till": [f"Version {target.id} är en annan process "
                                     f"({target.process_id})."]})
    if source.id == target.id:
        raise InvalidInput("Välj en annan version att flytta till.",
                           {"till": ["Samma version som ärendena redan har."]})
    return source, target
