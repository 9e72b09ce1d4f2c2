"""Take a task, let it go, hand it to a colleague — one at a time from the task page, or
several from Mina uppgifter with one confirmation page and a result per row; staff may also
send a reminder about several tasks or assign the same reviewers to several cases."""

from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from app.db import utcnow
from app.engine.incidents import run_step
from app.engine.models import HumanTask
from app.errors import Conflict, IncidentRaised, InvalidInput, NotAllowed, NotFound
from app.formatting import local_today
from app.grants import applications
from app.grants.permissions import can_view_task
from app.grants.reviewer_assignment import (
    assignment_data,
    is_assignment,
    problem_text,
    reviewer_choices,
)
from app.grants.task_claims import claim_task, colleagues_for, hand_over_task, release_task
from app.grants.task_reminders import remind_task
from app.web.context import current_user, db, engine, login_required

bp = Blueprint("task_claims", __name__)
MAX_BULK = 100  # rows of one bulk action (a page holds at most 100)
ACTIONS = {"ta", "slappa", "lamna", "paminn", "bedomare"}


@bp.route("/uppgifter/<task_id>/ta", methods=["POST"])
@login_required
def claim(task_id: str):
    return _one(lambda: claim_task(db(), current_user(), task_id, utcnow()), task_id,
                _("Du har tagit uppgiften. Ingen annan kan slutföra den förrän du släpper den."))


@bp.route("/uppgifter/<task_id>/slapp", methods=["POST"])
@login_required
def release(task_id: str):
    return _one(lambda: release_task(db(), current_user(), task_id), task_id,
                _("Du har släppt uppgiften. Alla med rollen kan nu ta den."))


@bp.route("/uppgifter/<task_id>/lamna", methods=["GET", "POST"])
@login_required
def hand_over(task_id: str):
    user = current_user()
    task = _visible(task_id)
    if request.method == "POST":
        colleague = _colleague_id()
        return _one(lambda: hand_over_task(db(), user, task_id, colleague, utcnow()), task_id,
                    _("Uppgiften är lämnad över."))
    return render_template("tasks/hand_over.html", tasks=[task],
                           colleagues=colleagues_for(db(), user, task))


@bp.route("/uppgifter/valda", methods=["POST"])
@login_required
def bulk():
    user = current_user()
    action = request.form.get("atgard", "")
    ids = request.form.getlist("uppgift")[:MAX_BULK]
    if action not in ACTIONS or not ids:
        flash(_("Välj minst en uppgift och en åtgärd."), "error")
        return redirect(url_for("tasks.inbox"))
    tasks = [t for t in (db().get(HumanTask, i) for i in ids if len(i) <= 36) if t is not None]
    if action == "bedomare":
        return _assign_reviewers(tasks)
    if request.form.get("bekraftat") != "ja":
        colleagues = colleagues_for(db(), user, tasks[0]) if action == "lamna" and tasks else []
        return render_template("tasks/bulk_confirm.html", tasks=tasks, action=action,
                               colleagues=colleagues)
    colleague = _colleague_id() if action == "lamna" else None
    results = [(task, *_attempt(action, task.id, colleague)) for task in tasks]
    db().commit()
    return render_template("tasks/bulk_result.html", results=results, action=action)


def _attempt(action: str, task_id: str, colleague: int | None) -> tuple[str | None, str]:
    """Do the action on one task in a savepoint: (why not, "") or (None, what was done)."""
    user = current_user()
    operation = {"ta": lambda: claim_task(db(), user, task_id, utcnow()),
                 "slappa": lambda: release_task(db(), user, task_id),
                 "lamna": lambda: hand_over_task(db(), user, task_id, colleague, utcnow()),
                 "paminn": lambda: remind_task(db(), user, task_id, current_app.config,
                                               utcnow())}
    try:
        with db().begin_nested():
            outcome = operation[action]()
    except (Conflict, NotAllowed, NotFound) as err:
        return err.message, ""
    if action == "paminn":
        return None, ngettext("Påminnelse skickad till %(num)d person.",
                              "Påminnelse skickad till %(num)d personer.", outcome)
    return None, _("Klart")


def _assign_reviewers(tasks: list[HumanTask]):
    """Confirm the reviewers and deadline, then complete each selected assignment task in
    its own transaction (a result per row)."""
    user = current_user()
    first = next((t for t in tasks if can_view_task(user, t) and t.completed_at is None
                  and is_assignment(db(), t)), None)
    if first is None:
        flash(_("Ingen av de valda uppgifterna är en tilldelning av bedömare."), "error")
        return redirect(url_for("tasks.inbox"))
    choices = reviewer_choices(db(), engine(), first)
    chosen = [r for r in request.form.getlist("bedomare") if r in dict(choices)]
    deadline = request.form.get("frist", "").strip()
    if request.form.get("bekraftat") != "ja":
        return _assignment_page(tasks, choices, chosen, deadline, {}, 200)
    errors = _assignment_errors(chosen, deadline)
    if errors:
        return _assignment_page(tasks, choices, chosen, deadline, errors, 422)
    results = [(task, *_assign_one(task.id, chosen, deadline)) for task in tasks]
    return render_template("tasks/bulk_result.html", results=results, action="bedomare")


def _assignment_page(tasks, choices, chosen, deadline, errors, status):
    return render_template("tasks/bulk_confirm.html", tasks=tasks, action="bedomare",
                           colleagues=[], reviewers=choices, chosen=chosen, deadline=deadline,
                           errors=errors), status


def _assignment_errors(chosen: list[str], deadline: str) -> dict[str, list[str]]:
    errors = {}
    if not chosen:
        errors["bedomare"] = [_("Välj minst en bedömare.")]
    if not _is_iso_date(deadline):
        errors["frist"] = [_("Skriv sista dag för bedömning i formen ÅÅÅÅ-MM-DD.")]
    return errors


def _is_iso_date(text: str) -> bool:
    try:
        return len(text) == 10 and bool(date.fromisoformat(text))
    except ValueError:
        return False


def _assign_one(task_id: str, chosen: list[str], deadline: str) -> tuple[str | None, str]:
    """Complete one assignment task in its own transaction: (why not, "") or (None, done)."""
    user = current_user()
    try:
        data = assignment_data(db(), user, task_id, chosen, deadline)
        action = {"kind": "complete_task", "task_id": task_id, "data": data,
                  "actor_id": user.id}
        run_step(db(), action, lambda: applications.complete_task(
            db(), engine(), user, task_id, data, local_today()))
    except InvalidInput as err:
        return problem_text(err), ""
    except (Conflict, NotAllowed, NotFound, IncidentRaised) as err:
        db().rollback()
        return err.message, ""
    return None, ngettext("%(num)d bedömare tilldelad.", "%(num)d bedömare tilldelade.",
                          len(chosen))


def _one(operation, task_id: str, done: str):
    try:
        operation()
    except (Conflict, NotAllowed) as err:
        db().rollback()
        flash(err.message, "error")
        return redirect(url_for("tasks.task_page", task_id=task_id))
    db().commit()
    flash(done, "success")
    return redirect(url_for("tasks.task_page", task_id=task_id))


def _visible(task_id: str) -> HumanTask:
    task = db().get(HumanTask, task_id) if len(task_id) <= 36 else None
    if task is None or not can_view_task(current_user(), task):
        raise NotFound("Uppgiften finns inte.")
    return task


def _colleague_id() -> int:
    """The chosen colleague (InvalidInput naming the field when none is)."""
    value = request.form.get("kollega", "")
    if not value.isdigit() or not 0 < int(value) < 2**31:
        raise InvalidInput(_("Välj en kollega."), {"kollega": [_("Välj en kollega.")]})
    return int(value)
