"""Portable logical backups (SQLite or PostgreSQL, either way) and their verified restore.

An archive is one .tar.gz:
  manifest.json          format and version, created_at, the schema's Alembic revision, per
                         table its columns (name, kind) and row count, sha256 and size of
                         every other member
  manifest.sig           an HMAC-SHA256 of manifest.json's bytes, keyed by the installation's
                         secret (CIVDATA_SECRET or data/secret.key): whoever edits a member and
                         recomputes its checksum cannot sign the manifest without that secret
  tables/<table>.jsonl   one member per table in foreign-key order; one JSON array a row,
                         values in the manifest's column order, encoded by kind (below)
  photos/<name>          every file under the photo folder (photos and thumbnails)

A backup reads every table in one read transaction (REPEATABLE READ on PostgreSQL) and is
written to a temporary file renamed into place. A restore checks the signature, the manifest and
every checksum before it writes anything, refuses a database holding data unless replace is
asked for, then in ONE transaction (DDL is transactional on SQLite and PostgreSQL) brings the
schema to the backup's revision, empties and fills every table, resets PostgreSQL's sequences,
upgrades to the newest revision and restores the photos: a refused restore leaves the database
exactly as it was, and removes the photo files it had added.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import io
import json
import math
import os
import shutil
import tarfile
import tempfile
import uuid
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import IO, Any

from alembic import command
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    Connection,
    Engine,
    MetaData,
    Table,
    bindparam,
    cast,
    func,
    select,
    update,
)
from sqlalchemy import types as sat
from sqlalchemy.dialects.postgresql import REGCLASS
from sqlalchemy.exc import SQLAlchemyError

from civdata.core import schema
from civdata.core.errors import CivDataError
from civdata.io import photos

FORMAT = "civdata-backup"
FORMAT_VERSION = 2  # 2: manifest.sig
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
SIGNATURE_ALGORITHM = "hmac-sha256"
BATCH_ROWS = 2000
_CHUNK = 1 << 20
_SKIP_TABLES = {"alembic_version"}  # its content is the manifest's revision


@dataclass
class BackupSummary:
    """What a backup wrote: the file, the schema revision, rows per table, photos, bytes."""

    path: Path
    revision: str
    rows: dict[str, int]
    photos: int
    size_bytes: int


@dataclass
class RestoreSummary:
    """What a restore wrote: the backup's revision, rows per table, photos, the final revision."""

    revision: str
    rows: dict[str, int]
    photos: int
    final_revision: str | None
    replaced: bool = False
    signature_checked: bool = True


# --- values: one kind per column type, encoded as JSON that round-trips exactly -------------

def column_kind(column_type: sat.TypeEngine) -> str:
    """Return the encoding kind of a column type ('int', 'float', 'datetime', ...)."""
    checks: list[tuple[type, str]] = [
        (sat.JSON, "json"), (sat.Boolean, "bool"), (sat.DateTime, "datetime"),
        (sat.Date, "date"), (sat.Time, "time"), (sat.Interval, "interval"),
        (sat.Float, "float"), (sat.Numeric, "decimal"), (sat.Integer, "int"),
        (sat.LargeBinary, "bytes"), (sat.Uuid, "uuid"), (sat.String, "str"), (sat.NullType, "raw"),
    ]
    for klass, kind in checks:
        if isinstance(column_type, klass):
            if kind == "decimal" and not getattr(column_type, "asdecimal", True):
                return "float"
            return kind
    raise CivDataError("backup_unsupported_type", type=str(column_type))


def _encode_float(value: float) -> float | str:
    """Return a finite float as is, NaN and infinities as strings (JSON has neither)."""
    return value if math.isfinite(value) else repr(value)


def _decode_float(value: float | int | str) -> float:
    """Return the float written by _encode_float."""
    return float(value)


def _encode_interval(value: timedelta) -> list[int]:
    """Return a timedelta as [days, seconds, microseconds] (exact)."""
    return [value.days, value.seconds, value.microseconds]


ENCODERS: dict[str, Callable[[Any], Any]] = {
    "int": int, "bool": bool, "str": str, "raw": lambda v: v,
    "float": lambda v: _encode_float(float(v)),
    "decimal": str, "datetime": lambda v: v.isoformat(), "date": lambda v: v.isoformat(),
    "time": lambda v: v.isoformat(), "interval": _encode_interval,
    "bytes": lambda v: base64.b64encode(bytes(v)).decode("ascii"),
    "json": lambda v: json.dumps(v, ensure_ascii=False), "uuid": str,
}

DECODERS: dict[str, Callable[[Any], Any]] = {
    "int": int, "bool": bool, "str": str, "raw": lambda v: v, "float": _decode_float,
    "decimal": Decimal, "datetime": datetime.fromisoformat, "date": date.fromisoformat,
    "time": time.fromisoformat, "interval": lambda v: timedelta(v[0], v[1], v[2]),
    "bytes": base64.b64decode, "json": json.loads, "uuid": uuid.UUID,
}


def encode_row(row: tuple, kinds: list[str]) -> str:
    """Return one table row as a JSON array line (SQL NULL is null for every kind)."""
    values = [None if v is None else ENCODERS[k](v) for v, k in zip(row, kinds, strict=True)]
    return json.dumps(values, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def decode_row(line: str, kinds: list[str]) -> list[Any]:
    """Return the Python values of one JSON array line written by encode_row."""
    values = json.loads(line)
    if not isinstance(values, list) or len(values) != len(kinds):
        raise ValueError("a row does not match the manifest's columns")
    return [None if v is None else DECODERS[k](v) for v, k in zip(values, kinds, strict=True)]


# --- reading the database ---------------------------------------------------------------------

def _reflect(conn: Connection) -> list[Table]:
    """Return the database's tables (but alembic_version) in foreign-key order."""
    meta = MetaData()
    meta.reflect(conn)
    return [t for t in meta.sorted_tables if t.name not in _SKIP_TABLES]


@contextmanager
def _read_snapshot(engine: Engine) -> Iterator[Connection]:
    """Yield a connection inside one read transaction: a consistent view of every table."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with conn.begin():
                yield conn
            return
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN")  # pysqlite starts no transaction for SELECTs itself
        try:
            yield conn
        finally:
            conn.rollback()


def _backup_revision(engine: Engine) -> str:
    """Return the revision the database is at; an unversioned schema counts as the baseline."""
    revision = schema.current_revision(engine)
    if revision is not None:
        return revision
    with engine.connect() as conn:
        if not _reflect(conn):
            raise CivDataError("backup_no_schema")
    return schema.BASELINE


def _dump_table(conn: Connection, table: Table, out: IO[str]) -> tuple[list[list[str]], int]:
    """Write table's rows (ordered by primary key) as JSON lines; return its columns and rows."""
    columns = list(table.columns)
    kinds = [column_kind(c.type) for c in columns]
    order = list(table.primary_key.columns) or columns
    query = select(*columns).order_by(*order)
    n = 0
    for row in conn.execution_options(yield_per=BATCH_ROWS).execute(query):
        out.write(encode_row(tuple(row), kinds))
        out.write("\n")
        n += 1
    return [[c.name, k] for c, k in zip(columns, kinds, strict=True)], n


def _file_digest(path: Path) -> str:
    """Return the sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _photo_files(folder: Path) -> list[tuple[str, Path]]:
    """Return (name relative to folder, file) of every stored photo and thumbnail."""
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink() and not path.name.endswith(".part"):
            found.append((path.relative_to(folder).as_posix(), path))
    return found


def _tarinfo_plain(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """Return info without the owner and with plain file permissions."""
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o644
    return info


# --- the manifest's signature -----------------------------------------------------------------

def signing_key() -> bytes:
    """Return the key that signs manifests: derived from the installation's secret."""
    from civdata.core.auth import secret_key

    return hashlib.sha256(b"civdata-backup-manifest\x00" + secret_key().encode("utf-8")).digest()


def key_id(key: bytes) -> str:
    """Return a short public name of a signing key (tells installations apart, reveals nothing)."""
    return hmac.new(key, b"key id", hashlib.sha256).hexdigest()[:16]


def sign_manifest(data: bytes, key: bytes) -> bytes:
    """Return the contents of manifest.sig for the manifest's bytes."""
    signature = hmac.new(key, data, hashlib.sha256).hexdigest()
    return json.dumps({"algorithm": SIGNATURE_ALGORITHM, "key_id": key_id(key),
                       "signature": signature}, indent=1).encode("utf-8")


def verify_manifest(data: bytes, sig: bytes | None, key: bytes, archive: Path) -> None:
    """Raise unless sig is a signature of the manifest's bytes by key."""
    if sig is None:
        raise CivDataError("backup_unsigned", path=str(archive))
    try:
        found = json.loads(sig.decode("utf-8"))
        algorithm, their_key, signature = found["algorithm"], found["key_id"], found["signature"]
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise CivDataError("backup_bad_signature", path=str(archive)) from exc
    if algorithm != SIGNATURE_ALGORITHM or not isinstance(signature, str):
        raise CivDataError("backup_bad_signature", path=str(archive))
    expected = hmac.new(key, data, hashlib.sha256).hexdigest()
    if hmac.compare_digest(expected, signature):
        return
    if their_key != key_id(key):
        raise CivDataError("backup_other_key", path=str(archive), found=str(their_key)[:32],
                           ours=key_id(key))
    raise CivDataError("backup_bad_signature", path=str(archive))


# --- writing a backup -------------------------------------------------------------------------

def write_backup(engine: Engine, path: str | Path, photo_folder: Path | None = None) -> BackupSummary:
    """Write a backup archive of every table and photo to path; return what it holds."""
    target = Path(path)
    if target.is_dir():
        raise CivDataError("backup_write_failed", path=str(target), detail="is a folder")
    revision = _backup_revision(engine)
    folder = photos.photo_dir(photo_folder)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".civbackup-", dir=target.parent) as tmp:
        staging = Path(tmp)
        tables, members, rows = [], {}, {}
        with _read_snapshot(engine) as conn:
            for table in _reflect(conn):
                member = f"tables/{table.name}.jsonl"
                file = staging / member
                file.parent.mkdir(exist_ok=True)
                with file.open("w", encoding="utf-8", newline="\n") as out:
                    columns, n = _dump_table(conn, table, out)
                tables.append({"name": table.name, "member": member, "rows": n,
                               "columns": columns})
                rows[table.name] = n
                members[member] = {"sha256": _file_digest(file), "size": file.stat().st_size}
        photo_list = _photo_files(folder)
        for name, file in photo_list:
            members[f"photos/{name}"] = {"sha256": _file_digest(file), "size": file.stat().st_size}
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "alembic_revision": revision, "source_dialect": engine.dialect.name,
            "tables": tables, "photos": len(photo_list), "members": members,
        }
        sources = [(t["member"], staging / t["member"]) for t in tables]
        sources += [(f"photos/{name}", file) for name, file in photo_list]
        _write_archive(target, manifest, sources, signing_key())
    return BackupSummary(target, revision, rows, len(photo_list), target.stat().st_size)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    """Add one member holding data."""
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def _write_archive(target: Path, manifest: dict, sources: list[tuple[str, Path]],
                   key: bytes) -> None:
    """Write the manifest, its signature and sources into a .tar.gz beside target, then rename
    it into place."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
                data = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
                _add_bytes(tar, MANIFEST, data)
                _add_bytes(tar, SIGNATURE, sign_manifest(data, key))
                for arcname, file in sources:
                    tar.add(file, arcname=arcname, recursive=False, filter=_tarinfo_plain)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, target)  # the archive holds password hashes: mkstemp made it 0600
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CivDataError("backup_write_failed", path=str(target), detail=str(exc)) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# --- reading and verifying an archive ---------------------------------------------------------

def _safe_member_name(name: str) -> bool:
    """Return True for a member name that stays inside the archive's tables/ or photos/."""
    pure = PurePosixPath(name)
    if pure.is_absolute() or ".." in pure.parts or "\\" in name or not pure.parts:
        return False
    return name in (MANIFEST, SIGNATURE) or (len(pure.parts) >= 2 and
                                            pure.parts[0] in ("tables", "photos"))


def _open_archive(path: Path) -> tarfile.TarFile:
    """Return the archive opened for reading, or raise backup_not_archive."""
    if not path.is_file():
        raise CivDataError("backup_not_found", path=str(path))
    try:
        return tarfile.open(path, mode="r:*")
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise CivDataError("backup_not_archive", path=str(path)) from exc


def _extract_member(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> str:
    """Copy one member to target and return its sha256."""
    source = tar.extractfile(member)
    if source is None:
        raise CivDataError("backup_bad_member", member=member.name, detail="not a file")
    digest = hashlib.sha256()
    target.parent.mkdir(parents=True, exist_ok=True)
    with source, target.open("wb") as out:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def unpack_verified(path: str | Path, workdir: Path, allow_unsigned: bool = False) -> dict:
    """Extract the archive into workdir, check the manifest's signature (unless allow_unsigned),
    the manifest and every checksum; return the manifest."""
    archive = Path(path)
    digests: dict[str, str] = {}
    try:
        with _open_archive(archive) as tar:
            for member in tar:
                if not member.isfile() or not _safe_member_name(member.name):
                    raise CivDataError("backup_bad_member", member=member.name,
                                       detail="not a regular file of a backup")
                if member.name in digests:
                    raise CivDataError("backup_bad_member", member=member.name,
                                       detail="appears twice")
                digests[member.name] = _extract_member(tar, member, workdir / member.name)
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise CivDataError("backup_not_archive", path=str(archive)) from exc
    except OSError as exc:  # a truncated or corrupt gzip stream surfaces as OSError too
        raise CivDataError("backup_not_archive", path=str(archive)) from exc
    if MANIFEST not in digests:
        raise CivDataError("backup_no_manifest", path=str(archive))
    if not allow_unsigned:
        sig = (workdir / SIGNATURE).read_bytes() if SIGNATURE in digests else None
        verify_manifest((workdir / MANIFEST).read_bytes(), sig, signing_key(), archive)
    manifest = _read_manifest(workdir / MANIFEST, archive)
    _check_members(manifest, digests, workdir)
    return manifest


def _read_manifest(file: Path, archive: Path) -> dict:
    """Return the parsed manifest after checking its format, version and shape."""
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CivDataError("backup_bad_manifest", path=str(archive), detail=str(exc)) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CivDataError("backup_bad_manifest", path=str(archive), detail="not a civdata backup")
    version = manifest.get("format_version")
    if not isinstance(version, int):
        raise CivDataError("backup_bad_manifest", path=str(archive), detail="no format_version")
    if version > FORMAT_VERSION:
        raise CivDataError("backup_newer_format", path=str(archive), found=version,
                           supported=FORMAT_VERSION)
    try:
        for table in manifest["tables"]:
            if not (isinstance(table["name"], str) and isinstance(table["rows"], int)):
                raise TypeError("table entry")
            for name, kind in table["columns"]:
                if not isinstance(name, str) or kind not in DECODERS:
                    raise ValueError(f"unknown column kind {kind!r}")
        if not isinstance(manifest["members"], dict) or not isinstance(
                manifest["alembic_revision"], str):
            raise TypeError("members or alembic_revision")
    except (KeyError, TypeError, ValueError) as exc:
        raise CivDataError("backup_bad_manifest", path=str(archive), detail=str(exc)) from exc
    return manifest


def _check_members(manifest: dict, digests: dict[str, str], workdir: Path) -> None:
    """Raise unless every listed member is present with its checksum and nothing else is."""
    listed = manifest["members"]
    for table in manifest["tables"]:
        if table.get("member") not in listed:
            raise CivDataError("backup_bad_member", member=str(table.get("member")),
                               detail="a table without its member")
    for name, meta in listed.items():
        if name not in digests:
            raise CivDataError("backup_bad_member", member=name, detail="missing")
        if not isinstance(meta, dict) or digests[name] != meta.get("sha256") or \
                (workdir / name).stat().st_size != meta.get("size"):
            raise CivDataError("backup_checksum", member=name)
    extra = sorted(set(digests) - set(listed) - {MANIFEST, SIGNATURE})
    if extra:
        raise CivDataError("backup_bad_member", member=extra[0], detail="not in the manifest")


def _check_revision(revision: str) -> None:
    """Raise unless this version of the code knows the backup's schema revision."""
    known = schema.known_revisions()
    if revision not in known:
        raise CivDataError("backup_unknown_revision", revision=revision,
                           known=", ".join(known))


# --- restoring --------------------------------------------------------------------------------

def database_holds_data(engine: Engine) -> bool:
    """Return True when any table of the database (but alembic_version) has a row."""
    with engine.connect() as conn:
        return _holds_data(conn)


def _holds_data(conn: Connection) -> bool:
    """Return True when any table on conn (but alembic_version) has a row."""
    return any(conn.execute(select(1).select_from(t).limit(1)).first() is not None
               for t in _reflect(conn))


def _drop_tables(conn: Connection) -> None:
    """Drop the dashboard's tables and the revision stamp (children first); leave others be."""
    from civdata.core.models import Base

    ours = set(Base.metadata.tables) | _SKIP_TABLES
    meta = MetaData()
    meta.reflect(conn, only=lambda name, _meta: name in ours)
    meta.drop_all(conn)


def _prepare_schema(conn: Connection, revision: str) -> None:
    """Bring the (empty or to be replaced) schema on conn to revision, inside its transaction."""
    current = MigrationContext.configure(conn).get_current_revision()
    if current == revision:
        return
    if current is not None or _reflect(conn):
        _drop_tables(conn)  # another revision: rebuild the schema at the backup's
    command.upgrade(schema._config(conn), revision)


def _target_tables(conn: Connection, manifest: dict) -> dict[str, Table]:
    """Return the target's tables by name after checking every backed-up column exists."""
    tables = {t.name: t for t in _reflect(conn)}
    for entry in manifest["tables"]:
        table = tables.get(entry["name"])
        if table is None:
            raise CivDataError("restore_schema_mismatch", table=entry["name"], column="")
        for name, _kind in entry["columns"]:
            if name not in table.columns:
                raise CivDataError("restore_schema_mismatch", table=entry["name"], column=name)
    return tables


def _self_references(table: Table) -> list[str]:
    """Return the nullable columns of table that point at table itself (inserted later)."""
    return [fk.parent.name for fk in table.foreign_keys
            if fk.column.table.name == table.name and fk.parent.nullable
            and not fk.parent.primary_key]


def _insert_batch(conn: Connection, table: Table, batch: list[dict]) -> None:
    """Insert rows: COPY on PostgreSQL (many times faster than INSERT), executemany elsewhere."""
    if conn.dialect.name != "postgresql":
        conn.execute(table.insert(), batch)
        return
    import psycopg
    from psycopg import sql

    names = list(batch[0])
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(n) for n in names))
    try:
        with conn.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in batch:
                copy.write_row([row[n] for n in names])
    except psycopg.Error as exc:  # the driver's own cursor: SQLAlchemy does not wrap its errors
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        raise CivDataError("restore_failed", detail=f"{table.name}: {detail}") from exc


def _insert_table(conn: Connection, table: Table, entry: dict, file: Path) -> int:
    """Insert one table's rows from its JSON lines in batches; return the rows inserted."""
    names = [c[0] for c in entry["columns"]]
    kinds = [c[1] for c in entry["columns"]]
    later = _self_references(table)
    pk = [c.name for c in table.primary_key.columns]
    deferred: list[dict] = []
    batch: list[dict] = []
    n = 0
    with file.open(encoding="utf-8") as fh:
        for line in fh:
            row = dict(zip(names, decode_row(line, kinds), strict=True))
            if later and any(row.get(c) is not None for c in later):
                deferred.append({**{f"_pk_{c}": row[c] for c in pk},
                                 **{f"_v_{c}": row[c] for c in later}})
                row.update({c: None for c in later})
            batch.append(row)
            n += 1
            if len(batch) >= BATCH_ROWS:
                _insert_batch(conn, table, batch)
                batch = []
    if batch:
        _insert_batch(conn, table, batch)
    if deferred:
        stmt = update(table).values({c: bindparam(f"_v_{c}") for c in later})
        for c in pk:
            stmt = stmt.where(table.c[c] == bindparam(f"_pk_{c}"))
        conn.execute(stmt, deferred)
    if n != entry["rows"]:
        raise CivDataError("backup_bad_member", member=entry["member"],
                           detail=f"{n} rows, the manifest says {entry['rows']}")
    return n


def _reset_sequences(conn: Connection, tables: list[Table]) -> None:
    """Set every PostgreSQL sequence behind an integer key to the key's largest value."""
    if conn.dialect.name != "postgresql":
        return  # SQLite's integer keys continue from the largest rowid by themselves
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, sat.Integer):
            continue
        qualified = conn.dialect.identifier_preparer.format_table(table)
        sequence = conn.scalar(select(func.pg_get_serial_sequence(qualified, keys[0].name)))
        if sequence is None:
            continue
        top = select(func.max(keys[0])).scalar_subquery()
        conn.execute(select(func.setval(cast(sequence, REGCLASS), func.coalesce(top, 1),
                                        top.is_not(None))))


@dataclass
class _PhotoChanges:
    """The photo files a restore wrote: undone when the restore is refused."""

    folder: Path
    created: list[Path]
    displaced: list[tuple[Path, Path]]  # (file, its previous content moved aside)

    def undo(self) -> None:
        """Remove the files the restore added, put back the ones it replaced."""
        for file in self.created:
            file.unlink(missing_ok=True)
            for parent in file.parents:  # and the folders it made, while empty
                if parent == self.folder or not parent.is_relative_to(self.folder):
                    break
                try:
                    parent.rmdir()
                except OSError:
                    break
        for file, aside in self.displaced:
            os.replace(aside, file)

    def keep(self) -> None:
        """Forget the replaced files' previous content (the restore was committed)."""
        for _file, aside in self.displaced:
            aside.unlink(missing_ok=True)


def _restore_photos(manifest: dict, workdir: Path, changes: _PhotoChanges) -> None:
    """Copy the archive's photos into the folder (same name: same content), noting each change."""
    for name in manifest["members"]:
        if not name.startswith("photos/"):
            continue
        source = workdir / name
        target = photos.photo_path(name.removeprefix("photos/"), changes.folder)
        if target.is_file() and _file_digest(target) == manifest["members"][name]["sha256"]:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        shutil.copyfile(source, part)
        if target.exists():  # a damaged copy under the same name: keep it until the commit
            aside = target.with_name(target.name + ".before-restore")
            os.replace(target, aside)
            changes.displaced.append((target, aside))
        else:
            changes.created.append(target)
        os.replace(part, target)


def _check_photo_names(manifest: dict, folder: Path) -> None:
    """Raise unless every photo of the archive lands inside the photo folder."""
    for name in manifest["members"]:
        if name.startswith("photos/"):
            photos.photo_path(name.removeprefix("photos/"), folder)


def restore_backup(engine: Engine, path: str | Path, replace: bool = False,
                   photo_folder: Path | None = None,
                   allow_unsigned: bool = False) -> RestoreSummary:
    """Restore an archive into engine's database (empty unless replace); return what it wrote.

    Everything is checked before anything is written; the write is one transaction.
    allow_unsigned skips the manifest's signature check (an archive of another installation).
    """
    folder = photos.photo_dir(photo_folder)
    with tempfile.TemporaryDirectory(prefix="civrestore-") as tmp:
        workdir = Path(tmp)
        manifest = unpack_verified(path, workdir, allow_unsigned=allow_unsigned)
        revision = manifest["alembic_revision"]
        _check_revision(revision)
        _check_photo_names(manifest, folder)
        holds_data = database_holds_data(engine)
        if holds_data and not replace:
            raise CivDataError("restore_not_empty")
        rows = _load_tables(engine, manifest, workdir, folder, replace)
    photo_count = int(manifest.get("photos", 0))
    return RestoreSummary(revision, rows, photo_count, schema.current_revision(engine),
                          replaced=holds_data, signature_checked=not allow_unsigned)


def _load_tables(engine: Engine, manifest: dict, workdir: Path, folder: Path,
                 replace: bool) -> dict[str, int]:
    """In one transaction under the migration lock: build the schema at the backup's revision,
    empty the tables, insert the backup, reset sequences, upgrade to head, copy the photos."""
    changes = _PhotoChanges(folder, [], [])
    try:
        with schema._migration_connection(engine) as conn:  # foreign keys checked at the end
            rows = _load_on(conn, manifest, workdir, replace)
            _restore_photos(manifest, workdir, changes)  # last: the commit follows
    except BaseException as exc:
        changes.undo()
        if isinstance(exc, CivDataError) or not isinstance(exc, Exception):
            raise
        raise CivDataError("restore_failed", detail=_failure_detail(exc)) from exc
    changes.keep()
    return rows


def _load_on(conn: Connection, manifest: dict, workdir: Path, replace: bool) -> dict[str, int]:
    """Write the backup's schema and rows on conn (inside its transaction); return rows per table."""
    if not replace and _holds_data(conn):
        raise CivDataError("restore_not_empty")  # written to since the first check
    _prepare_schema(conn, manifest["alembic_revision"])
    tables = _target_tables(conn, manifest)
    for table in reversed(list(tables.values())):
        conn.execute(table.delete())
    rows = {entry["name"]: _insert_table(conn, tables[entry["name"]], entry,
                                         workdir / entry["member"])
            for entry in manifest["tables"]}
    _reset_sequences(conn, list(tables.values()))
    command.upgrade(schema._config(conn), "head")
    if conn.dialect.name == "sqlite":  # foreign keys are off while migrating: check them now
        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise CivDataError("restore_failed", detail=f"foreign keys broken: {broken[:3]}")
    return rows


def _failure_detail(exc: Exception) -> str:
    """Return the first line of what went wrong, for the restore_failed message."""
    if isinstance(exc, SQLAlchemyError):
        exc = getattr(exc, "orig", None) or exc
    elif isinstance(exc, OSError):
        return f"photos: {exc}"[:300]
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


# --- command line -----------------------------------------------------------------------------

def run_backup_cli(engine: Engine, args: argparse.Namespace) -> int:
    """`python -m civdata backup PATH`: write the archive, print what it holds; exit code."""
    summary = write_backup(engine, args.path)
    total = sum(summary.rows.values())
    print(f"backup written: {summary.path}")
    print(f"revision: {summary.revision}")
    print(f"tables: {len(summary.rows)}")
    print(f"rows: {total}")
    print(f"photos: {summary.photos}")
    print(f"size: {summary.size_bytes} bytes")
    print(f"sha256: {_file_digest(summary.path)}")  # to compare when moving it elsewhere
    return 0


def run_restore_cli(engine: Engine, args: argparse.Namespace) -> int:
    """`python -m civdata restore PATH [--replace] [--allow-unsigned]`: verify, restore, print;
    exit code."""
    summary = restore_backup(engine, args.path, replace=args.replace,
                             allow_unsigned=getattr(args, "allow_unsigned", False))
    print(f"restored: {args.path}")
    if summary.signature_checked:
        print("manifest signature: verified with this installation's secret")
    else:
        print("manifest signature: NOT checked (--allow-unsigned)")
    print(f"backup revision: {summary.revision}")
    print(f"schema now at: {summary.final_revision}")
    print(f"tables: {len(summary.rows)}")
    print(f"rows: {sum(summary.rows.values())}")
    print(f"photos: {summary.photos}")
    if summary.replaced:
        print("the data that was there before has been replaced")
    return 0
