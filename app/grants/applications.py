"""Applications (ärenden): start, complete their tasks, keep the case row in step with the
process, and the queries pages need."""

from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit import record_event
from app.engine.instances import Engine
from app.engine.models import HumanTask, ProcessInstance
from app.errors import InvalidInput, NotAllowed, NotFound
from app.formatting import kronor
from app.grants import permissions
from app.grants.models import Application, Round


def start_application(session: Session, engine: Engine, user: User, round_id: int,
                      today: date) -> Application:
    """Open a new draft application of the user's organisation in a round."""
    if not permissions.can_start_application(user):
        raise NotAllowed("Bara sökande på en organisation kan skapa ansökningar.")
    fund_round = session.get(Round, round_id)
    if fund_round is None:
        raise NotFound("Ansökningsomgången finns inte.")
    if not fund_round.is_open(today):
        raise InvalidInput("Ansökningsomgången är inte öppen.")
    instance = engine.start_instance(session, fund_round.fund.process_id, actor_id=user.id,
                                     organisation_id=user.organisation_id)
    application = Application(round_id=fund_round.id, organisation_id=user.organisation_id,
                              process_instance_id=instance.id, created_by_id=user.id)
    session.add(application)
    session.flush()
    sync_application(session, instance)
    record_event(session, "application_created", "Ansökan skapad", actor_id=user.id,
                 instance_id=instance.id)
    return application


def complete_task(session: Session, engine: Engine, user: User, task_id: str, data: dict,
                  today: date) -> Application | None:
    """Complete a task the user may do; check the application's own rules first."""
    task = visible_task(session, user, task_id)
    application = application_of_instance(session, task.instance_id)
    problem = permissions.four_eyes_problem(session, user, task, application)
    if problem:
        raise NotAllowed(problem)
    if application is not None and application.submitted_at is None:
        check_submission(application, data, today)
    if application is not None and "beslut" in data:
        check_decision(application, data)
    engine.complete_task(session, task_id, data, actor_id=user.id)
    return application


def check_submission(application: Application, data: dict, today: date) -> None:
    """Rules of the round that a JSON Schema cannot express."""
    fund_round = application.round
    errors: dict[str, list[str]] = {}
    if not fund_round.is_open(today):
        errors[""] = [f"Ansökningsomgången {fund_round.name} är stängd."]
    amount = _decimal(data.get("sokt_belopp"))
    if amount is not None and amount > fund_round.max_per_application:
        limit = kronor(fund_round.max_per_application)
        errors["sokt_belopp"] = [f"Får vara högst {limit} i den här omgången."]
    start, end = data.get("startdatum"), data.get("slutdatum")
    if start and end and end < start:
        errors["slutdatum"] = ["Slutdatum får inte vara före startdatum."]
    if errors:
        raise InvalidInput("Ansökan innehåller fel.", errors)


def check_decision(application: Application, data: dict) -> None:
    """A partial grant is less than the requested amount (a full grant is "bifall")."""
    amount = _decimal(data.get("beviljat_belopp"))
    requested = application.requested_amount
    partial = data.get("beslut") == "delvis_bifall"
    if partial and amount is not None and requested is not None and amount >= requested:
        raise InvalidInput("Beslutet innehåller fel.", {"beviljat_belopp": [
            f"Vid delvis bifall ska beloppet vara lägre än det sökta ({kronor(requested)})."]})


def save_draft(session: Session, engine: Engine, user: User, task_id: str, data: dict) -> None:
    """Keep a draft of a task's form for the user's colleagues and later visits."""
    task = visible_task(session, user, task_id)
    engine.save_draft(session, task_id, data, actor_id=user.id)
    application = application_of_instance(session, task.instance_id)
    if application is not None and application.submitted_at is None:
        copy_summary(application, data)


def visible_task(session: Session, user: User, task_id: str) -> HumanTask:
    """Return an open or closed task the user may see, or raise NotFound."""
    task = session.get(HumanTask, task_id)
    if task is None or not permissions.can_view_task(user, task):
        raise NotFound("Uppgiften finns inte.")
    return task


def sync_application(session: Session, instance: ProcessInstance) -> None:
    """Keep the case row in step with its process (called after every engine save)."""
    application = application_of_instance(session, instance.id)
    if application is None:
        return
    if application.submitted_at is None:
        copy_summary(application, instance.data)
    if instance.status == "completed":
        application.status = instance.end_name or "Avslutad"
        application.closed_at = instance.completed_at
    elif application.submitted_at is None:
        application.status = "Utkast"
    else:
        titles = session.scalars(
            select(HumanTask.title).where(HumanTask.instance_id == instance.id,
                                          HumanTask.completed_at.is_(None))
        ).all()
        application.status = " / ".join(sorted(set(titles))) or "Pågår"


def copy_summary(application: Application, data: dict) -> None:
    application.title = str(data.get("titel") or "")[:200]
    application.public_description = str(data.get("kort_beskrivning") or "")
    application.requested_amount = _decimal(data.get("sokt_belopp"))


def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def application_of_instance(session: Session, instance_id: int) -> Application | None:
    return session.scalars(
        select(Application).where(Application.process_instance_id == instance_id)
    ).first()


def get_application(session: Session, user: User, application_id: int) -> Application:
    """Return an application the user may see; NotFound for everything else."""
    application = session.get(Application, application_id)
    if application is None or not permissions.can_view_application(user, application):
        raise NotFound("Ansökan finns inte.")
    return application


def applications_for(session: Session, user: User) -> list[Application]:
    """Return the applications the user may see, newest first."""
    query = select(Application).order_by(Application.created_at.desc(), Application.id.desc())
    if not permissions.is_staff(user):
        if not user.has_role("sokande") or user.organisation_id is None:
            return []
        query = query.where(Application.organisation_id == user.organisation_id)
    return list(session.scalars(query))


def open_rounds(session: Session, today: date) -> list[Round]:
    query = select(Round).where(Round.opens_on <= today, Round.closes_on >= today)
    return list(session.scalars(query.order_by(Round.closes_on)))
