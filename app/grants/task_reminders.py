"""A reminder about an open task, sent by staff (alone or for several selected tasks): the
`paminnelse` notice to whoever holds the task (notices.task_recipients), once a day per
task however often it is asked for (a dedupe key), audited."""

from datetime import datetime

from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit import record_event
from app.engine.models import HumanTask
from app.errors import Conflict, NotFound
from app.grants import permissions
from app.grants.applications import application_of_instance
from app.grants.notices import notice_context, task_recipients
from app.notifications.outbox import enqueue

REMINDER = "paminnelse"


def remind_task(session: Session, user: User, task_id: str, config: dict,
                now: datetime) -> int:
    """Queue the reminder about the open task; return how many it went to. NotFound for a
    task the user may not remind about, Conflict when nobody can be reminded or today's
    reminder is already sent."""
    task = session.get(HumanTask, task_id) if len(task_id) <= 36 else None
    application = application_of_instance(session, task.instance_id) if task else None
    if task is None or not permissions.can_remind_task(session, user, task, application):
        raise NotFound("Uppgiften finns inte.")
    if task.completed_at is not None:
        raise Conflict("Uppgiften är redan avslutad.")
    data = task.instance.data or {}
    recipients = task_recipients(session, application, data, [task])
    if not recipients:
        raise Conflict("Det finns ingen att påminna om uppgiften.")
    context = notice_context(application, data, config)
    context["uppgift"] = task.title
    if task.due_at is not None:
        context["frist"] = task.due_at.date().isoformat()
    key = f"{task.instance_id}:{REMINDER}:{task.id}:{now.date().isoformat()}"
    queued = enqueue(session, REMINDER, recipients, context, instance_id=task.instance_id,
                     dedupe_key=key)
    if not queued:
        raise Conflict("En påminnelse om uppgiften är redan skickad i dag.")
    record_event(session, "task_reminded",
                 f"Påminnelse om {task.title} skickad av {user.display_name} till "
                 f"{len(queued)}", actor_id=user.id, instance_id=task.instance_id,
                 task_id=task.id, details={"mottagare": len(queued)})
    return len(queued)
