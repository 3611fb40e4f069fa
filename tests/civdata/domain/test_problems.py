"""Reads behind the problems page, checked on small hand-made data and on the sample."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select

from civdata.core import models as m
from civdata.core.auth import Actor
from civdata.domain import problems as P
from civdata.domain import workflow
from tests.factories import make_problem, make_problem_class, make_subdistrict

NOW = datetime(2026, 12, 1, 0, 30)  # just after midnight at a month end


@pytest.fixture
def two(session):
    """Return two subdistricts, two classes and the ladder."""
    a, b = make_subdistrict(session, code="nanhu"), make_subdistrict(session, code="xita")
    c1 = make_problem_class(session, code="sanitation", time_limit_days=3)
    c2 = make_problem_class(session, code="infrastructure", time_limit_days=15)
    for days, code in ((1, "subdistrict_head"), (3, "district"), (7, "accountability")):
        session.add(m.EscalationRung(days_overdue=days, code=code, name_zh=f"{code}中",
                                     name_en=code))
    session.flush()
    return a, b, c1, c2


def _closed(session, sub, cls, hours: float, on_time: bool, closed_at: datetime):
    """Create a problem closed at closed_at after hours."""
    found = closed_at - timedelta(hours=hours)
    return make_problem(session, sub, cls, status="closed", discovered_at=found,
                        closed_at=closed_at, seconds_to_close=int(hours * 3600),
                        closed_on_time=on_time)


def test_status_counts_and_funnel(session, two):
    a, b, c1, _ = two
    for status, n in (("discovered", 2), ("assigned", 1), ("rectifying", 3), ("closed", 4)):
        for _ in range(n):
            make_problem(session, a, c1, status=status, discovered_at=NOW - timedelta(days=2))
    make_problem(session, b, c1, status="submitted", discovered_at=NOW - timedelta(days=2))
    make_problem(session, a, c1, status="closed", discovered_at=NOW - timedelta(days=40))
    counts = P.status_counts(session, NOW - timedelta(days=30), None)
    assert dict(zip(counts["status"], counts["count"], strict=True)) == {
        "discovered": 2, "assigned": 1, "rectifying": 3, "submitted": 1, "closed": 4}
    only_a = P.status_counts(session, NOW - timedelta(days=30), a.id)
    assert int(only_a["count"].sum()) == 10
    funnel = P.funnel_stages(counts)
    assert list(funnel["reached"]) == [11, 9, 8, 5, 4]


def test_overdue_list_sorted_with_rungs_across_midnight(session, two):
    a, b, c1, _ = two
    # deadlines relative to 2026-12-01 00:30
    late8 = make_problem(session, a, c1, status="rectifying", deadline=datetime(2026, 11, 23))
    late1 = make_problem(session, b, c1, status="assigned",
                         deadline=datetime(2026, 11, 29, 23, 59))
    late0 = make_problem(session, a, c1, status="submitted",
                         deadline=datetime(2026, 11, 30, 23, 59))   # before midnight: 31 min
    make_problem(session, a, c1, status="rectifying", deadline=datetime(2026, 12, 1, 0, 31))
    make_problem(session, a, c1, status="closed", deadline=datetime(2026, 11, 1),
                 closed_at=datetime(2026, 11, 30))
    out = P.with_rungs(P.overdue_problems(session, NOW, None), workflow.escalation_rungs(session))
    assert list(out["id"]) == [late8.id, late1.id, late0.id]
    assert list(out["days_overdue"]) == [8, 1, 0]
    assert list(out["rung"].fillna("-")) == ["accountability", "subdistrict_head", "-"]
    assert list(out["rung_zh"]) == ["accountability中", "subdistrict_head中", ""]
    counts = P.rung_counts(P.overdue_problems(session, NOW, None),
                           workflow.escalation_rungs(session))
    assert sorted(zip(counts["rung"], counts["count"], strict=True)) == [
        ("accountability", 1), ("subdistrict_head", 1)]
    assert list(P.overdue_problems(session, NOW, b.id)["id"]) == [late1.id]


def test_open_problem_ages(session, two):
    a, _, c1, _ = two
    for days, status in ((0.5, "discovered"), (2, "rectifying"), (2.5, "rectifying"),
                         (10, "submitted"), (45, "rectifying"), (45, "closed")):
        make_problem(session, a, c1, status=status, discovered_at=NOW - timedelta(days=days))
    ages = P.open_problem_ages(session, NOW, None)
    got = {(r.label, r.status): r.count for r in ages.itertuples()}
    assert got == {("0-1 d", "discovered"): 1, ("1-3 d", "rectifying"): 2,
                   ("7-15 d", "submitted"): 1, (">30 d", "rectifying"): 1}


def test_class_subdistrict_counts(session, two):
    a, b, c1, c2 = two
    since = NOW - timedelta(days=30)
    make_problem(session, a, c1, discovered_at=NOW - timedelta(days=1))
    make_problem(session, a, c1, status="closed", discovered_at=NOW - timedelta(days=1))
    make_problem(session, b, c2, discovered_at=NOW - timedelta(days=3))
    make_problem(session, b, c2, discovered_at=NOW - timedelta(days=31))
    out = P.class_subdistrict_counts(session, since)
    got = {(r.subdistrict, r["class"]): (r.found, r.open) for _, r in out.iterrows()}
    assert got == {("nanhu", "sanitation"): (2, 1), ("xita", "infrastructure"): (1, 1)}


def test_close_stats_median_and_on_time_rate(session, two):
    a, b, c1, c2 = two
    t = NOW - timedelta(days=1)
    for hours, ok in ((10, True), (20, True), (30, False), (40, True)):   # even count
        _closed(session, a, c1, hours, ok, t)
    for hours, ok in ((5, False), (50, True), (7, True)):                 # odd count
        _closed(session, b, c2, hours, ok, t)
    _closed(session, b, c2, 999, True, NOW - timedelta(days=40))          # outside the window
    by_sub = P.close_stats_by_subdistrict(session, NOW - timedelta(days=30), NOW).set_index("id")
    assert by_sub.loc[a.id, "closed"] == 4 and by_sub.loc[a.id, "on_time"] == 3
    assert by_sub.loc[a.id, "on_time_rate"] == pytest.approx(0.75)
    assert by_sub.loc[a.id, "median_hours"] == pytest.approx(25.0)
    assert by_sub.loc[b.id, "median_hours"] == pytest.approx(7.0)
    assert by_sub.loc[b.id, "on_time_rate"] == pytest.approx(2 / 3)
    by_class = P.close_stats_by_class(session, NOW - timedelta(days=30), NOW, a.id)
    assert list(by_class["id"]) == [c1.id]
    # The SQL median equals pandas' median of the same rows.
    hours = pd.Series([10, 20, 30, 40])
    assert by_class["median_hours"].iloc[0] == pytest.approx(hours.median())


def test_work_queue_most_urgent_first(session, two):
    a, b, c1, _ = two
    later = make_problem(session, a, c1, status="assigned", deadline=NOW + timedelta(days=2))
    overdue = make_problem(session, a, c1, status="rectifying", deadline=NOW - timedelta(days=1))
    fresh = make_problem(session, a, c1, status="discovered", deadline=None)
    make_problem(session, b, c1, status="rectifying", deadline=NOW - timedelta(days=5))
    make_problem(session, a, c1, status="closed", deadline=NOW - timedelta(days=9))
    queue = P.work_queue(session, a.id, NOW)
    assert list(queue["id"]) == [overdue.id, later.id, fresh.id]
    assert queue["hours_left"].iloc[0] == pytest.approx(-24.0)


def _rates(rows: list[tuple[int, int, int, int, int]]) -> pd.DataFrame:
    """Return a subdistrict_close_rates_at-shaped frame from (id, closed, on_time, open, overdue)."""
    return pd.DataFrame([{"id": i, "code": f"s{i}", "name_zh": f"街{i}", "name_en": f"S{i}",
                          "closed": c, "on_time": o, "open": op, "overdue": od}
                         for i, c, o, op, od in rows])


def test_on_time_ranking_marks_fair_lists_with_minimum():
    now = _rates([(1, 20, 19, 2, 0), (2, 20, 10, 5, 3), (3, 3, 3, 0, 0),   # 3: too few
                  (4, 20, 15, 1, 0), (5, 20, 15, 4, 2), (6, 20, 12, 0, 0),
                  (7, 20, 18, 1, 1)])
    before = _rates([(1, 20, 10, 0, 0), (2, 20, 19, 0, 0), (3, 3, 0, 0, 0),
                     (4, 20, 15, 0, 0), (5, 20, 15, 0, 0), (6, 20, 12, 0, 0),
                     (7, 20, 18, 0, 0)])
    out = P.on_time_ranking(now, before, min_problems=10, size=2).set_index("id")
    assert out.loc[3, "rank"] != out.loc[3, "rank"]  # NaN: not ranked
    assert out.loc[3, "list"] == ""
    assert list(out[out["list"] == "red"].index) == [1, 7]
    assert list(out[out["list"] == "black"].index) == [6, 2]
    # tie at 75 %: the lower overdue share ranks higher
    assert out.loc[4, "rank"] < out.loc[5, "rank"]
    assert out.loc[1, "rate_change"] == pytest.approx(0.45)
    assert out.loc[2, "rank_change"] == 1 - 6   # was first, now sixth


def test_subdistrict_close_rates(session, two):
    a, b, c1, _ = two
    _closed(session, a, c1, 10, True, NOW - timedelta(days=2))
    _closed(session, a, c1, 10, False, NOW - timedelta(days=3))
    _closed(session, a, c1, 10, True, NOW - timedelta(days=40))
    make_problem(session, a, c1, status="rectifying", discovered_at=NOW - timedelta(days=5),
                 deadline=NOW - timedelta(days=1))
    make_problem(session, a, c1, status="assigned", discovered_at=NOW - timedelta(days=1),
                 deadline=NOW + timedelta(days=1))
    out = P.subdistrict_close_rates_at(session, [NOW], 30)[0].set_index("id")
    assert tuple(out.loc[a.id, ["closed", "on_time", "open", "overdue"]]) == (2, 1, 2, 1)
    assert tuple(out.loc[b.id, ["closed", "on_time", "open", "overdue"]]) == (0, 0, 0, 0)


def test_actionable_problems_scope(session, two):
    a, b, c1, _ = two
    mine = make_problem(session, a, c1, status="rectifying")
    make_problem(session, b, c1, status="rectifying")
    market = make_problem(session, b, c1, status="rectifying", source="market_inspection")
    own = Actor("nanhu", "subdistrict", a.id)
    assert list(P.actionable_problems(session, own, "submit", None)["id"]) == [mine.id]
    assert list(P.actionable_problems(session, Actor("market", "market"), "submit",
                                      None)["id"]) == [market.id]
    assert len(P.actionable_problems(session, Actor("office", "office"), "submit", None)) == 3
    assert P.actionable_problems(session, Actor("office", "office"), "accept", None).empty


def test_card_and_events(session, two):
    a, _, c1, _ = two
    p = workflow.report_problem(session, Actor("office", "office"), subdistrict_id=a.id,
                                class_code="sanitation", lat=41.78, lon=123.4,
                                description="井盖缺失", source="public_report")
    card = P.problem_card(session, p.id)
    assert card["code"] == p.code and card["class_zh"] == c1.name_zh and card["version"] == 1
    assert P.problem_card(session, 424242) is None
    assert list(P.problem_events(session, p.id)["to_status"]) == ["discovered"]


def test_sample_figures_match_plain_counts(sample_session):
    s = sample_session
    now = datetime(2026, 11, 25, 23, 59)  # after the sample's last discovery
    open_total = s.scalar(select(func.count(m.Problem.id)).where(m.Problem.status != "closed"))
    ages = P.open_problem_ages(s, now, None)
    assert int(ages["count"].sum()) == open_total
    overdue = P.overdue_problems(s, now, None)
    expected = s.scalar(select(func.count(m.Problem.id)).where(
        m.Problem.status != "closed", m.Problem.deadline < now))
    assert len(overdue) == expected > 0
    assert list(overdue["days_overdue"]) == sorted(overdue["days_overdue"], reverse=True)
    rates = P.subdistrict_close_rates_at(s, [now], 30)[0]
    assert len(rates) == 12 and int(rates["open"].sum()) == open_total
    stats = P.close_stats_by_subdistrict(s, now - timedelta(days=30), now)
    assert int(stats["closed"].sum()) == s.scalar(select(func.count(m.Problem.id)).where(
        m.Problem.closed_at >= now - timedelta(days=30), m.Problem.closed_at < now))


def test_close_stats_overall(session, two):
    a, b, c1, c2 = two
    t = NOW - timedelta(days=1)
    for hours, ok in ((10, True), (20, False), (30, True)):
        _closed(session, a, c1, hours, ok, t)
    _closed(session, b, c2, 40, True, t)
    out = P.close_stats_overall(session, NOW - timedelta(days=30), NOW)
    assert len(out) == 1 and out["closed"].iloc[0] == 4 and out["on_time"].iloc[0] == 3
    assert out["median_hours"].iloc[0] == pytest.approx(25.0)
    only_a = P.close_stats_overall(session, NOW - timedelta(days=30), NOW, a.id)
    assert only_a["median_hours"].iloc[0] == pytest.approx(20.0)
    assert P.close_stats_overall(session, NOW, NOW + timedelta(days=1)).empty


def test_close_rates_at_several_ends_count_each_end_as_by_hand(sample_session):
    s = sample_session
    now = datetime(2026, 11, 25, 23, 59)
    ends = [now, now - timedelta(days=7), now - timedelta(days=40)]
    rows = pd.DataFrame(s.execute(select(
        m.Problem.subdistrict_id, m.Problem.discovered_at, m.Problem.closed_at,
        m.Problem.closed_on_time, m.Problem.deadline)).all(),
        columns=["sid", "found", "closed_at", "on_time", "deadline"])
    for col in ("found", "closed_at", "deadline"):
        rows[col] = pd.to_datetime(rows[col])
    got = P.subdistrict_close_rates_at(s, ends, 30)
    assert len(got) == len(ends)
    for end, frame in zip(ends, got, strict=True):
        closed = (rows["closed_at"] > end - timedelta(days=30)) & (rows["closed_at"] <= end)
        is_open = (rows["found"] <= end) & (rows["closed_at"].isna() | (rows["closed_at"] > end))
        hand = pd.DataFrame({
            "closed": closed, "on_time": closed & (rows["on_time"] == True),  # noqa: E712
            "open": is_open, "overdue": is_open & (rows["deadline"] < end),
            "sid": rows["sid"]}).groupby("sid").sum().astype(int)
        frame = frame.set_index("id")[["closed", "on_time", "open", "overdue"]]
        assert frame.equals(hand.reindex(frame.index).fillna(0).astype(int)), end
        assert frame["closed"].sum() > 0 and frame["open"].sum() > 0
