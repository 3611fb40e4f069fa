"""Issue 16, item 11: nothing in the sample lies after the moment it is loaded."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from civdata.core import models as m
from civdata.io.sample import load_sample

DAY = date(2026, 11, 25)
NIGHT = datetime(2026, 11, 25, 1, 0)


def test_sample_loaded_at_night_holds_nothing_later(session) -> None:
    load_sample(session, as_of=DAY, now=NIGHT)
    session.flush()
    for col in (m.Problem.discovered_at, m.Problem.assigned_at, m.Problem.closed_at,
                m.ProblemEvent.at):
        assert session.scalar(select(func.max(col))) <= NIGHT, col
    last = {}
    for pid, to in session.execute(select(m.ProblemEvent.problem_id, m.ProblemEvent.to_status)
                                   .order_by(m.ProblemEvent.at, m.ProblemEvent.id)):
        last[pid] = to
    states = dict(session.execute(select(m.Problem.id, m.Problem.status)).all())
    assert states == last  # every problem stands where its last event left it
    assert not session.scalar(select(func.count()).select_from(m.Problem).where(
        m.Problem.status == "closed", m.Problem.closed_at.is_(None)))
    assert not session.scalar(select(func.count()).select_from(m.Problem).where(
        m.Problem.status == "discovered", m.Problem.deadline.is_not(None)))
    # the sample still brings problems found today, before the night moment
    assert session.scalar(select(func.count()).select_from(m.Problem).where(
        m.Problem.discovered_at >= datetime(2026, 11, 24))) > 0


def test_sample_loaded_for_a_past_day_keeps_that_whole_day(session) -> None:
    load_sample(session, as_of=DAY)  # not today: loaded as of the last second of DAY
    session.flush()
    assert session.scalar(select(func.max(m.Problem.discovered_at))).date() == DAY
