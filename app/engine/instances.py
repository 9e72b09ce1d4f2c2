"""Process instances: start, load under a lock, advance, save — one transaction per step."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.spiff.specs.event_definitions import (
    MessageEventDefinition,
    SignalEventDefinition,
)
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload, undefer
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from app.audit import record_event
from app.db import utcnow
from app.engine.deployment import Versions
from app.engine.models import HumanTask, ProcessInstance, ProcessVersion
from app.engine.scripting import ProcessScriptEngine
from app.engine.serializer import dump_state, json_native, load_state
from app.engine.specs import Catalogue, instructions_in, specs_of_version
from app.engine.tasks import (
    OpenTask,
    awaited_events,
    next_timer_at,
    open_tasks_of,
    sync_human_tasks,
    timer_marks,
)
from app.engine.workflows import (
    awaits,
    catching_event_name,
    current_data,
    domain_error,
    element_label,
    element_of,
    end_event_name,
    engine_steps,
    error_message,
)
from app.errors import Conflict, DomainError, InvalidInput, NotFound


@dataclass
class OperationContext:
    """What a service-task operation gets besides the task data."""

    session: Session
    instance: ProcessInstance
    actor_id: int | None
    now: datetime
    config: dict
    # The human tasks open in the workflow being advanced, as they stand at this moment of the
    # step (the human_tasks table shows them only once the step is saved).
    open_tasks: Callable[[], list[OpenTask]] | None = None


class StepFailed(Exception):
    """An automatic step (script, condition, service task, timer) failed."""

    def __init__(self, instance: ProcessInstance, element: str, message: str):
        super().__init__(message)
        self.instance_id = instance.id
        self.process_id = instance.process_id
        self.element = element
        self.message = message


# What can be sent to an instance from outside: event definition and audit label.
EVENT_KINDS = {"message": (MessageEventDefinition, "Meddelande"),
               "signal": (SignalEventDefinition, "Signal")}

# Called after every save, in the same transaction, with the titles of the open human tasks
# (the grant domain keeps its case row current).
SavedHook = Callable[[Session, ProcessInstance, list[str]], None]
# Supplies run-time form choices by source name (uischema "ui:optionsSource").
ChoicesProvider = Callable[[Session, set[str]], dict[str, list[tuple[str, str]]]]


class Engine:
    """Runs the catalogue's processes and persists their instances."""

    def __init__(self, catalogue: Catalogue, operations: dict, config: dict,
                 on_saved: SavedHook | None = None, choices: ChoicesProvider | None = None,
                 checks: tuple = ()):
        self.catalogue = catalogue
        self.operations = operations
        self.checks = checks  # the domain's catalogue checks (check_catalogue's `checks`)
        self.config = config
        self.on_saved = on_saved
        self.choices = choices
        self._specs: dict[str, tuple] = {}  # content hash → (spec, subprocess specs)
        self.versions = Versions(catalogue, config.get("CATALOGUE_RECHECK_SECONDS", 2))

    # -- versions -----------------------------------------------------------------------------

    def current_catalogue(self, session: Session) -> Catalogue:
        """Return the catalogue of current versions, as the database has them now."""
        return self.versions.catalogue(session)

    def specs_of(self, version: ProcessVersion) -> tuple:
        """Return a version's specs, built once per engine from its stored sources (never
        the catalogue's objects, so every engine behaves as a freshly started one)."""
        key = version.content_hash
        if key not in self._specs:
            self._specs[key] = specs_of_version(version.sources, version.process_id)
        return self._specs[key]

    # -- instances ----------------------------------------------------------------------------

    def start_instance(self, session: Session, process_id: str, *, actor_id: int | None,
                       organisation_id: int | None = None, data: dict | None = None
                       ) -> ProcessInstance:
        """Start an instance of the current version and run it to its first wait state."""
        version = self.versions.current_version(session, process_id)  # the newest deployed
        spec, subprocess_specs = self.specs_of(version)
        now = utcnow()
        instance = ProcessInstance(process_version_id=version.id, process_id=process_id,
                                   organisation_id=organisation_id, state="{}",
                                   created_at=now, updated_at=now)
        instance.process_version = version
        session.add(instance)
        session.flush()
        workflow = BpmnWorkflow(spec, subprocess_specs)
        workflow.script_engine = self._script_engine(session, instance, actor_id, now, workflow)
        if data:
            workflow.task_tree.data.update(data)
        record_event(session, "instance_started", f"{version.name} startad", actor_id=actor_id,
                     instance_id=instance.id, details={"version": version.content_hash[:12]})
        self._advance(instance, workflow)
        self._save(session, instance, workflow, now)
        return instance

    def lock_instance(self, session: Session, instance_id: int, *,
                      skip_locked: bool = False) -> ProcessInstance | None:
        """Load an instance row and hold its lock until the transaction ends, with its open
        human tasks read after the lock is held. With `skip_locked` a row another transaction
        holds is not waited for: None (PostgreSQL; SQLite's writers queue at BEGIN instead)."""
        instance = self._lock(session, ProcessInstance.id == instance_id, skip_locked)
        if instance is None:
            if skip_locked:
                return None
            raise NotFound("Ärendet finns inte.")
        self._read_tasks(session, instance)
        return instance

    def lock_task(self, session: Session, task_id: str) -> HumanTask:
        """Lock the instance of a human task until the transaction ends and return the task
        row, read after the lock together with the instance's open tasks (two statements)."""
        of_task = select(HumanTask.instance_id).where(HumanTask.id == task_id)
        instance = self._lock(session, ProcessInstance.id == of_task.scalar_subquery())
        row = instance and self._read_tasks(session, instance, task_id)
        if row is None:
            raise NotFound("Uppgiften finns inte.")
        return row

    @staticmethod
    def _lock(session: Session, condition, skip_locked: bool = False) -> ProcessInstance | None:
        query = (select(ProcessInstance).where(condition)
                 .options(undefer(ProcessInstance.state))
                 .with_for_update(of=ProcessInstance, skip_locked=skip_locked)
                 .execution_options(populate_existing=True))
        return session.scalars(query).first()

    @staticmethod
    def _read_tasks(session: Session, instance: ProcessInstance,
                    task_id: str | None = None) -> HumanTask | None:
        """Read the open task rows of a locked instance (and the row `task_id`, open or not)
        in a statement of their own: one joined to the lock would show PostgreSQL's snapshot
        from before the wait. Return the row `task_id`."""
        wanted = HumanTask.completed_at.is_(None)
        if task_id is not None:
            wanted = wanted | (HumanTask.id == task_id)
        rows = session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance.id, wanted)
            .options(lazyload(HumanTask.instance))
            .execution_options(populate_existing=True)).all()
        for row in rows:
            set_committed_value(row, "instance", instance)
        set_committed_value(instance, "open_tasks",
                            [row for row in rows if row.completed_at is None])
        return next((row for row in rows if row.id == task_id), None)

    def load_workflow(self, session: Session, instance: ProcessInstance,
                      actor_id: int | None = None, now: datetime | None = None) -> BpmnWorkflow:
        """Deserialize an instance's workflow with a fresh restricted script engine."""
        spec, subprocess_specs = self.specs_of(instance.process_version)
        workflow = load_state(instance.state, spec, subprocess_specs)
        workflow.script_engine = self._script_engine(session, instance, actor_id, now or utcnow(),
                                                     workflow)
        return workflow

    def complete_task(self, session: Session, task_id: str, data: dict, *,
                      actor_id: int | None) -> ProcessInstance:
        """Complete a human task with validated data and run the process to its next wait."""
        return self.complete_locked_task(session, self.lock_task(session, task_id), data,
                                         actor_id=actor_id)

    def complete_locked_task(self, session: Session, row: HumanTask, data: dict, *,
                             actor_id: int | None) -> ProcessInstance:
        """Complete a task row that `lock_task` returned in this transaction."""
        instance = row.instance
        if row.completed_at is not None:  # completed or closed by someone else meanwhile
            raise Conflict(_already_done(row))
        self.check_data(session, row, data)
        now = utcnow()
        workflow = self.load_workflow(session, instance, actor_id, now)
        task = workflow.get_task_from_id(_uuid(row.id))
        if task is None or task.state != TaskState.READY:
            raise Conflict("Uppgiften är inte längre aktuell. Ladda om sidan.")
        task.set_data(**data)
        self._run(instance, task)
        self._advance(instance, workflow)
        record_event(session, "task_completed", f"{row.title} slutförd", actor_id=actor_id,
                     instance_id=instance.id, task_id=row.id, details={"task": row.task_name})
        self._save(session, instance, workflow, now, completed=(row.id, actor_id))
        return instance

    def check_data(self, session: Session, row: HumanTask, data: dict) -> None:
        """Validate data against the task's form schema; raise InvalidInput with field errors."""
        form = self.task_form(session, row)
        if form is None:
            return
        errors = form.validate_data(data)
        if errors:
            raise InvalidInput("Uppgifterna innehåller fel.", errors)

    def save_draft(self, session: Session, task_id: str, data: dict, *,
                   actor_id: int) -> HumanTask:
        """Keep unvalidated form data on an open task."""
        row = session.get(HumanTask, task_id)
        if row is None or row.completed_at is not None:
            raise Conflict(_already_done(row) if row else "Uppgiften finns inte längre.")
        row.draft, row.draft_saved_by_id = data, actor_id
        record_event(session, "draft_saved", f"Utkast sparat: {row.title}", actor_id=actor_id,
                     instance_id=row.instance_id, task_id=task_id)
        return row

    def fire_timers(self, session: Session, instance_id: int, *, skip_locked: bool = False,
                    listed_at: datetime | None = None) -> bool:
        """Fire the due timers of one instance and run it to its next wait state; return
        whether a timer fired. When none was due (another worker fired it a moment ago, or the
        stored due time was early) nothing is written but a corrected due time. With
        `skip_locked`, an instance another transaction holds is left alone; with `listed_at`
        (the due time a timer pass listed), one whose due time has moved since is too."""
        instance = self.lock_instance(session, instance_id, skip_locked=skip_locked)
        if instance is None or instance.status != "running":
            return False
        if listed_at is not None and instance.next_timer_at != listed_at:
            return False  # advanced by another worker since it was listed
        now = utcnow()
        workflow = self.load_workflow(session, instance, None, now)
        armed = timer_marks(workflow)
        try:
            workflow.refresh_timers()
        except Exception as err:
            raise StepFailed(instance, "timer", str(err)) from err
        if timer_marks(workflow, armed) == armed:
            due_at = next_timer_at(workflow)
            if instance.next_timer_at != due_at:
                instance.next_timer_at = due_at
            return False
        self._advance(instance, workflow)
        record_event(session, "timer_fired", "Tidsfrist löpte ut", instance_id=instance.id)
        self._save(session, instance, workflow, now)
        return True

    def send_message(self, session: Session, instance_id: int, name: str, payload: dict, *,
                     actor_id: int | None) -> ProcessInstance:
        """Deliver a BPMN message (e.g. a withdrawal) to a running instance and advance it."""
        return self._deliver(session, instance_id, "message", name, payload, actor_id=actor_id)

    def send_signal(self, session: Session, instance_id: int, name: str,
                    payload: dict | None = None, *, actor_id: int | None) -> ProcessInstance:
        """Deliver a BPMN signal from outside (e.g. the board has met) and advance the instance."""
        return self._deliver(session, instance_id, "signal", name, payload, actor_id=actor_id)

    def _deliver(self, session: Session, instance_id: int, kind: str, name: str, payload, *,
                 actor_id: int | None) -> ProcessInstance:
        definition_class, label = EVENT_KINDS[kind]
        instance = self.lock_instance(session, instance_id)
        if instance.status != "running":
            raise Conflict("Ärendet är redan avslutat.")
        now = utcnow()
        workflow = self.load_workflow(session, instance, actor_id, now)
        event = BpmnEvent(definition_class(name), payload=payload)
        if not awaits(workflow, event):
            raise Conflict("Ärendet kan inte ta emot det här just nu.")
        summary = catching_event_name(workflow, name)
        try:
            workflow.send_event(event)
        except Exception as err:
            raise StepFailed(instance, f"{label.lower()} {name}", error_message(err)) from err
        self._advance(instance, workflow)
        record_event(session, kind, summary, actor_id=actor_id,
                     instance_id=instance.id, details={kind: name, "payload": payload})
        self._save(session, instance, workflow, now)
        return instance

    def cancel_instance(self, session: Session, instance_id: int, reason: str, *,
                        actor_id: int | None) -> ProcessInstance:
        """End a running instance where it stands: nothing more runs, its open human tasks
        close as cancelled and its timers stop."""
        instance = self.lock_instance(session, instance_id)
        if instance.status != "running":
            raise Conflict("Ärendet är redan avslutat.")
        now = utcnow()
        workflow = self.load_workflow(session, instance, actor_id, now)
        workflow.cancel()
        instance.status, instance.completed_at, instance.end_name = "cancelled", now, reason
        record_event(session, "instance_cancelled", f"Avbruten: {reason}", actor_id=actor_id,
                     instance_id=instance.id)
        self._save(session, instance, workflow, now)
        return instance

    def task_form(self, session: Session, row: HumanTask, lang: str | None = None):
        """Return the form a task shows: its catalogue form in `lang` (default Swedish), cut
        to the task's fields and with run-time choices filled in; None without a form."""
        forms = self.versions.forms_of(session, row.instance.process_version)
        form = forms.get(row.form_name or "")
        if form is None:
            return None
        form = form.in_language(lang)
        if row.field_names:
            form = form.subset(row.field_names)
        sources = form.options_sources()
        if sources and self.choices is not None:
            form = form.with_choices(self.choices(session, sources))
        return form

    def due_instance_ids(self, session: Session, now: datetime, limit: int = 100) -> list[int]:
        """Return running instances whose earliest timer is due (and no incident stops them)."""
        return [instance_id for instance_id, _at in self.due_timers(session, now, limit)]

    def due_timers(self, session: Session, now: datetime,
                   limit: int = 100) -> list[tuple[int, datetime]]:
        """Return (instance id, due time) of the running instances whose earliest timer is
        due (and no incident stops them), the longest overdue first."""
        query = (select(ProcessInstance.id, ProcessInstance.next_timer_at)
                 .where(ProcessInstance.next_timer_at <= now,
                        ProcessInstance.status == "running",
                        ProcessInstance.has_incident.is_(False))
                 .order_by(ProcessInstance.next_timer_at).limit(limit))
        return [(row.id, row.next_timer_at) for row in session.execute(query)]

    def instructions_for(self, row: HumanTask, lang: str | None = None) -> str | None:
        """Return the instructionsForEndUser of a human task's spec (in `lang` when the
        process has them in that language)."""
        spec, subprocess_specs = self.specs_of(row.instance.process_version)
        for workflow_spec in (spec, *subprocess_specs.values()):
            task_spec = workflow_spec.task_specs.get(row.task_name)
            if task_spec is not None:
                return instructions_in(task_spec, lang)
        return None

    def save_moved(self, session: Session, instance, workflow, now: datetime) -> None:
        """Run a case moved to another version (engine/migration.py) on, and save it."""
        self._advance(instance, workflow)
        self._save(session, instance, workflow, now)

    # -- internals ----------------------------------------------------------------------------

    def _script_engine(self, session, instance, actor_id, now, workflow) -> ProcessScriptEngine:
        context = OperationContext(session, instance, actor_id, now, self.config,
                                   open_tasks=lambda: open_tasks_of(workflow, instance))
        return ProcessScriptEngine(self.operations, context)

    def _run(self, instance: ProcessInstance, task) -> None:
        try:
            task.run()
        except DomainError:
            raise
        except Exception as err:
            raise StepFailed(instance, element_label(task), error_message(err)) from err

    def _advance(self, instance: ProcessInstance, workflow: BpmnWorkflow) -> None:
        try:
            while engine_steps(workflow):
                pass
        except Exception as err:
            behind = domain_error(err)
            if behind is not None:
                raise behind from err
            raise StepFailed(instance, element_of(err), error_message(err)) from err

    def _save(self, session: Session, instance: ProcessInstance, workflow: BpmnWorkflow,
              now: datetime, completed: tuple[str, int | None] | None = None) -> None:
        instance.state = dump_state(workflow)
        instance.data = json_native(current_data(workflow))
        instance.next_timer_at = next_timer_at(workflow)
        instance.awaits = awaited_events(workflow)
        instance.updated_at = now
        if workflow.completed and instance.status == "running":
            instance.status, instance.completed_at = "completed", now
            instance.end_name = end_event_name(workflow)
            record_event(session, "instance_completed", f"Avslutad: {instance.end_name}",
                         instance_id=instance.id)
        try:
            open_titles = sync_human_tasks(session, instance, workflow, now, completed)
        except DomainError:
            raise
        except Exception as err:  # e.g. an `assignee` expression naming missing data
            raise StepFailed(instance, "uppgiftsegenskaper", error_message(err)) from err
        if self.on_saved:
            self.on_saved(session, instance, open_titles)
        try:  # one flush for the whole step
            session.flush()
        except StaleDataError as err:
            raise Conflict("Ärendet ändrades av någon annan samtidigt. Försök igen.") from err


def _already_done(row: HumanTask) -> str:
    if row.outcome == "completed" and row.completed_by is not None:
        when = row.completed_at.strftime("%Y-%m-%d %H:%M")
        return f"Uppgiften är redan slutförd av {row.completed_by.display_name} ({when} UTC)."
    return "Uppgiften är inte längre aktuell."


def _uuid(task_id: str) -> UUID:
    try:
        return UUID(task_id)
    except ValueError as err:
        raise NotFound("Uppgiften finns inte.") from err
