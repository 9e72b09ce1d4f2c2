"""What a user is told after completing a task: what the step set going, in plain words."""

from flask_babel import gettext as _
from sqlalchemy.orm import Session, object_session

from app.engine.models import HumanTask
from app.engine.tasks import tasks_opened_with
from app.formatting import local_today, short_date
from app.grants.declarations import declarations_of_instance
from app.grants.rules import task_warnings


def completion_message(session: Session, task: HumanTask) -> str:
    """Say what completing the task started: a request with its deadline (a komplettering,
    a review), else the next step, else that the task is done."""
    opened = tasks_opened_with(session, task)
    requests = dict.fromkeys((t.title, (t.lane or t.role or "").lower(), short_date(t.due_at))
                             for t in opened if t.due_at is not None)
    if requests:
        return " ".join(_("%(task)s är begärd: ska lämnas av %(who)s senast %(date)s.",
                          task=title, who=who, date=date) for title, who, date in requests)
    if opened:
        return _("%(title)s är klar. Nästa steg: %(next)s.", title=task.title,
                 next=", ".join(dict.fromkeys(t.title for t in opened)))
    return _("%(title)s är klar.", title=task.title)


def form_warnings(task: HumanTask, definition, form, application) -> list[str]:
    """Notices on what the form holds now (a draft, the posted data) that do not stop the
    task, e.g. a follow-up date before the project ends."""
    if application is None or definition is None:
        return []
    return task_warnings(declarations_of_instance(object_session(task), task.instance),
                         application, task.task_name, task.instance.data,
                         definition.to_data(form), local_today())
