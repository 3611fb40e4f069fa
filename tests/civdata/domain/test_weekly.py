"""The weekly meeting's figures: index arithmetic, week bounds, counts, escalations, lists."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from civdata.core import models as m
from civdata.core.auth import Actor
from civdata.core.errors import CivDataError, PermissionDenied
from civdata.domain import weekly, workflow
from civdata.domain.district import subdistrict_ranking
from civdata.domain.metrics import INDEX_CAP, index_scores
from tests.factories import make_problem, make_problem_class, make_subdistrict

OFFICE = Actor("office", "office")
LEADER = Actor("leader", "leader")
NOW = datetime(2026, 11, 25, 10, 0)


def _targets(rows: list[tuple[str, float, float]]) -> pd.DataFrame:
    """Return a targets table (metric, target, weight, higher_is_better)."""
    return pd.DataFrame([(mt, tg, w, True) for mt, tg, w in rows],
                        columns=["metric", "target", "weight", "higher_is_better"])


def test_index_caps_each_ratio_at_1_25() -> None:
    values = pd.DataFrame({"code": ["a", "b"], "x": [2.0, 0.5], "y": [0.9, 0.9]})
    out = index_scores(values, _targets([("x", 1.0, 0.5), ("y", 0.9, 0.5)]))
    a = out[out["code"] == "a"].iloc[0]
    assert a["x_ratio"] == INDEX_CAP  # 2.0 / 1.0 = 2.0, capped
    assert a["index"] == pytest.approx(100 * (0.5 * 1.25 + 0.5 * 1.0))
    b = out[out["code"] == "b"].iloc[0]
    assert b["index"] == pytest.approx(100 * (0.5 * 0.5 + 0.5 * 1.0))
    assert list(out["rank"]) == [1, 2]


def test_index_uses_the_stated_weights() -> None:
    values = pd.DataFrame({"code": ["a"], "x": [0.5], "y": [1.0]})
    out = index_scores(values, _targets([("x", 1.0, 0.3), ("y", 1.0, 0.7)]))
    assert out["index"].iloc[0] == pytest.approx(100 * (0.3 * 0.5 + 0.7 * 1.0))


def test_missing_metric_renormalises_the_weights() -> None:
    values = pd.DataFrame({"code": ["a"], "x": [0.8], "y": [np.nan], "z": [1.0]})
    out = index_scores(values, _targets([("x", 1.0, 0.5), ("y", 1.0, 0.3), ("z", 1.0, 0.2)]))
    # y is missing: only x (0.5) and z (0.2) count, renormalised over 0.7
    assert out["index"].iloc[0] == pytest.approx(100 * (0.5 * 0.8 + 0.2 * 1.0) / 0.7)


def test_week_arithmetic() -> None:
    assert weekly.week_bounds("2026-W48") == (date(2026, 11, 23), date(2026, 11, 29))
    assert weekly.previous_week("2026-W01") == "2025-W52"
    assert weekly.parse_week(" 2026-w48 ") == "2026-W48"
    with pytest.raises(CivDataError) as err:
        weekly.parse_week("2026-W99")
    assert err.value.code == "bad_week"
    assert weekly.week_end("2026-W48", NOW) == NOW
    assert weekly.week_end("2026-W47", NOW) == datetime(2026, 11, 22, 23, 59, 59)
    assert weekly.recent_weeks(date(2026, 11, 25), 3) == ["2026-W48", "2026-W47", "2026-W46"]


def test_problem_week_counts(session) -> None:
    sub = make_subdistrict(session)
    cls = make_problem_class(session, time_limit_days=3)
    start, end = datetime(2026, 11, 16), datetime(2026, 11, 23)
    make_problem(session, sub, cls, discovered_at=datetime(2026, 11, 17, 9))  # new, open, overdue
    make_problem(session, sub, cls, discovered_at=datetime(2026, 11, 10, 9), status="closed",
                 closed_at=datetime(2026, 11, 18, 9), closed_on_time=False)  # closed late
    make_problem(session, sub, cls, discovered_at=datetime(2026, 11, 20, 9), status="closed",
                 closed_at=datetime(2026, 11, 21, 9), closed_on_time=True)  # new, closed on time
    make_problem(session, sub, cls, discovered_at=datetime(2026, 11, 23, 9))  # next week
    counts = weekly.problem_week_counts(session, start, end)
    assert counts == {"new": 2, "closed": 2, "closed_on_time": 1, "open": 1, "overdue": 1}


def test_escalations_count_rungs_reached_in_the_week(session) -> None:
    sub = make_subdistrict(session)
    cls = make_problem_class(session, time_limit_days=3)
    for days, code in ((1, "r1"), (3, "r3"), (7, "r7")):
        session.add(m.EscalationRung(days_overdue=days, code=code, name_zh=code, name_en=code))
    session.flush()
    start, end = datetime(2026, 11, 16), datetime(2026, 11, 23)
    # deadline 11-14 09:00: +1 d = 11-15 (before), +3 d = 11-17 (in), +7 d = 11-21 (in)
    make_problem(session, sub, cls, discovered_at=datetime(2026, 11, 11, 9),
                 deadline=datetime(2026, 11, 14, 9))
    # deadline 11-18: +1 d = 11-19 in; closed 11-20 before the +3 rung (11-21)
    make_problem(session, sub, cls, discovered_at=datetime(2026, 11, 15, 9),
                 deadline=datetime(2026, 11, 18, 9), status="closed",
                 closed_at=datetime(2026, 11, 20, 9))
    rungs = weekly.escalation_rungs(session)
    due = weekly.problems_due_near(session, start, end, 7)
    assert weekly.escalations_between(due, rungs, start, end) == {"r1": 1, "r3": 1, "r7": 1}
    assert workflow.rung_for(4, rungs) == "r3"  # one ladder reader and rung rule (issue 17)
    assert workflow.rung_for(0, rungs) is None
    rows = weekly._accountability_rows(session, due, rungs, start, end - timedelta(seconds=1))
    assert [(r["problems"], r["max_days_overdue"]) for r in rows] == [(1, 8)]


def test_lists_name_the_metrics_behind_them() -> None:
    targets = _targets([("x", 1.0, 0.5), ("y", 1.0, 0.3), ("z", 1.0, 0.2)])
    values = pd.DataFrame({"code": list("abcdef"), "name_zh": list("abcdef"),
                           "name_en": list("abcdef"),
                           "x": [1.2, 1.0, 0.9, 0.8, 0.7, 0.1],
                           "y": [1.0, 1.0, 0.9, 0.8, 0.7, 0.9],
                           "z": [1.0, 1.0, 0.9, 0.8, 0.7, 0.2]})
    ranking = index_scores(values, targets)
    red, black = weekly.index_red_black_entries(ranking, targets, size=2)
    assert [e["code"] for e in red] == ["a", "b"]
    assert [e["code"] for e in black] == ["f", "e"]
    assert [r["metric"] for r in black[0]["reasons"]] == ["x", "z"]
    assert red[0]["reasons"][0] == {"metric": "x", "actual": 1.2, "target": 1.0,
                                    "ratio": 1.2, "weight": 0.5}


def test_snapshot_on_the_sample(sample_session) -> None:
    snap = weekly.weekly_snapshot(sample_session, "2026-W48", NOW)
    json.dumps(snap, allow_nan=False)  # plain JSON, no NaN
    assert snap["week"] == "2026-W48" and snap["previous_week"] == "2026-W47"
    assert snap["complete"] is False and snap["as_of"] == NOW.isoformat()
    assert len(snap["index"]) == 12
    ranking = subdistrict_ranking(sample_session, NOW.date())
    assert [r["code"] for r in snap["index"]] == list(ranking["code"])
    assert [r["index"] for r in snap["index"]] == pytest.approx(list(ranking["index"]))
    before = subdistrict_ranking(sample_session, (NOW - timedelta(days=7)).date())  # same span
    first = snap["index"][0]
    assert first["index_before"] == pytest.approx(
        float(before.loc[before["code"] == first["code"], "index"].iloc[0]))
    assert [e["rank"] for e in snap["red_list"]] == [1, 2, 3]
    assert [e["rank"] for e in snap["black_list"]] == [12, 11, 10]
    head = {h["key"]: h for h in snap["headline"]}
    counts = weekly.problem_week_counts(sample_session, datetime(2026, 11, 23), NOW
                                        + timedelta(seconds=1))
    assert head["new"]["now"] == counts["new"]
    market = dict(zip(before["code"], before["market_score"], strict=True))
    assert [np.nan if r["market_score_before"] is None else r["market_score_before"]
            for r in snap["services"]] == pytest.approx(
        [market[r["code"]] for r in snap["services"]], nan_ok=True)
    assert {r["programme"] for r in snap["renovation"]} == {
        "old_compound", "back_street", "boutique_street", "key_road"}


def test_set_metric_target_is_office_only(session) -> None:
    session.add(m.MetricTarget(metric="on_time_rate", target=0.9, weight=0.3))
    session.flush()
    with pytest.raises(PermissionDenied):
        weekly.set_metric_target(session, LEADER, "on_time_rate", 0.8, 0.5)
    row = session.scalar(select(m.MetricTarget))
    assert (row.target, row.weight) == (0.9, 0.3)
    weekly.set_metric_target(session, OFFICE, "on_time_rate", 0.8, 0.5)
    assert (row.target, row.weight) == (0.8, 0.5)
    assert session.scalar(select(m.AuditLog.action)) == "set_metric_target"
    with pytest.raises(CivDataError):
        weekly.set_metric_target(session, OFFICE, "on_time_rate", 0, 0.5)


def test_an_unfinished_week_is_compared_with_the_same_span_of_last_week(sample_session) -> None:
    from datetime import datetime

    from civdata.domain.weekly import weekly_snapshot

    now = datetime(2026, 11, 25, 10, 0)  # Wednesday of 2026-W48
    snap = weekly_snapshot(sample_session, "2026-W48", now=now)
    assert snap["as_of"] == "2026-11-25T10:00:00"
    assert snap["previous_as_of"] == "2026-11-18T10:00:00"
    assert snap["complete"] is False
    done = weekly_snapshot(sample_session, "2026-W47", now=now)
    assert done["complete"] is True
    assert done["previous_as_of"] == "2026-11-15T23:59:59"


def test_the_day_parts_held_by_the_page_give_the_same_snapshot(sample_session) -> None:
    parts = weekly.week_day_parts(sample_session, "2026-W48", NOW.date())
    later = NOW + timedelta(hours=3, minutes=17)  # the same day: the page reuses the parts
    assert weekly.weekly_snapshot(sample_session, "2026-W48", later, parts) == \
        weekly.weekly_snapshot(sample_session, "2026-W48", later)
    assert parts["now"]["ranking"]["index"].notna().all()
    assert parts["before"]["market"] is not None


def test_accountability_counts_every_top_rung_problem_and_lists_the_first_codes(session) -> None:
    sub, other = make_subdistrict(session), make_subdistrict(session)
    cls = make_problem_class(session, time_limit_days=3)
    for days, code in ((1, "r1"), (7, "r7")):
        session.add(m.EscalationRung(days_overdue=days, code=code, name_zh=code, name_en=code))
    session.flush()
    start, end = datetime(2026, 11, 16), datetime(2026, 11, 22, 23, 59, 59)
    # 12 problems of one unit 7+ days past their deadline (11-15 09:00 is 7 d 15 h before end)
    for i in range(12):
        make_problem(session, sub, cls, code=f"A{i:02d}", responsible_unit="城管",
                     discovered_at=datetime(2026, 11, 1, 9), deadline=datetime(2026, 11, 15, 9))
    # one further overdue (oldest: 20 days), one of a unit left empty, one only 6 days over
    make_problem(session, sub, cls, code="A99", responsible_unit="城管",
                 discovered_at=datetime(2026, 10, 20, 9), deadline=datetime(2026, 11, 2, 9))
    make_problem(session, other, cls, code="B01", discovered_at=datetime(2026, 11, 1, 9),
                 deadline=datetime(2026, 11, 10, 9))
    make_problem(session, other, cls, code="B02", responsible_unit="住建",
                 discovered_at=datetime(2026, 11, 1, 9), deadline=datetime(2026, 11, 16, 12))
    # reached the top rung on 11-20 and was closed on 11-21: answerable this week, not open
    make_problem(session, other, cls, code="B03", responsible_unit="住建", status="closed",
                 discovered_at=datetime(2026, 11, 1, 9), deadline=datetime(2026, 11, 13, 9),
                 closed_at=datetime(2026, 11, 21, 9))
    rungs = weekly.escalation_rungs(session)
    due = weekly.problems_due_near(session, start, end + timedelta(seconds=1), 7)
    rows = {(r["subdistrict"], r["responsible_unit"]): r
            for r in weekly._accountability_rows(session, due, rungs, start, end)}
    assert set(rows) == {(sub.code, "城管"), (other.code, "—"), (other.code, "住建")}
    unit = rows[(sub.code, "城管")]
    assert unit["problems"] == 13 and unit["max_days_overdue"] == 20  # 11-02 09:00 to end
    assert unit["codes"] == ", ".join(f"A{i:02d}" for i in range(10)) + ", … +3"
    assert rows[(other.code, "—")] == dict(rows[(other.code, "—")], problems=1, codes="B01",
                                           max_days_overdue=12)
    assert rows[(other.code, "住建")]["codes"] == "B03"  # B02: 6 days, below the top rung
    assert rows[(other.code, "住建")]["max_days_overdue"] == 8  # closed 8 days after deadline
    # the overdue list reads only its first rows, longest overdue first
    top = weekly.overdue_problems_at(session, end, limit=2)
    assert list(top["code"]) == ["A99", "B01"]


def test_the_days_top_rung_answers_each_moment_as_a_count_at_that_moment(session) -> None:
    sub = make_subdistrict(session)
    cls = make_problem_class(session, time_limit_days=3)
    for days, code in ((1, "r1"), (7, "r7")):
        session.add(m.EscalationRung(days_overdue=days, code=code, name_zh=code, name_en=code))
    session.flush()
    early = datetime(2026, 11, 1, 9)
    # on the top rung all day; joins at 10:30 (its deadline + 7 days); found at 14:00 with an
    # old deadline; leaves at 16:00 (closed); closed the day before; 5 days over only
    make_problem(session, sub, cls, code="A01", responsible_unit="城管", discovered_at=early,
                 deadline=datetime(2026, 11, 10, 9))
    make_problem(session, sub, cls, code="B01", responsible_unit="城管", discovered_at=early,
                 deadline=datetime(2026, 11, 18, 10, 30))
    make_problem(session, sub, cls, code="C01", discovered_at=datetime(2026, 11, 25, 14),
                 deadline=datetime(2026, 11, 10, 9))
    make_problem(session, sub, cls, code="D01", responsible_unit="城管", discovered_at=early,
                 deadline=datetime(2026, 11, 5, 9), status="closed",
                 closed_at=datetime(2026, 11, 25, 16))
    make_problem(session, sub, cls, code="E01", responsible_unit="城管", discovered_at=early,
                 deadline=datetime(2026, 11, 5, 9), status="closed",
                 closed_at=datetime(2026, 11, 24, 16))
    make_problem(session, sub, cls, code="F01", responsible_unit="城管", discovered_at=early,
                 deadline=datetime(2026, 11, 20, 9))
    first, last = datetime(2026, 11, 25), datetime(2026, 11, 25, 23, 59, 59)
    span = weekly.top_rung_span(session, first, last, 7)
    assert len(span.moving) == 3  # B01, C01, D01: only what moves within the day is read as rows

    problems = session.scalars(select(m.Problem)).all()

    def by_hand(t: datetime) -> dict[str, tuple[int, int, list[str]]]:
        """Count the problems on the top rung at t one by one, as the rule says."""
        on = [p for p in problems if p.discovered_at <= t
              and (p.closed_at is None or p.closed_at > t) and (t - p.deadline).days >= 7]
        units = sorted({p.responsible_unit or "—" for p in on})
        return {u: (len(mine), max((t - p.deadline).days for p in mine),
                    sorted(p.code for p in mine))
                for u in units for mine in [[p for p in on if (p.responsible_unit or "—") == u]]}

    def on_rung(t: datetime) -> dict[str, tuple[int, int, list[str]]]:
        rows = weekly.top_rung_units_in(span, t)
        pd.testing.assert_frame_equal(rows, weekly.top_rung_units_at(session, t, 7))
        shown = {r.responsible_unit: (r.problems, r.max_days_overdue, r.codes)
                 for r in rows.itertuples(index=False)}
        assert shown == by_hand(t), t
        return shown

    assert on_rung(datetime(2026, 11, 25, 10)) == {"城管": (2, 20, ["A01", "D01"])}
    assert on_rung(datetime(2026, 11, 25, 11)) == {"城管": (3, 20, ["A01", "B01", "D01"])}
    assert on_rung(datetime(2026, 11, 25, 15)) == {"城管": (3, 20, ["A01", "B01", "D01"]),
                                                   "—": (1, 15, ["C01"])}
    assert on_rung(datetime(2026, 11, 25, 17)) == {"城管": (2, 15, ["A01", "B01"]),
                                                   "—": (1, 15, ["C01"])}
    for minute in range(0, 24 * 60, 37):  # every moment of the day agrees with a count at it
        on_rung(first + timedelta(minutes=minute))
    for moment in (datetime(2026, 11, 25, 10, 30), datetime(2026, 11, 25, 14),
                   datetime(2026, 11, 25, 16), first, last):  # the moments things move
        on_rung(moment)
        if moment > first:
            on_rung(moment - timedelta(microseconds=1))
    with pytest.raises(ValueError):
        weekly.top_rung_units_in(span, last + timedelta(seconds=1))


def _moving_day(session) -> None:
    """Add problems found, closed and due all around Wednesday 2026-11-25 and the Wednesday
    before, some exactly at the moments the tests take, so that every standing flips."""
    rng = np.random.default_rng(7)
    sub = make_subdistrict(session)
    cls = make_problem_class(session, time_limit_days=3)
    for days, code in ((1, "r1"), (7, "r7")):
        session.add(m.EscalationRung(days_overdue=days, code=code, name_zh=code, name_en=code))
    session.flush()
    base = datetime(2026, 11, 10)
    for i in range(160):
        found = base + timedelta(minutes=int(rng.integers(0, 17 * 24 * 60)))
        deadline = (None if i % 23 == 0
                    else found + timedelta(minutes=int(rng.integers(-600, 8 * 24 * 60))))
        closed = (found + timedelta(minutes=int(rng.integers(1, 9 * 24 * 60)))
                  if i % 3 else None)
        make_problem(session, sub, cls, code=f"M{i:03d}", discovered_at=found, deadline=deadline,
                     closed_at=closed, status="closed" if closed else "assigned",
                     closed_on_time=(None if closed is None or i % 7 == 0
                                     else bool(deadline is None or closed <= deadline)),
                     responsible_unit=("城管", "住建", None)[i % 3])
    # long overdue at the day's start, the oldest five closed in the day: the list moves up
    for i in range(12):
        closed = datetime(2026, 11, 25, 1 + 2 * i) if i < 5 else None
        make_problem(session, sub, cls, code=f"L{i:02d}", discovered_at=datetime(2026, 10, 1),
                     deadline=datetime(2026, 10, 20 + i // 3, 9), closed_at=closed,
                     status="closed" if closed else "rectifying", responsible_unit="城管")
    # standings that flip exactly at a moment taken below
    at = datetime(2026, 11, 25, 10, 0)
    make_problem(session, sub, cls, code="X1", discovered_at=at, deadline=at)
    make_problem(session, sub, cls, code="X2", discovered_at=datetime(2026, 11, 20),
                 deadline=at + timedelta(minutes=1), closed_at=at, status="closed",
                 closed_on_time=True)
    make_problem(session, sub, cls, code="X3", discovered_at=datetime(2026, 11, 25),
                 deadline=datetime(2026, 11, 25))
    # due within each day, closed earlier in its week: on the week's due list all day
    for day in (datetime(2026, 11, 25), datetime(2026, 11, 18)):
        make_problem(session, sub, cls, code=f"D{day.day}", discovered_at=day - timedelta(days=8),
                     deadline=day + timedelta(hours=10), closed_at=day - timedelta(hours=15),
                     status="closed", closed_on_time=True, responsible_unit="城管")
    # a closure written before the finding (bad data): the SQL leaves it out of the week
    make_problem(session, sub, cls, code="Z1", discovered_at=datetime(2026, 11, 25, 8),
                 deadline=datetime(2026, 11, 28), closed_at=datetime(2026, 11, 20),
                 status="closed")


MOMENTS = [datetime(2026, 11, 25, 0, 0), datetime(2026, 11, 25, 0, 0, 1),
           datetime(2026, 11, 25, 9, 59), datetime(2026, 11, 25, 10, 0),
           datetime(2026, 11, 25, 10, 1), datetime(2026, 11, 25, 23, 59),
           datetime(2026, 11, 25, 23, 59, 59),
           *[datetime(2026, 11, 25) + timedelta(minutes=37 * k) for k in range(1, 39)]]


@pytest.mark.parametrize("monday", [date(2026, 11, 23), date(2026, 11, 16)])
def test_a_new_minute_counts_from_the_days_start_what_sql_counts_at_it(session, monday) -> None:
    _moving_day(session)
    week = timedelta(days=(date(2026, 11, 23) - monday).days)
    start = datetime.combine(monday, datetime.min.time())
    day = weekly.problem_day(session, start, datetime(2026, 11, 25) - week, 7, top=10)
    assert 0 < len(day.moving) < 160  # only what moves in the day is read as rows
    seen = set()
    for t in (moment - week for moment in MOMENTS):
        end_excl = t + timedelta(seconds=1)
        assert day.holds(t, start, 7)
        counts = weekly.problem_week_counts(session, start, end_excl)
        assert weekly.week_counts_in(day, end_excl) == counts, t
        due = weekly.problems_due_near(session, start, end_excl, 7)
        assert sorted(weekly.due_near_in(day, end_excl)["id"]) == sorted(due["id"]), t
        overdue = weekly.overdue_problems_at(session, t, 10)
        assert weekly.records(weekly.overdue_in(day, t, 10)) == weekly.records(overdue), t
        seen.add((tuple(counts.values()), len(due), tuple(overdue["code"])))
    assert len(seen) > 10  # the figures do move during the day
    with pytest.raises(ValueError):  # read for a list of 10: it cannot answer a longer one
        weekly.overdue_in(day, MOMENTS[3] - week, 11)
    assert not day.holds(datetime(2026, 11, 26) - week, start, 7)  # the next day: read again
    assert not day.holds(datetime(2026, 11, 24, 23, 59) - week, start, 7)


def test_the_snapshot_from_the_days_rows_is_the_snapshot_from_sql(session) -> None:
    _moving_day(session)
    parts = weekly.week_day_parts(session, "2026-W48", date(2026, 11, 25))
    assert {"now", "before"} <= {k for k, v in parts.items() if "problems" in v}
    without = {k: {name: v for name, v in part.items() if name != "problems"}
               for k, part in parts.items()}
    for t in MOMENTS[::4]:
        snap = weekly.weekly_snapshot(session, "2026-W48", t, parts)
        assert snap == weekly.weekly_snapshot(session, "2026-W48", t, without), t
    # a week not begun on the day carries no problems (nor the week before, taken a week
    # earlier); an ended week's are its Sunday's
    early = weekly.week_day_parts(session, "2026-W49", date(2026, 11, 25))
    assert "problems" not in early["now"] and "problems" not in early["before"]
    assert weekly.weekly_snapshot(session, "2026-W49", MOMENTS[3], early)["headline"]
    past = weekly.week_day_parts(session, "2026-W47", date(2026, 11, 25))
    assert past["now"]["problems"].day0 == datetime(2026, 11, 22)
