"""Användare: the administrator creates, edits, invites and deactivates users
(app.accounts.users, app.accounts.tokens)."""

from collections.abc import Mapping

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts import users
from app.accounts.models import User
from app.accounts.roles import ROLES
from app.accounts.tokens import invite_user
from app.db import utcnow
from app.errors import InvalidInput, NotAllowed
from app.grants.models import Organisation
from app.web.context import current_user, db, role_required
from app.web.listing import render_list
from app.web.other_lists import users_spec

bp = Blueprint("users", __name__, url_prefix="/admin/anvandare")


@bp.route("")
@role_required("admin")
def index():
    return render_list(users_spec(), select(User), "admin/users.html")


@bp.route("/ny", methods=["GET", "POST"])
@role_required("admin")
def create():
    if request.method == "GET":
        return _user_page(None, users.user_values(None))
    try:
        user = users.create_user(db(), request.form, actor_id=current_user().id)
        invite_user(db(), user, utcnow(), _token_settings(), actor_id=current_user().id)
    except InvalidInput as err:
        db().rollback()
        return _user_page(None, _typed(request.form), err.errors), 422
    db().commit()
    flash(_("Användaren %(name)s är skapad och har fått en inbjudan per e-post.",
            name=user.username), "success")
    return redirect(url_for("users.index"))


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@role_required("admin")
def edit(user_id: int):
    user = users.get_user(db(), user_id)
    if request.method == "GET":
        return _user_page(user, users.user_values(user))
    try:
        users.update_user(db(), user, request.form, actor_id=current_user().id)
    except InvalidInput as err:
        db().rollback()
        return _user_page(user, _typed(request.form), err.errors), 422
    db().commit()
    flash(_("Användaren %(name)s är sparad.", name=user.username), "success")
    return redirect(url_for("users.index"))


@bp.route("/<int:user_id>/inaktivera", methods=["POST"])
@role_required("admin")
def deactivate(user_id: int):
    user = users.get_user(db(), user_id)
    try:
        users.deactivate_user(db(), user, utcnow(), actor_id=current_user().id)
    except NotAllowed as err:
        db().rollback()
        return _user_page(user, users.user_values(user), {"": [err.message]}), 422
    db().commit()
    flash(_("%(name)s är inaktiverad och utloggad.", name=user.username), "success")
    return redirect(url_for("users.edit", user_id=user_id))


@bp.route("/<int:user_id>/aktivera", methods=["POST"])
@role_required("admin")
def reactivate(user_id: int):
    user = users.get_user(db(), user_id)
    users.reactivate_user(db(), user, actor_id=current_user().id)
    db().commit()
    flash(_("%(name)s är aktiv igen.", name=user.username), "success")
    return redirect(url_for("users.edit", user_id=user_id))


@bp.route("/<int:user_id>/inbjudan", methods=["POST"])
@role_required("admin")
def invite(user_id: int):
    user = users.get_user(db(), user_id)
    try:
        invite_user(db(), user, utcnow(), _token_settings(), actor_id=current_user().id)
    except InvalidInput as err:
        db().rollback()
        return _user_page(user, users.user_values(user), err.errors), 422
    db().commit()
    flash(_("En ny inbjudan är skickad till %(email)s.", email=user.email), "success")
    return redirect(url_for("users.edit", user_id=user_id))


def _token_settings():
    return current_app.extensions["token_settings"]


def _typed(form) -> dict:
    """The values as typed (roles as a list), to show the form again."""
    return {**form.to_dict(), "roles": form.getlist("roles"),
            "organisation_ids": form.getlist("organisation_ids")}


def _user_page(user, values: Mapping, errors: Mapping | None = None):
    organisations = db().execute(select(Organisation.id, Organisation.name)
                                 .order_by(Organisation.name)).all()
    return render_template("admin/user_form.html", user=user, values=values,
                           errors=errors or {}, roles=ROLES, organisations=organisations)
