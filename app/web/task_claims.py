"""Take a task, let it go, hand it to a colleague — one at a time from the task page, or
several from Mina uppgifter with one confirmation page and a result per row; staff may also
send a reminder about several tasks."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from app.db import utcnow
from app.engine.models import HumanTask
from app.errors import Conflict, InvalidInput, NotAllowed, NotFound
from app.grants.permissions import can_view_task
from app.grants.task_claims import claim_task, colleagues_for, hand_over_task, release_task
from app.grants.task_reminders import remind_task
from app.web.context import current_user, db, login_required

bp = Blueprint("task_claims", __name__)
MAX_BULK = 100  # rows of one bulk action (a page holds at most 100)
ACTIONS = {"ta", "slappa", "lamna", "paminn"}


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
    if request.form.get("bekraftat") != "ja":
        colleagues = colleagues_for(db(), user, tasks[0]) if action == "lamna" and tasks else []
        return render_template("tasks/bulk_confirm.html", tasks=tasks, action=action,
                               colleagues=colleagues)
    colleague = _colleague_id() if action == "lamna" else None
    results = [(task, *_attempt(action, task.id, colleague)) for task in tasks]
    db().commit()
    return render_template("tasks/bulk_result.html", results=results, action=action)


def _attempt(action: str, task_id: str, colleague: int | None) -> tuple[str | None, str]:
    """Do the action on one task in a savepoint: (why not, None) or (None, what was done)."""
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
