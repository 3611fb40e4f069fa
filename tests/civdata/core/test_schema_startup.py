"""Start-up cost of init_db (issue 18): a database at head costs one read of its revision; the
lock and the scan of every foreign key happen only when a migration runs or on request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, event, text

from civdata.cli import main
from civdata.core import schema
from civdata.core.db import make_engine


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    """Yield the list of SQL statements engine executes while the block runs."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _scans_or_locks(statements: list[str]) -> list[str]:
    """Return the statements that lock the database or scan its tables."""
    words = ("foreign_key_check", "BEGIN IMMEDIATE", "pg_advisory", "sqlite_master",
             "information_schema", "pg_catalog", "CREATE", "ALTER", "INSERT", "UPDATE")
    return [s for s in statements if any(w.lower() in s.lower() for w in words)]


def test_init_db_at_head_only_reads_the_revision(engine: Engine) -> None:
    with _statements(engine) as seen:
        created = schema.init_db(engine)
    assert created == []
    assert _scans_or_locks(seen) == []
    assert seen == ["SELECT version_num FROM alembic_version"]


def test_init_db_on_a_new_database_migrates_and_checks_foreign_keys(blank_engine: Engine) -> None:
    with _statements(blank_engine) as seen:
        created = schema.init_db(blank_engine)
    assert "problem" in created
    assert schema.current_revision(blank_engine) == schema.head_revision()
    if blank_engine.dialect.name == "sqlite":
        assert "BEGIN IMMEDIATE" in seen
        assert "PRAGMA foreign_key_check" in seen


def test_a_behind_database_is_still_migrated(engine: Engine) -> None:
    schema.downgrade(engine, schema.known_revisions()[-2])
    assert schema.stamped_revision(engine) != schema.head_revision()
    schema.init_db(engine)
    assert schema.stamped_revision(engine) == schema.head_revision()


def test_check_runs_the_foreign_key_scan_on_request(tmp_path) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    schema.init_db(eng)
    with eng.connect() as conn:  # a dangling reference, written with foreign keys off
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.execute(text("INSERT INTO community (id, code, name_zh, name_en, subdistrict_id, "
                          "lat, lon) VALUES (1, 'X', 'x', 'x', 999, 41.8, 123.4)"))
        conn.commit()
    assert schema.init_db(eng) == []  # the quick path does not scan
    with _statements(eng) as seen, pytest.raises(RuntimeError, match="foreign keys broken"):
        schema.init_db(eng, check=True)
    assert "PRAGMA foreign_key_check" in seen
    eng.dispose()


def test_cli_init_db_check(tmp_path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["--database-url", url, "init-db"]) == 0
    assert main(["--database-url", url, "init-db", "--check"]) == 0
    assert "0 tables created" in capsys.readouterr().out
