"""District time: CIVDATA_TODAY moves the day (keeping the time of day) or, with a time, stops
the clock; week labels and their Mondays."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from civdata.core import clock


def test_a_date_moves_the_day_and_keeps_the_time_of_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIVDATA_TODAY", "2022-08-05")
    now = clock.now_local()
    real = datetime.now(clock.TZ).replace(tzinfo=None)
    assert now.date() == date(2022, 8, 5)
    assert abs((now.hour * 60 + now.minute) - (real.hour * 60 + real.minute)) in (0, 1, 1439)


def test_a_date_with_a_time_stops_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIVDATA_TODAY", "2022-08-05T10:30")
    assert clock.now_local() == datetime(2022, 8, 5, 10, 30)
    assert clock.today_local() == date(2022, 8, 5)
    assert clock.this_minute() == datetime(2022, 8, 5, 10, 30, 59)


def test_without_the_setting_the_clock_is_real(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CIVDATA_TODAY", raising=False)
    assert abs((clock.now_local() - datetime.now(clock.TZ).replace(tzinfo=None)).total_seconds()) < 5


def test_week_labels_and_mondays() -> None:
    assert clock.iso_week_label(date(2022, 8, 5)) == "2022-W31"
    assert clock.monday_of_iso_week("2022-W31") == date(2022, 8, 1)
    assert clock.week_start(date(2022, 8, 7)) == date(2022, 8, 1)
    assert clock.iso_week_label(date(2021, 1, 3)) == "2020-W53"
    assert clock.day_start(date(2022, 8, 5)) == datetime(2022, 8, 5)
