"""The background worker: fires due timers, sends queued e-mail and, every few minutes, looks
for stopped cases and reconciles the fund ledger once a day (RECONCILE_INTERVAL), round
after round.

Production runs it as its own process (`flask --app app engine worker`); `make run` runs it in
a daemon thread of the development server (TF_TIMER_THREAD=1).
"""

import logging
import threading
import time
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from app.db import utcnow
from app.engine.doctor import raise_stuck_incidents
from app.engine.instances import Engine
from app.engine.timers import run_due_timers
from app.grants.applications import case_label
from app.notifications.outbox import send_pending
from app.notifications.senders import sender_from_config
from app.payouts.reconcile import reconcile_if_due

log = logging.getLogger(__name__)


@dataclass
class Round:
    """What one round of the worker did."""

    fired: int = 0  # instances advanced by their timers
    sent: int = 0  # e-mail messages sent
    stuck: int = 0  # stopped cases reported as incidents
    reconciled: bool = False  # the fund ledger reconciled (every RECONCILE_INTERVAL)


def work_once(sessions: sessionmaker[Session], engine: Engine, config: dict, *,
              check_stuck: bool = True) -> Round:
    """Fire due timers, send due e-mail and (if asked) report stopped cases and reconcile the
    fund ledger when its last reconciliation is older than RECONCILE_INTERVAL."""
    done = Round(fired=run_due_timers(sessions, engine))
    done.sent, _failed = send_pending(sessions, sender_from_config(config))
    if check_stuck:
        done.stuck = check_stuck_cases(sessions, engine)
        done.reconciled = reconcile_ledger(sessions, config)
    return done


def reconcile_ledger(sessions: sessionmaker[Session], config: dict) -> bool:
    """Reconcile every round if it is due; log what does not balance."""
    with sessions() as session:
        results = reconcile_if_due(session, now=utcnow(), interval=config["RECONCILE_INTERVAL"])
        if results is None:
            return False
        session.commit()
        for problem in (text for result in results for text in result.problems):
            log.warning("ledger: %s", problem)
        return True


def check_stuck_cases(sessions: sessionmaker[Session], engine: Engine) -> int:
    """Raise an incident for every case that has stopped; return how many."""
    with sessions() as session:
        incidents = raise_stuck_incidents(session, engine, describe=case_label)
        session.commit()
        for incident in incidents:
            log.warning("incident %s: %s", incident.id, incident.message)
        return len(incidents)


def run(sessions, engine, config: dict, interval: float, stop: threading.Event) -> None:
    """Work every `interval` seconds until `stop` is set; a failing round never stops it.
    Stopped cases are looked for in the first round and then every DOCTOR_INTERVAL seconds."""
    next_check = time.monotonic()
    while not stop.is_set():
        check = time.monotonic() >= next_check
        if check:
            next_check = time.monotonic() + config["DOCTOR_INTERVAL"]
        try:
            done = work_once(sessions, engine, config, check_stuck=check)
            if done.fired or done.sent or done.stuck:
                log.info("worker: %d instance(s) advanced, %d message(s) sent, "
                         "%d stopped case(s) reported", done.fired, done.sent, done.stuck)
        except Exception:
            log.exception("worker round failed")
        stop.wait(interval)


def start_thread(sessions, engine, config: dict, interval: float) -> threading.Event:
    """Run the worker in a daemon thread; return its stop flag."""
    stop = threading.Event()
    threading.Thread(target=run, args=(sessions, engine, config, interval, stop),
                     name="worker", daemon=True).start()
    return stop
