"""Settings read from the environment when asked for; nothing happens at import time."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "civdata.db"
SAMPLE_DIR = PROJECT_ROOT / "sample_data"
DISTRICT_TZ = "Asia/Shanghai"


@dataclass(frozen=True)
class Settings:
    """The settings of one process, as read from the environment."""

    database_url: str
    today: date | None
    frozen_time: time | None  # CIVDATA_TODAY with a time of day: a clock that stands still
    photo_dir: Path
    refresh_seconds: int
    map_style: str | None
    tile_url: str | None = None  # CIVDATA_TILE_URL: raster tiles .../{z}/{x}/{y}.png (issue 20)


def database_url_from_env() -> str:
    """Return CIVDATA_DATABASE_URL, or the default SQLite file under data/."""
    url = os.environ.get("CIVDATA_DATABASE_URL", "").strip()
    return url or f"sqlite:///{DEFAULT_DB_PATH}"


def load_settings() -> Settings:
    """Return the settings read from the environment now."""
    raw_today = os.environ.get("CIVDATA_TODAY", "").strip()
    moment = datetime.fromisoformat(raw_today) if "T" in raw_today else None
    return Settings(
        database_url=database_url_from_env(),
        today=moment.date() if moment else date.fromisoformat(raw_today) if raw_today else None,
        frozen_time=moment.time() if moment else None,
        photo_dir=Path(os.environ.get("CIVDATA_PHOTO_DIR", str(PROJECT_ROOT / "data" / "photos"))),
        refresh_seconds=int(os.environ.get("CIVDATA_REFRESH_SECONDS", "60") or 60),
        map_style=os.environ.get("CIVDATA_MAP_STYLE", "").strip() or None,
        tile_url=os.environ.get("CIVDATA_TILE_URL", "").strip() or None,
    )
