"""District time: every stored timestamp is naive local time in Asia/Shanghai."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from civdata.core.config import DISTRICT_TZ, load_settings

TZ = ZoneInfo(DISTRICT_TZ)


def now_local() -> datetime:
    """Return the district's wall-clock time now (naive), honouring CIVDATA_TODAY."""
    today = load_settings().today
    real = datetime.now(TZ).replace(tzinfo=None, microsecond=0)
    if today is None:
        return real
    return datetime.combine(today, real.time())


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
