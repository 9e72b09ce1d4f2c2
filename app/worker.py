"""The background worker: fires due timers and sends queued e-mail, round after round.

Production runs it as its own process (`flask --app app engine worker`); `make run` runs it in
a daemon thread of the development server (TF_TIMER_THREAD=1).
"""

import logging
import threading

from sqlalchemy.orm import Session, sessionmaker

from app.engine.instances import Engine
from app.engine.timers import run_due_timers
from app.notifications.outbox import send_pending
from app.notifications.senders import sender_from_config

log = logging.getLogger(__name__)


def work_once(sessions: sessionmaker[Session], engine: Engine, config: dict) -> tuple[int, int]:
    """Fire due timers, then send due e-mail; return (instances advanced, messages sent)."""
    fired = run_due_timers(sessions, engine)
    sent, _failed = send_pending(sessions, sender_from_config(config))
    return fired, sent


def run(sessions, engine, config: dict, interval: float, stop: threading.Event) -> None:
    """Work every `interval` seconds until `stop` is set; a failing round never stops it."""
    while not stop.is_set():
        try:
            fired, sent = work_once(sessions, engine, config)
            if fired or sent:
                log.info("worker: %d instance(s) advanced, %d message(s) sent", fired, sent)
        except Exception:
            log.exception("worker round failed")
        stop.wait(interval)


def start_thread(sessions, engine, config: dict, interval: float) -> threading.Event:
    """Run the worker in a daemon thread; return its stop flag."""
    stop = threading.Event()
    threading.Thread(target=run, args=(sessions, engine, config, interval, stop),
                     name="worker", daemon=True).start()
    return stop
