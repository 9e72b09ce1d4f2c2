"""Where attached files are kept: a small interface and a local-disk implementation."""

import logging
import os
import re
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_PENDING = "tf_files_stored_in_transaction"
_DOOMED = "tf_files_deleted_in_transaction"

# Storage keys are generated (secrets.token_hex), never derived from what a user typed.
KEY = re.compile(r"[0-9a-f]{32,64}")


class FileStorage(Protocol):
    """Keep file contents by key. `get` of an unknown key raises FileNotFoundError."""

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...


class LocalFileStorage:
    """Files in one folder on local disk, named by their key."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def put(self, key: str, data: bytes) -> None:
        """Write the file atomically: a reader sees the whole file or none."""
        target = self._path(key)
        self.root.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=self.root, prefix=".upload-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def ready(self) -> None:
        """Raise OSError unless the folder exists and a file can be written in it."""
        if not self.root.is_dir():
            raise FileNotFoundError(f"storage folder {self.root} does not exist")
        with tempfile.TemporaryFile(dir=self.root, prefix=".ready-"):
            pass

    def _path(self, key: str) -> Path:
        if not isinstance(key, str) or not KEY.fullmatch(key):
            raise ValueError("ogiltig lagringsnyckel")
        return self.root / key


def storage_from_config(config: Mapping) -> FileStorage:
    """Return the storage the settings name (`UPLOAD_DIR`)."""
    return LocalFileStorage(Path(config["UPLOAD_DIR"]))


def put_in_transaction(session: Session, storage: FileStorage, data: bytes) -> str:
    """Store `data` under a new key that lives only if the session's transaction commits: on
    rollback (a failed step, a lost race) the file is deleted again, so no bytes are left
    without the row that names them."""
    if not session.in_transaction():
        session.begin()  # so that a rollback (or commit) ends a transaction and is seen
    key = secrets.token_hex(16)
    storage.put(key, data)
    session.info.setdefault(_PENDING, []).append((storage, key))
    return key


def delete_in_transaction(session: Session, storage: FileStorage, key: str) -> None:
    """Delete the file under `key` once the session's transaction commits (the row naming it
    is deleted in that transaction); on rollback the file stays with its row."""
    if not session.in_transaction():
        session.begin()
    session.info.setdefault(_DOOMED, []).append((storage, key))


@event.listens_for(Session, "after_commit")
def _keep_stored_files(session: Session) -> None:
    session.info.pop(_PENDING, None)
    for storage, key in session.info.pop(_DOOMED, []):
        try:
            storage.delete(key)
        except OSError:  # the row is gone; a stray file is only disk space
            log.warning("could not delete %s after a commit", key, exc_info=True)


@event.listens_for(Session, "after_soft_rollback")
def _delete_stored_files(session: Session, previous_transaction) -> None:
    if previous_transaction.nested:  # a savepoint: the outer transaction may still commit
        return
    session.info.pop(_DOOMED, None)
    for storage, key in session.info.pop(_PENDING, []):
        try:
            storage.delete(key)
        except OSError:  # the row is gone either way; a stray file is only disk space
            log.warning("could not delete %s after a rollback", key, exc_info=True)
