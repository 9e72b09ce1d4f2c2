"""Mina uppgifter and the task page: render a task's form, save a draft, complete it."""

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from app.engine.incidents import run_step
from app.engine.tasks import completed_by_user, open_tasks
from app.errors import Conflict, IncidentRaised, InvalidInput, NotAllowed
from app.formatting import local_today
from app.grants import applications, permissions
from app.payouts.attest import DUE_WITHIN_DAYS, finance_work
from app.web.context import current_user, db, engine, language, login_required
from app.web.instructions import render_instructions
from app.web.reviews import review_context
from app.web.statuses import process_name
from app.web.uploads import receive_uploads

bp = Blueprint("tasks", __name__)
# Tasks whose page shows the case's reviews side by side above the form.
REVIEW_PANEL_TASKS = {"beredning", "beslut", "namndbeslut"}


@bp.route("/")
@login_required
def home():
    return redirect(url_for("tasks.inbox"))


@bp.route("/uppgifter")
@login_required
def inbox():
    user = current_user()
    tasks = open_tasks(db(), user.roles, user.organisation_id, user.username)
    cases = applications.applications_by_instance(db(), {t.instance_id for t in tasks})
    rows = [(task, cases.get(task.instance_id)) for task in tasks
            if permissions.four_eyes_problem(db(), user, task, cases.get(task.instance_id))
            is None]
    return render_template("tasks/inbox.html", rows=rows, reviewed=_reviewed_cases(user),
                           finance=_finance_work(user))


def _finance_work(user) -> dict | None:
    """Finance's work is payouts, not process tasks: how many wait (within two weeks)."""
    if not user.has_role("ekonomi"):
        return None
    return finance_work(db(), local_today() + timedelta(days=DUE_WITHIN_DAYS))


def _reviewed_cases(user) -> list:
    """Cases the reviewer has submitted a review in (their door to the others' reviews)."""
    if not user.has_role("bedomare"):
        return []
    done = completed_by_user(db(), user.id, "bedomning")
    cases = applications.applications_by_instance(db(), {t.instance_id for t in done})
    return [cases[t.instance_id] for t in done if t.instance_id in cases]


@bp.route("/uppgifter/<task_id>", methods=["GET", "POST"])
@login_required
def task_page(task_id: str):
    user = current_user()
    task = applications.visible_task(db(), user, task_id)
    application = applications.application_of_instance(db(), task.instance_id)
    if task.completed_at is not None:
        flash(_done_message(task), "info")
        return _back_to_case(application)
    definition = engine().task_form(db(), task, language())
    form = definition.make_form(formdata=request.form if request.method == "POST" else None,
                                data=_prefill(task, definition), base=FlaskForm)
    status, problem = 200, permissions.four_eyes_problem(db(), user, task, application)
    if request.method == "POST" and problem is None:
        outcome = _submit(task, definition, form, application)
        if not isinstance(outcome, int):
            return outcome
        status = outcome
    reviews = (review_context(application)
               if application and task.task_name in REVIEW_PANEL_TASKS else None)
    return render_template(
        "tasks/form.html", task=task, form=form, definition=definition, application=application,
        reviews=reviews, can_declare_jav=application is not None and task.role != "sokande",
        instructions=render_instructions(engine().instructions_for(task), task.instance.data),
        problem=problem,
    ), status


@bp.route("/uppgifter/<task_id>/jav", methods=["POST"])
@login_required
def declare_jav(task_id: str):
    application = applications.declare_jav(db(), current_user(), task_id,
                                           request.form.get("skal", ""))
    db().commit()
    flash(_("Din jävsanmälan är registrerad. Du deltar inte längre i ärendet."), "info")
    return _back_to_case(application) if permissions.can_view_application(
        current_user(), application) else redirect(url_for("tasks.inbox"))


def _submit(task, definition, form, application):
    """Handle a POST; return a response when done, or the status to re-render the form with."""
    if not receive_uploads(db(), definition, form, task.instance_id, current_user().id):
        return 422
    if "spara_utkast" in request.form:
        applications.save_draft(db(), engine(), current_user(), task.id, definition.to_data(form))
        db().commit()
        flash(_("Utkastet är sparat. Du eller en kollega kan fortsätta senare."), "success")
        return redirect(url_for("tasks.task_page", task_id=task.id))
    if definition.handle_row_actions(form):
        return 200
    if not definition.validate(form):
        return 422
    data = definition.to_data(form)
    action = {"kind": "complete_task", "task_id": task.id, "data": data,
              "actor_id": current_user().id}
    try:
        run_step(db(), action, lambda: applications.complete_task(
            db(), engine(), current_user(), task.id, data, local_today()))
    except InvalidInput as err:
        definition.attach_errors(form, err.errors)
        if not err.errors:
            form.form_errors.append(err.message)
        return 422
    except (Conflict, NotAllowed) as err:
        form.form_errors.append(err.message)
        return 409
    except IncidentRaised as err:
        form.form_errors.append(err.message)
        return 503
    flash(_("%(title)s är klar.", title=process_name(task.title)), "success")
    return _back_to_case(application)


def _prefill(task, definition) -> dict | None:
    """The task's draft, else what the case already holds for the form's fields (None: a
    fresh form with its defaults)."""
    if task.draft is not None:
        return task.draft
    names = definition.schema.get("properties", {})
    return {k: v for k, v in task.instance.data.items() if k in names} or None


def _done_message(task) -> str:
    if task.outcome == "completed" and task.completed_by is not None:
        return _("Uppgiften är redan slutförd av %(name)s.", name=task.completed_by.display_name)
    return _("Uppgiften är inte längre aktuell.")


def _back_to_case(application):
    if application is None:
        return redirect(url_for("tasks.inbox"))
    return redirect(url_for("applications.detail", application_id=application.id))
