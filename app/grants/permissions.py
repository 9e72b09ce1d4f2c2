"""Who may see and do what. Every view asks these before it acts."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.engine.models import HumanTask
from app.grants.models import Application, JavDeclaration

# Roles that work on every case of the fund (the applicant sees only its organisation's).
STAFF_ROLES = {"handlaggare", "beslutsfattare", "ekonomi", "admin"}
# Roles whose tasks must be done by someone who has not worked on the case (four-eyes).
FOUR_EYES_ROLES = {"beslutsfattare"}


def is_staff(user: User) -> bool:
    return bool(user.roles & STAFF_ROLES)


def can_view_application(user: User, application: Application) -> bool:
    """Staff see every case; an applicant only its own organisation's."""
    if is_staff(user):
        return True
    return user.has_role("sokande") and user.organisation_id == application.organisation_id


def is_own_application(user: User, application: Application) -> bool:
    """The user applies for the application's organisation."""
    return user.has_role("sokande") and user.organisation_id == application.organisation_id


def withdrawal_problem(application: Application) -> str | None:
    """Why the application cannot be withdrawn now (None: it can): only a submitted
    application, before its decision."""
    if application.decided_at is not None or application.decisions:
        return "Ansökan kan inte återkallas efter beslut."
    if application.closed_at is not None:
        return "Ärendet är redan avslutat."
    if application.submitted_at is None:
        return "Utkastet är inte inskickat; det behöver inte återkallas."
    return None


def can_withdraw(user: User, application: Application) -> bool:
    """The applying organisation withdraws its own submitted application before decision."""
    return is_own_application(user, application) and withdrawal_problem(application) is None


def can_start_application(user: User) -> bool:
    return user.has_role("sokande") and user.organisation_id is not None


def can_view_task(user: User, task: HumanTask) -> bool:
    """The task is in one of the user's roles, in the user's organisation if scoped, and
    assigned to the user if assigned."""
    if task.role not in user.roles:
        return False
    if task.assignee is not None and task.assignee != user.username:
        return False
    return task.organisation_id is None or task.organisation_id == user.organisation_id


def four_eyes_problem(session: Session, user: User, task: HumanTask,
                      application: Application | None) -> str | None:
    """Return why the user may not do this task of the case (jäv, four eyes), or None."""
    if application is not None and task.role != "sokande" and session.scalars(
        select(JavDeclaration.id).where(JavDeclaration.application_id == application.id,
                                        JavDeclaration.user_id == user.id)
    ).first() is not None:
        return "Du har anmält jäv i ärendet och får inte delta i handläggningen."
    if task.role not in FOUR_EYES_ROLES:
        return None
    if application is not None and user.organisation_id == application.organisation_id:
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
