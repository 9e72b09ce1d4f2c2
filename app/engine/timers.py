"""The timer scheduler: fire what is due, once, one instance per transaction."""

import logging
import threading
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from app.db import utcnow
from app.engine.incidents import run_step
from app.engine.instances import Engine
from app.errors import Conflict, IncidentRaised

log = logging.getLogger(__name__)


def run_due_timers(sessions: sessionmaker[Session], engine: Engine,
                   now: datetime | None = None) -> int:
    """Fire every due timer once; return how many instances advanced."""
    with sessions() as session:
        due = engine.due_instance_ids(session, now or utcnow())
        session.rollback()
    fired = 0
    for instance_id in due:
        with sessions() as session:
            action = {"kind": "timers", "instance_id": instance_id}
            try:
                run_step(session, action, lambda s=session, i=instance_id: engine.fire_timers(s, i))
                fired += 1
            except IncidentRaised as err:
                log.warning("timer of instance %s failed: %s", instance_id, err.message)
            except Conflict:
                log.info("instance %s was advanced by someone else", instance_id)
    return fired


def run_worker(sessions: sessionmaker[Session], engine: Engine, interval: float,
               stop: threading.Event) -> None:
    """Fire due timers every `interval` seconds until `stop` is set."""
    while not stop.is_set():
        try:
            count = run_due_timers(sessions, engine)
            if count:
                log.info("fired timers of %d instance(s)", count)
        except Exception:  # keep the worker alive; the next round tries again
            log.exception("timer round failed")
        stop.wait(interval)


def start_background_thread(sessions, engine, interval: float) -> threading.Event:
    """Run the timer worker in a daemon thread (development server); return its stop flag."""
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(sessions, engine, interval, stop),
                              name="timer-worker", daemon=True)
    thread.start()
    return stop
