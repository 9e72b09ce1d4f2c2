"""Changes to an account that end its sessions: a new password, deactivation."""

from datetime import datetime

from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.passwords import hash_password, password_problem
from app.accounts.sessions import revoke_user_sessions
from app.audit import record_event
from app.errors import InvalidInput


def set_password(session: Session, user: User, password: str, now: datetime, *,
                 actor_id: int | None = None) -> int:
    """Give the user a new password and end every session they have; return how many."""
    problem = password_problem(password)
    if problem:
        raise InvalidInput(problem, {"password": [problem]})
    user.password_hash = hash_password(password)
    record_event(session, "password_set", f"Nytt lösenord för {user.username}",
                 actor_id=actor_id, details={"user_id": user.id})
    return revoke_user_sessions(session, user, now, reason="password", actor_id=actor_id)


def deactivate_user(session: Session, user: User, now: datetime, *,
                    actor_id: int | None = None) -> int:
    """Stop the user from logging in and end every session they have; return how many."""
    user.active = False
    record_event(session, "user_deactivated", f"{user.username} inaktiverad",
                 actor_id=actor_id, details={"user_id": user.id})
    return revoke_user_sessions(session, user, now, reason="deactivated", actor_id=actor_id)
