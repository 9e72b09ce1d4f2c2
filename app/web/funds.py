"""Fonder och ansökningsomgångar: the administrator creates and edits funds, opens rounds,
changes a round's budget and closes a round early (app.grants.funds, app.grants.rounds)."""

from collections.abc import Mapping

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.errors import InvalidInput
from app.formatting import local_today
from app.grants import funds, rounds
from app.grants.budget import ledger_for
from app.web.context import catalogue, current_user, db, language, role_required

bp = Blueprint("funds", __name__, url_prefix="/admin/fonder")


@bp.route("")
@role_required("admin")
def index():
    return render_template("admin/funds.html", funds=funds.list_funds(db()), today=local_today())


@bp.route("/ny", methods=["GET", "POST"])
@role_required("admin")
def create():
    if request.method == "GET":
        return _fund_page(None, funds.fund_values(None))
    try:
        fund = funds.create_fund(db(), request.form, processes=_processes(),
                                 actor_id=current_user().id, config=current_app.config)
    except InvalidInput as err:
        db().rollback()
        return _fund_page(None, request.form, err.errors), 422
    db().commit()
    flash(_("Fonden %(name)s är skapad.", name=fund.name), "success")
    return redirect(url_for("funds.index"))


@bp.route("/<int:fund_id>", methods=["GET", "POST"])
@role_required("admin")
def edit(fund_id: int):
    fund = funds.get_fund(db(), fund_id)
    if request.method == "GET":
        return _fund_page(fund, funds.fund_values(fund))
    try:
        funds.update_fund(db(), fund, request.form, processes=_processes(),
                          actor_id=current_user().id, config=current_app.config)
    except InvalidInput as err:
        db().rollback()
        return _fund_page(fund, request.form, err.errors), 422
    db().commit()
    flash(_("Fonden %(name)s är sparad.", name=fund.name), "success")
    return redirect(url_for("funds.index"))


@bp.route("/<int:fund_id>/omgangar/ny", methods=["GET", "POST"])
@role_required("admin")
def open_round(fund_id: int):
    fund = funds.get_fund(db(), fund_id)
    criteria = rounds.review_criteria(catalogue().forms, language())
    if request.method == "GET":
        return _round_form(fund, criteria, rounds.round_values())
    try:
        fund_round = rounds.open_round(db(), fund, request.form, criteria=criteria,
                                       today=local_today(), actor_id=current_user().id)
    except InvalidInput as err:
        db().rollback()
        return _round_form(fund, criteria, request.form, err.errors), 422
    db().commit()
    flash(_("Omgången %(name)s är öppnad.", name=fund_round.name), "success")
    return redirect(url_for("funds.round_page", round_id=fund_round.id))


@bp.route("/omgangar/<int:round_id>")
@role_required("admin")
def round_page(round_id: int):
    return _round_page(rounds.get_round(db(), round_id), {})


@bp.route("/omgangar/<int:round_id>/andra", methods=["GET", "POST"])
@role_required("admin")
def edit_round(round_id: int):
    fund_round = rounds.get_round(db(), round_id)
    criteria = rounds.review_criteria(catalogue().forms, language())
    if request.method == "GET":
        return _round_form(fund_round.fund, criteria, rounds.round_values(fund_round),
                           editing=fund_round)
    try:
        rounds.update_round(db(), round_id, request.form, criteria=criteria,
                            today=local_today(), actor_id=current_user().id,
                            review_schema=rounds.review_schema_of(catalogue().forms))
    except InvalidInput as err:
        db().rollback()
        return _round_form(fund_round.fund, criteria, request.form, err.errors,
                           editing=fund_round), 422
    db().commit()
    flash(_("Omgången %(name)s är sparad.", name=fund_round.name), "success")
    return redirect(url_for("funds.round_page", round_id=round_id))


@bp.route("/omgangar/<int:round_id>/budget", methods=["POST"])
@role_required("admin")
def change_budget(round_id: int):
    try:
        fund_round = rounds.change_budget(db(), round_id, request.form,
                                          actor_id=current_user().id)
    except InvalidInput as err:
        db().rollback()
        return _round_page(rounds.get_round(db(), round_id), request.form, err.errors), 422
    db().commit()
    flash(_("Budgeten är ändrad."), "success")
    return redirect(url_for("funds.round_page", round_id=fund_round.id))


@bp.route("/omgangar/<int:round_id>/stang", methods=["GET", "POST"])
@role_required("admin")
def close_round(round_id: int):
    fund_round = rounds.get_round(db(), round_id)
    if request.method == "GET":
        return _close_page(fund_round, {})
    try:
        if request.form.get("bekrafta") != "ja":
            raise InvalidInput(_("Bekräfta att omgången ska stängas."), {"bekrafta": [
                _("Kryssa i rutan för att bekräfta att omgången ska stängas i dag.")]})
        rounds.close_round(db(), round_id, request.form, today=local_today(),
                           actor_id=current_user().id)
    except InvalidInput as err:
        db().rollback()
        return _close_page(rounds.get_round(db(), round_id), request.form, err.errors), 422
    db().commit()
    flash(_("Omgången är stängd. Sista ansökningsdag är i dag."), "success")
    return redirect(url_for("funds.round_page", round_id=round_id))


def _processes() -> dict:
    return catalogue().processes


def _fund_page(fund, values: Mapping, errors: Mapping | None = None):
    return render_template("admin/fund_form.html", fund=fund, values=values,
                           errors=errors or {}, processes=_processes())


def _round_form(fund, criteria, values: Mapping, errors: Mapping | None = None, editing=None):
    return render_template("admin/round_form.html", fund=fund, criteria=criteria,
                           values=values, errors=errors or {}, editing=editing,
                           weight_prefix=rounds.WEIGHT_PREFIX)


def _round_page(fund_round, values: Mapping, errors: Mapping | None = None):
    ledger = ledger_for(db(), fund_round.id)
    criteria = rounds.round_criteria(rounds.review_criteria(catalogue().forms, language()),
                                     fund_round)
    return render_template("admin/round.html", round=fund_round, ledger=ledger,
                           committed=rounds.committed(ledger), criteria=criteria,
                           values=values, errors=errors or {}, today=local_today())


def _close_page(fund_round, values: Mapping, errors: Mapping | None = None):
    return render_template("admin/round_close.html", round=fund_round, values=values,
                           errors=errors or {}, today=local_today())
