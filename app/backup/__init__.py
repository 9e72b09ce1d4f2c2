"""Backup and restore of the database and the stored files as one consistent set.

A backup is a folder: `database.jsonl` (every table in dependency order, read in one snapshot
transaction, with the Alembic revision), `files/<key>` (exactly the files the snapshot's rows
name; files are immutable once written and keys are random, so this set matches the rows) and
`manifest.json` (the SHA-256 of the dump and of every file). It restores on SQLite and
PostgreSQL alike, into an empty database migrated to the same revision.

This package does not import Flask: `flask backup` / `flask restore` (app/cli.py) pass the
database engine and the storage in.
"""

from app.backup.archive import BackupError
from app.backup.create import create_backup
from app.backup.restore import restore_backup

__all__ = ["BackupError", "create_backup", "restore_backup"]
