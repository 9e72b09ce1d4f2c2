"""Notices to the people of a case, queued in the outbox with the case step that causes them."""

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload, object_session

from app.accounts.models import User, UserOrganisation, UserRole
from app.engine.instances import OperationContext
from app.engine.models import HumanTask
from app.grants.applications import application_of_step
from app.grants.declarations import declarations_of_instance
from app.grants.funds import texts_folder
from app.grants.models import OUTCOME_CODES, OUTCOME_NAMES, Application
from app.notifications.outbox import enqueue

APPLICANT_KINDS = {"kvitto", "komplettering", "beslut", "aterrapportering"}
# Notices to the applicant and to the case's officer alike.
WITHDRAWAL = "aterkallelse"
SHARED_KINDS = {WITHDRAWAL}
OFFICER_ROLE = "handlaggare"
APPLICANT_ROLE = "sokande"
# A recipient needs an address, not roles: no second statement for them.
WITHOUT_ROLES = lazyload(User.role_rows)


def applicant_recipients(session: Session, application: Application, data: dict) -> list:
    """The applying organisation's users and the application's contact person (the
    declared contact_email)."""
    users = list(session.scalars(
        select(User).join(UserRole).join(UserOrganisation)
        .where(UserOrganisation.organisation_id == application.organisation_id,
               UserRole.role == APPLICANT_ROLE, User.active.is_(True))
        .options(WITHOUT_ROLES)))
    contact = declarations_of_instance(session, application.instance).value(
        "contact_email", data)
    return users + ([contact] if isinstance(contact, str) and contact else [])


def role_recipients(session: Session, roles) -> list[User]:
    """The active users who have one of `roles`."""
    if not roles:
        return []
    return list(session.scalars(
        select(User).join(UserRole).where(UserRole.role.in_(roles), User.active.is_(True))
        .distinct().options(WITHOUT_ROLES)))


def users_named(session: Session, usernames) -> list[User]:
    names = [u for u in usernames or [] if isinstance(u, str)]
    if not names:
        return []
    return list(session.scalars(select(User).where(User.username.in_(names))
                                .options(WITHOUT_ROLES)))


def officer_recipients(session: Session, application: Application) -> list[User]:
    """The officers who have worked on the case's tasks; every active officer when none has
    yet (the case is then still in the common queue)."""
    worked = select(HumanTask.completed_by_id).where(
        HumanTask.instance_id == application.process_instance_id,
        HumanTask.role == OFFICER_ROLE, HumanTask.completed_by_id.is_not(None))
    officers = list(session.scalars(select(User).where(User.id.in_(worked))
                                    .options(WITHOUT_ROLES)))
    return officers or list(session.scalars(
        select(User).join(UserRole).where(UserRole.role == OFFICER_ROLE, User.active.is_(True))
        .options(WITHOUT_ROLES)))


def open_task_recipients(ctx: OperationContext, application: Application, data: dict) -> list:
    """Who holds the case's open tasks when the step runs: each task's assignee, else
    everyone who may claim it (the applicant's organisation for its tasks, the users of the
    task's role for the others). The tasks come from the workflow being advanced, so a
    reminder whose timer fires in the very step that opened the tasks reaches them too."""
    session = ctx.session
    tasks = ctx.open_tasks() if ctx.open_tasks is not None else session.scalars(
        select(HumanTask).where(HumanTask.instance_id == application.process_instance_id,
                                HumanTask.completed_at.is_(None))).all()
    return task_recipients(session, application, data, tasks)


def task_recipients(session: Session, application: Application, data: dict,
                    tasks) -> list:
    """Who holds these open tasks of the case: each task's assignee (or the colleague who has
    taken it), else everyone who may claim it (the applicant's organisation for its tasks,
    the users of the task's role for the others)."""
    recipients: list = users_named(session, {t.assignee for t in tasks if t.assignee})
    taken = {_taker(t) for t in tasks if not t.assignee and _taker(t)}
    if taken:
        recipients += list(session.scalars(select(User).where(User.id.in_(taken))
                                           .options(WITHOUT_ROLES)))
    unassigned = [t for t in tasks if not t.assignee and not _taker(t)]
    if any(t.organisation_id is not None for t in unassigned):
        recipients += applicant_recipients(session, application, data)
    named = {user.id for user in recipients if isinstance(user, User)}
    recipients += [user for user in role_recipients(session, {
        t.role for t in unassigned if t.organisation_id is None and t.role})
        if user.id not in named]
    return recipients


def _taker(task) -> int | None:
    """Who has taken the task (a HumanTask row; a task still in the middle of a step,
    engine.tasks.OpenTask, has no row yet and so nobody)."""
    return getattr(task, "claimed_by_id", None)


def notice_context(application: Application, data: dict, config: dict) -> dict:
    """What a notice's text may say about the case; the fields are the declared ones."""
    decl = declarations_of_instance(object_session(application), application.instance)
    outcome = (decl.outcome("decision_outcome", data) or decl.outcome("check_outcome", data))
    return {
        "diarienummer": application.diarienummer or "",
        "titel": application.title,
        "organisation": application.organisation.name,
        "url": f"{config['BASE_URL'].rstrip('/')}/ansokningar/{application.id}",
        "frist": _first(decl, data, "completion_deadline", "review_deadline", "report_due"),
        "meddelande": _first(decl, data, "completion_message", "report_review_message"),
        "utfall": OUTCOME_NAMES.get(OUTCOME_CODES.get(outcome or "", ""), ""),
        "uppgift": "",
        **fund_notice_context(application, config),
    }


def _first(decl, data: dict, *meanings: str) -> str:
    return next((str(value) for meaning in meanings
                 if (value := decl.value(meaning, data))), "")


def fund_notice_context(application: Application, config: dict) -> dict:
    """The fund's part of a case message: `fund` names it, `messages_folder` is its process's
    own texts (app.notifications.texts)."""
    fund = application.round.fund
    return {"fund": fund.name, "messages_folder": texts_folder(fund, config, "messages")}


def send_notice(ctx: OperationContext, data: dict, typ: str = "") -> dict:
    """Skicka meddelande (service task): queue the notice `typ` to the right people."""
    application = application_of_step(ctx)
    if typ in APPLICANT_KINDS:
        recipients = applicant_recipients(ctx.session, application, data)
    elif typ in SHARED_KINDS:
        recipients = (applicant_recipients(ctx.session, application, data)
                      + officer_recipients(ctx.session, application))
    elif typ == "tilldelning":
        decl = declarations_of_instance(ctx.session, ctx.instance)
        recipients = users_named(ctx.session, decl.value("reviewers", data))
    elif typ == "paminnelse":
        recipients = open_task_recipients(ctx, application, data)
    else:
        raise ValueError(f"okänd meddelandetyp {typ!r}")
    context = notice_context(application, data, ctx.config)
    if typ == WITHDRAWAL:  # the withdrawal message's payload holds the applicant's reason
        payload = declarations_of_instance(ctx.session, ctx.instance).payload("withdrawal", data)
        context["meddelande"] = str(payload.get("orsak") or "")
    round_no = data.get("komplettering_omgangar", 0)
    key = f"{ctx.instance.id}:{typ}:{round_no}:{ctx.now.date().isoformat()}"
    queued = enqueue(ctx.session, typ, recipients, context, instance_id=ctx.instance.id,
                     dedupe_key=key)
    return {"skickade": len(queued)}
