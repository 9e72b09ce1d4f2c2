"""Log-in and log-out with local accounts."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from app.accounts.models import User
from app.accounts.passwords import hash_password, verify_password
from app.audit import AuditEvent, record_event
from app.web.context import clear_session, current_user, db

bp = Blueprint("auth", __name__)

THROTTLE_WINDOW = timedelta(minutes=15)
THROTTLE_MAX_FAILURES = 5

# Verified against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = hash_password("ingen-sadan-anvandare")


class LoginForm(FlaskForm):
    username = StringField(lazy_gettext("Användarnamn"), validators=[
        DataRequired(lazy_gettext("Ange användarnamn.")), Length(max=80)])
    password = PasswordField(lazy_gettext("Lösenord"), validators=[
        DataRequired(lazy_gettext("Ange lösenord.")), Length(max=128)])


@bp.route("/logga-in", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip()
        if login_throttled(db(), username, datetime.now(UTC)):
            form.password.errors.append(_("För många misslyckade inloggningar. Vänta en "
                                          "kvart och försök igen."))
            return render_template("auth/login.html", form=form), 429
        user = authenticate(username, form.password.data)
        if user is not None:
            start_session(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("tasks.inbox"))
        record_event(db(), "login_failed", "Misslyckad inloggning",
                     details={"username": username[:80], "ip": request.remote_addr})
        db().commit()
        form.password.errors.append(_("Fel användarnamn eller lösenord."))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 422


@bp.route("/logga-ut", methods=["POST"])
def logout():
    user = current_user()
    if user is not None:
        record_event(db(), "logout", "Utloggad", actor_id=user.id)
        db().commit()
    clear_session()
    flash(_("Du är utloggad."), "info")
    return redirect(url_for("auth.login"))


def login_throttled(session, username: str, now: datetime) -> bool:
    """Too many failed logins for this username lately (kept in the database, so every
    process and server shares the count)."""
    since = now - THROTTLE_WINDOW
    failures = session.scalar(
        select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "login_failed", AuditEvent.at >= since,
            AuditEvent.details["username"].as_string() == username))
    return failures >= THROTTLE_MAX_FAILURES


def authenticate(username: str, password: str) -> User | None:
    user = db().scalars(select(User).where(User.username == username)).first()
    ok = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if not ok or user is None or not user.active:
        return None
    return user


def start_session(user: User) -> None:
    clear_session()  # a new session at login (no fixation)
    session.permanent = False
    session.update(user_id=user.id, epoch=user.session_epoch,
                   seen=int(datetime.now(UTC).timestamp()))
    record_event(db(), "login", "Inloggad", actor_id=user.id)
    db().commit()


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
