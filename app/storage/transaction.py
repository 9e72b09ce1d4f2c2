"""Files that live only if their database transaction commits.

A file is written before the row naming it is committed. If that transaction ends any other
way (rolled back, closed after an error, a failed commit, a savepoint rolled back) the file is
deleted again; a file whose row is deleted goes only once the deletion commits. What a crash
(kill -9) leaves behind no hook can see: `flask storage sweep` removes it (app.storage.inventory).
"""

import logging

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from app.storage.files import FileStorage, new_key

log = logging.getLogger(__name__)
_PENDING = "tf_files_stored_in_transaction"
_DOOMED = "tf_files_deleted_in_transaction"


def put_in_transaction(session: Session, storage: FileStorage, data: bytes) -> str:
    """Store `data` under a new key that lives only if the session's transaction commits: on
    rollback (a failed step, a lost race) the file is deleted again, so no bytes are left
    without the row that names them."""
    owner = _current(session)
    key = new_key()
    storage.put(key, data)
    session.info.setdefault(_PENDING, []).append([storage, key, owner])
    return key


def delete_in_transaction(session: Session, storage: FileStorage, key: str) -> None:
    """Delete the file under `key` once the session's transaction commits (the row naming it
    is deleted in that transaction); on rollback the file stays with its row."""
    session.info.setdefault(_DOOMED, []).append([storage, key, _current(session)])


def _current(session: Session) -> SessionTransaction:
    if not session.in_transaction():
        session.begin()  # so that a rollback (or commit) ends a transaction and is seen
    return session.get_nested_transaction() or session.get_transaction()


@event.listens_for(Session, "after_commit")
def _on_commit(session: Session) -> None:
    savepoint = session.get_nested_transaction()
    if savepoint is not None:  # a savepoint released: its files now belong to the outer one
        for entry in session.info.get(_PENDING, []) + session.info.get(_DOOMED, []):
            if entry[2] is savepoint:
                entry[2] = savepoint.parent
        return
    session.info.pop(_PENDING, None)
    for storage, key, _owner in session.info.pop(_DOOMED, []):
        try:
            storage.delete(key)
        except OSError:  # the row is gone; a stray file is swept later
            log.warning("could not delete %s after a commit", key, exc_info=True)


@event.listens_for(Session, "after_transaction_end")
def _on_end(session: Session, transaction: SessionTransaction) -> None:
    """Whatever is still owned by an ended transaction was not committed: undo it."""
    doomed = session.info.get(_DOOMED)
    if doomed:
        session.info[_DOOMED] = [entry for entry in doomed if entry[2] is not transaction]
    pending = session.info.get(_PENDING)
    if not pending:
        return
    session.info[_PENDING] = [entry for entry in pending if entry[2] is not transaction]
    for storage, key, owner in pending:
        if owner is transaction:
            try:
                storage.delete(key)
            except OSError:  # the row is gone either way; a stray file is swept later
                log.warning("could not delete %s after a rollback", key, exc_info=True)
