"""Log-in and log-out with local accounts (log-out also at the SSO provider); the client
address behind trusted proxies."""

import math
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from app.accounts.models import User
from app.accounts.oidc import logout_url
from app.accounts.passwords import hash_password, verify_password
from app.accounts.sessions import end_session, start_session
from app.accounts.throttle import login_wait, record_failed_login, record_successful_login
from app.audit import record_event
from app.db import utcnow
from app.forms.validation import HIDDEN_CHARACTERS
from app.web.context import clear_session, current_user_session, db

bp = Blueprint("auth", __name__)

# Verified against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = hash_password("ingen-sadan-anvandare")


def no_hidden_characters(_form, field) -> None:
    """Refuse NUL, other control characters and invisible direction marks in a user name."""
    if field.data and HIDDEN_CHARACTERS.search(field.data):
        raise ValidationError(_("Användarnamnet innehåller osynliga styr- eller "
                                "riktningstecken. Ta bort dem och försök igen."))


class LoginForm(FlaskForm):
    username = StringField(lazy_gettext("Användarnamn"), validators=[
        DataRequired(lazy_gettext("Ange användarnamn.")), Length(max=80), no_hidden_characters])
    password = PasswordField(lazy_gettext("Lösenord"), validators=[
        DataRequired(lazy_gettext("Ange lösenord.")), Length(max=128)])


@bp.route("/logga-in", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if not current_app.config["LOCAL_LOGIN"]:
        return _local_login_off(form)
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 422 if form.errors else 200
    username, address, now = form.username.data.strip(), client_address(), utcnow()
    wait = login_wait(db(), username, address, now)
    if wait > timedelta(0):
        return _throttled(form, wait)
    user = authenticate(username, form.password.data)
    if user is None:
        record_failed_login(db(), username, address, now)
        record_event(db(), "login_failed", "Misslyckad inloggning",
                     details={"username": username[:80], "ip": address})
        db().commit()
        form.password.errors.append(_("Fel användarnamn eller lösenord."))
        return render_template("auth/login.html", form=form), 422
    record_successful_login(db(), username, address)
    begin_session(user, now)
    return redirect(_safe_next(request.args.get("next")) or url_for("tasks.inbox"))


@bp.route("/logga-ut", methods=["POST"])
def logout():
    user_session = current_user_session()
    if user_session is not None:
        end_session(db(), user_session, utcnow())  # the cookie is worthless from now on
        db().commit()
    there = _provider_logout(session.get("oidc_id_token"), session.get("oidc_end_session"))
    clear_session()
    flash(_("Du är utloggad."), "info")
    return redirect(there or url_for("auth.login"))


def client_address() -> str:
    """Return the client's address (the proxies' X-Forwarded-For if TRUSTED_PROXIES is set)."""
    return request.remote_addr or ""


def authenticate(username: str, password: str) -> User | None:
    user = db().scalars(select(User).where(User.username == username)).first()
    ok = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if not ok or user is None or not user.active:
        return None
    return user


def begin_session(user: User, now: datetime) -> None:
    """Open a server-side session; the cookie gets only its token (a new one: no fixation)."""
    clear_session()
    token = start_session(db(), user, now, client_address=client_address(),
                          user_agent=request.user_agent.string)
    db().commit()
    session["sid"] = token


def _provider_logout(id_token: str | None, end_session_endpoint: str | None) -> str | None:
    """Return the provider's end-session URL after an SSO log-in (RP-initiated logout)."""
    settings = current_app.extensions.get("oidc")
    if settings is None or not end_session_endpoint:
        return None
    return logout_url({"end_session_endpoint": end_session_endpoint}, settings, id_token,
                      url_for("auth.login", _external=True))


def _local_login_off(form: LoginForm):
    """Local accounts are switched off (LOCAL_LOGIN): the page offers single sign-on only and
    a posted password is refused without being looked at."""
    if request.method == "POST":
        refused = _("Inloggning med lösenord är avstängd. Logga in via organisationens "
                    "inloggningstjänst.")
        return render_template("auth/login.html", form=form, refused=refused), 403
    return render_template("auth/login.html", form=form)


def _throttled(form: LoginForm, wait: timedelta):
    seconds = math.ceil(wait.total_seconds())
    if seconds < 120:
        message = _("För många misslyckade inloggningar. Vänta %(seconds)s sekunder och "
                    "försök igen.", seconds=seconds)
    else:
        message = _("För många misslyckade inloggningar. Vänta %(minutes)s minuter och "
                    "försök igen.", minutes=math.ceil(seconds / 60))
    form.password.errors.append(message)
    response = render_template("auth/login.html", form=form), 429
    return (*response, {"Retry-After": str(seconds)})


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
