"""The backup folder's format: the manifest, row encoding, and verification."""

import base64
import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Column, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeDecorator

from app.db import Base
from app.errors import DomainError

FORMAT = 1
MANIFEST = "manifest.json"
DUMP = "database.jsonl"
FILES = "files"
ALEMBIC_TABLE = "alembic_version"


class BackupError(DomainError):
    """A backup cannot be taken or restored; the message says why."""


def sha256_file(path: Path) -> str:
    """Return the SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def encode_value(value):
    """JSON for the values a row holds that JSON does not know."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"cannot back up a {type(value).__name__}")


def decoder(column: Column):
    """Return the function that turns a column's JSON value back into its Python value."""
    kind_of = column.type
    if isinstance(kind_of, TypeDecorator):  # UTCDateTime: the type it stores as
        kind_of = kind_of.impl_instance
    try:
        kind = kind_of.python_type
    except NotImplementedError:
        return None
    if kind is datetime:
        return datetime.fromisoformat
    if kind is date:
        return date.fromisoformat
    if kind is Decimal:
        return Decimal
    if kind is bytes:
        return base64.b64decode
    return None


def alembic_revision(connection: Connection) -> str | None:
    """Return the database's Alembic revision (None: made without migrations)."""
    if not inspect(connection).has_table(ALEMBIC_TABLE):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def backed_up_tables() -> list:
    """The tables a backup holds, in dependency order: all but those the database's own
    triggers write (the case search; restoring the cases fills it again)."""
    return [t for t in Base.metadata.sorted_tables if not t.info.get("written_by_triggers")]


def check_tables(connection: Connection) -> None:
    """Refuse a database with tables the application does not know (they would be lost)."""
    known = set(Base.metadata.tables) | {ALEMBIC_TABLE}
    for table in Base.metadata.tables.values():
        known |= set(table.info.get("companions", ()))
    unknown = sorted(set(inspect(connection).get_table_names()) - known)
    if unknown:
        raise BackupError(f"Databasen har tabeller som programmet inte känner till: "
                          f"{', '.join(unknown)}. Uppgradera programmet först.")


def table_rows(connection: Connection, table):
    """Yield a table's rows as dicts, in primary-key order."""
    query = select(table).order_by(*table.primary_key.columns)
    for row in connection.execute(query.execution_options(yield_per=1000)):
        yield dict(row._mapping)


def read_manifest(directory: Path) -> dict:
    """Read the manifest and verify the dump's and every file's SHA-256 against it."""
    path = directory / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise BackupError(f"{path} kan inte läsas: {err}") from err
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: okänt format {manifest.get('format')!r}.")
    problems = []
    dump = directory / DUMP
    if not dump.is_file() or sha256_file(dump) != manifest["database"]["sha256"]:
        problems.append(f"{DUMP} saknas eller stämmer inte med manifestet")
    for key, expected in manifest["files"].items():
        file = directory / FILES / key
        if not file.is_file() or sha256_file(file) != expected:
            problems.append(f"{FILES}/{key} saknas eller stämmer inte med manifestet")
    if problems:
        raise BackupError("Säkerhetskopian är inte hel: " + "; ".join(problems[:10])
                          + (f" (och {len(problems) - 10} till)" if len(problems) > 10 else ""))
    return manifest
