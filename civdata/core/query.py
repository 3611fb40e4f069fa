"""The shared query vocabulary: what 'in a subdistrict', 'open' and 'overdue' mean, once.

A problem is open at t when it was found by t and not closed by t; it is overdue at t when it
is open at t and its deadline is before t. Two forms of each: at a moment t (from the found
and closed times, for history: trends, weeks, snapshots) and now (from the status, which the
partial index on open problems serves, for the live pages). The frame forms (overdue_flags(),
open_at_end_flags(), overdue_at_end_flags(), overdue_at_flags()) mark rows already read.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import Float, and_, literal_column, or_, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from civdata.core.clock import TZ


def in_subdistrict(column, subdistrict_id: int | None) -> ColumnElement[bool]:
    """Return a condition restricting column to one subdistrict (always true for the district)."""
    return column == subdistrict_id if subdistrict_id is not None else true()


def problem_is_open() -> ColumnElement[bool]:
    """Return 'the problem is not closed' with the constant written inline: SQLite uses the
    partial index on open problems (WHERE status <> 'closed') only for a literal, and a bound
    parameter made every such read scan the whole problem table (issue 18)."""
    from civdata.core import models as m

    return m.Problem.status != literal_column("'closed'")


def past_deadline(t: datetime) -> ColumnElement[bool]:
    """Return 'the problem's deadline is before t' (no deadline: never past it)."""
    from civdata.core import models as m

    return m.Problem.deadline < t


def overdue_now(now: datetime) -> ColumnElement[bool]:
    """Return 'the problem is open now and its deadline is before now' (status-based)."""
    return and_(problem_is_open(), past_deadline(now))


def not_closed_by(t: datetime) -> ColumnElement[bool]:
    """Return 'the problem was not closed by t' (closed after t, or never)."""
    from civdata.core import models as m

    return or_(m.Problem.closed_at.is_(None), m.Problem.closed_at > t)


def not_closed_before(t: datetime) -> ColumnElement[bool]:
    """Return 'the problem was not closed before t' (closed at t or later, or never)."""
    from civdata.core import models as m

    return or_(m.Problem.closed_at.is_(None), m.Problem.closed_at >= t)


def in_window_counts(start: datetime) -> ColumnElement[bool]:
    """Return the filter of per-window problem counts over [start, end): not closed before start,
    which the closed_at index reads. 'Found before end' belongs in each count, not here: as a
    filter SQLite walked the found-time index over every problem (1.5 s per count at 1M)."""
    return not_closed_before(start)


def unordered_key(column: ColumnElement[int]) -> ColumnElement[int]:
    """Return an integer column as a grouping key that SQLite cannot read in an index's order:
    grouping by subdistrict_id made it walk that index over every problem instead of the few
    rows the closed_at index finds (1.7 s against 0.05 s at 1M). The 0 is inline, so that
    PostgreSQL sees the same expression in SELECT and GROUP BY."""
    return column + literal_column("0")


def open_at(t: datetime) -> ColumnElement[bool]:
    """Return 'the problem was open at t': found by t and not closed by t."""
    from civdata.core import models as m

    return and_(m.Problem.discovered_at <= t, not_closed_by(t))


def overdue_at(t: datetime) -> ColumnElement[bool]:
    """Return 'the problem was overdue at t': open at t and its deadline before t."""
    return and_(open_at(t), past_deadline(t))


def open_at_end(end: datetime) -> ColumnElement[bool]:
    """Return 'the problem was open at the end of a window [start, end)': found before end and
    not closed before end (a closure at end belongs to the next window)."""
    from civdata.core import models as m

    return and_(m.Problem.discovered_at < end, not_closed_before(end))


def overdue_at_end(end: datetime) -> ColumnElement[bool]:
    """Return 'the problem was overdue at the end of a window [start, end)'."""
    return and_(open_at_end(end), past_deadline(end))


def open_problem_ids_at(t: datetime) -> Select:
    """Return a select of the ids of problems open at t (open_at(t) shaped for speed): closed
    after t or never (the closed_at index drives it), less those found after t. At 1M problems
    a join filtered on open_at(t) scanned every problem-site link (0.4-1 s); this reads the few
    thousand open ones (0.02 s)."""
    from civdata.core import models as m

    found_after = select(m.Problem.id).where(m.Problem.discovered_at > t)
    return select(m.Problem.id).where(not_closed_by(t), m.Problem.id.not_in(found_after))


def open_at_by_index(t: datetime) -> ColumnElement[bool]:
    """Return open_at(t) written so that SQLite reads it from the closed_at covering index
    (migration 0014): the found-time index is kept out of the plan, since "found by t" holds
    for nearly every problem and walking it read every row (0.26 s at 1M with 100,000 open;
    0.02-0.07 s by the covering index). For a select of problem columns; open_problem_ids_at
    serves joins."""
    from civdata.core import models as m

    return and_(not_closed_by(t), unindexed(m.Problem.discovered_at) <= t)


class unindexed(FunctionElement):
    """SQL: a column the planner may not read through its own index (SQLite: the no-op unary
    plus; other databases: the column as it is). It keeps the column's type."""

    inherit_cache = True
    name = "unindexed"

    def __init__(self, column: ColumnElement) -> None:
        """Wrap column, keeping its type for bound parameters compared with it."""
        super().__init__(column)
        self.type = column.type


@compiles(unindexed)
def _unindexed_default(element, compiler, **kw) -> str:
    """Other databases: the column itself."""
    return compiler.process(element.clauses, **kw)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element, compiler, **kw) -> str:
    """SQLite: unary plus, which returns its operand unchanged and is never read by an index."""
    return f"+{compiler.process(element.clauses, **kw)}"


def to_district_time(at: datetime) -> datetime:
    """Return at as naive Asia/Shanghai wall-clock time, how every moment is stored (aware
    values are converted)."""
    return at.astimezone(TZ).replace(tzinfo=None) if at.tzinfo is not None else at


_EPOCH = datetime(1970, 1, 1)


def epoch_of(t: datetime) -> float:
    """Return the seconds from 1970-01-01 00:00 to t on the district's wall clock (the Python
    side of epoch_seconds)."""
    return (to_district_time(t) - _EPOCH).total_seconds()


class epoch_seconds(FunctionElement):
    """SQL: the seconds from 1970-01-01 00:00 to a stored wall-clock moment, a float (summed
    in SQL where a figure is linear in a moment, e.g. the age of many problems)."""

    type = Float()
    inherit_cache = True
    name = "epoch_seconds"


@compiles(epoch_seconds)
def _epoch_seconds_postgresql(element, compiler, **kw) -> str:
    """PostgreSQL (a timestamp without time zone counts from 1970-01-01 00:00 of its own)."""
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS DOUBLE PRECISION)"


@compiles(epoch_seconds, "sqlite")
def _epoch_seconds_sqlite(element, compiler, **kw) -> str:
    """SQLite: from the Julian day of the stored text (2440587.5 is 1970-01-01 00:00)."""
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


def open_at_end_flags(rows: pd.DataFrame, end: datetime) -> pd.Series:
    """Return per row open_at_end(end), from rows already read (discovered_at, closed_at):
    found before end and not closed before end."""
    end = to_district_time(end)
    return (rows["discovered_at"] < end) & (rows["closed_at"].isna() | (rows["closed_at"] >= end))


def overdue_at_end_flags(rows: pd.DataFrame, end: datetime) -> pd.Series:
    """Return per row overdue_at_end(end), from rows already read (and their deadline)."""
    return open_at_end_flags(rows, end) & (rows["deadline"] < to_district_time(end))


def overdue_at_flags(rows: pd.DataFrame, t: datetime) -> pd.Series:
    """Return per row overdue_at(t), from rows already read (discovered_at, closed_at,
    deadline): found by t, not closed by t, deadline before t (none: never overdue)."""
    t = to_district_time(t)
    return ((rows["discovered_at"] <= t) & (rows["closed_at"].isna() | (rows["closed_at"] > t))
            & (rows["deadline"] < t))


def overdue_flags(deadline: pd.Series, t: datetime, status: pd.Series | None = None) -> pd.Series:
    """Return per row whether the problem is overdue at t: not closed (by status; without it
    the rows are open problems) and a deadline before t (none: never overdue)."""
    late = pd.to_datetime(deadline) < to_district_time(t)
    return late if status is None else late & (status != "closed")
