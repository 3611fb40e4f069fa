"""District time: every stored timestamp is naive local time in Asia/Shanghai."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from civdata.core.config import DISTRICT_TZ, load_settings

TZ = ZoneInfo(DISTRICT_TZ)


_REPLAY_AT: ContextVar[datetime | None] = ContextVar("civdata_replay_at", default=None)


@contextmanager
def replaying_at(moment: datetime) -> Iterator[None]:
    """Within the block now_local() returns moment: a loader replays recorded history through
    the write path's rules at the moments it happened (the sample's site inspections)."""
    token = _REPLAY_AT.set(moment)
    try:
        yield
    finally:
        _REPLAY_AT.reset(token)


def now_local() -> datetime:
    """Return the district's wall-clock time now (naive), honouring CIVDATA_TODAY: a date moves
    the day and keeps the time of day; a date with a time ('2022-08-05T10:30') stops the clock."""
    replay = _REPLAY_AT.get()
    if replay is not None:
        return replay
    settings = load_settings()
    real = datetime.now(TZ).replace(tzinfo=None, microsecond=0)
    if settings.today is None:
        return real
    return datetime.combine(settings.today, settings.frozen_time or real.time())


def today_local() -> date:
    """Return today's date in the district."""
    return now_local().date()


def week_start(day: date) -> date:
    """Return the Monday of the ISO week that holds day."""
    return day - timedelta(days=day.weekday())


def day_start(day: date) -> datetime:
    """Return midnight at the start of day (district time)."""
    return datetime.combine(day, time.min)


def iso_week_label(day: date) -> str:
    """Return the ISO week of day as '2026-W48'."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def monday_of_iso_week(label: str) -> date:
    """Return the Monday of an ISO week label such as '2026-W48'."""
    year_text, week_text = label.upper().split("-W")
    return date.fromisocalendar(int(year_text), int(week_text), 1)


def this_minute() -> datetime:
    """Return the last second of the current minute (district time): the time key of cached
    page reads, so reruns within a minute share one read and include everything written so far."""
    return now_local().replace(second=59, microsecond=0)
