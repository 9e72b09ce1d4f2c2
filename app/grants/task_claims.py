"""Taking a task, letting it go, and handing it to a colleague of the same role (audited).

A task someone has taken is theirs alone to complete (permissions.four_eyes_problem). Taking
is one conditional UPDATE: of two people taking the same task at once exactly one wins, the
other is told who was first."""

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit import record_event
from app.engine.models import HumanTask
from app.errors import Conflict, NotAllowed, NotFound
from app.grants import permissions
from app.grants.applications import application_of_instance


def claim_task(session: Session, user: User, task_id: str, now: datetime) -> HumanTask:
    """Take an open task the user may do; Conflict when a colleague was first."""
    task = _task_for(session, user, task_id)
    if task.claimed_by_id == user.id:
        return task
    _check_may_do(session, user, task)
    taken = session.execute(
        update(HumanTask).where(HumanTask.id == task.id, HumanTask.claimed_by_id.is_(None),
                                HumanTask.completed_at.is_(None))
        .values(claimed_by_id=user.id, claimed_at=now)
        .execution_options(synchronize_session=False)).rowcount
    session.refresh(task)
    if taken != 1:
        raise Conflict(_taken_message(task))
    _record(session, "task_claimed", f"{task.title} tagen av {user.display_name}", user, task)
    return task


def release_task(session: Session, user: User, task_id: str) -> HumanTask:
    """Let go of a task the user has taken (anyone of the role may then do it)."""
    task = _task_for(session, user, task_id)
    if task.claimed_by_id != user.id:
        raise Conflict("Du har inte tagit uppgiften." if task.claimed_by_id is None
                       else _taken_message(task))
    released = session.execute(
        update(HumanTask).where(HumanTask.id == task.id, HumanTask.claimed_by_id == user.id,
                                HumanTask.completed_at.is_(None))
        .values(claimed_by_id=None, claimed_at=None)
        .execution_options(synchronize_session=False)).rowcount
    session.refresh(task)
    if released != 1:
        raise Conflict("Uppgiften har ändrats under tiden; försök igen.")
    _record(session, "task_released", f"{task.title} släppt av {user.display_name}", user, task)
    return task


def hand_over_task(session: Session, user: User, task_id: str, colleague_id: int,
                   now: datetime) -> HumanTask:
    """Give a task the user has taken (or nobody has) to a colleague who may do it."""
    task = _task_for(session, user, task_id)
    if task.claimed_by_id not in (None, user.id):
        raise Conflict(_taken_message(task))
    colleague = session.get(User, colleague_id)
    if colleague is None or not colleague.active or colleague.id == user.id:
        raise NotAllowed("Välj en aktiv kollega att lämna uppgiften till.")
    if not permissions.can_view_task(colleague, task):
        raise NotAllowed(f"{colleague.display_name} har inte rollen som uppgiften kräver.")
    _check_may_do(session, colleague, task)
    moved = session.execute(
        update(HumanTask).where(HumanTask.id == task.id,
                                HumanTask.claimed_by_id.is_(None)
                                if task.claimed_by_id is None
                                else HumanTask.claimed_by_id == user.id,
                                HumanTask.completed_at.is_(None))
        .values(claimed_by_id=colleague.id, claimed_at=now)
        .execution_options(synchronize_session=False)).rowcount
    session.refresh(task)
    if moved != 1:
        raise Conflict(_taken_message(task) if task.claimed_by_id else
                       "Uppgiften har ändrats under tiden; försök igen.")
    _record(session, "task_handed_over",
            f"{task.title} lämnad av {user.display_name} till {colleague.display_name}",
            user, task, details={"to": colleague.username})
    return task


def colleagues_for(session: Session, user: User, task: HumanTask) -> list[User]:
    """The active users who hold the task's role (and its organisation, if scoped), but the
    user: those it may be handed to (the four-eyes and jäv rules are checked on handing)."""
    query = select(User).where(User.active.is_(True), User.id != user.id)
    return [u for u in session.scalars(query.order_by(User.display_name))
            if permissions.can_view_task(u, task)]


def _task_for(session: Session, user: User, task_id: str) -> HumanTask:
    """The open task, if the user may see it (others: NotFound, as for any hidden object)."""
    task = session.get(HumanTask, task_id) if len(task_id) <= 36 else None
    if task is None or not permissions.can_view_task(user, task):
        raise NotFound("Uppgiften finns inte.")
    if task.completed_at is not None:
        raise Conflict("Uppgiften är redan avslutad.")
    return task


def _check_may_do(session: Session, user: User, task: HumanTask) -> None:
    """The user may work on the task's case (no jäv, no four-eyes rule in the way)."""
    problem = permissions.case_problem(session, user, task,
                                       application_of_instance(session, task.instance_id))
    if problem:
        raise NotAllowed(problem)


def _taken_message(task: HumanTask) -> str:
    return f"Uppgiften är redan tagen av {task.claimed_by.display_name}."


def _record(session: Session, action: str, summary: str, user: User, task: HumanTask,
            details: dict | None = None) -> None:
    record_event(session, action, summary, actor_id=user.id, instance_id=task.instance_id,
                 task_id=task.id, details=details)
