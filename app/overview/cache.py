"""The overview's figures kept for a minute while nothing changes. Every state change writes
an audit event (same transaction), so the newest audit event's id says whether anything the
figures count may have changed: one primary-key lookup instead of the aggregate queries. The
minute bounds how stale the overdue counts (which change with the clock alone) can get."""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import AuditEvent

T = TypeVar("T")
TTL_SECONDS = 60.0
MAX_ENTRIES = 64

_entries: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()
_lock = threading.Lock()


def changes_mark(session: Session) -> tuple:
    """The id and time of the newest audit event (ids alone repeat after a restore)."""
    return tuple(session.execute(select(AuditEvent.id, AuditEvent.at)
                                 .order_by(AuditEvent.id.desc()).limit(1)).first() or ())


def cached(session: Session, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, or its result for the same key if taken under a minute ago with no
    audit event since."""
    full_key = (key, changes_mark(session))
    now = time.monotonic()
    with _lock:
        found = _entries.get(full_key)
        if found is not None and now - found[0] < TTL_SECONDS:
            _entries.move_to_end(full_key)
            return found[1]  # type: ignore[return-value]
    value = compute()
    with _lock:
        _entries[full_key] = (now, value)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return value


def forget_all() -> None:
    """Drop every kept result (benchmarks measure the queries themselves with this)."""
    with _lock:
        _entries.clear()
