"""The shared query vocabulary (civdata.core.query): open, overdue, in a subdistrict, checked on
hand-built problems on SQLite and PostgreSQL, and the frame form against the SQL form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.dialects import sqlite

from civdata.core import models as m
from civdata.core import query as q
from tests.factories import make_problem, make_problem_class, make_subdistrict

T = datetime(2026, 11, 25, 12, 0)


@pytest.fixture
def world(session):
    """Six problems around T, named for what they are at T."""
    a, b = make_subdistrict(session), make_subdistrict(session)
    cls = make_problem_class(session)
    day = timedelta(days=1)
    rows = {
        # found before T, deadline passed, still open: overdue
        "late": make_problem(session, a, cls, discovered_at=T - 5 * day, deadline=T - day,
                             status="rectifying"),
        # found before T, deadline ahead: open, not overdue
        "due": make_problem(session, a, cls, discovered_at=T - day, deadline=T + day,
                            status="assigned"),
        # no deadline yet (not assigned): open, never overdue
        "new": make_problem(session, b, cls, discovered_at=T - day, deadline=None),
        # closed exactly at T: not open at T, but open at the end of a window ending at T
        "closed_at_t": make_problem(session, b, cls, discovered_at=T - 4 * day,
                                    deadline=T - 2 * day, status="closed", closed_at=T),
        # closed after T: now closed, but open (and overdue) at T
        "closed_later": make_problem(session, a, cls, discovered_at=T - 6 * day,
                                     deadline=T - 3 * day, status="closed",
                                     closed_at=T + day),
        # found after T: not open at T
        "future": make_problem(session, a, cls, discovered_at=T + day, deadline=T - day,
                               status="discovered"),
    }
    session.flush()
    return {"a": a, "b": b, "ids": {k: p.id for k, p in rows.items()}}


def _names(session, world, condition) -> set[str]:
    """Return the names of the world's problems meeting condition."""
    found = set(session.scalars(select(m.Problem.id).where(condition)))
    return {k for k, i in world["ids"].items() if i in found}


def test_open_and_overdue_at_a_moment(session, world) -> None:
    assert _names(session, world, q.open_at(T)) == {"late", "due", "new", "closed_later"}
    assert _names(session, world, q.overdue_at(T)) == {"late", "closed_later"}
    assert _names(session, world, q.not_closed_by(T)) == {"late", "due", "new", "closed_later",
                                                          "future"}
    assert _names(session, world, q.past_deadline(T)) == {"late", "closed_at_t", "closed_later",
                                                          "future"}


def test_open_at_the_end_of_a_window(session, world) -> None:
    """A window [start, T): a problem closed at T closed in the next window."""
    assert _names(session, world, q.open_at_end(T)) == {"late", "due", "new", "closed_at_t",
                                                        "closed_later"}
    assert _names(session, world, q.overdue_at_end(T)) == {"late", "closed_at_t", "closed_later"}
    assert _names(session, world, q.not_closed_before(T)) == {
        "late", "due", "new", "closed_at_t", "closed_later", "future"}


def test_open_and_overdue_now_read_the_status(session, world) -> None:
    assert _names(session, world, q.problem_is_open()) == {"late", "due", "new", "future"}
    assert _names(session, world, q.overdue_now(T)) == {"late", "future"}


def test_open_problem_ids_at_equals_open_at(session, world) -> None:
    ids = set(session.scalars(q.open_problem_ids_at(T)))
    assert {k for k, i in world["ids"].items() if i in ids} == _names(session, world, q.open_at(T))


@pytest.mark.parametrize("moment", [T - timedelta(days=5), T, T + timedelta(hours=1),
                                    T + 2 * timedelta(days=1)])
def test_open_at_by_index_equals_open_at(session, world, moment) -> None:
    assert _names(session, world, q.open_at_by_index(moment)) == _names(
        session, world, q.open_at(moment))


def test_unindexed_is_a_unary_plus_on_sqlite_only() -> None:
    """SQLite reads no index for +column; PostgreSQL gets the column as it is."""
    from sqlalchemy.dialects import postgresql

    where = select(m.Problem.id).where(q.unindexed(m.Problem.discovered_at) <= T)
    assert "+problem.discovered_at <= ?" in str(where.compile(dialect=sqlite.dialect()))
    pg = str(where.compile(dialect=postgresql.dialect()))
    assert "problem.discovered_at <= %(" in pg and "+problem" not in pg


def test_in_subdistrict_or_the_whole_district(session, world) -> None:
    a = world["a"].id
    assert _names(session, world, q.in_subdistrict(m.Problem.subdistrict_id, a)) == {
        "late", "due", "closed_later", "future"}
    assert len(_names(session, world, q.in_subdistrict(m.Problem.subdistrict_id, None))) == 6


def test_problem_is_open_writes_its_constant_inline() -> None:
    """The partial index on open problems serves only a literal (issue 18)."""
    sql = str(select(m.Problem.id).where(q.problem_is_open()).compile(dialect=sqlite.dialect()))
    assert "status != 'closed'" in sql
    assert "?" not in sql


def test_overdue_flags_agree_with_the_sql(session, world) -> None:
    rows = pd.DataFrame(session.execute(select(m.Problem.id, m.Problem.status,
                                               m.Problem.deadline)).all(),
                        columns=["id", "status", "deadline"])
    flagged = set(rows.loc[q.overdue_flags(rows["deadline"], T, rows["status"]), "id"])
    assert flagged == set(session.scalars(select(m.Problem.id).where(q.overdue_now(T))))


def test_overdue_flags_by_hand() -> None:
    deadlines = pd.Series([datetime(2026, 11, 24), datetime(2026, 11, 26), None,
                           datetime(2026, 11, 24)])
    status = pd.Series(["rectifying", "assigned", "discovered", "closed"])
    assert q.overdue_flags(deadlines, T, status).tolist() == [True, False, False, False]
    assert q.overdue_flags(deadlines, T).tolist() == [True, False, False, True]  # open rows
    # an aware moment is read on the district's clock: 04:00 UTC = 12:00 in Shenyang
    aware = datetime(2026, 11, 24, 4, 0, 1, tzinfo=UTC)
    assert q.overdue_flags(pd.Series([datetime(2026, 11, 24, 12, 0)]), aware).tolist() == [True]
