"""PostgreSQL connections that never wait forever (psycopg 3).

The server cancels slow statements itself (`statement_timeout`), and libpq gives up on a
connection attempt after `connect_timeout`. Neither helps when the network goes silent on a
connection that is already open (a black-holed route, a frozen server): the client would wait
for an answer forever. Here every wait on an open connection has a deadline, after which the
connection is closed (the pool then discards it), and the pool pings each connection with a
short deadline when it is checked out, so a request notices a lost server within seconds.
"""

from contextlib import contextmanager

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError


class TimedConnection(psycopg.Connection):
    """A psycopg connection whose waits for the server end after `network_timeout` seconds."""

    network_timeout: float | None = None

    def wait(self, gen, interval=0.1, timeout=None):
        limit = timeout if timeout is not None else self.network_timeout
        if limit is None:
            return super().wait(gen, interval, timeout)
        try:
            return super().wait(gen, interval, limit)
        except psycopg.errors._WaitTimeout:  # psycopg's own wait deadline (private name)
            if timeout is not None:  # psycopg asked for that deadline itself
                raise
            self.pgconn.finish()  # unknown state: never reuse it (the pool sees it closed)
            raise psycopg.OperationalError(
                f"the database did not answer within {limit:g} s; connection closed") from None

    @contextmanager
    def deadline(self, seconds: float | None):
        """Let waits inside the block last at most `seconds` (None: no limit)."""
        before, self.network_timeout = self.network_timeout, seconds
        try:
            yield self
        finally:
            self.network_timeout = before


def guard_postgres(engine: Engine, *, network_timeout: float | None,
                   ping_timeout: float) -> None:
    """Make `engine` open TimedConnections and ping them (briefly) at every checkout."""

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect, _record, cargs, cparams):
        connection = TimedConnection.connect(*cargs, **cparams)
        connection.network_timeout = network_timeout
        return connection

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection, _record, _proxy):
        # SQLAlchemy's pool_pre_ping would wait up to the network timeout; this ping waits
        # only `ping_timeout`. A failed ping makes the pool retry with a new connection.
        try:
            with dbapi_connection.deadline(ping_timeout):
                engine.dialect.do_ping(dbapi_connection)
        except psycopg.Error as err:
            raise DisconnectionError(str(err)) from err


@contextmanager
def without_timeouts(connection):
    """Lift the statement and network timeouts for one long transaction (migrations)."""
    if connection.dialect.name != "postgresql":
        yield connection
        return
    connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
    dbapi_connection = connection.connection.dbapi_connection
    if not isinstance(dbapi_connection, TimedConnection):
        yield connection
        return
    with dbapi_connection.deadline(None):
        yield connection
