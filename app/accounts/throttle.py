"""Log-in throttling with backoff, kept in the database so every web process and machine
shares it. Three counters per failed login:

- the account from this client address: strict (the attacker at the keyboard);
- the client address across all accounts: slows password spraying over many names;
- the account from anywhere: a gentle cap against a distributed attack, which does not apply
  to addresses the user has logged in from lately, so a real user whose name is being attacked
  from elsewhere still logs in from their own address.

Nothing is locked for good: each counter only makes the next attempt wait, longer and longer.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.accounts.models import LoginThrottle, User
from app.accounts.sessions import is_known_address


@dataclass(frozen=True)
class Rule:
    """Backoff of one counter: `free` failures cost nothing, then the wait doubles from `base`
    up to `cap`; a quiet `window` forgets the failures."""

    free: int
    base: timedelta
    cap: timedelta
    window: timedelta


ACCOUNT_ADDRESS = "account_address"
ADDRESS = "address"
ACCOUNT = "account"
RULES = {
    ACCOUNT_ADDRESS: Rule(3, timedelta(seconds=1), timedelta(minutes=15), timedelta(hours=1)),
    ADDRESS: Rule(10, timedelta(seconds=1), timedelta(hours=1), timedelta(hours=1)),
    ACCOUNT: Rule(10, timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=1)),
}
# "Forgot password" requests: per typed address (so a victim's inbox is not flooded) and per
# client address (so one client cannot send mail to many). Counted whether or not an account
# has the address, so the limits reveal nothing about who has one.
RESET_ACCOUNT = "reset_account"
RESET_ADDRESS = "reset_address"
RULES[RESET_ACCOUNT] = Rule(3, timedelta(minutes=5), timedelta(hours=1), timedelta(hours=1))
RULES[RESET_ADDRESS] = Rule(10, timedelta(minutes=1), timedelta(hours=1), timedelta(hours=1))
FORGET_AFTER = timedelta(days=1)  # rows this quiet are deleted


def backoff(rule: Rule, failures: int) -> timedelta:
    """Return how long to wait after this many failures in a row."""
    if failures < rule.free:
        return timedelta(0)
    return min(rule.cap, rule.base * 2 ** min(failures - rule.free, 32))


def login_wait(session: Session, username: str, client_address: str,
               now: datetime) -> timedelta:
    """Return how long this client must wait before trying this user name (0: try now)."""
    keys = _keys(username, client_address)
    if _known(session, username, client_address, now):
        keys.pop(ACCOUNT)
    rows = session.scalars(select(LoginThrottle).where(
        LoginThrottle.scope.in_(keys), LoginThrottle.key.in_(keys.values()))).all()
    waits = [row.blocked_until - now for row in rows if keys.get(row.scope) == row.key]
    return max([timedelta(0), *waits])


def record_failed_login(session: Session, username: str, client_address: str,
                        now: datetime) -> None:
    """Count a failed login on every counter and set each one's next wait."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < now - FORGET_AFTER))
    for scope, key in _keys(username, client_address).items():
        _count(session, scope, key, now)


def record_successful_login(session: Session, username: str, client_address: str) -> None:
    """Forget the failures of this account from this address (the others stay)."""
    key = _keys(username, client_address)[ACCOUNT_ADDRESS]
    session.execute(delete(LoginThrottle).where(
        LoginThrottle.scope == ACCOUNT_ADDRESS, LoginThrottle.key == key))


def request_wait(session: Session, scope: str, key: str, now: datetime) -> timedelta:
    """Return how long before another request of this kind (e.g. RESET_ADDRESS) may be made."""
    row = session.get(LoginThrottle, (scope, key[:200]))
    return max(timedelta(0), row.blocked_until - now) if row is not None else timedelta(0)


def record_request(session: Session, scope: str, key: str, now: datetime) -> None:
    """Count one request of a rate-limited kind (a password reset) and set the next wait."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < now - FORGET_AFTER))
    _count(session, scope, key[:200], now)


def _count(session: Session, scope: str, key: str, now: datetime) -> None:
    row = _locked_row(session, scope, key, now)
    rule = RULES[scope]
    if now - row.last_failure_at >= rule.window:
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    row.blocked_until = now + backoff(rule, row.failures)


def _keys(username: str, client_address: str) -> dict[str, str]:
    name = username.strip().casefold()[:80]
    address = client_address[:64]
    return {ACCOUNT_ADDRESS: f"{name} {address}", ADDRESS: address, ACCOUNT: name}


def _known(session: Session, username: str, client_address: str, now: datetime) -> bool:
    user_id = session.scalar(select(User.id).where(User.username == username.strip()))
    return user_id is not None and is_known_address(session, user_id, client_address, now)


def _locked_row(session: Session, scope: str, key: str, now: datetime) -> LoginThrottle:
    """Return the counter's row, created if missing and locked against concurrent logins."""
    insert = (postgresql_insert if session.get_bind().dialect.name == "postgresql"
              else sqlite_insert)
    session.execute(insert(LoginThrottle).values(
        scope=scope, key=key, failures=0, last_failure_at=now, blocked_until=now,
    ).on_conflict_do_nothing())
    return session.get(LoginThrottle, (scope, key), with_for_update=True,
                       populate_existing=True)
