"""The outbox: messages are queued in the case step's transaction and sent later by a worker,
each claimed and recorded in transactions of its own, so a failed send never touches a case."""

import hashlib
import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from app.accounts.models import User
from app.db import utcnow
from app.notifications.models import KINDS, OutboxMessage
from app.notifications.senders import Sender, sender_from_config
from app.notifications.texts import render_message

log = logging.getLogger("app.notifications")

MAX_ATTEMPTS = 5
# A claimed message is left alone by other workers this long (well over an SMTP timeout);
# if its worker dies mid-send, the message becomes due again after the lease.
CLAIM_LEASE = timedelta(minutes=15)
DEDUPE_KEY_MAX = 400
EMAIL_MAX = 254


def enqueue(session: Session, kind: str, recipients: Iterable[User | str], context: dict, *,
            instance_id: int | None = None,
            dedupe_key: str | None = None) -> list[OutboxMessage]:
    """Queue a message to each recipient (User or address) in the caller's transaction.

    Recipients without an e-mail address, and deactivated users, are skipped. With a
    dedupe_key, a recipient who already has a message under that key gets no second one.
    Return the new messages.
    """
    if kind not in KINDS:
        raise ValueError(f"okänd meddelandetyp {kind!r}")
    subject, body = render_message(kind, context)
    now = utcnow()
    rows = [{"kind": kind, "recipient_email": email, "recipient_user_id": user_id,
             "subject": subject, "body": body, "process_instance_id": instance_id,
             "created_at": now, "next_attempt_at": now,
             "dedupe_key": None if dedupe_key is None else _recipient_key(dedupe_key, email)}
            for email, user_id in _addresses(recipients)]
    if not rows:
        return []
    # One statement for every recipient; a recipient already queued under the key (maybe by a
    # concurrent transaction a moment ago) is left out by the unique index, without an error.
    insert = _dialect_insert(session)(OutboxMessage).values(rows)
    insert = insert.on_conflict_do_nothing(index_elements=["dedupe_key"])
    return list(session.scalars(insert.returning(OutboxMessage)))


def _dialect_insert(session: Session):
    """The INSERT of the session's database, which knows ON CONFLICT."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert


def _addresses(recipients: Iterable[User | str]) -> list[tuple[str, int | None]]:
    """Return (address, user id) pairs: usable addresses only, each once."""
    found: dict[str, tuple[str, int | None]] = {}
    for recipient in recipients:
        if isinstance(recipient, str):
            email, user_id = recipient, None
        elif not recipient.active:
            continue  # a deactivated user gets no more mail
        else:
            email, user_id = recipient.email, recipient.id
        email = (email or "").strip()
        if not email:
            continue
        if len(email) > EMAIL_MAX or "@" not in email or any(c.isspace() for c in email):
            log.warning("skipping unusable e-mail address %r", email[:80])
            continue
        found.setdefault(email.lower(), (email, user_id))
    return list(found.values())


def _recipient_key(dedupe_key: str, email: str) -> str:
    key = f"{dedupe_key}:{email.lower()}"
    if len(key) > DEDUPE_KEY_MAX:
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def send_pending(sessions: sessionmaker[Session], sender: Sender, now: datetime | None = None,
                 batch: int = 50) -> tuple[int, int]:
    """Send up to `batch` due messages, one at a time; return (sent, failed attempts).

    A sender's exception is recorded on its message (retried with backoff, "failed" after
    MAX_ATTEMPTS) and never raised.
    """
    clock: Callable[[], datetime] = (lambda: now) if now else utcnow
    due_at = clock()
    sent = failed = 0
    for _ in range(batch):
        message = _claim_next(sessions, due_at)
        if message is None:
            break
        try:
            sender.send(message)
        except Exception as err:  # whatever the seam raises belongs to this message alone
            _record_failure(sessions, message.id, err, clock())
            failed += 1
        else:
            _record_sent(sessions, message.id, clock())
            sent += 1
    return sent, failed


def _claim_next(sessions: sessionmaker[Session], now: datetime) -> OutboxMessage | None:
    """Take the next due message for this worker and commit the claim (a lease)."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
        # PostgreSQL: another worker's claim in progress is skipped, not waited for.
        # SQLite renders no FOR UPDATE; its write transactions are exclusive already.
        .with_for_update(skip_locked=True)
    )
    with sessions() as session:
        message = session.scalars(query).first()
        if message is None:
            return None
        message.attempts += 1
        message.next_attempt_at = now + CLAIM_LEASE
        session.flush()
        session.expunge(message)  # stays readable after the commit, whatever the factory
        session.commit()
        return message


def _record_sent(sessions: sessionmaker[Session], message_id: int, now: datetime) -> None:
    with sessions() as session:
        message = session.get(OutboxMessage, message_id)
        if message is not None:
            message.status = "sent"
            message.sent_at = now
            message.last_error = None
            session.commit()


def _record_failure(sessions: sessionmaker[Session], message_id: int, err: Exception,
                    now: datetime) -> None:
    with sessions() as session:
        message = session.get(OutboxMessage, message_id)
        if message is None:
            return
        message.last_error = f"{type(err).__name__}: {err}"[:2000]
        if message.attempts >= MAX_ATTEMPTS:
            message.status = "failed"
        else:
            message.next_attempt_at = now + retry_delay(message.attempts)
        session.commit()
        log.warning("message %s to %s failed (attempt %d): %s", message_id,
                    message.recipient_email, message.attempts, message.last_error)


def retry_delay(attempts: int) -> timedelta:
    """Return the wait after a failed attempt: 1, 5, 25, 125 … minutes."""
    return timedelta(minutes=5 ** max(attempts - 1, 0))


def run_sender(sessions: sessionmaker[Session], config, stop_event: threading.Event,
               interval: float) -> None:
    """Send due messages every `interval` seconds until `stop_event` is set."""
    sender = sender_from_config(config)
    while not stop_event.is_set():
        busy = False
        try:
            sent, failed = send_pending(sessions, sender)
            busy = sent + failed > 0
            if busy:
                log.info("sent %d message(s), %d failed attempt(s)", sent, failed)
        except Exception:  # keep the worker alive (database away?); the next round retries
            log.exception("sending round failed")
        # A round that did something may have left more due: go again without waiting.
        if not busy:
            stop_event.wait(interval)


def start_sender_thread(sessions: sessionmaker[Session], config,
                        interval: float) -> threading.Event:
    """Run the sender in a daemon thread (development server); return its stop flag."""
    stop = threading.Event()
    thread = threading.Thread(target=run_sender, args=(sessions, config, stop, interval),
                              name="outbox-sender", daemon=True)
    thread.start()
    return stop
