"""Who may see and do what. Every view asks these before it acts."""

from sqlalchemy import ColumnElement, and_, false, or_, select, true
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
    """Staff see every submitted case; an applicant only its own organisation's. A draft not
    yet submitted is the applying organisation's business only (and a deleted one nobody's)."""
    if application.submitted_at is None:
        return is_own(user, application) and application.closed_at is None
    return is_staff(user) or is_own(user, application)


def viewable_applications(user: User) -> ColumnElement[bool]:
    """The condition of `can_view_application` as SQL, for lists."""
    own = (Application.organisation_id == user.organisation_id
           if user.has_role("sokande") and user.organisation_id is not None else false())
    draft = Application.submitted_at.is_(None)
    return or_(and_(Application.submitted_at.is_not(None), true() if is_staff(user) else own),
               and_(draft, own, Application.closed_at.is_(None)))


def is_own(user: User, application: Application) -> bool:
    """The user applies for the case's organisation."""
    return user.has_role("sokande") and user.organisation_id == application.organisation_id


def can_delete_draft(user: User, application: Application) -> bool:
    """The applying organisation may delete its draft until it is submitted."""
    return (is_own(user, application) and application.submitted_at is None
            and application.closed_at is None)


def can_withdraw(user: User, application: Application) -> bool:
    """Only the applying organisation withdraws its own application."""
    return is_own(user, application)


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
