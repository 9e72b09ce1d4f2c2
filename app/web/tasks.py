"""Mina uppgifter and the task page: render a task's form, save a draft, complete it."""

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from app.engine.incidents import run_step
from app.engine.tasks import completed_by_user
from app.errors import Conflict, IncidentRaised, InvalidInput, NotAllowed
from app.formatting import local_today
from app.forms.presenters import form_layout
from app.grants import applications, permissions
from app.grants.case_lists import inbox_query
from app.grants.cases import case_summary
from app.grants.declarations import declarations_of_instance
from app.grants.rounds import deadline_days
from app.payouts.attest import DUE_WITHIN_DAYS, finance_work
from app.web.case_lists import inbox_spec
from app.web.context import case_forms, current_user, db, engine, language, login_required
from app.web.instructions import render_instructions
from app.web.listing import render_list
from app.web.outcomes import completion_message, form_warnings
from app.web.uploads import receive_uploads

bp = Blueprint("tasks", __name__)
# How many of the cases a reviewer has reviewed the inbox lists (the newest; the others are
# in Ansökningar), so the page does not grow with the reviewer's history.
REVIEWED_SHOWN = 20


@bp.route("/")
@login_required
def home():
    return redirect(url_for("tasks.inbox"))


@bp.route("/uppgifter")
@login_required
def inbox():
    user = current_user()
    return render_list(inbox_spec(user), inbox_query(user), "tasks/inbox.html",
                       reviewed=_reviewed_cases(user), reviewed_shown=REVIEWED_SHOWN,
                       finance=_finance_work(user), staff=permissions.is_staff(user))


def _finance_work(user) -> dict | None:
    """Finance's work is payouts, not process tasks: how many wait (within two weeks)."""
    if not user.has_role("ekonomi"):
        return None
    return finance_work(db(), local_today() + timedelta(days=DUE_WITHIN_DAYS))


def _reviewed_cases(user) -> list:
    """Cases the reviewer has submitted a review in (their door to the others' reviews)."""
    if not user.has_role(permissions.REVIEWER_ROLE):
        return []
    # The tasks in the reviewer's lane are reviews.
    done = completed_by_user(db(), user.id, permissions.REVIEWER_ROLE, limit=REVIEWED_SHOWN)
    # A reviewer who has reviewed sees the reviews of every case they may still see.
    cases = applications.applications_by_instance(db(), {t.instance_id for t in done}, user)
    return [cases[t.instance_id] for t in done if t.instance_id in cases]


@bp.route("/uppgifter/<task_id>", methods=["GET", "POST"])
@login_required
def task_page(task_id: str):
    user = current_user()
    task = applications.visible_task(db(), user, task_id)
    application = applications.application_of_instance(db(), task.instance_id)
    if task.completed_at is not None:
        flash(_done_message(task), "info")
        return _back_to_case(user, application)
    definition = engine().task_form(db(), task, language())
    if definition is None:
        return _manual_task(task, application)
    form = definition.make_form(formdata=request.form if request.method == "POST" else None,
                                data=task.draft if task.draft is not None
                                else definition.prefill(task.instance.data), base=FlaskForm,
                                days=application and deadline_days(
                                    declarations_of_instance(db(), task.instance),
                                    application.round))
    status, problem = 200, permissions.four_eyes_problem(db(), user, task, application)
    if request.method == "POST" and problem is None:
        outcome = _submit(task, definition, form, application)
        if not isinstance(outcome, int):
            return outcome
        status = outcome
    summary = application and case_summary(db(), user, application, case_forms(application),
                                           leave_out=task.form_name, lang=language())
    return render_template(
        "tasks/form.html", task=task, form=form, definition=definition, application=application,
        summary=summary, can_declare_jav=application is not None and task.role != "sokande",
        is_decision=declarations_of_instance(db(), task.instance).step_of(
            task.task_name) == "decision",
        instructions=_instructions(task),
        problem=problem, warnings=form_warnings(task, definition, form, application),
        **form_layout(definition, form),
    ), status


@bp.route("/uppgifter/<task_id>/jav", methods=["POST"])
@login_required
def declare_jav(task_id: str):
    application = applications.declare_jav(db(), current_user(), task_id,
                                           request.form.get("skal", ""))
    db().commit()
    flash(_("Din jävsanmälan är registrerad. Du deltar inte längre i ärendet."), "info")
    return _back_to_case(current_user(), application)


def _submit(task, definition, form, application):
    """Handle a POST; return a response when done, or the status to re-render the form with."""
    refused, files_changed = receive_uploads(db(), definition, form, task.instance_id,
                                             current_user().id)
    bounds = definition.draft_errors(form)
    if "spara_utkast" in request.form and bounds:
        definition.attach_errors(form, {**refused, **bounds})
        return 422
    if "spara_utkast" in request.form and not refused:
        applications.save_draft(db(), engine(), current_user(), task.id, definition.to_data(form))
        db().commit()
        flash(_("Utkastet är sparat. Du eller en kollega kan fortsätta senare."), "success")
        return redirect(url_for("tasks.task_page", task_id=task.id))
    if "spara_utkast" in request.form or definition.handle_row_actions(form):
        definition.attach_errors(form, refused)
        return 422 if refused else 200
    if not _all_checks_pass(task, definition, form, refused):
        if files_changed:  # the files stay with the draft, not only on this page
            applications.save_draft(db(), engine(), current_user(), task.id,
                                    definition.to_data(form))
            db().commit()
        return 422
    failure = _complete(task, definition.to_data(form))
    if failure is None:
        flash(completion_message(db(), task), "success")
        for warning in form_warnings(task, definition, form, application):
            flash(warning, "warning")
        return _back_to_case(current_user(), application)
    status, err = failure
    if isinstance(err, InvalidInput) and err.errors:
        definition.attach_errors(form, err.errors)
    else:
        form.form_errors.append(err.message)
    return status


def _manual_task(task, application):
    """A task without a form (a manual task): its instructions and a Klar button."""
    form = FlaskForm()
    status, problem = 200, permissions.four_eyes_problem(db(), current_user(), task, application)
    if request.method == "POST" and problem is None and form.validate_on_submit():
        failure = _complete(task, {})
        if failure is None:
            flash(completion_message(db(), task), "success")
            return _back_to_case(current_user(), application)
        status, err = failure
        form.form_errors.append(err.message)
    elif request.method == "POST" and problem is None:
        status = 422
    return render_template(
        "tasks/manual.html", task=task, form=form, application=application, problem=problem,
        instructions=_instructions(task),
    ), status


def _complete(task, data: dict):
    """Complete the task in one step; None when done, else (status, error) to show."""
    action = {"kind": "complete_task", "task_id": task.id, "data": data,
              "actor_id": current_user().id}
    try:
        run_step(db(), action, lambda: applications.complete_task(
            db(), engine(), current_user(), task.id, data, local_today()))
    except InvalidInput as err:
        return 422, err
    except (Conflict, NotAllowed) as err:
        return 409, err
    except IncidentRaised as err:
        return 503, err
    return None


def _all_checks_pass(task, definition, form, refused: dict) -> bool:
    """Check the fields, the schema and the case's rules in one go, so that one submit
    reports every problem; put the messages on the fields."""
    valid = definition.validate(form)
    problems = applications.task_problems(db(), current_user(), task.id,
                                          definition.to_data(form), local_today())
    definition.attach_errors(form, refused)
    definition.attach_errors(form, problems)
    return valid and not problems and not refused


def _instructions(task):
    """The task's instructions in the page's language, filled in from the case data."""
    return render_instructions(engine().instructions_for(task, language()), task.instance.data)


def _done_message(task) -> str:
    if task.outcome == "completed" and task.completed_by is not None:
        return _("Uppgiften är redan slutförd av %(name)s.", name=task.completed_by.display_name)
    return _("Uppgiften är inte längre aktuell.")


def _back_to_case(user, application):
    """To the case page, or to the inbox when the user may not (or no longer) see the case."""
    if application is None or not permissions.can_view_application(db(), user, application):
        return redirect(url_for("tasks.inbox"))
    return redirect(url_for("applications.detail", application_id=application.id))
