"""Who may see and do what. Every view asks these before it acts."""

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.orm import Session, aliased, object_session

from app.accounts.models import User
from app.engine.models import HumanTask
from app.grants.declarations import declarations_of_instance
from app.grants.models import Application, JavDeclaration

# Roles that work on every case of the fund (the applicant sees only its organisation's).
STAFF_ROLES = {"handlaggare", "beslutsfattare", "ekonomi", "admin"}
# Roles whose tasks must be done by someone who has not worked on the case (four-eyes).
FOUR_EYES_ROLES = {"beslutsfattare"}
# Staff roles that read the reviews of every case (a reviewer reads them after their own).
REVIEW_READER_ROLES = {"handlaggare", "beslutsfattare", "admin"}
# The role whose assigned tasks open a case to the person assigned (and nothing more).
REVIEWER_ROLE = "bedomare"


def is_staff(user: User) -> bool:
    return bool(user.roles & STAFF_ROLES)


def visible_applications(user: User) -> ColumnElement[bool]:
    """The SQL condition on Application for the cases the user may see (the one rule for
    lists, pages and files): staff every submitted case, an applicant its organisation's,
    anyone else the cases a task was assigned to them in and they have not declared jäv in.
    A draft not yet submitted is the applying organisation's business only (and a deleted one
    nobody's)."""
    own = (Application.organisation_id.in_(sorted(user.organisation_ids))
           if user.has_role("sokande") and user.organisation_ids else false())
    if is_staff(user):
        submitted = true()
    else:
        submitted = or_(own, and_(
            Application.process_instance_id.in_(
                select(HumanTask.instance_id).where(HumanTask.assignee == user.username,
                                                    HumanTask.role.in_(user.roles))),
            ~exists().where(JavDeclaration.application_id == Application.id,
                            JavDeclaration.user_id == user.id)))
    return or_(and_(Application.submitted_at.is_not(None), submitted),
               and_(Application.submitted_at.is_(None), own, Application.closed_at.is_(None)))


def can_view_application(session: Session, user: User, application: Application) -> bool:
    """Staff see every submitted case; an applicant its own organisation's (drafts too); a
    reviewer the cases assigned to them unless they declared jäv."""
    if is_staff(user) and application.submitted_at is not None:
        return True
    return session.scalar(select(exists().where(
        Application.id == application.id, visible_applications(user)))) or False


def can_see_reviews(session: Session, user: User, application: Application) -> bool:
    """Officers, decision makers and admins; a reviewer of the case once their own review is
    in (and never one who declared jäv)."""
    if user.roles & REVIEW_READER_ROLES:
        return True
    if not user.has_role(REVIEWER_ROLE) or not can_view_application(session, user, application):
        return False
    return session.scalar(select(exists().where(
        HumanTask.instance_id == application.process_instance_id,
        HumanTask.role == REVIEWER_ROLE, HumanTask.completed_by_id == user.id))) or False


def can_see_history(user: User, application: Application) -> bool:
    """Staff and the applying organisation read the case's history; a reviewer does not
    (it names the other reviewers)."""
    return is_staff(user) or is_own(user, application)


def can_see_who_did(user: User, application: Application, task: HumanTask) -> bool:
    """Who did a step of the case's process map: staff see every name; others their own
    steps and, for the applying organisation, its own people's steps (a reviewer never learns
    the other reviewers, an applicant not the officers' internal work)."""
    if is_staff(user) or task.completed_by_id == user.id:
        return True
    return task.role == "sokande" and is_own(user, application)


def can_see_all_forms(user: User) -> bool:
    """Staff read every form of a case; others only what the applicant wrote."""
    return is_staff(user)


def is_own(user: User, application: Application) -> bool:
    """The user applies for the case's organisation (one of those they act for)."""
    return user.has_role("sokande") and application.organisation_id in user.organisation_ids


def can_delete_draft(user: User, application: Application) -> bool:
    """The applying organisation may delete its draft until it is submitted."""
    return (is_own(user, application) and application.submitted_at is None
            and application.closed_at is None)


def withdrawal_problem(application: Application) -> str | None:
    """Why the application cannot be withdrawn now (None: it can): only a submitted
    application, before its decision."""
    if application.decided_at is not None or application.decisions:
        return "Ansökan kan inte återkallas efter beslut."
    if application.closed_at is not None:
        return "Ärendet är redan avslutat."
    if application.submitted_at is None:
        return "Utkastet är inte inskickat; det behöver inte återkallas."
    decl = declarations_of_instance(object_session(application), application.instance)
    if decl.message("withdrawal") is None:
        return "Ansökningar till den här fonden kan inte återkallas här."
    return None


def can_withdraw(user: User, application: Application) -> bool:
    """The applying organisation withdraws its own submitted application before decision."""
    return is_own(user, application) and withdrawal_problem(application) is None


def can_start_application(user: User) -> bool:
    return user.has_role("sokande") and bool(user.organisation_ids)


def can_view_task(user: User, task: HumanTask) -> bool:
    """The task is in one of the user's roles, in one of the user's organisations if scoped,
    and assigned to the user if assigned."""
    if task.role not in user.roles:
        return False
    if task.assignee is not None and task.assignee != user.username:
        return False
    return task.organisation_id is None or task.organisation_id in user.organisation_ids


def can_remind_task(session: Session, user: User, task: HumanTask,
                    application: Application | None) -> bool:
    """Staff may send a reminder about an open task of any case they may see."""
    return (is_staff(user) and application is not None
            and can_view_application(session, user, application))


def declared_jav(user: User) -> ColumnElement[bool]:
    """The SQL condition on Application for the cases the user has declared jäv in."""
    return exists().where(JavDeclaration.application_id == Application.id,
                          JavDeclaration.user_id == user.id)


def may_do_tasks(user: User) -> ColumnElement[bool]:
    """The SQL condition on HumanTask (outer-joined to its Application) for the open tasks
    no jäv or four-eyes rule keeps the user from: four_eyes_problem for a whole list."""
    worked = aliased(HumanTask)
    not_jav = or_(HumanTask.role == "sokande", Application.id.is_(None), ~declared_jav(user))
    other_org = (true() if not user.organisation_ids else
                 or_(Application.organisation_id.is_(None),
                     Application.organisation_id.not_in(sorted(user.organisation_ids))))
    four_eyes = or_(HumanTask.role.not_in(FOUR_EYES_ROLES), and_(other_org, ~exists().where(
        worked.instance_id == HumanTask.instance_id, worked.completed_by_id == user.id)))
    return and_(not_jav, four_eyes)


def four_eyes_problem(session: Session, user: User, task: HumanTask,
                      application: Application | None, jav: bool | None = None) -> str | None:
    """Return why the user may not do this task of the case (a colleague has taken it, jäv,
    four eyes), or None. `jav`: whether the user declared jäv in the case, when the caller
    has just read it."""
    if task.claimed_by_id is not None and task.claimed_by_id != user.id:
        return f"Uppgiften är tagen av {task.claimed_by.display_name}."
    return case_problem(session, user, task, application, jav)


def case_problem(session: Session, user: User, task: HumanTask,
                 application: Application | None, jav: bool | None = None) -> str | None:
    """Return why the user may not work on this task's case (jäv, four eyes), or None."""
    if application is not None and task.role != "sokande" and (jav if jav is not None else (
            session.scalar(select(declared_jav(user)).where(Application.id == application.id)))):
        return "Du har anmält jäv i ärendet och får inte delta i handläggningen."
    if task.role not in FOUR_EYES_ROLES:
        return None
    if application is not None and application.organisation_id in user.organisation_ids:
        return "Du tillhör den sökande organisationen och får inte besluta i ärendet."
    worked = session.scalars(
        select(HumanTask.id).where(
            HumanTask.instance_id == task.instance_id,
            HumanTask.completed_by_id == user.id,
        )
    ).first()
    if worked is not None:
        return "Du har handlagt ärendet och får inte också besluta i det (fyraögonsprincipen)."
    return None





def can_complete_task(session: Session, user: User, task: HumanTask,
                      application: Application | None) -> bool:
    """The user may see the task, it is open, and no four-eyes rule stops them."""
    return (
        task.completed_at is None
        and can_view_task(user, task)
        and four_eyes_problem(session, user, task, application) is None
    )
