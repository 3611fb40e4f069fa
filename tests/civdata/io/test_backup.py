"""Backups: portable round trips (SQLite <-> PostgreSQL), photos, refusals, rollback, the CLI."""

from __future__ import annotations

import io
import json
import math
import tarfile
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import Engine, func, insert, inspect, select, text, update
from sqlalchemy import types as sat

from civdata.cli import main
from civdata.core import models as m
from civdata.core import schema
from civdata.core.auth import Actor
from civdata.core.db import make_engine, session_scope
from civdata.core.errors import CivDataError
from civdata.core.schema import init_db
from civdata.domain import workflow
from civdata.io import backup, photos

OFFICE = Actor(username="office", role="office", display_name="office")


def _rows(engine: Engine, columns_of: Engine | None = None) -> dict[str, list[tuple]]:
    """Return every table's rows ordered by primary key (only the columns that columns_of's
    schema has, when given: an older revision may lack some)."""
    schema_of = inspect(columns_of or engine)
    present = set(schema_of.get_table_names())
    out = {}
    with engine.connect() as conn:
        for t in m.Base.metadata.sorted_tables:
            if t.name not in present:  # a table a later revision adds
                continue
            names = {c["name"] for c in schema_of.get_columns(t.name)}
            cols = [c for c in t.columns if c.name in names]
            out[t.name] = [tuple(r) for r in conn.execute(
                select(*cols).order_by(*t.primary_key.columns))]
    return out


def _fingerprint(engine: Engine) -> dict[str, tuple]:
    """Return every table's row count and largest key, and the site table in full (cheap)."""
    with engine.connect() as conn:
        found: dict[str, tuple] = {
            t.name: (conn.scalar(select(func.count()).select_from(t)),
                     conn.scalar(select(func.max(list(t.primary_key.columns)[0]))))
            for t in m.Base.metadata.sorted_tables}
        found["site rows"] = tuple(conn.execute(select(m.Site).order_by(m.Site.id)))
    return found


def _files(folder: Path) -> dict[str, bytes]:
    """Return every file under folder by relative name."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _png(colour: tuple[int, int, int]) -> bytes:
    """Return a small PNG."""
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buf, format="PNG")
    return buf.getvalue()


def _url(engine: Engine) -> str:
    """Return the engine's URL with its password (for the command line)."""
    return engine.url.render_as_string(hide_password=False)


def _rewrite(archive: Path, out: Path, change) -> None:
    """Copy archive to out, passing every (name, bytes) through change (None drops it)."""
    with tarfile.open(archive) as src, tarfile.open(out, "w:gz") as dst:
        for member in src:
            data = src.extractfile(member).read()
            result = change(member.name, data)
            if result is None:
                continue
            name, data = result
            info = tarfile.TarInfo(name)
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))


def _with_manifest(change_manifest, key: bytes | None = None):
    """Return a _rewrite change that edits the manifest (and re-checksums nothing else), then
    signs it again with key (this installation's by default: one who holds the secret); with
    key=b"" the old signature stays (one who does not)."""
    edited: dict[str, bytes] = {}

    def change(name: str, data: bytes):
        if name == backup.MANIFEST:
            manifest = json.loads(data)
            change_manifest(manifest)
            edited["manifest"] = json.dumps(manifest).encode()
            return name, edited["manifest"]
        if name == backup.SIGNATURE and key != b"":
            return name, backup.sign_manifest(edited["manifest"], key or backup.signing_key())
        return name, data
    return change


@pytest.fixture
def source(sample_db: str, tmp_path: Path) -> tuple[Engine, Path]:
    """Return the sample (with edge values and two photos) and its photo folder."""
    folder = tmp_path / "photos-src"
    names = [photos.store_photo(_png((200, 30, 30)), folder),
             photos.store_photo(_png((30, 200, 30)), folder)]
    eng = make_engine(sample_db)
    with eng.begin() as conn:
        top = conn.scalar(select(func.max(m.Problem.id)))
        low = conn.scalar(select(func.min(m.Problem.id)))
        conn.execute(update(m.Problem).where(m.Problem.id == low).values(
            description="大文本 \"quoted\" \\ back\nslash\t" + "测" * 100_000 + "\u2028end",
            lat=41.123456789012345, lon=123.40000000000001, photo_before=names[0],
            photo_after=names[1], discovered_at=datetime(2026, 11, 20, 8, 15, 42, 123456),
            closed_on_time=None, reopened_from_id=top))  # a row pointing at a later row
    yield eng, folder
    eng.dispose()


@pytest.fixture
def archive(source: tuple[Engine, Path], tmp_path: Path) -> Path:
    """Return a backup of the source."""
    eng, folder = source
    path = tmp_path / "out" / "civ.tar.gz"
    backup.write_backup(eng, path, photo_folder=folder)
    return path


def test_encode_decode_round_trips_every_kind() -> None:
    cases = [
        ("int", 2**62), ("float", 0.1 + 0.2), ("float", -0.0), ("float", 1e-310),
        ("float", math.inf), ("float", -math.inf), ("bool", True), ("bool", False),
        ("str", "混合 text \n\"\\\u0001"), ("decimal", Decimal("12345.678900")),
        ("datetime", datetime(2026, 1, 2, 3, 4, 5, 6)),
        ("datetime", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)), ("date", date(2022, 8, 5)),
        ("time", time(23, 59, 59, 999999)), ("interval", timedelta(days=-1, microseconds=7)),
        ("bytes", b"\x00\xff\x10"), ("json", {"a": [1, None, "x"]}), ("json", None),
        ("uuid", uuid.UUID(int=12345)), ("raw", "as is"),
    ]
    kinds = [k for k, _ in cases]
    values = [v for _, v in cases]
    line = backup.encode_row(tuple(values), kinds)
    assert "\n" not in line
    assert backup.decode_row(line, kinds) == values
    assert math.isnan(backup.decode_row(backup.encode_row((math.nan,), ["float"]), ["float"])[0])
    # SQL NULL and the JSON document null stay apart
    assert backup.encode_row((None,), ["json"]) == "[null]"
    assert backup.encode_row(("null",), ["str"]) == '["null"]'
    assert backup.column_kind(sat.Float()) == "float"
    assert backup.column_kind(sat.Numeric(asdecimal=False)) == "float"
    assert backup.column_kind(sat.Boolean()) == "bool"


def test_archive_holds_manifest_tables_in_fk_order_and_photos(archive, source) -> None:
    eng, folder = source
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile(backup.MANIFEST).read())
    assert names[:2] == [backup.MANIFEST, backup.SIGNATURE]
    order = [t.name for t in m.Base.metadata.sorted_tables]
    assert [t["name"] for t in manifest["tables"]] == order
    assert [n for n in names if n.startswith("tables/")] == [f"tables/{t}.jsonl" for t in order]
    assert manifest["format_version"] == backup.FORMAT_VERSION
    assert manifest["alembic_revision"] == schema.current_revision(eng)
    expected = {k: len(v) for k, v in _rows(eng).items()}
    assert {t["name"]: t["rows"] for t in manifest["tables"]} == expected
    assert set(manifest["members"]) == set(names) - {backup.MANIFEST, backup.SIGNATURE}
    assert all(len(v["sha256"]) == 64 for v in manifest["members"].values())
    assert {n.removeprefix("photos/") for n in names if n.startswith("photos/")} == \
        set(_files(folder))
    assert archive.stat().st_mode & 0o077 == 0  # holds password hashes: owner only
    assert not [p for p in archive.parent.iterdir() if p != archive]  # no temp files left


def test_round_trip_into_fresh_database(engine, source, archive, tmp_path) -> None:
    """SQLite -> SQLite, and SQLite -> PostgreSQL when CIVDATA_TEST_POSTGRES_URL is set."""
    eng, folder = source
    target_photos = tmp_path / "photos-restored"
    summary = backup.restore_backup(engine, archive, photo_folder=target_photos)
    assert summary.final_revision == schema.head_revision()
    assert summary.photos == 4  # two photos and their thumbnails
    assert _rows(engine) == _rows(eng)
    assert _files(target_photos) == _files(folder)


def test_round_trip_back_to_sqlite(engine, source, archive, tmp_path) -> None:
    """PostgreSQL -> SQLite (and SQLite -> SQLite): restore, back up again, restore elsewhere."""
    eng, _folder = source
    backup.restore_backup(engine, archive, photo_folder=tmp_path / "p1")
    second = tmp_path / "second.tar.gz"
    backup.write_backup(engine, second, photo_folder=tmp_path / "p1")
    target = make_engine(f"sqlite:///{tmp_path / 'nothing-yet.db'}")  # no schema at all
    backup.restore_backup(target, second, photo_folder=tmp_path / "p2")
    assert _rows(target) == _rows(eng)
    assert _files(tmp_path / "p2") == _files(tmp_path / "p1")
    target.dispose()


def test_restored_database_accepts_new_writes(engine, archive, tmp_path) -> None:
    backup.restore_backup(engine, archive, photo_folder=tmp_path / "p")
    with session_scope(engine) as s:
        top = s.scalar(select(func.max(m.Problem.id)))
        site = s.scalar(select(m.Site).order_by(m.Site.id).limit(1))
        problem = workflow.report_problem(
            s, OFFICE, subdistrict_id=site.subdistrict_id, class_code="sanitation",
            lat=site.lat, lon=site.lon, description="after the restore", source="spot_check")
        assert problem.id > top
        s.execute(insert(m.AuditLog).values(at=datetime(2026, 11, 25), username="t",
                                            action="x", table_name="y"))
    with session_scope(engine) as s:
        assert s.scalar(select(m.Problem.description).where(m.Problem.id == problem.id)) \
            == "after the restore"


@pytest.mark.parametrize("case", ["checksum", "not_a_tar", "truncated", "no_manifest",
                                  "newer_format", "unknown_revision", "traversal",
                                  "extra_member", "missing_member", "edited_manifest",
                                  "unsigned", "other_key", "resealed_member"])
def test_bad_archives_are_refused_and_write_nothing(engine, archive, tmp_path,
                                                     case) -> None:
    bad = tmp_path / f"{case}.tar.gz"
    if case == "checksum":
        _rewrite(archive, bad, lambda n, d: (n, d.replace(b'"', b"'", 1))
                 if n == "tables/problem.jsonl" else (n, d))
    elif case == "not_a_tar":
        bad.write_bytes(b"this is not a backup at all\n" * 10)
    elif case == "truncated":
        bad.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    elif case == "no_manifest":
        _rewrite(archive, bad, lambda n, d: None if n == backup.MANIFEST else (n, d))
    elif case == "newer_format":
        _rewrite(archive, bad, _with_manifest(
            lambda mf: mf.update(format_version=backup.FORMAT_VERSION + 1)))
    elif case == "unknown_revision":
        _rewrite(archive, bad, _with_manifest(lambda mf: mf.update(alembic_revision="ffff")))
    elif case == "traversal":
        _rewrite(archive, bad, lambda n, d: ("photos/../../evil.txt", d)
                 if n.startswith("photos/") else (n, d))
    elif case == "extra_member":
        with tarfile.open(archive) as src, tarfile.open(bad, "w:gz") as dst:
            for member in src:
                dst.addfile(member, src.extractfile(member))
            info = tarfile.TarInfo("tables/intruder.jsonl")
            info.size = 3
            dst.addfile(info, io.BytesIO(b"[]\n"))
    elif case == "missing_member":
        _rewrite(archive, bad, lambda n, d: None if n == "tables/site.jsonl" else (n, d))
    elif case == "edited_manifest":  # by one without the secret: the old signature stays
        _rewrite(archive, bad, _with_manifest(lambda mf: mf.update(alembic_revision="0001"),
                                              key=b""))
    elif case == "unsigned":
        _rewrite(archive, bad, lambda n, d: None if n == backup.SIGNATURE else (n, d))
    elif case == "other_key":
        _rewrite(archive, bad, _with_manifest(lambda mf: None, key=b"another installation"))
    else:  # a table edited and its checksum recomputed, the signature left as it was
        import hashlib

        with tarfile.open(archive) as tar:
            sites = tar.extractfile("tables/site.jsonl").read().replace(b"1", b"2", 1)

        def reseal(mf: dict) -> None:
            mf["members"]["tables/site.jsonl"] = {"sha256": hashlib.sha256(sites).hexdigest(),
                                                  "size": len(sites)}
        _rewrite(archive, bad, lambda n, d: (n, sites) if n == "tables/site.jsonl" else (n, d))
        resealed = tmp_path / "resealed.tar.gz"
        _rewrite(bad, resealed, _with_manifest(reseal, key=b""))
        bad = resealed
    expected = {"checksum": "backup_checksum", "not_a_tar": "backup_not_archive",
                "truncated": "backup_not_archive", "no_manifest": "backup_no_manifest",
                "newer_format": "backup_newer_format",
                "unknown_revision": "backup_unknown_revision", "traversal": "backup_bad_member",
                "extra_member": "backup_bad_member", "missing_member": "backup_bad_member",
                "edited_manifest": "backup_bad_signature", "unsigned": "backup_unsigned",
                "other_key": "backup_other_key", "resealed_member": "backup_bad_signature"}
    before = _rows(engine)
    with pytest.raises(CivDataError) as err:
        backup.restore_backup(engine, bad, photo_folder=tmp_path / "p")
    assert err.value.code == expected[case]
    assert err.value.message("zh") != err.value.message("en")
    assert _rows(engine) == before
    assert not (tmp_path / "p").exists()
    assert not (tmp_path.parent / "evil.txt").exists()


def test_non_empty_target_refused_then_replaced(engine, source, archive, tmp_path) -> None:
    eng, _folder = source
    backup.restore_backup(engine, archive, photo_folder=tmp_path / "p")
    with engine.begin() as conn:
        conn.execute(update(m.Site).where(m.Site.id == 1).values(name_en="changed since"))
    changed = _fingerprint(engine)
    with pytest.raises(CivDataError) as err:
        backup.restore_backup(engine, archive, photo_folder=tmp_path / "p")
    assert err.value.code == "restore_not_empty"
    assert _fingerprint(engine) == changed
    summary = backup.restore_backup(engine, archive, replace=True, photo_folder=tmp_path / "p")
    assert summary.replaced
    assert _rows(engine) == _rows(eng)


def test_a_failing_insert_rolls_everything_back(engine, archive, tmp_path) -> None:
    """A consistent archive with a duplicate key: nothing written, old data kept on --replace."""
    def duplicate_first_site(name: str, data: bytes):
        if name == "tables/site.jsonl":
            return name, data + data.splitlines(keepends=True)[0]
        return name, data

    broken = tmp_path / "broken-unsealed.tar.gz"
    _rewrite(archive, broken, duplicate_first_site)
    with tarfile.open(broken) as tar:
        site = tar.extractfile("tables/site.jsonl").read()
    import hashlib

    def reseal(mf: dict) -> None:
        mf["members"]["tables/site.jsonl"] = {"sha256": hashlib.sha256(site).hexdigest(),
                                              "size": len(site)}
        next(t for t in mf["tables"] if t["name"] == "site")["rows"] += 1

    sealed = tmp_path / "broken.tar.gz"
    _rewrite(broken, sealed, _with_manifest(reseal))
    with pytest.raises(CivDataError) as err:
        backup.restore_backup(engine, sealed, photo_folder=tmp_path / "p")
    assert err.value.code == "restore_failed"
    assert not backup.database_holds_data(engine)
    backup.restore_backup(engine, archive, photo_folder=tmp_path / "p")
    before = _fingerprint(engine)
    with pytest.raises(CivDataError):
        backup.restore_backup(engine, sealed, replace=True, photo_folder=tmp_path / "p")
    assert _fingerprint(engine) == before


def test_backup_reads_one_consistent_snapshot(engine) -> None:
    with backup._read_snapshot(engine) as conn:
        first = conn.scalar(select(func.count()).select_from(m.AuditLog))
        with engine.begin() as other:
            other.execute(insert(m.AuditLog).values(at=datetime(2026, 11, 25), username="w",
                                                    action="x", table_name="y"))
        assert conn.scalar(select(func.count()).select_from(m.AuditLog)) == first
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(m.AuditLog)) == first + 1


def test_backup_of_a_database_without_schema_is_refused(tmp_path) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(CivDataError) as err:
        backup.write_backup(eng, tmp_path / "x.tar.gz", photo_folder=tmp_path / "p")
    assert err.value.code == "backup_no_schema"
    assert not (tmp_path / "x.tar.gz").exists()
    eng.dispose()


def test_cli_backup_and_restore(engine, source, tmp_path, capsys, monkeypatch) -> None:
    eng, folder = source
    path = tmp_path / "cli" / "civ.tar.gz"
    monkeypatch.setenv("CIVDATA_PHOTO_DIR", str(folder))
    assert main(["--database-url", _url(eng), "backup", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"backup written: {path}" in out and "photos: 4" in out
    restored_photos = tmp_path / "cli-photos"
    monkeypatch.setenv("CIVDATA_PHOTO_DIR", str(restored_photos))
    assert main(["--database-url", _url(engine), "restore", str(path)]) == 0
    out = capsys.readouterr().out
    assert "rows: " in out and f"schema now at: {schema.head_revision()}" in out
    assert _rows(engine) == _rows(eng)
    assert _files(restored_photos) == _files(folder)
    assert main(["--database-url", _url(engine), "restore", str(path)]) == 1
    assert "--replace" in capsys.readouterr().err
    assert main(["--database-url", _url(engine), "--lang", "zh", "restore", str(path)]) == 1
    assert "已有数据" in capsys.readouterr().err
    assert main(["--database-url", _url(engine), "restore", str(path), "--replace"]) == 0
    assert "replaced" in capsys.readouterr().out
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_text("no")
    assert main(["--database-url", _url(engine), "--lang", "zh", "restore", str(garbage)]) == 1
    assert "不是备份文件" in capsys.readouterr().err
    assert main(["--database-url", _url(engine), "--lang", "en", "restore", str(tmp_path / "none.tar.gz")]) == 1
    assert "No backup file" in capsys.readouterr().err


def test_cli_restore_creates_the_schema_of_an_empty_database(archive, tmp_path, monkeypatch,
                                                             capsys) -> None:
    monkeypatch.setenv("CIVDATA_PHOTO_DIR", str(tmp_path / "p"))
    url = f"sqlite:///{tmp_path / 'brand-new.db'}"
    assert main(["--database-url", url, "restore", str(archive)]) == 0
    eng = make_engine(url)
    assert schema.current_revision(eng) == schema.head_revision()
    with eng.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM site")) == 381
    eng.dispose()
    init_db(make_engine(url))  # still a normal database for init-db


def test_an_older_backup_restores_and_is_upgraded(engine, source, tmp_path) -> None:
    """A backup taken at an older revision: schema built at that revision, then upgraded."""
    known = schema.known_revisions()
    if len(known) < 2:
        pytest.skip("only one schema revision exists")
    eng, folder = source
    schema.downgrade(eng, known[-2])
    old = tmp_path / "old.tar.gz"
    backup.write_backup(eng, old, photo_folder=folder)
    with tarfile.open(old) as tar:
        assert json.loads(tar.extractfile(backup.MANIFEST).read())["alembic_revision"] == known[-2]
    summary = backup.restore_backup(engine, old, photo_folder=tmp_path / "p")  # target at head
    assert (summary.revision, summary.final_revision) == (known[-2], schema.head_revision())
    assert _rows(engine, columns_of=eng) == _rows(eng)
    summary = backup.restore_backup(engine, old, replace=True, photo_folder=tmp_path / "p")
    assert summary.replaced and summary.final_revision == schema.head_revision()
    assert _rows(engine, columns_of=eng) == _rows(eng)


# --- issue 15, item 2: a refused restore leaves the database as it was; the manifest is signed --

@pytest.mark.parametrize("how", ["signed", "allow_unsigned"])
def test_a_refused_replace_leaves_the_database_exactly_as_it_was(engine, source, archive,
                                                                 tmp_path, how) -> None:
    """The issue's case: the manifest's revision changed to an older one that the code knows.
    The schema is rebuilt at that revision and the load fails on a missing column: all of it,
    drop and rebuild included, is one transaction that rolls back."""
    folder = tmp_path / "p"
    backup.restore_backup(engine, archive, photo_folder=folder)
    with engine.begin() as conn:
        conn.execute(update(m.Site).where(m.Site.id == 1).values(name_en="changed since"))
    before, revision, files = _rows(engine), schema.current_revision(engine), _files(folder)
    bad = tmp_path / "edited-revision.tar.gz"
    edit = _with_manifest(lambda mf: mf.update(alembic_revision=schema.BASELINE),
                          key=None if how == "signed" else b"")
    _rewrite(archive, bad, edit)
    with pytest.raises(CivDataError) as err:
        backup.restore_backup(engine, bad, replace=True, photo_folder=folder,
                              allow_unsigned=how == "allow_unsigned")
    assert err.value.code in ("restore_schema_mismatch", "restore_failed")
    assert _rows(engine) == before
    assert schema.current_revision(engine) == revision
    assert _files(folder) == files


def test_a_restore_failing_while_copying_photos_removes_the_photos_it_added(
        engine, archive, tmp_path, monkeypatch) -> None:
    real_copy = backup.shutil.copyfile
    copied: list[str] = []

    def copy_then_disk_full(src, dst):
        if len(copied) == 2:
            raise OSError(28, "No space left on device")
        copied.append(str(dst))
        return real_copy(src, dst)

    monkeypatch.setattr(backup.shutil, "copyfile", copy_then_disk_full)
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "kept.jpg").write_bytes(b"a photo that was there before")
    with pytest.raises(CivDataError) as err:
        backup.restore_backup(engine, archive, photo_folder=folder)
    assert err.value.code == "restore_failed" and "No space left" in err.value.message("en")
    assert len(copied) == 2
    assert _files(folder) == {"kept.jpg": b"a photo that was there before"}
    assert not backup.database_holds_data(engine)


def test_an_archive_of_another_installation_needs_its_secret_or_allow_unsigned(
        engine, archive, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CIVDATA_SECRET", "the secret of another installation")
    with pytest.raises(CivDataError) as err:
        backup.restore_backup(engine, archive, photo_folder=tmp_path / "p")
    assert err.value.code == "backup_other_key"
    assert "CIVDATA_SECRET" in err.value.message("en") and "--allow-unsigned" in \
        err.value.message("zh")
    assert not backup.database_holds_data(engine) and not (tmp_path / "p").exists()
    summary = backup.restore_backup(engine, archive, photo_folder=tmp_path / "p",
                                    allow_unsigned=True)
    assert not summary.signature_checked and sum(summary.rows.values()) > 0


def test_cli_refuses_an_edited_manifest_and_names_the_escape(engine, source, archive,
                                                             tmp_path, capsys,
                                                             monkeypatch) -> None:
    monkeypatch.setenv("CIVDATA_PHOTO_DIR", str(tmp_path / "p"))
    assert main(["--database-url", _url(engine), "restore", str(archive)]) == 0
    assert "signature: verified" in capsys.readouterr().out
    before = _fingerprint(engine)
    bad = tmp_path / "edited.tar.gz"
    _rewrite(archive, bad, _with_manifest(lambda mf: mf.update(alembic_revision="0001"),
                                          key=b""))
    assert main(["--database-url", _url(engine), "--lang", "en", "restore", str(bad),
                 "--replace"]) == 1
    assert "changed after it was signed" in capsys.readouterr().err
    assert main(["--database-url", _url(engine), "--lang", "zh", "restore", str(bad),
                 "--replace"]) == 1
    assert "签名不符" in capsys.readouterr().err
    assert _fingerprint(engine) == before
    assert main(["--database-url", _url(engine), "restore", str(archive), "--replace",
                 "--allow-unsigned"]) == 0
    assert "NOT checked" in capsys.readouterr().out
