"""Caches keyed by data change, not by the clock (issue 18): an idle minute re-reads nothing of
the problems, and a write to another domain leaves a page's cached reads alone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event

from civdata.core import clock, live
from civdata.core import models as m
from civdata.core.db import session_scope
from tests.pages import apptest
from ui import readers

HISTORY = ("problem_site", "problem ", "problem\n", "problem_event", "FROM problem")


@contextmanager
def _statements() -> Iterator[list[str]]:
    """Yield the SQL statements the app's engine runs while the block runs."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    eng = readers.engine()
    event.listen(eng, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(eng, "before_cursor_execute", record)


def _problem_reads(statements: list[str]) -> list[str]:
    """Return the statements that read problems or their links."""
    return [s for s in statements if any(h in s for h in HISTORY)]


def _week_count_reads(statements: list[str]) -> list[str]:
    """Return the statements that read problems, but for the evaluation task ledger's (its
    tasks' linked problems open now, a small join the points at risk read every minute)."""
    return [s for s in _problem_reads(statements) if not s.startswith("SELECT eval_task.id")]


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """Return a one-item list holding the app's clock; change it to move time."""
    now = [datetime(2026, 11, 25, 12, 0)]
    monkeypatch.setattr(clock, "now_local", lambda: now[0])
    return now


def test_domain_key_picks_the_marks_of_its_domains() -> None:
    version = ("2026-11-25T12:00:00", 5, (("meetings", ("2026-11-25T12:00:00", 2)),
                                         ("problems", ("2026-11-25T11:00:00", 3))))
    assert readers.domain_key(version, "problems", "sites") == (
        ("problems", ("2026-11-25T11:00:00", 3)), ("sites", ("", 0)))
    later = ("2026-11-25T12:05:00", 6, (("meetings", ("2026-11-25T12:05:00", 3)),
                                        ("problems", ("2026-11-25T11:00:00", 3))))
    assert readers.domain_key(later, "problems", "sites") == readers.domain_key(version, "problems",
                                                                          "sites")


def test_an_idle_minute_rereads_no_problem_on_the_map(sample_db, frozen_clock) -> None:
    at = apptest.open_page(apptest.signed_in("office"), "map")
    with _statements() as seen:
        at.run()  # the same minute: everything cached
    assert _problem_reads(seen) == []
    frozen_clock[0] += timedelta(minutes=1)
    with _statements() as seen:
        at.run()
    assert not at.exception
    assert _problem_reads(seen) == [], _problem_reads(seen)
    assert any("data_change" in s for s in seen)  # the one read that sees other replicas' writes
    assert len(_layer(at, "sites")) == 381  # the map still draws every site from the cache


def _layer(at, layer_id: str) -> list[dict]:
    """Return the data of one layer of the page's first deck."""
    return next(layer["data"] for layer in apptest.deck_specs(at)[0]["layers"]
                if layer["id"] == layer_id)


def test_overdue_on_the_map_moves_with_the_clock_without_a_read(sample_db, frozen_clock) -> None:
    at = apptest.open_page(apptest.signed_in("office"), "map")
    before = {s["code"]: s["line3"] for s in _layer(at, "sites")}
    frozen_clock[0] += timedelta(days=20)  # deadlines pass: more sites turn overdue
    with _statements() as seen:
        at.run()
    after = {s["code"]: s["line3"] for s in _layer(at, "sites")}
    assert before != after
    assert _problem_reads(seen) == []


def test_the_clock_going_back_rereads_what_was_summed_at_a_later_moment(sample_db,
                                                                      frozen_clock) -> None:
    import streamlit as st

    at = apptest.open_page(apptest.signed_in("office"), "map")  # overdue links summed at noon
    frozen_clock[0] -= timedelta(days=20)  # many of them were not yet due then
    with _statements() as seen:
        at.run()
    assert not at.exception
    assert _problem_reads(seen) != []  # the cached sums cannot answer for an earlier moment
    back = {s["code"]: s["line3"] for s in _layer(at, "sites")}
    st.cache_data.clear()
    fresh = apptest.open_page(apptest.signed_in("office"), "map")
    assert back == {s["code"]: s["line3"] for s in _layer(fresh, "sites")}
    frozen_clock[0] += timedelta(days=20)
    fresh.run()
    assert back != {s["code"]: s["line3"] for s in _layer(fresh, "sites")}


def test_the_clock_going_back_recounts_the_h3_cells(sample_db, frozen_clock,
                                                   monkeypatch) -> None:
    import streamlit as st

    import ui.map

    monkeypatch.setattr(ui.map, "MAX_RAW_POINTS", 100)  # the sample's open problems as cells
    at = apptest.open_page(apptest.signed_in("office"), "map")
    before = _layer(at, "problem-cells")
    frozen_clock[0] -= timedelta(days=20)  # the cells' overdue counts were read at noon
    with _statements() as seen:
        at.run()
    assert not at.exception
    assert _problem_reads(seen) != []
    back = _layer(at, "problem-cells")
    assert back != before  # fewer overdue twenty days earlier: other colours and tooltips
    st.cache_data.clear()
    fresh = apptest.open_page(apptest.signed_in("office"), "map")
    assert _layer(fresh, "problem-cells") == back


def test_a_write_elsewhere_keeps_the_map_cached_and_a_problem_write_does_not(
        sample_db, frozen_clock) -> None:
    at = apptest.open_page(apptest.signed_in("office"), "map")
    with session_scope(readers.engine()) as s:
        live.mark_changed(s, "meetings")
    with _statements() as seen:
        at.run()
    assert _problem_reads(seen) == []
    with session_scope(readers.engine()) as s:
        live.mark_changed(s, "problems")
    with _statements() as seen:
        at.run()
    assert _problem_reads(seen) != []


DAY_PARTS = ("project_progress", "volunteer_activity", "market_inspection")
# riskmodel.open_weight_by_site (it sums the site_open_count summary)
OPEN_WEIGHTS = "sum(site_open_count.problems * problem_class.risk_weight)"


def test_the_open_weights_are_read_once_for_the_estimate_and_the_weekly_page(
        sample_db, frozen_clock) -> None:
    with _statements() as seen:
        at = apptest.open_page(apptest.signed_in("office"), "weekly")  # the overview first
    assert not at.exception
    # the sample has categories with no inspection yet: the deduction fallback needs the sum
    assert len([s for s in seen if OPEN_WEIGHTS in s]) == 1, "overview and weekly share one"
    assert at.session_state["_weekly_section_tables"] is not None
    frozen_clock[0] += timedelta(minutes=1)  # a new minute: the snapshot is recomputed
    with _statements() as seen:
        at.run()
    assert not at.exception
    assert any("FROM eval_task" in s for s in seen)  # the points at risk, counted at the minute
    assert [s for s in seen if OPEN_WEIGHTS in s] == []
    with session_scope(readers.engine()) as s:
        live.mark_changed(s, "problems")  # a problem write: the sum is read again
    with _statements() as seen:
        at.run()
    assert [s for s in seen if OPEN_WEIGHTS in s] != []



@pytest.mark.parametrize("page", ["weekly", "overview"])
def test_an_idle_minute_recounts_only_what_moves_by_the_minute(sample_db, frozen_clock,
                                                                page) -> None:
    at = apptest.open_page(apptest.signed_in("office"), page)
    shown = [m.value for m in at.metric]
    frozen_clock[0] += timedelta(minutes=1)
    with _statements() as seen:
        at.run()
    assert not at.exception
    assert [s for s in seen if any(t in s for t in DAY_PARTS)] == []
    # open and overdue move with the minute: the overview counts them now; the weekly page
    # from the day's start and the rows that move in the day (weekly.ProblemDay)
    assert (_week_count_reads(seen) != []) == (page == "overview")
    assert [m.value for m in at.metric] == shown
    frozen_clock[0] += timedelta(days=1)  # a new day recounts the ranking and progress too
    with _statements() as seen:
        at.run()
    assert not at.exception
    assert any("project_progress" in s for s in seen)
    assert len(at.metric) == len(shown) and all(m.value for m in at.metric)  # figures shown


TOP_RUNG_WINDOW = "row_number() OVER"  # the top rung's first codes per unit


def test_an_idle_minute_counts_the_top_rung_from_the_days_rows(sample_db, frozen_clock) -> None:
    at = apptest.open_page(apptest.signed_in("office"), "weekly")
    frozen_clock[0] += timedelta(minutes=1)
    with _statements() as seen:
        at.run()
    assert not at.exception
    assert [s for s in seen if TOP_RUNG_WINDOW in s] == []  # read once for the day
    assert _week_count_reads(seen) == []  # the week's counts too: from the day's rows
    frozen_clock[0] += timedelta(days=1)  # a new day reads the top rung again
    with _statements() as seen:
        at.run()
    assert [s for s in seen if TOP_RUNG_WINDOW in s] != []


def test_a_past_weeks_figures_are_not_recounted_every_minute(sample_db, frozen_clock) -> None:
    at = apptest.signed_in("office")
    at.query_params["week"] = "2026-W47"  # over on the Sunday before the clock's day
    at = apptest.open_page(at, "weekly")
    assert any("2026-W47" in str(el.value) for el in at.selectbox)
    frozen_clock[0] += timedelta(minutes=1)
    with _statements() as seen:
        at.run()
    assert not at.exception
    assert _problem_reads(seen) == [], _problem_reads(seen)
    frozen_clock[0] += timedelta(days=1)  # nor every day: its figures are taken at its end
    with _statements() as seen:
        at.run()
    assert _problem_reads(seen) == [], _problem_reads(seen)


def _metric(at, label: str) -> str:
    """Return the value of the metric with this label."""
    return next(m.value for m in at.metric if m.label == label)


def test_a_minute_that_moves_the_week_shows_it_without_reading_problems(
        sample_db, frozen_clock) -> None:
    from tests.factories import make_problem

    frozen_clock[0] = datetime(2026, 11, 25, 12, 29)
    at = apptest.open_page(apptest.signed_in("office"), "weekly")
    with session_scope(readers.engine()) as s:  # found at 12:20, due at 12:30, still open
        sub = s.get(m.Subdistrict, 1)
        make_problem(s, sub, s.get(m.ProblemClass, 1), code="MINUTE-1",
                     discovered_at=datetime(2026, 11, 25, 12, 20),
                     deadline=datetime(2026, 11, 25, 12, 30))
        live.mark_changed(s, "problems")
    at.run()  # the write: the day's figures are read again, with the new problem
    before = {k: _metric(at, k) for k in ("新发现问题", "超期问题")}
    frozen_clock[0] = datetime(2026, 11, 25, 12, 31)
    with _statements() as seen:
        at.run()
    assert not at.exception
    assert _week_count_reads(seen) == []
    assert _metric(at, "新发现问题") == before["新发现问题"]
    assert int(float(_metric(at, "超期问题"))) == int(float(before["超期问题"])) + 1
