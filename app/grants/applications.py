"""Applications (ärenden): start, complete their tasks, keep the case row in step with the
process, and the queries pages need."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.attachments.operations import remove_attachments, remove_case_attachments
from app.audit import record_event
from app.effects.facts import fact_fields_of, record_case_facts
from app.engine.instances import Engine
from app.engine.models import HumanTask, ProcessInstance
from app.errors import Conflict, InvalidInput, NotAllowed, NotFound
from app.formatting import short_date
from app.forms.inputs import attachment_items
from app.grants import permissions
from app.grants.declarations import ProcessDeclarations, declarations_of_instance
from app.grants.models import Application, JavDeclaration, Round
from app.grants.reviews import REVIEWS_VARIABLE, review_form_of, update_review_score
from app.grants.rules import amount, check_task_data, task_data_problems
from app.storage import FileStorage, storage_from_config

# The status (and end) of a draft its organisation deleted before submitting it.
DELETED_DRAFT = "Utkastet borttaget"


def start_application(session: Session, engine: Engine, user: User, round_id: int,
                      today: date, organisation_id: int | None = None) -> Application:
    """Open a new draft application in a round, for the organisation chosen among those the
    user acts for (none chosen: their only active one)."""
    if not permissions.can_start_application(user):
        raise NotAllowed("Bara sökande på en organisation kan skapa ansökningar.")
    fund_round = session.get(Round, round_id)
    if fund_round is None:
        raise NotFound("Ansökningsomgången finns inte.")
    if not fund_round.is_open(today):
        raise InvalidInput("Ansökningsomgången är inte öppen.")
    organisation_id = applying_organisation(user, organisation_id)
    instance = engine.start_instance(session, fund_round.fund.process_id, actor_id=user.id,
                                     organisation_id=organisation_id)
    application = Application(round_id=fund_round.id, organisation_id=organisation_id,
                              process_instance_id=instance.id, created_by_id=user.id)
    session.add(application)
    session.flush()
    sync_application(session, instance)
    record_event(session, "application_created", "Ansökan skapad", actor_id=user.id,
                 instance_id=instance.id)
    return application


def applying_organisation(user: User, organisation_id: int | None) -> int:
    """The organisation a new application is for: one of the user's active organisations;
    raise InvalidInput on the field organisation_id otherwise."""
    choices = [o.id for o in user.organisations if o.active]
    if organisation_id is None and len(choices) == 1:
        return choices[0]
    if organisation_id is None:
        problem = "Välj vilken organisation ansökan gäller."
    elif organisation_id in choices:
        return organisation_id
    else:
        problem = "Välj en av de organisationer du söker för."
    if not choices:
        problem = "Ingen av dina organisationer är aktiv; kontakta administratören."
    raise InvalidInput(problem, {"organisation_id": [problem]})


def complete_task(session: Session, engine: Engine, user: User, task_id: str, data: dict,
                  today: date) -> Application | None:
    """Complete a task the user may do; check the application's own rules first. The case
    is locked first, so every check reads the task as it is now."""
    task = engine.lock_task(session, task_id)
    if not permissions.can_view_task(user, task):
        raise NotFound("Uppgiften finns inte.")
    application, jav = _case_and_jav(session, user, task.instance_id)
    problem = permissions.four_eyes_problem(session, user, task, application, jav)
    if problem:
        raise NotAllowed(problem)
    decl = declarations_of_instance(session, task.instance)
    if application is not None:
        check_task_data(decl, application, task.task_name, task.instance.data, data, today)
    dropped = _dropped_files(task.instance.data or {}, data)
    engine.complete_locked_task(session, task, data, actor_id=user.id)
    for field, ids in dropped.items():  # "Ta bort" on a file an earlier form handed in
        remove_attachments(session, storage_from_config(engine.config),
                           instance_id=task.instance_id, field=field, ids=ids, kept=(),
                           user_id=user.id)
    if application is not None and decl.step_of(task.task_name) == "review":
        _record_reviewer_jav(session, decl, application, user, task, data)
    return application


def _dropped_files(case_data: dict, data: dict) -> dict[str, list[int]]:
    """The files of the case's attachment fields that the submitted data no longer lists
    (by field); only rows of that field of the case are ever removed."""
    dropped = {}
    for field, value in data.items():
        before = {item["id"] for item in attachment_items(case_data.get(field))}
        after = {item["id"] for item in attachment_items(value)}
        if before - after and isinstance(value, list):
            dropped[field] = sorted(before - after)
    return dropped


def task_problems(session: Session, user: User, task_id: str, data: dict,
                  today: date) -> dict[str, list[str]]:
    """Return every rule of the case the task's data breaks (field path → messages), so that
    a form reports them together with its own field errors."""
    task = visible_task(session, user, task_id)
    application = application_of_instance(session, task.instance_id)
    if application is None:
        return {}
    return task_data_problems(declarations_of_instance(session, task.instance), application,
                              task.task_name, task.instance.data, data, today)


def declare_jav(session: Session, user: User, task_id: str, reason: str) -> Application:
    """Record that the user is jävig in the task's case; they are barred from it from now on."""
    task = visible_task(session, user, task_id)
    application = application_of_instance(session, task.instance_id)
    if application is None or task.completed_at is not None:
        raise NotFound("Uppgiften finns inte längre.")
    if not reason.strip():
        raise InvalidInput("Ange skälet till jäv.", {"skal": ["Ange skälet till jäv."]})
    session.add(JavDeclaration(application_id=application.id, user_id=user.id,
                               task_name=task.task_name, reason=reason.strip()[:2000]))
    record_event(session, "jav_declared", f"{user.display_name} anmälde jäv ({task.title})",
                 actor_id=user.id, instance_id=task.instance_id, details={"skal": reason})
    return application


def _record_reviewer_jav(session, decl, application, user, task, data) -> None:
    if decl.outcome("review_conflict", data) == "conflict":
        session.add(JavDeclaration(application_id=application.id, user_id=user.id,
                                   task_name=task.task_name,
                                   reason=decl.value("review_conflict_reason", data) or ""))
        record_event(session, "jav_declared", f"{user.display_name} anmälde jäv (bedömning)",
                     actor_id=user.id, instance_id=application.process_instance_id)



def withdraw_application(session: Session, engine: Engine, user: User, application_id: int,
                         reason: str) -> Application:
    """Withdraw a submitted application before its decision; every open task closes."""
    application = get_application(session, user, application_id)
    if not permissions.is_own(user, application):
        raise NotAllowed("Bara den sökande organisationen kan återkalla ansökan.")
    problem = permissions.withdrawal_problem(application)
    if problem:
        raise Conflict(problem)
    message = declarations_of_instance(session, application.instance).message("withdrawal")
    engine.send_message(session, application.process_instance_id, message,
                        {"orsak": reason.strip()[:2000], "av": user.username},
                        actor_id=user.id)
    return application


def delete_draft(session: Session, engine: Engine, user: User, application_id: int,
                 storage: FileStorage) -> Application:
    """Delete a draft the user's organisation has not submitted: its process ends, its open
    tasks close, its files are deleted, and the case no longer appears anywhere."""
    application = get_application(session, user, application_id)
    if not permissions.can_delete_draft(user, application):
        raise NotFound("Ansökan finns inte.")
    instance_id = application.process_instance_id
    remove_case_attachments(session, storage, instance_id=instance_id, user_id=user.id)
    engine.cancel_instance(session, instance_id, DELETED_DRAFT, actor_id=user.id)
    record_event(session, "draft_deleted", f"Utkastet togs bort av {user.display_name}",
                 actor_id=user.id, instance_id=instance_id)
    return application


def save_draft(session: Session, engine: Engine, user: User, task_id: str, data: dict) -> None:
    """Keep a draft of a task's form for the user's colleagues and later visits."""
    task = visible_task(session, user, task_id)
    engine.save_draft(session, task_id, data, actor_id=user.id)
    application = application_of_instance(session, task.instance_id)
    if application is not None and application.submitted_at is None:
        copy_summary(declarations_of_instance(session, task.instance), application, data)


def visible_task(session: Session, user: User, task_id: str) -> HumanTask:
    """Return an open or closed task the user may see, or raise NotFound."""
    task = session.get(HumanTask, task_id)
    if task is None or not permissions.can_view_task(user, task):
        raise NotFound("Uppgiften finns inte.")
    return task


def sync_application(session: Session, instance: ProcessInstance,
                     open_titles: list[str] | None = None, forms_of=None) -> None:
    """Keep the case row in step with its process (called after every engine save, with the
    titles of the open tasks). `forms_of(session, process_version)` gives the version's forms,
    for the case's review score."""
    application = application_of_instance(session, instance.id)
    if application is None:
        return
    if instance.status == "running" and instance.data:
        copy_summary(declarations_of_instance(session, instance), application, instance.data)
        record_case_facts(session, application, instance.data,
                          fact_fields_of(session, instance))
    if forms_of is not None and instance.data and instance.data.get(REVIEWS_VARIABLE):
        review_form = review_form_of(forms_of(session, instance.process_version))
        update_review_score(application, review_form and review_form.schema, instance.data)
    if instance.status in ("completed", "cancelled"):
        application.status = instance.end_name or "Avslutad"
        application.closed_at = instance.completed_at
    elif application.submitted_at is None:
        application.status = "Utkast"
    else:
        titles = open_titles if open_titles is not None else session.scalars(
            select(HumanTask.title).where(HumanTask.instance_id == instance.id,
                                          HumanTask.completed_at.is_(None))
        ).all()
        application.status = " / ".join(sorted(set(titles))) or _waiting_status(
            application, instance)


def _waiting_status(application: Application, instance: ProcessInstance) -> str:
    """A running case with no open task waits for a timer (e.g. the follow-up date)."""
    prefix = "Beslutad" if application.decided_at else "Pågår"
    if instance.next_timer_at is None:
        # After a grant the only wait without a timer is for finance's first payout.
        granted = application.decided_at and (application.granted_amount or 0) > 0
        return "Beviljad, väntar på utbetalning" if granted else prefix
    return f"{prefix}, väntar till {short_date(instance.next_timer_at)}"


def copy_summary(decl: ProcessDeclarations, application: Application, data: dict) -> None:
    """Copy the declared title, summary and requested amount onto the case row."""
    application.title = str(decl.value("title", data) or "")[:200]
    application.public_description = str(decl.value("summary", data) or "")
    application.requested_amount = amount(decl.value("requested_amount", data))


def application_of_step(ctx) -> Application:
    """The case a service task (OperationContext) runs for."""
    application = application_of_instance(ctx.session, ctx.instance.id)
    if application is None:
        raise LookupError("processinstansen hör inte till någon ansökan")
    return application


def application_of_instance(session: Session, instance_id: int) -> Application | None:
    """Return the case of a process instance (remembered for the session: a completion asks
    several times)."""
    cache = session.info.setdefault("application_by_instance", {})
    application = cache.get(instance_id)
    if application is not None and application in session:
        return application
    application = session.scalars(
        select(Application).where(Application.process_instance_id == instance_id)
    ).first()
    if application is not None:
        cache[instance_id] = application
    return application


def _case_and_jav(session: Session, user: User, instance_id: int
                  ) -> tuple[Application | None, bool]:
    """Return the case of a process instance and whether the user declared jäv in it (one
    statement)."""
    found = session.execute(select(Application, permissions.declared_jav(user))
                            .where(Application.process_instance_id == instance_id)).first()
    if found is None:
        return None, False
    session.info.setdefault("application_by_instance", {})[instance_id] = found[0]
    return found[0], found[1]


def case_label(session: Session, instance_id: int) -> str | None:
    """Name the case of a process instance in engine messages: its diarienummer."""
    application = application_of_instance(session, instance_id)
    if application is None:
        return None
    return application.diarienummer or f"ansökan {application.id} (ej registrerad)"


def applications_by_instance(session: Session, instance_ids: set[int],
                             visible_to: User | None = None) -> dict:
    """Return the cases of several process instances in one query, by instance id (only those
    `visible_to` may see, when given)."""
    if not instance_ids:
        return {}
    query = select(Application).where(Application.process_instance_id.in_(instance_ids))
    if visible_to is not None:
        query = query.where(permissions.visible_applications(visible_to))
    return {a.process_instance_id: a for a in session.scalars(query)}


def get_application(session: Session, user: User, application_id: int) -> Application:
    """Return an application the user may see; NotFound for everything else."""
    application = session.get(Application, application_id)
    if application is None or not permissions.can_view_application(session, user, application):
        raise NotFound("Ansökan finns inte.")
    return application


def open_rounds(session: Session, today: date) -> list[Round]:
    query = select(Round).where(Round.opens_on <= today, Round.closes_on >= today)
    return list(session.scalars(query.order_by(Round.closes_on)))
