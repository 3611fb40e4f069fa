"""Problem photos: checked (type, size, decodes), stored in the photo folder with a thumbnail.

Rows keep only the photo's relative name ("ab/ab12....jpg"); the files live under
load_settings().photo_dir (env CIVDATA_PHOTO_DIR), thumbnails under its "thumbs" folder.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from civdata.config import load_settings
from civdata.errors import CivDataError

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
                raise CivDataError("photo_too_large", size_mb=f"{len(data) / 1048576:.1f}",
                                   limit_mb=f"{max_bytes / 1048576:.0f}")
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
    name = photo_name(data, validate_photo(data, max_bytes))
    root = photo_dir(folder)
    target = root / name
    thumb = thumbnail_path(name, root)
    target.parent.mkdir(parents=True, exist_ok=True)
    thumb.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        tmp = target.with_suffix(target.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(target)
    if not thumb.exists():
        with Image.open(io.BytesIO(data)) as img:
            small = img.convert("RGB")
            small.thumbnail(THUMB_SIZE)
            small.save(thumb, format="JPEG", quality=80)
    return name


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
    """Remove a stored photo and its thumbnail (after a refused write)."""
    for path in (photo_path(name, folder), thumbnail_path(name, folder)):
        path.unlink(missing_ok=True)
