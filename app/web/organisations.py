"""Organisationer: the administrator keeps each organisation's payout details."""

from collections.abc import Mapping

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.errors import InvalidInput, NotFound
from app.grants import organisations
from app.grants.models import ORGANISATION_KINDS, Organisation
from app.payouts.identifiers import describe_account
from app.payouts.payees import (
    ACCOUNT_KIND_NAMES,
    PAYEE_FIELDS,
    is_internal,
    payee_problems,
    update_payee,
)
from app.web.context import current_user, db, role_required
from app.web.listing import render_list
from app.web.other_lists import organisations_spec

bp = Blueprint("organisations", __name__, url_prefix="/admin/organisationer")


@bp.route("")
@role_required("admin")
def index():
    return render_list(organisations_spec(payout_details, payee_problems), select(Organisation),
                       "admin/organisations.html", kinds=ORGANISATION_KINDS,
                       problems=payee_problems, payout_details=payout_details)


@bp.route("/<int:organisation_id>", methods=["GET", "POST"])
@role_required("admin")
def edit(organisation_id: int):
    organisation = db().get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound("Organisationen finns inte.")
    if request.method == "GET":
        return _edit_page(organisation, {n: getattr(organisation, n) or "" for n in PAYEE_FIELDS})
    try:
        update_payee(db(), current_user(), organisation, request.form)
    except InvalidInput as err:
        db().rollback()
        return _edit_page(organisation, request.form, err.errors), 422
    db().commit()
    flash(_("Utbetalningsuppgifterna för %(name)s är sparade.", name=organisation.name),
          "success")
    return redirect(url_for("organisations.index"))


@bp.route("/ny", methods=["GET", "POST"])
@role_required("admin")
def create():
    if request.method == "GET":
        return _details_page(None, organisations.organisation_values(None))
    try:
        organisation = organisations.create_organisation(db(), request.form,
                                                         actor_id=current_user().id)
    except InvalidInput as err:
        db().rollback()
        return _details_page(None, request.form, err.errors), 422
    db().commit()
    flash(_("Organisationen %(name)s är skapad.", name=organisation.name), "success")
    return redirect(url_for("organisations.index"))


@bp.route("/<int:organisation_id>/uppgifter", methods=["GET", "POST"])
@role_required("admin")
def details(organisation_id: int):
    organisation = organisations.get_organisation(db(), organisation_id)
    if request.method == "GET":
        return _details_page(organisation, organisations.organisation_values(organisation))
    try:
        organisations.update_organisation(db(), organisation, request.form,
                                          actor_id=current_user().id)
    except InvalidInput as err:
        db().rollback()
        return _details_page(organisation, request.form, err.errors), 422
    db().commit()
    flash(_("Organisationen %(name)s är sparad.", name=organisation.name), "success")
    return redirect(url_for("organisations.index"))


def payout_details(organisation: Organisation) -> str:
    """How the organisation gets its money, for people to read."""
    if is_internal(organisation):
        if not organisation.cost_centre:
            return "–"
        return _("Intern överföring till ansvar %(code)s", code=organisation.cost_centre)
    if not organisation.account_kind or not organisation.account:
        return "–"
    text = describe_account(organisation.account_kind, organisation.account)
    return f"{text} (BIC {organisation.bic})" if organisation.bic else text


def _edit_page(organisation: Organisation, values: Mapping, errors: Mapping | None = None):
    return render_template("admin/organisations_edit.html", organisation=organisation,
                           values=values, errors=errors or {}, kinds=ORGANISATION_KINDS,
                           account_kinds=ACCOUNT_KIND_NAMES)


def _details_page(organisation, values: Mapping, errors: Mapping | None = None):
    return render_template("admin/organisation_form.html", organisation=organisation,
                           values=values, errors=errors or {}, kinds=ORGANISATION_KINDS,
                           account_kinds=ACCOUNT_KIND_NAMES)
