"""Engines and sessions; the URL is always passed in, nothing connects at import time."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Turn on WAL, foreign keys and a busy timeout for every SQLite connection."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=10000")  # first: the pragmas below may wait for a lock
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    dbapi_connection.isolation_level = None  # pysqlite emits no BEGIN of its own: see below


_WRITE_WORD = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def _sqlite_statement_writes(statement: str) -> bool:
    """Return True unless the statement only reads (SELECT, a WITH that only selects) or is a
    BEGIN or PRAGMA of the caller's own (they run as given)."""
    head = statement.lstrip()[:8].upper()
    if head.startswith(("SELECT", "BEGIN", "PRAGMA")):
        return False
    if head.startswith("WITH"):
        return _WRITE_WORD.search(statement) is not None
    return True


def _sqlite_begin(conn: Connection, _cursor, statement: str, *_args) -> None:
    """Emit BEGIN IMMEDIATE before the first statement of a SQLAlchemy transaction that writes.

    SQLAlchemy's recipe for pysqlite ("Serializable isolation / Savepoints / Transactional
    DDL"): the driver's own transaction handling is off (isolation_level None at connect) and
    SQLAlchemy's side emits BEGIN, so that DDL and SAVEPOINTs run inside the transaction and a
    rollback undoes a released savepoint too (pysqlite by itself begins only before INSERT,
    UPDATE, DELETE: a SAVEPOINT before them ran on its own and its RELEASE committed).

    The BEGIN is emitted when the transaction first writes (any statement but SELECT, PRAGMA or
    the caller's own BEGIN), not in the "begin" event: reads before the first write see the
    newest committed rows as on PostgreSQL (READ COMMITTED), so a versioned UPDATE that lost to
    a concurrent edit matches no row and is refused as a stale edit on both backends; a
    deferred BEGIN before those reads would make SQLite refuse it as "database is locked"
    instead. IMMEDIATE takes the write lock at once (waiting up to the busy timeout), so
    nothing can be committed by others between the BEGIN and the transaction's own writes. A
    caller may still open the transaction with BEGIN itself (a read snapshot for the backup,
    BEGIN IMMEDIATE for migrations), and a PRAGMA that only works outside a transaction
    (foreign_keys, wal_checkpoint) still runs outside one.
    """
    if not conn.in_transaction() or \
            conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return
    raw = conn.connection.driver_connection
    if raw is None or raw.in_transaction or not _sqlite_statement_writes(statement):
        return
    raw.execute("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """Return an engine for url; SQLite files get their folder, WAL and foreign keys."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "before_cursor_execute", _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3, not psycopg2
    return create_engine(parsed, pool_pre_ping=True)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory bound to engine."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """Yield a session that commits on success and rolls back on any error."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
