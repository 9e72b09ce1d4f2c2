"""Order a race by what the database does, not by sleeping.

A race test holds a lock (an uncommitted write) in the test's transaction, starts a second
transaction in a thread, and must let go only once that thread is really waiting for the lock.
`wait_until_blocked` returns at that moment:

- PostgreSQL: a lock request of another backend is waiting (`pg_locks.granted` is false).
- SQLite: the thread is inside the driver's execute of a statement that takes the write lock
  (a write, or the BEGIN IMMEDIATE of a writing session); SQLite's busy
  handler waits there (with the GIL released) for the write lock the test holds.

If the thread finishes instead, the second transaction did not wait at all: the function
returns and the test's own assertions on the outcome decide (a missing lock shows up as a
wrong result, never as a test that passes because the race did not happen). It fails when
neither happens in `seconds`.
"""

import sys
import threading
import time

from sqlalchemy import text
from sqlalchemy.engine import Engine

# Statements that take SQLite's write lock (app/db.py begins write sessions IMMEDIATE).
WRITES = ("INSERT", "UPDATE", "DELETE", "BEGIN IMMEDIATE")
POLL_SECONDS = 0.005


def wait_until_blocked(thread: threading.Thread, bind: Engine, seconds: float = 20) -> bool:
    """Wait until `thread` waits on a database lock (True) or has finished (False)."""
    waiting = _postgres_waiting if bind.dialect.name == "postgresql" else _sqlite_waiting
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not thread.is_alive():
            return False
        if waiting(thread, bind):
            return True
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"the thread neither waited for a lock nor finished in {seconds} s")


def _postgres_waiting(thread: threading.Thread, bind: Engine) -> bool:
    with bind.connect() as connection:
        return bool(connection.execute(text(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE NOT l.granted AND a.datname = current_database()")).scalar())


def _sqlite_waiting(thread: threading.Thread, bind: Engine) -> bool:
    frame = sys._current_frames().get(thread.ident)
    while frame is not None:
        if frame.f_code.co_name == "do_execute" and "cursor" in frame.f_locals:
            statement = str(frame.f_locals.get("statement", "")).lstrip().upper()
            return statement.startswith(WRITES)
        frame = frame.f_back
    return False
