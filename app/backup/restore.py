"""Restore a backup into an empty database (migrated to the backup's revision) and storage."""

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Connection, Engine

from app.backup.archive import (
    DUMP,
    FILES,
    BackupError,
    alembic_revision,
    backed_up_tables,
    check_tables,
    decoder,
    read_manifest,
)
from app.db import Base
from app.storage import FileStorage

BATCH = 500  # rows per INSERT


@dataclass(frozen=True)
class RestoreSummary:
    """What a restore wrote."""

    revision: str | None
    rows: dict[str, int]
    files: int


def restore_backup(db_engine: Engine, storage: FileStorage, directory: Path) -> RestoreSummary:
    """Verify the backup against its manifest, then write its files and its rows (in one
    transaction). Refuses a database that is not empty or not at the backup's revision."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    with db_engine.begin() as connection:
        _check_target(connection, manifest["revision"])
        _put_files(storage, directory / FILES, manifest["files"])
        rows = _insert_rows(connection, directory / DUMP)
        if db_engine.dialect.name == "postgresql":
            _reset_sequences(connection)
    if rows != manifest["database"]["rows"]:  # the dump was verified: cannot happen
        raise BackupError("Antalet återställda rader stämmer inte med manifestet.")
    return RestoreSummary(manifest["revision"], rows, len(manifest["files"]))


def _check_target(connection: Connection, revision: str | None) -> None:
    check_tables(connection)
    current = alembic_revision(connection)
    if current != revision:
        raise BackupError(f"Databasen har revision {current or 'ingen'}, säkerhetskopian "
                          f"{revision or 'ingen'}: kör `flask db upgrade {revision}` på en "
                          "tom databas först.")
    missing = [t.name for t in Base.metadata.sorted_tables
               if not connection.dialect.has_table(connection, t.name)]
    if missing:
        raise BackupError(f"Databasen saknar tabeller ({', '.join(missing[:5])}): kör "
                          f"`flask db upgrade {revision}` först.")
    filled = [t.name for t in Base.metadata.sorted_tables
              if connection.execute(select(func.count()).select_from(t)).scalar()]
    if filled:
        raise BackupError(f"Databasen är inte tom (rader i {', '.join(filled[:5])}); en "
                          "säkerhetskopia återställs bara i en tom databas.")


def _put_files(storage: FileStorage, source: Path, files: dict[str, str]) -> None:
    for key in files:
        storage.put(key, (source / key).read_bytes())


def _insert_rows(connection: Connection, dump: Path) -> dict[str, int]:
    tables = Base.metadata.tables
    counts = {table.name: 0 for table in backed_up_tables()}
    decoders = {name: {c.name: d for c in t.columns if (d := decoder(c))}
                for name, t in tables.items()}
    pending: list[dict] = []
    current = None
    with dump.open(encoding="utf-8") as lines:
        next(lines)  # the header; the manifest already names the revision
        for line in lines:
            item = json.loads(line)
            if item["table"] != current:
                _flush(connection, tables, current, pending)
                current, pending = item["table"], []
            row = item["row"]
            for name, decode in decoders[current].items():
                if row.get(name) is not None:
                    row[name] = decode(row[name])
            pending.append(row)
            counts[current] += 1
            if len(pending) >= BATCH:
                _flush(connection, tables, current, pending)
                pending = []
    _flush(connection, tables, current, pending)
    return counts


def _flush(connection: Connection, tables, name: str | None, rows: list[dict]) -> None:
    if name is not None and rows:
        connection.execute(insert(tables[name]), rows)


def _reset_sequences(connection: Connection) -> None:
    """Rows came with their ids: move each id sequence past the largest id."""
    for table in Base.metadata.sorted_tables:
        for column in table.primary_key.columns:
            sequence = connection.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                          {"t": table.name, "c": column.name}).scalar()
            if sequence:
                largest = select(func.coalesce(func.max(column), 0)).scalar_subquery()
                connection.execute(select(func.setval(sequence, largest + 1, False)))
