"""Per-request access to the database session, the engine and the logged-in user."""

from datetime import UTC, datetime, timedelta
from functools import wraps

from flask import current_app, g, redirect, request, session, url_for
from flask_babel import get_locale
from sqlalchemy.orm import Session

from app.accounts.models import User
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


def close_db(_exc=None) -> None:
    session_ = g.pop("db", None)
    if session_ is not None:
        session_.close()


def current_user() -> User | None:
    """Return the logged-in, active user whose session is still valid, or None."""
    if "user" in g:
        return g.user
    g.user = None
    user_id = session.get("user_id")
    if user_id is not None:
        user = db().get(User, user_id)
        idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
        seen = datetime.fromtimestamp(session.get("seen", 0), UTC)
        now = datetime.now(UTC)
        if (user and user.active and user.session_epoch == session.get("epoch")
                and now - seen < idle):
            g.user = user
            session["seen"] = int(now.timestamp())
        else:
            clear_session()
    return g.user


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
