"""Change marks (civdata.core.live): every write marks its domain; the marks say what changed
and when, so caches keyed by them refresh on a change and only then."""

from __future__ import annotations

from datetime import datetime

from civdata.core import live
from civdata.core.clock import replaying_at

T1 = datetime(2026, 11, 25, 9, 0)
T2 = datetime(2026, 11, 25, 9, 5)


def test_nothing_changed_yet(session) -> None:
    assert live.last_change(session) == (None, 0)
    assert live.domain_marks(session) == {}


def test_a_mark_counts_and_stamps_one_domain(session) -> None:
    with replaying_at(T1):
        live.mark_changed(session, "problems")
    with replaying_at(T2):
        live.mark_changed(session, "problems")
        live.mark_changed(session, "markets")
    assert live.domain_marks(session) == {"problems": (T2.isoformat(), 2),
                                          "markets": (T2.isoformat(), 1)}
    assert live.last_change(session) == (T2, 3)


def test_all_marks_every_domain_once(session) -> None:
    with replaying_at(T1):
        live.mark_changed(session, "sites")
        live.mark_changed(session, "all")
    marks = live.domain_marks(session)
    assert set(marks) == set(live.DOMAINS)
    assert marks["sites"] == (T1.isoformat(), 2)
    assert all(n == 1 for d, (_, n) in marks.items() if d != "sites")
    assert live.last_change(session) == (T1, len(live.DOMAINS) + 1)


def test_marks_roll_back_with_the_write(session) -> None:
    """A refused write's transaction is rolled back: its mark goes with it."""
    with replaying_at(T1):
        live.mark_changed(session, "volunteers")
    session.commit()
    with replaying_at(T2):
        live.mark_changed(session, "volunteers")
    session.rollback()
    assert live.domain_marks(session) == {"volunteers": (T1.isoformat(), 1)}
