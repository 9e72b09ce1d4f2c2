"""Assigning reviewers to several cases at once: one chosen set of reviewers and a deadline
complete each selected "assign reviewers" task through the engine, like its own form would
(the form's schema and the case's rules, e.g. no jävig reviewer, are checked per case).

Which task is an assignment, and where its reviewers and deadline go in the task data, is
what the process declares (declarations: the step `assign_reviewers`, the fields `reviewers`
and `review_deadline`); no task or field name is written here."""

from sqlalchemy.orm import Session

from app.accounts.models import User
from app.engine.instances import Engine
from app.engine.models import HumanTask
from app.errors import Conflict, InvalidInput
from app.forms.kinds import choices_of
from app.grants import applications
from app.grants.declarations import declarations_of_instance

STEP = "assign_reviewers"


def is_assignment(session: Session, task: HumanTask) -> bool:
    """The task is the process's declared step for assigning reviewers."""
    return declarations_of_instance(session, task.instance).step_of(task.task_name) == STEP


def reviewer_choices(session: Session, engine: Engine, task: HumanTask
                     ) -> list[tuple[str, str]]:
    """The reviewers the task's own form offers: (username, label)."""
    ref = declarations_of_instance(session, task.instance).field("reviewers")
    form = engine.task_form(session, task)
    if ref is None or form is None:
        return []
    node = form.schema
    for key in ref.path:
        node = (node.get("properties") or {}).get(key) or {}
    return [(str(value), label) for value, label in
            choices_of(node.get("items") or node) or []]


def assignment_data(session: Session, user: User, task_id: str, reviewers: list[str],
                    deadline: str) -> dict:
    """The task data that assigns these reviewers with this deadline in the open assignment
    task (to complete through applications.complete_task, which checks the form's schema and
    the case's rules). NotFound for a task the user may not see; Conflict for one that is
    done or not an assignment."""
    task = applications.visible_task(session, user, task_id)
    if task.completed_at is not None:
        raise Conflict("Uppgiften är redan avslutad.")
    decl = declarations_of_instance(session, task.instance)
    if decl.step_of(task.task_name) != STEP:
        raise Conflict("Uppgiften är inte en tilldelning av bedömare.")
    data: dict = {}
    for meaning, value in (("reviewers", list(reviewers)), ("review_deadline", deadline)):
        ref = decl.field(meaning)
        if ref is None:
            raise Conflict("Processen anger inte var bedömarna skrivs; använd uppgiftens "
                           "formulär.")
        _put(data, ref.path, value)
    return data


def problem_text(err: InvalidInput) -> str:
    """One line for a per-row result: the field errors, else the error's message."""
    messages = [m for field_messages in err.errors.values() for m in field_messages]
    return " ".join(messages) or err.message


def _put(data: dict, path: tuple[str, ...], value) -> None:
    for key in path[:-1]:
        data = data.setdefault(key, {})
    data[path[-1]] = value
