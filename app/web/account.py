"""Ditt konto: choose a password from an e-mailed link (invitation, forgot password) and
change your own password (app.accounts.tokens, app.accounts.users)."""

import time

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts.passwords import MAX_LENGTH, MIN_LENGTH, verify_password
from app.accounts.tokens import find_token, request_reset, use_token
from app.accounts.users import set_password
from app.db import utcnow
from app.errors import InvalidInput
from app.web.auth import begin_session, client_address
from app.web.context import current_user, db, login_required

bp = Blueprint("account", __name__, url_prefix="/konto")
# "Forgot password" answers no sooner than this, so the time taken to queue a link does not
# tell whether an account has the address (the work itself takes ~10 ms).
FORGOT_MIN_SECONDS = 0.2


@bp.route("/glomt-losenord", methods=["GET", "POST"])
def forgot():
    if request.method == "GET":
        return render_template("account/forgot.html", values={}, errors={})
    started = time.monotonic()
    email = (request.form.get("email") or "").strip()
    if not email or "@" not in email or len(email) > 254:
        errors = {"email": [_("Ange den e-postadress som ditt konto har.")]}
        return render_template("account/forgot.html", values={"email": email[:254]},
                               errors=errors), 422
    if not request_reset(db(), email, client_address(), utcnow(),
                         current_app.extensions["token_settings"]):
        db().rollback()
        errors = {"email": [_("För många förfrågningar från din adress. Vänta en stund och "
                              "försök igen.")]}
        return render_template("account/forgot.html", values={"email": email},
                               errors=errors), 429
    db().commit()
    time.sleep(max(0.0, FORGOT_MIN_SECONDS - (time.monotonic() - started)))
    return render_template("account/forgot_sent.html", email=email)


@bp.route("/losenord/<token>", methods=["GET", "POST"])
def choose_password(token: str):
    if find_token(db(), token, utcnow()) is None:
        return render_template("account/link_expired.html"), 404
    if request.method == "GET":
        return _choose_page({})
    password = request.form.get("password") or ""
    if password != (request.form.get("password2") or ""):
        return _choose_page({"password2": [_("Lösenorden är inte lika.")]}), 422
    try:
        user = use_token(db(), token, password, utcnow())
    except InvalidInput as err:
        db().rollback()
        return _choose_page(err.errors), 422
    db().commit()
    begin_session(user, utcnow())
    flash(_("Ditt lösenord är sparat och du är inloggad."), "success")
    return redirect(url_for("tasks.inbox"))


@bp.route("/byt-losenord", methods=["GET", "POST"])
@login_required
def change_password():
    if request.method == "GET":
        return _change_page({})
    user = current_user()
    if not verify_password(user.password_hash, request.form.get("current") or ""):
        return _change_page({"current": [_("Det nuvarande lösenordet stämmer inte.")]}), 422
    password = request.form.get("password") or ""
    if password != (request.form.get("password2") or ""):
        return _change_page({"password2": [_("Lösenorden är inte lika.")]}), 422
    try:
        set_password(db(), user, password, utcnow(), actor_id=user.id)
    except InvalidInput as err:
        db().rollback()
        return _change_page(err.errors), 422
    db().commit()
    begin_session(user, utcnow())  # every other session of the user has ended
    flash(_("Ditt lösenord är bytt. Du är utloggad på alla andra enheter."), "success")
    return redirect(url_for("tasks.inbox"))


def _choose_page(errors):
    return render_template("account/choose_password.html", errors=errors,
                           min_length=MIN_LENGTH, max_length=MAX_LENGTH)


def _change_page(errors):
    return render_template("account/change_password.html", errors=errors,
                           min_length=MIN_LENGTH, max_length=MAX_LENGTH)
