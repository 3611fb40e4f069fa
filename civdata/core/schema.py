"""The schema's versions: Alembic migrations in civdata/migrations, applied by init_db."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import DBAPIError, OperationalError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"  # the schema that create_all made before migrations existed
_PG_LOCK_KEY = 7_140_381  # advisory lock: replicas starting together migrate one at a time


def _config(connection: Connection | None = None) -> Config:
    """Return an Alembic config on the migrations folder, bound to connection."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """Return the newest revision of the migrations."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def known_revisions() -> list[str]:
    """Return every revision, oldest first."""
    script = ScriptDirectory.from_config(_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def _revision_of(connection: Connection) -> str | None:
    """Return the revision stamped in the database on connection, or None."""
    return MigrationContext.configure(connection).get_current_revision()


def current_revision(engine: Engine) -> str | None:
    """Return the database's revision, or None when it has none (empty or made by create_all)."""
    with engine.connect() as conn:
        return _revision_of(conn)


def _is_unversioned_schema(connection: Connection) -> bool:
    """Return True when the tables exist but no revision is stamped (made by create_all)."""
    tables = set(inspect(connection).get_table_names())
    return "problem" in tables and "alembic_version" not in tables


def _lock_for_migration(connection: Connection) -> None:
    """Hold the database's migration lock until the transaction ends (one migrator at a time)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock, DDL included


@contextmanager
def _migration_connection(engine: Engine) -> Iterator[Connection]:
    """Yield a locked connection in one transaction for migrating; commit at the end.

    SQLite rebuilds a table to alter it (Alembic's batch mode), and dropping the old table with
    foreign keys on would cascade into its children: they are off while migrating, and the
    foreign keys are checked before the commit instead.
    """
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # only outside a transaction
            conn.commit()
        try:
            with conn.begin():
                _lock_for_migration(conn)
                before = _revision_of(conn)
                yield conn
                if sqlite and _revision_of(conn) != before:  # tables may have been rebuilt
                    _raise_on_broken_foreign_keys(conn)
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to revision; a schema made by create_all is first stamped BASELINE.

    On SQLite, processes starting together on a new file can find it locked while another
    turns on WAL: such an attempt is retried (nothing was written).
    """
    _retry_when_locked(engine, lambda: _upgrade_once(engine, revision))


def _retry_when_locked(engine: Engine, step):
    """Run step, retrying a few times when SQLite reports the file locked; return its result."""
    for attempt in range(6):
        try:
            return step()
        except OperationalError as err:
            if engine.dialect.name != "sqlite" or "locked" not in str(err) or attempt == 5:
                raise
            time.sleep(0.2 * (attempt + 1))
    return None


def _raise_on_broken_foreign_keys(connection: Connection) -> None:
    """Raise RuntimeError when a SQLite foreign key points nowhere (scans every table)."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"foreign keys broken: {broken[:5]}")


def _upgrade_once(engine: Engine, revision: str) -> None:
    """Bring the database to revision in one locked transaction."""
    with _migration_connection(engine) as conn:
        if revision == "head" and _revision_of(conn) == head_revision():
            return  # another process migrated while this one waited for the lock
        cfg = _config(conn)
        if _is_unversioned_schema(conn):
            command.stamp(cfg, BASELINE)
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the database back to revision (for tests and emergencies)."""
    with _migration_connection(engine) as conn:
        command.downgrade(_config(conn), revision)


def stamped_revision(engine: Engine) -> str | None:
    """Return the revision in alembic_version (one indexed read), or None when there is none."""
    with engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError:  # no alembic_version table: empty, or made by create_all
            conn.rollback()
            return None


def check_foreign_keys(engine: Engine) -> None:
    """Raise RuntimeError when a foreign key points nowhere (SQLite; PostgreSQL enforces them)."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            _raise_on_broken_foreign_keys(conn)


def init_db(engine: Engine, check: bool = False) -> list[str]:
    """Apply every pending migration; return the names of the tables created.

    A database already at head costs one read of its revision: no lock is taken and no table is
    scanned (every new app process calls this). check=True also verifies every foreign key.
    """
    head = head_revision()
    if _retry_when_locked(engine, lambda: stamped_revision(engine)) == head:
        if check:
            check_foreign_keys(engine)
        return []
    before = set(_retry_when_locked(engine, lambda: inspect(engine).get_table_names()))
    upgrade(engine, "head")
    after = set(inspect(engine).get_table_names())
    if check:
        check_foreign_keys(engine)
    return sorted(after - before - {"alembic_version"})


def new_revision(message: str) -> Path:
    """Write the next migration, autogenerated from the models' difference to head; return it."""
    import tempfile

    from civdata.core.db import make_engine

    number = f"{int(head_revision()) + 1:04d}"
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'head.db'}")
        upgrade(engine, "head")
        with engine.begin() as conn:
            script = command.revision(_config(conn), message=message, autogenerate=True,
                                      rev_id=number)
        engine.dispose()
    assert script is not None and not isinstance(script, list)
    return Path(script.path)
