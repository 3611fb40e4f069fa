"""Overview reads on small hand-made data: open at t, overdue, on time, coverage, index."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pandas as pd

from civdata.core import models as m
from civdata.domain import district, metrics
from tests.factories import make_community, make_problem, make_problem_class, make_subdistrict

T = datetime(2026, 11, 25, 12, 0)


def test_open_overdue_and_closed_on_time_at_a_moment(session) -> None:
    a, b = make_subdistrict(session), make_subdistrict(session)
    cls = make_problem_class(session, time_limit_days=3)
    make_problem(session, a, cls, discovered_at=T - timedelta(days=1))  # open, in time
    make_problem(session, a, cls, discovered_at=T - timedelta(days=5),
                 deadline=T - timedelta(hours=1))  # open, overdue
    make_problem(session, b, cls, discovered_at=T - timedelta(days=4), status="closed",
                 deadline=T - timedelta(days=1), closed_at=T - timedelta(days=2),
                 closed_on_time=True)
    make_problem(session, b, cls, discovered_at=T - timedelta(days=9), status="closed",
                 deadline=T - timedelta(days=6), closed_at=T - timedelta(days=3),
                 closed_on_time=False)
    make_problem(session, b, cls, discovered_at=T + timedelta(hours=1))  # not yet found at T
    counts = district.problem_counts_at(session, T, None)
    assert counts == {"open": 2, "overdue": 1, "closed_week": 2, "closed_on_time_week": 1,
                      "new_week": 3}
    assert district.problem_counts_at(session, T, b.id)["open"] == 0
    # A week earlier the two closed ones were still open, and nothing was overdue then.
    earlier = district.problem_counts_at(session, T - timedelta(days=4), None)
    assert earlier["open"] == 3 and earlier["overdue"] == 1


def test_community_coverage_window_edges(session) -> None:
    sub = make_subdistrict(session)
    c1, c2, _c3 = (make_community(session, sub) for _ in range(3))
    team = m.VolunteerTeam(code="T1", name_zh="队", name_en="Team", service_type="culture",
                           subdistrict_id=sub.id, members=10, lat=41.78, lon=123.40)
    session.add(team)
    session.flush()
    day = date(2026, 11, 25)
    for comm, held in ((c1, day - timedelta(days=29)), (c2, day - timedelta(days=30))):
        session.add(m.VolunteerActivity(team_id=team.id, held_on=held, title="t", place="p",
                                        community_id=comm.id, subdistrict_id=sub.id, lat=41.78,
                                        lon=123.40, service_type="culture", participants=5,
                                        volunteer_hours=10))
    session.flush()
    assert district.community_coverage_at(session, day, None) == (1, 3)  # day-29 in, day-30 out
    assert district.community_coverage_at(session, day - timedelta(days=1), None) == (2, 3)


def test_index_caps_weights_and_missing_metrics() -> None:
    values = pd.DataFrame({"id": [1, 2], "code": ["a", "b"], "on_time_rate": [0.9, 0.45],
                           "market_score": [120.0, math.nan]})
    targets = pd.DataFrame({"metric": ["on_time_rate", "market_score"], "target": [0.9, 90.0],
                            "weight": [0.5, 0.5], "higher_is_better": [True, True]})
    out = metrics.index_scores(values, targets).set_index("code")
    assert out.loc["a", "market_score_ratio"] == metrics.INDEX_CAP  # 120/90 capped at 1.25
    assert math.isclose(out.loc["a", "index"], 100 * (1.0 * 0.5 + 1.25 * 0.5))
    assert math.isclose(out.loc["b", "index"], 50.0)  # missing metric: weights renormalised
    assert list(out["rank"]) == [1, 2]


def test_weighted_progress_uses_area_for_compounds_and_length_for_streets() -> None:
    frame = pd.DataFrame({
        "id": [1, 2, 3], "programme": ["old_compound", "old_compound", "back_street"],
        "batch": [1, 1, 1], "floor_area_m2": [300.0, 100.0, 0.0], "length_m": [0.0, 0.0, 50.0],
        "percent": [100.0, 0.0, 40.0], "stage": ["completed", "planned", "under_construction"]})
    out = metrics.weighted_progress(frame).set_index("programme")
    assert out.loc["old_compound", "percent"] == 75.0
    assert out.loc["old_compound", "completed"] == 1
    assert out.loc["back_street", "percent"] == 40.0
    assert metrics.planned_percent(date(2026, 1, 1), date(2026, 1, 11), date(2026, 1, 6)) == 50.0
    assert metrics.planned_percent(None, None, date(2026, 1, 6)) == 0.0


def test_spatial_attributes_without_any_site(session) -> None:
    from civdata.domain.sites import write_spatial

    problem = make_problem(session)
    write_spatial(session, pd.DataFrame({"id": [problem.id], "lat": [41.78], "lon": [123.40]}))
    session.refresh(problem)
    assert problem.nearest_site_id is None
    assert problem.h3_cell is not None
