"""Take a backup: the database in one snapshot, and exactly the files its rows name."""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from app.backup.archive import (
    DUMP,
    FILES,
    FORMAT,
    MANIFEST,
    BackupError,
    alembic_revision,
    backed_up_tables,
    check_tables,
    encode_value,
    sha256_file,
    table_rows,
)
from app.db import READ_ONLY_OPTION
from app.storage import FileStorage
from app.storage.inventory import stored_rows


@dataclass(frozen=True)
class BackupSummary:
    """What a backup holds."""

    directory: Path
    revision: str | None
    rows: dict[str, int]
    files: int


def create_backup(db_engine: Engine, storage: FileStorage, directory: Path, *,
                  now: datetime) -> BackupSummary:
    """Write the database and its files to `directory` (new or empty) with a manifest."""
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"{directory} är inte tom; välj en ny mapp för säkerhetskopian.")
    (directory / FILES).mkdir(parents=True, exist_ok=True)
    with _snapshot(db_engine) as connection:
        check_tables(connection)
        revision = alembic_revision(connection)
        rows = _dump(connection, directory / DUMP, revision)
        files = _copy_files(Session(bind=connection), storage, directory / FILES)
    manifest = {"format": FORMAT, "created_at": now.isoformat(), "revision": revision,
                "dialect": db_engine.dialect.name,
                "database": {"file": DUMP, "sha256": sha256_file(directory / DUMP),
                             "rows": rows},
                "files": files}
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True),
                                      encoding="utf-8")
    return BackupSummary(directory, revision, rows, len(files))


class _snapshot:
    """A read-only connection in one transaction that sees one snapshot of the database:
    REPEATABLE READ on PostgreSQL; on SQLite (WAL) a deferred transaction, whose first read
    fixes the snapshot until it ends."""

    def __init__(self, db_engine: Engine):
        self.db_engine = db_engine

    def __enter__(self) -> Connection:
        self.connection = self.db_engine.connect()
        if self.db_engine.dialect.name == "postgresql":
            self.connection.execution_options(isolation_level="REPEATABLE READ",
                                              postgresql_readonly=True)
        else:
            self.connection.execution_options(**{READ_ONLY_OPTION: True})
        self.transaction = self.connection.begin()
        return self.connection

    def __exit__(self, *exc):
        self.transaction.rollback()  # nothing was written
        self.connection.close()
        return False


def _dump(connection: Connection, path: Path, revision: str | None) -> dict[str, int]:
    counts = {}
    with path.open("w", encoding="utf-8") as out:
        out.write(json.dumps({"format": FORMAT, "revision": revision}) + "\n")
        for table in backed_up_tables():
            counts[table.name] = 0
            for row in table_rows(connection, table):
                out.write(json.dumps({"table": table.name, "row": row}, default=encode_value,
                                     ensure_ascii=False) + "\n")
                counts[table.name] += 1
    return counts


def _copy_files(session: Session, storage: FileStorage, target: Path) -> dict[str, str]:
    """Copy every file a row names, checking it against the row's SHA-256."""
    files, problems = {}, []
    for row in stored_rows(session):
        try:
            data = storage.get(row.key)
        except FileNotFoundError:
            problems.append(f"{row}: filen saknas")
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest != row.sha256:
            problems.append(f"{row}: kontrollsumman stämmer inte")
            continue
        (target / row.key).write_bytes(data)
        files[row.key] = digest
    if problems:
        raise BackupError("Säkerhetskopian togs inte, lagrade filer är inte hela (se "
                          "`flask storage check`): " + "; ".join(problems[:10]))
    return files
