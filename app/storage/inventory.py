"""What is stored, compared with the rows that name it: missing files, checksum mismatches
and orphans (`check_storage`), and the removal of old orphans (`sweep_storage`)."""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.attachments.models import Attachment
from app.audit import record_event
from app.letters.models import Letter
from app.payouts.models import BatchFile
from app.storage.files import FileStorage, StoredEntry

# Every column that holds a storage key, with its checksum column, the document's name in
# messages, its file name column and (attachments) the condition under which the row still
# owns its file. A new table that stores files must be added here (a test checks it).
STORED_COLUMNS = (
    ("bilaga", Attachment, Attachment.key, Attachment.original_name,
     Attachment.removed_at.is_(None)),
    ("beslutsbrev", Letter, Letter.storage_key, Letter.filename, None),
    ("batchfil", BatchFile, BatchFile.storage_key, BatchFile.filename, None),
)


@dataclass(frozen=True)
class StoredRow:
    """A row that names a stored file."""

    document: str  # bilaga | beslutsbrev | batchfil
    row_id: int
    key: str
    sha256: str
    filename: str

    def __str__(self) -> str:
        return f"{self.document} {self.row_id} ({self.filename}, {self.key})"


@dataclass
class StorageReport:
    """The outcome of `check_storage`."""

    checked: int = 0
    missing: list[StoredRow] = field(default_factory=list)
    mismatched: list[StoredRow] = field(default_factory=list)
    orphans: list[StoredEntry] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True if every row has its file with its checksum and no file lacks a row."""
        return not (self.missing or self.mismatched or self.orphans)


def stored_rows(session: Session) -> Iterator[StoredRow]:
    """Yield every row that names a stored file it owns, table by table, in id order."""
    for document, model, key, filename, owns in STORED_COLUMNS:
        query = select(model.id, key, model.sha256, filename).order_by(model.id)
        if owns is not None:
            query = query.where(owns)
        for row_id, key_value, sha256, name in session.execute(query):
            yield StoredRow(document, row_id, key_value, sha256, name)


def check_storage(session: Session, storage: FileStorage) -> StorageReport:
    """Read every file a row names and compare its SHA-256; list the files no row names.

    The store is listed before the rows are read: a file whose row commits in between is
    then seen with its row, never taken for an orphan."""
    entries = list(storage.entries())
    report = StorageReport()
    named = set()
    for row in stored_rows(session):
        named.add(row.key)
        report.checked += 1
        try:
            data = storage.get(row.key)
        except FileNotFoundError:
            report.missing.append(row)
            continue
        if hashlib.sha256(data).hexdigest() != row.sha256:
            report.mismatched.append(row)
    report.orphans = [entry for entry in entries if entry.name not in named]
    return report


def sweep_storage(session: Session, storage: FileStorage, *, now: datetime,
                  min_age: timedelta) -> list[StoredEntry]:
    """Remove the files no row names that are older than `min_age` (a younger one may belong
    to a transaction still open) and leftovers of interrupted writes; audit what was removed.
    Return the removed entries. The caller commits."""
    entries = list(storage.entries())  # before the rows, as in check_storage
    named = {row.key for row in stored_rows(session)}
    removed = []
    for entry in entries:
        if entry.name not in named and entry.modified_at < now - min_age:
            storage.discard(entry.name)
            removed.append(entry)
    if removed:
        record_event(session, "storage_swept",
                     f"{len(removed)} lagrade filer utan rad borttagna",
                     details={"names": [entry.name for entry in removed],
                              "bytes": sum(entry.size for entry in removed)})
    return removed
