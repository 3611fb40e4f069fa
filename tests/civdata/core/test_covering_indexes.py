"""The counts at a moment read the covering indexes of migration 0014 (issue 18): on SQLite the
plan of each count names its index as a covering one, so the count reads no table row per
open problem (the speed itself is measured by `make bench`, not asserted here)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from civdata.core import models as m
from civdata.core.db import make_engine
from civdata.domain import assessment, district, problems, weekly

T = datetime(2026, 11, 25, 12, 0)
WEEK = datetime(2026, 11, 23)


@contextmanager
def _statements(engine: Engine) -> Iterator[list[tuple[str, object]]]:
    """Collect the (statement, parameters) that engine runs inside the block."""
    seen: list[tuple[str, object]] = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


COUNTS: dict[str, tuple[Callable[[Session], object], str]] = {
    "headline open and overdue": (lambda s: district.problem_counts_at(s, T, None),
                                  "COVERING INDEX ix_problem_closed_cover"),
    "weekly counts": (lambda s: weekly.problem_week_counts(s, WEEK, T),
                      "COVERING INDEX ix_problem_closed_cover"),
    # a list of problems with their texts: the index filters on the deadline too, so only the
    # problems listed are read from the table
    "problems due near the week": (lambda s: weekly.problems_due_near(s, WEEK, T, 7),
                                   "USING INDEX ix_problem_closed_cover"),
    "monthly figures per unit": (lambda s: assessment._problem_figures(
        s, T - timedelta(days=30), T, m.Problem.responsible_unit),
        "COVERING INDEX ix_problem_closed_cover"),
    "open problems by age": (lambda s: problems.open_problem_ages(s, T, None),
                             "COVERING INDEX ix_problem_open_cover"),
    # open at a moment (open_at_by_index): the found-time index stays out of the plan
    "top-rung problems per unit": (lambda s: weekly.top_rung_units_at(s, T, 7),
                                   "COVERING INDEX ix_problem_closed_cover"),
    "open and overdue per subdistrict": (lambda s: district.subdistrict_metrics(s, T.date()),
                                         "COVERING INDEX ix_problem_closed_cover"),
    "the longest overdue": (lambda s: weekly.overdue_problems_at(s, T, 10),
                            "USING INDEX ix_problem_closed_cover"),
}


@pytest.mark.parametrize("name", COUNTS)
def test_each_count_reads_a_covering_index(sample_db: str, name: str) -> None:
    count, expected = COUNTS[name]
    engine = make_engine(sample_db)
    with Session(engine) as s, _statements(engine) as seen:
        count(s)
    assert seen, name
    with engine.connect() as conn:
        plans = [" ".join(str(r[-1]) for r in conn.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {sql}", params).all()) for sql, params in seen
            if "FROM problem" in sql]
    engine.dispose()
    assert plans, name
    assert any(expected in p for p in plans), (name, plans)
    # nor walks an index that matches nearly every problem, nor looks problems up one by one
    for walked in ("ix_problem_discovered (discovered_at<", "ix_problem_subdistrict_status",
                   "problem USING INTEGER PRIMARY KEY"):
        assert not any(walked in p for p in plans), (name, walked, plans)
