"""Server-side login sessions: started at login, checked on every request, revoked at logout,
on a password change and on deactivation. The cookie carries only a random token; the table
keeps its SHA-256, so a leaked table gives no usable cookie."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.accounts.models import User, UserSession
from app.audit import record_event
from app.forms.validation import HIDDEN_CHARACTERS

# last_seen_at is written at most this often (a write per request would be a write per page).
TOUCH_INTERVAL = timedelta(minutes=1)
# How long a client address counts as one the user has logged in from (see throttle.py).
KNOWN_ADDRESS_DAYS = 30


@dataclass(frozen=True)
class Lifetimes:
    """How long a session lasts: since the last request (idle) and since login (absolute)."""

    idle: timedelta
    absolute: timedelta


def token_id(token: str) -> str:
    """Return the stored id of a session token (its SHA-256, hex)."""
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User, now: datetime, *, client_address: str = "",
                  user_agent: str = "") -> str:
    """Open a session for a user who has just logged in; return the token for the cookie.
    The user's sessions older than KNOWN_ADDRESS_DAYS go (so the table does not grow)."""
    session.execute(delete(UserSession).where(
        UserSession.user_id == user.id,
        UserSession.created_at < now - timedelta(days=KNOWN_ADDRESS_DAYS)))
    token = secrets.token_urlsafe(32)
    address = _printable(client_address)[:64]
    session.add(UserSession(id=token_id(token), user_id=user.id, created_at=now,
                            last_seen_at=now, client_address=address,
                            user_agent=_printable(user_agent)[:255]))
    record_event(session, "login", "Inloggad", actor_id=user.id,
                 details={"ip": address})
    return token


def find_session(session: Session, token: str | None, now: datetime,
                 lifetimes: Lifetimes) -> UserSession | None:
    """Return the live session of a token (with its user), or None if it is unknown, revoked,
    idle or too old, or its user is deactivated. One primary-key lookup."""
    if not token or not isinstance(token, str):
        return None
    found = session.get(UserSession, token_id(token))
    if found is None or not is_live(found, now, lifetimes):
        return None
    return found


def is_live(user_session: UserSession, now: datetime, lifetimes: Lifetimes) -> bool:
    """Return True if the session may still be used at `now`."""
    return (user_session.revoked_at is None and user_session.user.active
            and now - user_session.last_seen_at < lifetimes.idle
            and now - user_session.created_at < lifetimes.absolute)


def needs_touch(user_session: UserSession, now: datetime) -> bool:
    """Return True if last_seen_at is old enough to be written again."""
    return now - user_session.last_seen_at >= TOUCH_INTERVAL


def touch_session(session: Session, session_id: str, now: datetime) -> None:
    """Record activity on a session (a conditional update: concurrent requests write once)."""
    session.execute(update(UserSession).where(
        UserSession.id == session_id,
        UserSession.last_seen_at <= now - TOUCH_INTERVAL).values(last_seen_at=now))


def end_session(session: Session, user_session: UserSession, now: datetime) -> None:
    """Revoke one session at logout."""
    _revoke(user_session, now, "logout")
    record_event(session, "logout", "Utloggad", actor_id=user_session.user_id)


def revoke_user_sessions(session: Session, user: User, now: datetime, *, reason: str,
                         actor_id: int | None = None) -> int:
    """Revoke every live session of a user (password change, deactivation, "log out
    everywhere"); return how many there were."""
    live = session.scalars(select(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None))).all()
    for user_session in live:
        _revoke(user_session, now, reason)
    record_event(session, "sessions_revoked",
                 f"Alla inloggningar för {user.username} avslutade ({len(live)})",
                 actor_id=actor_id, details={"user_id": user.id, "reason": reason,
                                             "count": len(live)})
    return len(live)


def is_known_address(session: Session, user_id: int, client_address: str,
                     now: datetime) -> bool:
    """Return True if the user has logged in from this address lately."""
    since = now - timedelta(days=KNOWN_ADDRESS_DAYS)
    return session.scalar(select(UserSession.id).where(
        UserSession.user_id == user_id, UserSession.client_address == client_address[:64],
        UserSession.created_at >= since).limit(1)) is not None


def _revoke(user_session: UserSession, now: datetime, reason: str) -> None:
    if user_session.revoked_at is None:
        user_session.revoked_at = now
        user_session.revoked_reason = reason


def _printable(text: str) -> str:
    return HIDDEN_CHARACTERS.sub("", text or "")
