"""Schema migrations (Alembic): from an empty database, from the previous schema, from a
database that create_all made before migrations existed, and replicas migrating together."""

from __future__ import annotations

import hashlib
import shutil
import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text

from civdata.cli import main
from civdata.core import models as m
from civdata.core import schema
from civdata.core.db import make_engine, session_scope
from tests import factories as f


def _differences(engine: Engine) -> list:
    """Return what differs between the database's schema and the models (empty when equal)."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, m.Base.metadata)


def _columns(engine: Engine) -> dict[str, set[str]]:
    """Return the column names each model table has in the database (an older schema lacks
    the tables later revisions add)."""
    found = inspect(engine)
    present = set(found.get_table_names())
    return {t.name: {c["name"] for c in found.get_columns(t.name)}
            for t in m.Base.metadata.sorted_tables if t.name in present}


def _digest(engine: Engine, columns: dict[str, set[str]] | None = None
            ) -> dict[str, tuple[int, str]]:
    """Return every model table's row count and a hash of its rows in key order (over the
    given columns per table: an older schema has fewer)."""
    columns = columns or _columns(engine)
    out = {}
    with engine.connect() as conn:
        for table in m.Base.metadata.sorted_tables:
            if table.name not in columns:
                continue
            cols = [c for c in table.columns if c.name in columns[table.name]]
            rows = conn.execute(select(*cols).order_by(*table.primary_key.columns)).all()
            out[table.name] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return out


def _index_names(engine: Engine, table: str) -> set[str]:
    """Return the names of table's indexes."""
    return {ix["name"] for ix in inspect(engine).get_indexes(table)}


def _make_unversioned(engine: Engine) -> None:
    """Turn a database at head into one like create_all made before migrations: BASELINE, no stamp."""
    schema.downgrade(engine, schema.BASELINE)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))


def _add_rows(engine: Engine) -> None:
    """Write a few linked rows, children with ON DELETE CASCADE among them."""
    from datetime import date

    with session_scope(engine) as s:
        sd = f.make_subdistrict(s)
        f.make_site(s, sd)
        f.make_problem(s, sd)
        project = f.make_project(s, sd)
        s.add(m.ProjectProgress(project_id=project.id, reported_on=date(2026, 10, 1),
                                percent=40.0, stage="under_construction", reported_by="t"))


def test_empty_database_migrates_to_head_matching_the_models(blank_engine: Engine) -> None:
    assert schema.current_revision(blank_engine) is None
    created = schema.init_db(blank_engine)
    assert set(created) == {t.name for t in m.Base.metadata.sorted_tables}
    assert schema.current_revision(blank_engine) == schema.head_revision()
    assert _differences(blank_engine) == []
    assert schema.init_db(blank_engine) == []  # idempotent
    assert schema.current_revision(blank_engine) == schema.head_revision()


def test_every_revision_goes_down_and_up_again(blank_engine: Engine) -> None:
    revisions = schema.known_revisions()
    assert revisions[0] == schema.BASELINE and revisions[-1] == schema.head_revision()
    for rev in revisions:
        schema.upgrade(blank_engine, rev)
        assert schema.current_revision(blank_engine) == rev
    for rev in reversed(revisions[:-1]):
        schema.downgrade(blank_engine, rev)
        assert schema.current_revision(blank_engine) == rev
    schema.downgrade(blank_engine, "base")
    assert set(inspect(blank_engine).get_table_names()) <= {"alembic_version"}
    schema.init_db(blank_engine)
    assert _differences(blank_engine) == []


def test_previous_revision_with_data_upgrades_in_place(engine: Engine) -> None:
    _add_rows(engine)
    revisions = schema.known_revisions()
    if len(revisions) < 2:
        pytest.skip("only the baseline revision exists: no previous schema to upgrade from")
    before = _digest(engine)
    assert before["project_progress"][0] == 1
    schema.downgrade(engine, revisions[-2])
    assert schema.current_revision(engine) == revisions[-2]
    with engine.connect() as conn:  # rebuilding a parent table cascaded into no child
        assert conn.execute(text("SELECT count(*) FROM project_progress")).scalar() == 1
    schema.init_db(engine)
    assert schema.current_revision(engine) == schema.head_revision()
    assert _differences(engine) == []
    assert _digest(engine) == before


def test_database_made_by_create_all_is_stamped_and_upgraded(engine: Engine) -> None:
    _add_rows(engine)
    before = _digest(engine)
    _make_unversioned(engine)
    assert schema.current_revision(engine) is None
    at_baseline = set(inspect(engine).get_table_names())
    # only the tables that revisions after the baseline add (e.g. 0006's site_link_count)
    assert set(schema.init_db(engine)) == set(m.Base.metadata.tables) - at_baseline
    assert schema.current_revision(engine) == schema.head_revision()
    assert _differences(engine) == []
    assert _digest(engine) == before


def test_sample_database_from_before_migrations_keeps_every_row(
        sample_template: Path, tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    shutil.copy(sample_template, db)
    eng = make_engine(f"sqlite:///{db}")
    _make_unversioned(eng)
    old_columns = _columns(eng)
    before = _digest(eng, old_columns)
    assert before["problem"][0] > 1000
    eng.dispose()
    url = f"sqlite:///{db}"
    assert main(["--database-url", url, "init-db"]) == 0  # what `make run` does
    eng = make_engine(url)
    assert schema.current_revision(eng) == schema.head_revision()
    assert _digest(eng, old_columns) == before
    assert {"ix_problem_open_cover", "ix_problem_closed_cover"} <= _index_names(eng, "problem")
    assert "ix_activity_community_date" in _index_names(eng, "volunteer_activity")
    eng.dispose()


def test_replicas_starting_together_migrate_once(blank_engine: Engine) -> None:
    errors: list[BaseException] = []
    url = blank_engine.url

    def start() -> None:
        eng = make_engine(url.render_as_string(hide_password=False))
        try:
            schema.init_db(eng)
        except BaseException as err:
            errors.append(err)
        finally:
            eng.dispose()

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with blank_engine.connect() as conn:
        stamps = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    assert stamps == [schema.head_revision()]
    assert _differences(blank_engine) == []


def test_cli_init_db_names_the_revision(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert main(["--database-url", url, "init-db"]) == 0
    out = capsys.readouterr().out
    assert f"revision {schema.head_revision()}" in out
    assert f"({len(m.Base.metadata.sorted_tables)} tables created)" in out
    assert main(["--database-url", url, "init-db"]) == 0
    assert "(0 tables created)" in capsys.readouterr().out


def test_new_revision_numbers_the_next_migration(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "migrations"
    shutil.copytree(schema.MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(schema, "MIGRATIONS", copy)
    head = schema.head_revision()
    path = schema.new_revision("nothing changed")
    expected = f"{int(head) + 1:04d}"
    assert path.parent == copy / "versions" and path.name.startswith(expected)
    body = path.read_text()
    assert f'revision = "{expected}"' in body or f"revision = '{expected}'" in body
    assert f"down_revision = '{head}'" in body or f'down_revision = "{head}"' in body
    assert schema.head_revision() == expected
    assert "op." not in body.split("def upgrade")[1].split("def downgrade")[0]  # models = head
