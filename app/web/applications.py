"""Ansökningar: the list, a new draft, and the case page (status, data, history)."""


from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.attachments.operations import attachments_of_instance
from app.audit import events_for_instance
from app.db import utcnow
from app.engine.incidents import run_step
from app.engine.models import HumanTask
from app.errors import Conflict, InvalidInput, NotFound
from app.formatting import local_today
from app.grants import applications, permissions
from app.grants.case_lists import applications_query
from app.grants.cases import case_summary
from app.grants.decisions import correct_decision, is_replaced
from app.grants.models import Decision
from app.grants.statuses import status_kinds
from app.letters.issue import decisions_with_letters
from app.payouts.plans import payouts_of
from app.storage import storage_from_config
from app.web import process_map
from app.web.case_lists import applications_spec
from app.web.context import case_forms, current_user, db, engine, language, login_required
from app.web.listing import render_list

bp = Blueprint("applications", __name__)


@bp.route("/ansokningar")
@login_required
def index():
    return _index_page()


def _index_page(errors: dict | None = None, typed: dict | None = None):
    """The list and, for an applicant, the open rounds to start in (with a choice of
    organisation when they act for several)."""
    user = current_user()
    rounds = applications.open_rounds(db(), local_today())
    can_start = permissions.can_start_application(user)
    page = render_list(
        applications_spec(user), applications_query(user), "applications/index.html",
        rounds=rounds, can_start=can_start, choices=[o for o in user.organisations if o.active],
        errors=errors or {}, typed=typed or {},
        about_rows=lambda rows: {"kinds": status_kinds(db(), rows, utcnow())})
    if errors and isinstance(page, tuple):  # the refused start: the page with its messages
        return page[0], 422
    return page


@bp.route("/ansokningar/ny", methods=["POST"])
@login_required
def new():
    round_id = _form_id("round_id") or 0  # no round has 0: not found, not a 500
    organisation_id = _form_id("organisation_id")
    action = {"kind": "start_application", "round_id": round_id, "actor_id": current_user().id}
    try:
        application = run_step(db(), action, lambda: applications.start_application(
            db(), engine(), current_user(), round_id, local_today(), organisation_id))
    except InvalidInput as err:
        if "organisation_id" not in err.errors:
            raise
        db().rollback()
        return _index_page(err.errors, {"round_id": round_id,
                                        "organisation_id": organisation_id})
    flash(_("Ett utkast är skapat. Fyll i ansökan och skicka in den."), "success")
    first = db().scalars(select(HumanTask.id).where(
        HumanTask.instance_id == application.process_instance_id,
        HumanTask.completed_at.is_(None))).first()
    if first is None:
        return redirect(url_for("applications.detail", application_id=application.id))
    return redirect(url_for("tasks.task_page", task_id=first))


def _form_id(name: str) -> int | None:
    """A row id posted in the form; None when missing, not a number or out of range."""
    value = request.form.get(name, type=int)
    return value if value is not None and 0 < value < 2**31 else None


@bp.route("/ansokningar/<int:application_id>")
@login_required
def detail(application_id: int):
    user = current_user()
    application = applications.get_application(db(), user, application_id)
    instance_id = application.process_instance_id
    open_tasks = [t for t in db().scalars(select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.completed_at.is_(None)))
        if permissions.can_view_task(user, t)]
    summary = case_summary(db(), user, application, case_forms(application),
                           lang=language())
    history = (events_for_instance(db(), instance_id)
               if permissions.can_see_history(user, application) else None)
    can_withdraw = permissions.can_withdraw(user, application)
    return render_template("applications/detail.html", application=application,
                           open_tasks=open_tasks, summary=summary, history=history,
                           can_withdraw=can_withdraw,
                           can_delete=permissions.can_delete_draft(user, application),
                           kind=status_kinds(db(), [application], utcnow())[application.id],
                           attachments=attachments_of_instance(db(), instance_id),
                           replaced={d.id for d in application.decisions if is_replaced(db(), d)},
                           can_correct=user.has_role("beslutsfattare"),
                           with_letter=decisions_with_letters(
                               db(), [d.id for d in application.decisions]),
                           payouts=payouts_of(db(), application.id),
                           steps=process_map.steps_or_none(application))


@bp.route("/ansokningar/<int:application_id>/aterkalla", methods=["GET", "POST"])
@login_required
def withdraw(application_id: int):
    user = current_user()
    application = applications.get_application(db(), user, application_id)
    if not permissions.is_own(user, application):
        raise NotFound("Sidan finns inte.")
    problem = permissions.withdrawal_problem(application)
    if problem:
        raise Conflict(problem)
    if request.method == "POST":
        reason = request.form.get("orsak", "")
        action = {"kind": "withdraw", "application_id": application.id, "actor_id": user.id}
        run_step(db(), action, lambda: applications.withdraw_application(
            db(), engine(), user, application.id, reason))
        flash(_("Ansökan är återkallad. Alla pågående steg är avslutade."), "success")
        return redirect(url_for("applications.detail", application_id=application.id))
    return render_template("applications/withdraw.html", application=application)


@bp.route("/ansokningar/<int:application_id>/ta-bort", methods=["GET", "POST"])
@login_required
def delete_draft(application_id: int):
    user = current_user()
    application = applications.get_application(db(), user, application_id)
    if not permissions.can_delete_draft(user, application):
        raise NotFound("Sidan finns inte.")
    if request.method == "POST":
        action = {"kind": "delete_draft", "application_id": application.id, "actor_id": user.id}
        run_step(db(), action, lambda: applications.delete_draft(
            db(), engine(), user, application.id, storage_from_config(current_app.config)))
        flash(_("Utkastet är borttaget."), "success")
        return redirect(url_for("applications.index"))
    return render_template("applications/delete_draft.html", application=application)


@bp.route("/beslut/<int:decision_id>/ratta", methods=["POST"])
@login_required
def correct(decision_id: int):
    user = current_user()
    decision = db().get(Decision, decision_id)
    if decision is None or not permissions.can_view_application(db(), user, decision.application):
        raise NotFound("Beslutet finns inte.")
    try:
        correct_decision(db(), user, decision_id, motivation=request.form.get("motivering", ""),
                         conditions=request.form.get("villkor", ""),
                         reason=request.form.get("skal", ""),
                         storage=storage_from_config(current_app.config),
                         config=current_app.config)
    except InvalidInput as err:
        flash(" ".join(m for msgs in err.errors.values() for m in msgs) or err.message, "error")
        return redirect(url_for("applications.detail", application_id=decision.application_id))
    db().commit()
    flash(_("Rättelsen är registrerad som ett nytt beslut."), "success")
    return redirect(url_for("applications.detail", application_id=decision.application_id))
