"""Photos: type, size and decoding checked; stored outside the rows with a thumbnail."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from civdata.core.errors import CivDataError
from civdata.io import photos


def _image(fmt: str, size: tuple[int, int] = (800, 600)) -> bytes:
    """Return an encoded test image."""
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 60, 30)).save(buf, format=fmt)
    return buf.getvalue()


def _files(folder: Path) -> list[Path]:
    """Return every file under folder."""
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


@pytest.mark.parametrize(("fmt", "suffix"), [("JPEG", ".jpg"), ("PNG", ".png"),
                                             ("WEBP", ".webp")])
def test_good_photo_stored_with_thumbnail(tmp_path: Path, fmt: str, suffix: str):
    data = _image(fmt)
    name = photos.store_photo(data, tmp_path)
    assert name.endswith(suffix) and "/" in name
    assert photos.photo_path(name, tmp_path).read_bytes() == data
    with Image.open(photos.thumbnail_path(name, tmp_path)) as thumb:
        assert max(thumb.size) <= 320 and thumb.format == "JPEG"
    assert photos.store_photo(data, tmp_path) == name  # same file stored once
    assert len(_files(tmp_path)) == 2


def test_configured_folder_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CIVDATA_PHOTO_DIR", str(tmp_path / "env"))
    name = photos.store_photo(_image("PNG"))
    assert (tmp_path / "env" / name).exists()


@pytest.mark.parametrize(("data", "code"), [
    (b"GIF89a" + b"\0" * 100, "photo_type"),
    (b"%PDF-1.4 hello", "photo_type"),
    (b"", "photo_type"),
    (b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 10, "photo_unreadable"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "photo_unreadable"),
    (b"RIFF\0\0\0\0WEBPVP8 garbage", "photo_unreadable"),
])
def test_bad_photo_refused_and_nothing_stored(tmp_path: Path, data: bytes, code: str):
    with pytest.raises(CivDataError) as err:
        photos.store_photo(data, tmp_path)
    assert err.value.code == code
    assert err.value.message("zh") and err.value.message("en") != code
    assert _files(tmp_path) == []


def test_truncated_jpeg_refused(tmp_path: Path):
    data = _image("JPEG")
    with pytest.raises(CivDataError) as err:
        photos.store_photo(data[: len(data) // 2], tmp_path)
    assert err.value.code == "photo_unreadable"
    assert _files(tmp_path) == []


def test_too_large_refused(tmp_path: Path):
    data = _image("PNG")
    with pytest.raises(CivDataError) as err:
        photos.store_photo(data, tmp_path, max_bytes=len(data) - 1)
    assert err.value.code == "photo_too_large"
    assert "MB" in err.value.message("en")
    assert _files(tmp_path) == []


def test_names_cannot_leave_the_folder(tmp_path: Path):
    with pytest.raises(CivDataError):
        photos.photo_path("../../etc/passwd", tmp_path)


def test_delete_photo(tmp_path: Path):
    name = photos.store_photo(_image("JPEG"), tmp_path)
    photos.delete_photo(name, tmp_path)
    assert _files(tmp_path) == []


def test_too_many_pixels_names_the_pixel_limit(tmp_path: Path):
    """Issue 15: a 7000×7000 PNG (a small file) was refused as 'too large (0.0 MB)'."""
    buf = io.BytesIO()
    Image.new("1", (7000, 7000)).save(buf, format="PNG")  # 49 megapixels in a few kB
    with pytest.raises(CivDataError) as err:
        photos.store_photo(buf.getvalue(), tmp_path)
    assert err.value.code == "photo_too_many_pixels"
    for lang in ("zh", "en"):
        text = err.value.message(lang)
        assert "7000×7000" in text and "49" in text
        assert f"{photos.MAX_PIXELS // 1_000_000}" in text and "MB" not in text
    assert _files(tmp_path) == []
