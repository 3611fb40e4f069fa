"""Shared fixtures: a fresh database per test, the sample database, AppTest helpers."""

from __future__ import annotations

import inspect
import os
import shutil
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from civdata.core.db import make_engine, session_factory
from civdata.core.schema import init_db

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_AS_OF = date(2026, 11, 25)
DEMO_PASSWORDS = {"leader": "demo-leader-2022", "office": "demo-office-2022",
                  "nanhu": "demo-nanhu-2022", "market": "demo-market-2022",
                  "admin": "demo-admin-2022"}


def _backends() -> list[str]:
    """Return the databases the data-layer tests run on: SQLite, and PostgreSQL when given."""
    return ["sqlite", "postgresql"] if os.environ.get("CIVDATA_TEST_POSTGRES_URL") else ["sqlite"]


DROP_ATTEMPTS = 100  # 20 s at most


def _pg_url(base: str, database: str) -> str:
    """Return base with its database replaced by database (same user, host and options)."""
    from sqlalchemy.engine import make_url

    return make_url(base).set(database=database).render_as_string(hide_password=False)


class _PgDatabases:
    """This worker's throw-away PostgreSQL databases, made and dropped on one admin connection.

    The schema is migrated once into a template database (`<db>_tpl`); each test gets its own
    copy of it (`CREATE DATABASE ... TEMPLATE`, ~0.3 s instead of ~3 s of migrations), dropped
    after the test WITH (FORCE), which ends any connection the test left open: no lock waits.
    """

    def __init__(self, base: str) -> None:
        from sqlalchemy.engine import make_url

        self.base = base
        self.name = make_url(base).database
        self._admin = make_engine(base)
        self._conn = None
        self._template: str | None = None

    def _run(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE need that)."""
        if self._conn is None:
            self._conn = self._admin.connect().execution_options(isolation_level="AUTOCOMMIT")
        self._conn.exec_driver_sql(sql)

    def create(self, name: str, template: str = "template0") -> str:
        """Create database name as a copy of template (dropping a leftover); return its URL."""
        self.drop(name)
        self._run(f'CREATE DATABASE "{name}" TEMPLATE "{template}"{self._strategy()}')
        return _pg_url(self.base, name)

    def _strategy(self) -> str:
        """Return the copy strategy clause: WAL_LOG (fast for small databases) from PostgreSQL
        15, where FILE_COPY became the alternative that forces checkpoints; nothing before."""
        if self._conn is None:
            self._conn = self._admin.connect().execution_options(isolation_level="AUTOCOMMIT")
        version = int(self._conn.exec_driver_sql("SHOW server_version_num").scalar())
        return " STRATEGY WAL_LOG" if version >= 150000 else ""

    def drop(self, name: str) -> None:
        """Drop database name if it exists, ending the connections still open on it. FORCE
        cannot end an autovacuum worker without pg_signal_backend: that one is waited out."""
        from sqlalchemy.exc import DBAPIError

        for attempt in range(DROP_ATTEMPTS):
            try:
                self._run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                return
            except DBAPIError:
                if attempt == DROP_ATTEMPTS - 1:
                    raise
                time.sleep(0.2)

    def template(self) -> str:
        """Return the name of the template database at head (migrated on first use)."""
        if self._template is None:
            name = f"{self.name}_tpl"
            eng = make_engine(self.create(name))
            init_db(eng)
            with eng.begin() as conn:  # no autovacuum in the copies: nothing to wait out
                for table in conn.exec_driver_sql(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").scalars():
                    conn.exec_driver_sql(f'ALTER TABLE "{table}" SET (autovacuum_enabled = false)')
            eng.dispose()
            self._template = name
        return self._template

    def close(self) -> None:
        """Drop the template and close the admin connection."""
        if self._template is not None:
            self.drop(self._template)
        if self._conn is not None:
            self._conn.close()
        self._admin.dispose()


@pytest.fixture(scope="session")
def _pg_databases() -> Iterator[_PgDatabases]:
    """Return this worker's maker of per-test PostgreSQL databases."""
    dbs = _PgDatabases(postgres_url_or_skip())
    yield dbs
    dbs.close()


@pytest.fixture(scope="session")
def _sqlite_schema_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a SQLite file migrated to head (once per run and worker), copied per test."""
    path = tmp_path_factory.mktemp("schema") / "schema.db"
    eng = make_engine(f"sqlite:///{path}")
    init_db(eng)
    with eng.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    eng.dispose()
    return path


def _warm(eng):
    """Connect once, as the migration used to, so the engine's first-connect work is done."""
    with eng.connect():
        pass
    return eng


@pytest.fixture(params=_backends())
def blank_engine(request: pytest.FixtureRequest, tmp_path: Path):
    """Return an engine on an empty database without the schema (SQLite, and PostgreSQL)."""
    if request.param == "postgresql":
        dbs: _PgDatabases = request.getfixturevalue("_pg_databases")
        name = f"{dbs.name}_b"
        eng = make_engine(dbs.create(name))
        yield eng
        eng.dispose()
        dbs.drop(name)
        return
    eng = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    yield eng
    eng.dispose()


@pytest.fixture(params=_backends())
def engine(request: pytest.FixtureRequest, tmp_path: Path):
    """Return an engine on a fresh, empty database with the schema (migrated to head).

    SQLite: a copy, under tmp_path, of a file migrated once per run. With
    CIVDATA_TEST_POSTGRES_URL set (CI sets it), the same test again on PostgreSQL, on a database
    of its own copied from a template migrated once per run (see _PgDatabases).
    """
    if request.param == "postgresql":
        dbs: _PgDatabases = request.getfixturevalue("_pg_databases")
        name = f"{dbs.name}_t"
        eng = _warm(make_engine(dbs.create(name, template=dbs.template())))
        yield eng
        eng.dispose()
        dbs.drop(name)
        return
    target = tmp_path / "fresh.db"
    shutil.copy(request.getfixturevalue("_sqlite_schema_template"), target)
    eng = _warm(make_engine(f"sqlite:///{target}"))
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine) -> Iterator[Session]:
    """Return a session on the fresh database."""
    with session_factory(engine)() as s:
        yield s


@pytest.fixture(scope="session")
def sample_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a SQLite file with the sample loaded as of SAMPLE_AS_OF (built once per run)."""
    from civdata.core.db import session_scope
    from civdata.io.sample import load_sample

    path = tmp_path_factory.mktemp("sample") / "sample.db"
    eng = make_engine(f"sqlite:///{path}")
    init_db(eng)
    with session_scope(eng) as s:
        load_sample(s, as_of=SAMPLE_AS_OF)
    with eng.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    eng.dispose()
    return path


@pytest.fixture
def sample_db(sample_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Copy the sample database for this test, point the app at it; return its URL."""
    target = tmp_path / "sample.db"
    shutil.copy(sample_template, target)
    url = f"sqlite:///{target}"
    monkeypatch.setenv("CIVDATA_DATABASE_URL", url)
    monkeypatch.setenv("CIVDATA_TODAY", SAMPLE_AS_OF.isoformat())
    monkeypatch.setenv("CIVDATA_SECRET", "test-secret-not-for-production")
    return url


PG_SAMPLE_SCHEMA = "civsample"


def postgres_url_or_skip() -> str:
    """Return CIVDATA_TEST_POSTGRES_URL, or skip the test with the reason."""
    url = os.environ.get("CIVDATA_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("PostgreSQL not configured: set CIVDATA_TEST_POSTGRES_URL (.ci/run does)")
    return url


@pytest.fixture(scope="session")
def pg_sample_url() -> str:
    """Return a URL of the sample loaded into PostgreSQL (schema civsample, built once per run).

    Shared by the tests that only read it; its own schema, so the per-test `engine` fixture,
    which recreates `public`, leaves it alone.
    """
    from civdata.core.db import session_scope
    from civdata.io.sample import load_sample

    base = postgres_url_or_skip()
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {PG_SAMPLE_SCHEMA} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {PG_SAMPLE_SCHEMA}")
    admin.dispose()
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{PG_SAMPLE_SCHEMA}"
    eng = make_engine(url)
    init_db(eng)
    with session_scope(eng) as s:
        load_sample(s, as_of=SAMPLE_AS_OF)
    eng.dispose()
    return url


@pytest.fixture(params=_backends())
def sample_reader(request: pytest.FixtureRequest) -> Iterator[Session]:
    """Return a session on the sample for tests that only read: SQLite, and PostgreSQL."""
    url = (request.getfixturevalue("pg_sample_url") if request.param == "postgresql"
           else request.getfixturevalue("sample_db"))
    eng = make_engine(url)
    with session_factory(eng)() as s:
        yield s
    eng.dispose()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test that takes sample_session on SQLite and, when configured, PostgreSQL.

    A test that also takes sample_db (it reaches the database by URL too) stays on SQLite.
    """
    if "sample_session" not in metafunc.fixturenames:
        return
    own = set(inspect.signature(metafunc.function).parameters)
    backends = ["sqlite"] if "sample_db" in own else _backends()
    metafunc.parametrize("sample_backend", backends, indirect=True)


@pytest.fixture
def sample_backend(request: pytest.FixtureRequest) -> str:
    """Return the backend that sample_session runs on."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def sample_session(sample_backend: str, request: pytest.FixtureRequest) -> Iterator[Session]:
    """Return a session on this test's own copy of the sample.

    SQLite: a copy of the file. PostgreSQL: the shared sample inside a transaction that is
    rolled back after the test (the code's commits and rollbacks become savepoints).
    """
    if sample_backend == "postgresql":
        eng = make_engine(request.getfixturevalue("pg_sample_url"))
        conn = eng.connect()
        outer = conn.begin()
        s = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            yield s
        finally:
            s.close()
            outer.rollback()
            conn.close()
            eng.dispose()
        return
    eng = make_engine(request.getfixturevalue("sample_db"))
    with session_factory(eng)() as s:
        yield s
    eng.dispose()


@pytest.fixture(autouse=True)
def _clear_streamlit_caches() -> Iterator[None]:
    """Clear Streamlit's caches around every test (engines and reads are per database)."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def _worker_postgres_url(base: str, worker: str) -> str:
    """Return the URL of this pytest-xdist worker's own PostgreSQL database, created if missing
    (the per-test databases are named after it, so two workers never share one)."""
    from sqlalchemy.engine import make_url

    url = make_url(base)
    own = url.set(database=f"{url.database}_{worker}")
    admin = make_engine(base)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        exists = conn.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %(n)s",
                                      {"n": own.database}).first()
        if not exists:
            conn.exec_driver_sql(f'CREATE DATABASE "{own.database}"')
    admin.dispose()
    return own.render_as_string(hide_password=False)


def pytest_configure(config: pytest.Config) -> None:
    """Make sure tests never touch the developer's real database by accident; give each
    pytest-xdist worker its own PostgreSQL database."""
    os.environ.setdefault("CIVDATA_DATABASE_URL", "sqlite:///:memory:")
    os.environ.setdefault("CIVDATA_WARM_IMPORTS", "0")  # ui/warmup.py: no background imports
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    base = os.environ.get("CIVDATA_TEST_POSTGRES_URL")
    if worker and base:
        os.environ["CIVDATA_TEST_POSTGRES_URL"] = _worker_postgres_url(base, worker)


FIRST = ("tests/test_bench_smoke.py",)  # the longest file: started first, beside the others


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the longest test file first, so that with pytest-xdist (--dist loadfile) it runs
    beside the other files instead of alone at the end."""
    items.sort(key=lambda item: not item.nodeid.startswith(FIRST))
