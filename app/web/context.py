"""Per-request access to the database session, the engine and the logged-in user."""

from datetime import datetime, timedelta
from functools import wraps

from flask import current_app, g, redirect, request, session, url_for
from flask_babel import get_locale
from sqlalchemy.orm import Session

from app.accounts.models import User, UserSession
from app.accounts.sessions import Lifetimes, find_session, needs_touch, touch_session
from app.db import utcnow
from app.engine.instances import Engine
from app.errors import NotFound


def db() -> Session:
    """Return this request's database session (opened on first use)."""
    if "db" not in g:
        factory = "read_sessions" if request.method in ("GET", "HEAD") else "sessions"
        g.db = current_app.extensions[factory]()
    return g.db


def language() -> str:
    """Return the language of this request's pages ("sv" or "en")."""
    return str(get_locale())


def engine() -> Engine:
    return current_app.extensions["engine"]


def catalogue():
    """Return the catalogue of the current process versions (re-checked in the database)."""
    return engine().current_catalogue(db())


def case_forms(application) -> dict:
    """Return the forms of the process version the application's case runs on."""
    return engine().versions.forms_of(db(), application.instance.process_version)


def close_db(_exc=None) -> None:
    session_ = g.pop("db", None)
    if session_ is not None:
        session_.close()


def current_user() -> User | None:
    """Return the logged-in, active user whose session is still valid, or None."""
    found = current_user_session()
    return found.user if found is not None else None


def current_user_session() -> UserSession | None:
    """Return this request's live login session (looked up once per request), or None."""
    if "user_session" in g:
        return g.user_session
    g.user_session = None
    token = session.get("sid")
    if token is None:
        return None
    now = utcnow()
    found = find_session(db(), token, now, session_lifetimes())
    if found is None:
        # Revoked, expired or deactivated: forget it, but keep the rest (a CSRF token the
        # login form on this very page has just put there).
        session.pop("sid", None)
        return None
    if needs_touch(found, now):
        _touch(found.id, now)
    g.user_session = found
    return found


def session_lifetimes() -> Lifetimes:
    """Return the idle and absolute session lifetimes of the settings."""
    config = current_app.config
    return Lifetimes(idle=timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
                     absolute=timedelta(hours=config["SESSION_MAX_HOURS"]))


def _touch(session_id: str, now: datetime) -> None:
    if request.method not in ("GET", "HEAD"):
        touch_session(db(), session_id, now)  # commits with the request's own transaction
        return
    # A reading request's session never writes (on SQLite it holds no write lock): a short
    # transaction of its own records the activity.
    with current_app.extensions["sessions"]() as writer:
        touch_session(writer, session_id, now)
        writer.commit()


def clear_session() -> None:
    """Forget the login but keep the language the visitor chose (before or after it)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def login_required(view):
    """Send anonymous visitors to the login page."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_user() is None:
            return redirect(url_for("auth.login", next=request.full_path))
        return view(*args, **kwargs)
    return wrapped


def role_required(*roles: str):
    """Allow only users holding one of the roles; others get 404 (nothing to see here)."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user().roles & set(roles):
                raise NotFound("Sidan finns inte.")
            return view(*args, **kwargs)
        return wrapped
    return decorator
