"""Problem photos: checked (type, size, decodes), stored in the photo folder with a thumbnail.

Rows keep only the photo's relative name ("ab/ab12....jpg"); the files live under
load_settings().photo_dir (env CIVDATA_PHOTO_DIR), thumbnails under its "thumbs" folder.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from sqlalchemy import Column, Connection, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from civdata.core.config import load_settings
from civdata.core.errors import CivDataError

MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000
THUMB_SIZE = (320, 320)
FORMATS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}
_MAGIC = ((b"\xff\xd8\xff", "JPEG"), (b"\x89PNG\r\n\x1a\n", "PNG"))


def photo_dir(folder: Path | None = None) -> Path:
    """Return the folder photos are stored in (the configured one unless given)."""
    return Path(folder) if folder is not None else load_settings().photo_dir


def sniff_format(data: bytes) -> str | None:
    """Return 'JPEG', 'PNG' or 'WEBP' from the file's first bytes, else None."""
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def validate_photo(data: bytes, max_bytes: int = MAX_PHOTO_BYTES) -> str:
    """Return the photo's format after checking type, size and that it decodes; else raise."""
    if len(data) > max_bytes:
        raise CivDataError("photo_too_large", size_mb=f"{len(data) / 1048576:.1f}",
                           limit_mb=f"{max_bytes / 1048576:.0f}")
    kind = sniff_format(data)
    if kind is None:
        raise CivDataError("photo_type")
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format != kind:
                raise CivDataError("photo_type")
            if img.width * img.height > MAX_PIXELS:
                raise CivDataError("photo_too_many_pixels", width=img.width, height=img.height,
                                   megapixels=f"{img.width * img.height / 1e6:.0f}",
                                   limit_mp=f"{MAX_PIXELS / 1e6:.0f}")
            img.load()
    except CivDataError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError,
            Image.DecompressionBombError) as exc:
        raise CivDataError("photo_unreadable") from exc
    return kind


def photo_name(data: bytes, kind: str) -> str:
    """Return the stored name of a photo: its content hash under a two-letter folder."""
    digest = hashlib.sha256(data).hexdigest()
    return f"{digest[:2]}/{digest[:32]}{FORMATS[kind]}"


def store_photo(data: bytes, folder: Path | None = None,
                max_bytes: int = MAX_PHOTO_BYTES) -> str:
    """Check and store a photo and its thumbnail; return its name relative to the folder."""
    return store_photo_once(data, folder, max_bytes)[0]


def store_photo_once(data: bytes, folder: Path | None = None,
                     max_bytes: int = MAX_PHOTO_BYTES) -> tuple[str, bool]:
    """Check and store a photo and its thumbnail; return its name and whether this call wrote
    the file (False: the same photo was stored before, and may be referenced already)."""
    name = photo_name(data, validate_photo(data, max_bytes))
    root = photo_dir(folder)
    target = root / name
    thumb = thumbnail_path(name, root)
    target.parent.mkdir(parents=True, exist_ok=True)
    thumb.parent.mkdir(parents=True, exist_ok=True)
    created = not target.exists()
    if created:
        tmp = target.with_suffix(target.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(target)
    if not thumb.exists():
        with Image.open(io.BytesIO(data)) as img:
            small = img.convert("RGB")
            small.thumbnail(THUMB_SIZE)
            small.save(thumb, format="JPEG", quality=80)
    return name, created


def _safe(name: str, root: Path) -> Path:
    """Return root/name, refusing names that leave the folder."""
    path = (root / name).resolve()
    if not path.is_relative_to(root.resolve()):
        raise CivDataError("invalid_value", field="photo", detail=name)
    return path


def photo_path(name: str, folder: Path | None = None) -> Path:
    """Return the file of a stored photo."""
    return _safe(name, photo_dir(folder))


def thumbnail_path(name: str, folder: Path | None = None) -> Path:
    """Return the thumbnail file of a stored photo."""
    root = photo_dir(folder)
    return _safe(f"thumbs/{Path(name).with_suffix('.jpg')}", root)


def delete_photo(name: str, folder: Path | None = None) -> None:
    """Remove a stored photo and its thumbnail (use discard_photo after a refused write)."""
    for path in (photo_path(name, folder), thumbnail_path(name, folder)):
        path.unlink(missing_ok=True)


def photo_columns() -> list[Column]:
    """Return every column of the schema that holds photo names ('photo' or 'photo_...')."""
    from civdata.core.models import Base

    return [c for t in Base.metadata.sorted_tables for c in t.columns
            if c.name == "photo" or c.name.startswith("photo_")]


def photo_in_use(conn: Connection, name: str) -> bool:
    """Return True when any row visible on conn names the photo in any photo column."""
    return any(conn.execute(select(1).select_from(c.table).where(c == name).limit(1)).first()
               is not None for c in photo_columns())


def discard_photo(session: Session, name: str, folder: Path | None = None) -> bool:
    """Remove a photo that a refused write stored, unless a committed row references it (photos
    are shared by content); return True when it was removed.

    Committed rows are read on a connection of their own: the session's transaction is the one
    being refused. When that cannot be done (an in-memory database) or fails, the file stays.
    """
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
        return False  # one connection per thread: a second one would be the session's own
    try:
        with engine.connect() as conn:
            if photo_in_use(conn, name):
                return False
        delete_photo(name, folder)
    except (SQLAlchemyError, OSError):
        return False
    return True


@contextmanager
def photo_for_write(session: Session, photo: bytes | str | None) -> Iterator[str | None]:
    """Yield the stored name of the photo a write inside the block records: bytes are checked and
    stored here, and a refusal raised in the block removes the file this call wrote (unless a
    committed row names it); a str must be a name the photo store issued and holds; None or
    empty yields None. A refused write leaves no file behind."""
    if not photo:
        yield None
        return
    if isinstance(photo, str):
        if not is_stored_photo(photo):
            raise CivDataError("photo_not_stored")
        yield photo
        return
    name, created = store_photo_once(bytes(photo))
    try:
        yield name
    except BaseException:
        if created:
            discard_photo(session, name)
        raise


_ISSUED = re.compile(r"([0-9a-f]{2})/\1[0-9a-f]{30}\.(?:jpg|png|webp)")


def is_stored_photo(name: str | None, folder: Path | None = None) -> bool:
    """Return True when name has the form photo_name issues and its file is in the photo folder."""
    if not isinstance(name, str) or _ISSUED.fullmatch(name) is None:
        return False
    return (photo_dir(folder) / name).is_file()
