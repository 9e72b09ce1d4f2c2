"""Database plumbing: the declarative base, engine and session factory, SQLite pragmas."""

from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from app.db_timeouts import guard_postgres

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime stored as UTC; SQLite gets it back aware too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use aware UTC datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict: JSONType, list: JSONType}


def utcnow() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


def make_engine(url: str, *, connect_timeout: float = 5, statement_timeout: float = 30,
                **kwargs) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and write-locking transactions;
    PostgreSQL gets connect, statement and network timeouts (seconds; 0 = none) and a ping
    before every checkout, so a lost server is an error within seconds, never a hang."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    connect_args = dict(kwargs.pop("connect_args", {}))
    if connect_timeout:
        connect_args.setdefault("connect_timeout", max(2, round(connect_timeout)))
    if statement_timeout:
        connect_args.setdefault("options", f"-c statement_timeout={int(statement_timeout * 1000)}")
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    if url.startswith("postgresql+psycopg"):
        # An answer must come within the statement timeout plus a margin: the server cancels
        # slow statements itself; a silent network (black-holed) is cut by the client.
        network = (statement_timeout + (connect_timeout or 5)) if statement_timeout else None
        guard_postgres(engine, network_timeout=network, ping_timeout=connect_timeout or 5)
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Return the session factory used by web requests, commands and tests."""
    return sessionmaker(engine, expire_on_commit=False)


READ_ONLY_OPTION = "tf_read_only"


def make_read_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory for requests that only read (SQLite begins them deferred)."""
    return sessionmaker(engine.execution_options(**{READ_ONLY_OPTION: True}),
                        expire_on_commit=False)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy issue BEGIN itself (the driver's implicit transactions are off).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # Writers take the write lock up front: a read-then-write transaction can then never
        # be refused halfway (SQLITE_BUSY_SNAPSHOT); concurrent writers queue instead.
        # Read-only sessions (see read_only_sessionmaker) begin deferred and run in parallel.
        deferred = connection.get_execution_options().get(READ_ONLY_OPTION)
        connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")
