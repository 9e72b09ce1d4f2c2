"""Alembic environment: the app's metadata and engine factory, or a connection passed in.

`flask --app app db upgrade` and the tests pass a live connection in
`config.attributes["connection"]`; the `alembic` command line builds its own engine from
`app.config.load_config()["DATABASE_URL"]` (so `TF_DATABASE_URL` applies).
"""

from logging.config import fileConfig
from pathlib import Path

from alembic import context
from sqlalchemy import JSON, Connection
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

# The model modules register their tables on Base.metadata when imported.
import app.accounts.models
import app.attachments.models
import app.audit
import app.effects.models
import app.engine.models
import app.grants.models
import app.grants.search
import app.letters.models
import app.payouts.models
from app.config import load_config
from app.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def database_url() -> str:
    """Return the configured database URL, creating the folder of a SQLite file."""
    url = str(load_config()["DATABASE_URL"])
    parsed = make_url(url)
    database = parsed.database or ""
    is_file = database not in ("", ":memory:") and not database.startswith("file:")
    if parsed.get_backend_name() == "sqlite" and is_file:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    return url


def render_item(type_: str, obj, autogen_context):
    """Render app.db's column types as plain SQLAlchemy types, so migrations stand alone."""
    if type_ != "type":
        return False
    if isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    if isinstance(obj, JSON) and "postgresql" in getattr(obj, "_variant_mapping", {}):
        # Alembic's own rendering of this variant names `Text` without the `sa.` prefix.
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return 'sa.JSON().with_variant(postgresql.JSONB(), "postgresql")'
    return False


def configure_options(dialect_name: str) -> dict:
    """Return the context options shared by online and offline runs."""
    return {
        "target_metadata": target_metadata,
        "render_as_batch": dialect_name == "sqlite",  # SQLite can't ALTER most things
        "compare_type": True,
        "transactional_ddl": True,  # all pending revisions commit together, SQLite included
        "render_item": render_item,
        "include_name": include_name,
    }


def include_name(name, type_, parent_names) -> bool:
    """Leave the full-text search's own objects (FTS5 tables, the expression index) out of
    schema comparisons: the migrations create them, the models cannot describe them."""
    return name not in app.grants.search.SEARCH_OBJECTS


def run_migrations_offline() -> None:
    """Emit SQL to stdout (`alembic upgrade head --sql`)."""
    url = database_url()
    context.configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **configure_options(make_url(url).get_backend_name()),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate over the connection passed in, or over a new engine from the config."""
    connection = config.attributes.get("connection")
    if connection is not None:
        migrate(connection)
        return
    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    engine = make_engine(database_url(), poolclass=NullPool)
    try:
        with engine.connect() as own_connection:
            migrate(own_connection)
    finally:
        engine.dispose()


def migrate(connection: Connection) -> None:
    """Run the migrations in one transaction."""
    # SQLite batch mode rebuilds a table by copy, drop and rename; with foreign keys enforced
    # the drop would cascade into (or be refused by) the rows that reference it.
    keys_off = set_sqlite_foreign_keys(connection, enabled=False)
    try:
        context.configure(connection=connection, **configure_options(connection.dialect.name))
        with context.begin_transaction():
            context.run_migrations()
            if keys_off:
                check_sqlite_foreign_keys(connection)
    finally:
        if keys_off:
            set_sqlite_foreign_keys(connection, enabled=True)


def set_sqlite_foreign_keys(connection: Connection, *, enabled: bool) -> bool:
    """Switch SQLite foreign-key enforcement; return whether it could (only between transactions)."""
    if connection.dialect.name != "sqlite" or connection.in_transaction():
        return False
    # Straight to the driver: SQLAlchemy would begin a transaction, where the pragma is a no-op.
    connection.connection.driver_connection.execute(
        f"PRAGMA foreign_keys={'ON' if enabled else 'OFF'}"
    )
    return True


def check_sqlite_foreign_keys(connection: Connection) -> None:
    """Refuse to commit a migration that left rows pointing at missing rows."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"migration broke foreign keys (table, rowid, parent, fk): {broken}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
