"""The timer scheduler: fire what is due, once, one instance per transaction."""

import logging
import random
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from app.db import utcnow
from app.engine.incidents import run_step
from app.engine.instances import Engine
from app.errors import Conflict, IncidentRaised

log = logging.getLogger(__name__)


def run_due_timers(sessions: sessionmaker[Session], engine: Engine,
                   now: datetime | None = None) -> int:
    """Fire every due timer once; return how many instances a timer advanced. An instance
    that another worker holds or has advanced since this pass listed it, or whose timers turn
    out not to be due, is not counted (and, held by another worker, not waited for). Each pass
    takes the due list in its own random order, so several workers rarely meet."""
    with sessions() as session:
        due = engine.due_timers(session, now or utcnow())
        session.rollback()
    random.shuffle(due)
    fired = 0
    for instance_id, listed_at in due:
        with sessions() as session:
            action = {"kind": "timers", "instance_id": instance_id}
            try:
                fired += run_step(session, action, lambda s=session, i=instance_id, at=listed_at:
                                  engine.fire_timers(s, i, skip_locked=True, listed_at=at))
            except IncidentRaised as err:
                log.warning("timer of instance %s failed: %s", instance_id, err.message)
            except Conflict:
                log.info("instance %s was advanced by someone else", instance_id)
    return fired
