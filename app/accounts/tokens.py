"""Single-use e-mail links: the invitation of a new user and "forgot password". The link
carries a random token; the table keeps only its SHA-256, an expiry and when it was used."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.accounts.models import AccountToken, User
from app.accounts.throttle import RESET_ACCOUNT, RESET_ADDRESS, record_request, request_wait
from app.accounts.users import set_password
from app.audit import record_event
from app.errors import InvalidInput
from app.notifications.outbox import enqueue

INVITATION = "invitation"
RESET = "reset"
# The link's path under BASE_URL (the page in app/web/account.py).
LINK_PATH = "/konto/losenord/"


@dataclass(frozen=True)
class TokenSettings:
    """How long links last, and the address the app is reached at (for the links)."""

    invitation: timedelta
    reset: timedelta
    base_url: str


def token_settings(config: dict) -> TokenSettings:
    """Build the settings from the app's configuration."""
    return TokenSettings(invitation=timedelta(hours=int(config["INVITATION_HOURS"])),
                         reset=timedelta(minutes=int(config["PASSWORD_RESET_MINUTES"])),
                         base_url=str(config["BASE_URL"]))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, purpose: str, now: datetime,
                lifetime: timedelta) -> str:
    """Return a new token for the user; their earlier unused links of this kind stop working."""
    session.execute(delete(AccountToken).where(
        AccountToken.user_id == user.id, AccountToken.purpose == purpose,
        AccountToken.used_at.is_(None)))
    token = secrets.token_urlsafe(32)
    session.add(AccountToken(id=token_hash(token), user_id=user.id, purpose=purpose,
                             created_at=now, expires_at=now + lifetime))
    return token


def invite_user(session: Session, user: User, now: datetime, settings: TokenSettings, *,
                actor_id: int | None) -> None:
    """Queue an invitation with a link where the user sets their password."""
    if not user.active:
        raise InvalidInput("Användaren är inaktiverad.", {"": ["Aktivera användaren först."]})
    token = issue_token(session, user, INVITATION, now, settings.invitation)
    enqueue(session, "inbjudan", [user], _context(user, token, settings, settings.invitation))
    record_event(session, "user_invited", f"Inbjudan skickad till {user.username}",
                 actor_id=actor_id, details={"user_id": user.id,
                                             "expires_at": (now + settings.invitation).isoformat()})


def request_reset(session: Session, email: str, client_address: str, now: datetime,
                  settings: TokenSettings) -> bool:
    """Queue a reset link to every active account with this e-mail address. Return False if
    this client must wait (too many requests); the caller answers the same whether or not an
    account has the address."""
    email = email.strip()[:254]
    if request_wait(session, RESET_ADDRESS, client_address, now) > timedelta(0):
        return False
    record_request(session, RESET_ADDRESS, client_address, now)
    account_key = email.casefold()
    if request_wait(session, RESET_ACCOUNT, account_key, now) > timedelta(0):
        return True  # silently: the inbox of that address is not flooded
    record_request(session, RESET_ACCOUNT, account_key, now)
    users = session.scalars(select(User).where(
        func.lower(User.email) == account_key, User.active.is_(True))).all()
    for user in users:
        token = issue_token(session, user, RESET, now, settings.reset)
        enqueue(session, "losenord", [user], _context(user, token, settings, settings.reset))
        record_event(session, "password_reset_requested",
                     f"Länk för nytt lösenord skickad till {user.username}",
                     details={"user_id": user.id, "ip": client_address[:64]})
    return True


def find_token(session: Session, token: str, now: datetime) -> AccountToken | None:
    """Return the live (unused, unexpired, active user's) token row, or None."""
    if not token or len(token) > 100:
        return None
    found = session.get(AccountToken, token_hash(token))
    if found is None or found.used_at is not None or found.expires_at <= now \
            or not found.user.active:
        return None
    return found


def use_token(session: Session, token: str, password: str, now: datetime) -> User:
    """Set the password through a link; the link works once (a conditional update decides
    between two concurrent uses)."""
    found = find_token(session, token, now)
    if found is None:
        raise InvalidInput(_EXPIRED, {"": [_EXPIRED]})
    user = found.user
    set_password(session, user, password, now, actor_id=user.id)
    claimed = session.execute(update(AccountToken).where(
        AccountToken.id == found.id, AccountToken.used_at.is_(None)).values(used_at=now))
    if claimed.rowcount != 1:
        raise InvalidInput(_EXPIRED, {"": [_EXPIRED]})
    record_event(session, f"{found.purpose}_used", f"{user.username} valde lösenord via länk",
                 actor_id=user.id, details={"user_id": user.id, "purpose": found.purpose})
    return user


_EXPIRED = ("Länken är redan använd eller har gått ut. Be om en ny länk via "
            "\"Glömt lösenordet?\" på inloggningssidan.")


def _context(user: User, token: str, settings: TokenSettings, lifetime: timedelta) -> dict:
    hours = int(lifetime.total_seconds() // 3600)
    minutes = int(lifetime.total_seconds() // 60)
    return {"namn": user.display_name, "anvandarnamn": user.username,
            "url": f"{settings.base_url.rstrip('/')}{LINK_PATH}{token}",
            "giltig": f"{hours} timmar" if hours >= 2 else f"{minutes} minuter",
            "valid": f"{hours} hours" if hours >= 2 else f"{minutes} minutes"}
