"""Markets: score arithmetic from checklist items, ranking ties, five-grasp figures, and the
loop finding -> problem -> rectification -> passing re-inspection closes it."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select

from civdata.core import auth
from civdata.core import models as m
from civdata.core.auth import Actor
from civdata.core.errors import CivDataError, PermissionDenied
from civdata.domain import markets as mk
from civdata.domain import workflow
from tests.conftest import SAMPLE_AS_OF
from tests.factories import make_subdistrict

OFFICE = Actor("office", "office")
MARKET = Actor("market", "market")
LEADER = Actor("leader", "leader")
ITEMS = [("environment_hygiene", "环境卫生", 20, 15), ("stall_order", "摊位秩序", 15, 11),
         ("facilities", "设施设备", 10, 7), ("fire_safety", "消防安全", 15, 12),
         ("publicity_boards", "公益宣传", 10, 7), ("waste_sorting", "垃圾分类", 10, 7),
         ("food_safety", "食品安全", 12, 9), ("weights_measures", "计量器具", 8, 6)]
FULL = {code: float(mx) for code, _, mx, _ in ITEMS}


def _items_frame() -> pd.DataFrame:
    """Return the checklist as the data layer returns it."""
    return pd.DataFrame([{"id": i + 1, "code": c, "name_zh": n, "name_en": c, "max_points": mx,
                          "threshold": th, "sort_order": i + 1}
                         for i, (c, n, mx, th) in enumerate(ITEMS)])


def _world(session) -> m.Market:
    """Create a subdistrict, the six problem classes, the checklist and one market."""
    sub = make_subdistrict(session)
    for code, days in (("sanitation", 3), ("service_management", 7)):
        session.add(m.ProblemClass(code=code, name_zh=code, name_en=code, time_limit_days=days))
    for i, (code, name, mx, th) in enumerate(ITEMS):
        session.add(m.ChecklistItem(code=code, name_zh=name, name_en=code, max_points=mx,
                                    threshold=th, sort_order=i + 1))
    market = m.Market(code="MX", name_zh="测试市场", name_en="Test market", subdistrict_id=sub.id,
                      lat=41.785, lon=123.40, director="李四", stalls=50)
    session.add(market)
    session.flush()
    return market


@contextmanager
def _refused(code: str) -> Iterator[None]:
    """Expect a CivDataError with this message code."""
    with pytest.raises(CivDataError) as err:
        yield
    assert err.value.code == code, err.value.code


# --- score arithmetic -------------------------------------------------------------------------

def test_checklist_sums_to_100_and_total_is_sum_of_items() -> None:
    items = _items_frame()
    assert items["max_points"].sum() == 100
    scores = {**FULL, "environment_hygiene": 14.5, "food_safety": 9.0, "weights_measures": 5.5}
    assert mk.score_total(scores) == pytest.approx(100 - 5.5 - 3 - 2.5)
    # below threshold is a finding, at threshold is not
    assert mk.findings_of(scores, items) == ["environment_hygiene", "weights_measures"]
    assert mk.finding_class(["environment_hygiene"]) == "sanitation"
    assert mk.finding_class(["waste_sorting", "fire_safety"]) == "sanitation"
    assert mk.finding_class(["fire_safety", "food_safety"]) == "service_management"


def test_scores_are_validated_against_each_items_range() -> None:
    items = _items_frame()
    with pytest.raises(CivDataError) as err:
        mk.validate_scores({**FULL, "weights_measures": 8.5}, items)
    assert err.value.code == "market_score_range"
    assert "8.5" in err.value.message("en")
    with _refused("market_score_range"):
        mk.validate_scores({**FULL, "facilities": -1}, items)
    with _refused("market_score_range"):
        mk.validate_scores({**FULL, "facilities": math.nan}, items)
    with _refused("market_scores_missing"):
        mk.validate_scores({k: v for k, v in FULL.items() if k != "fire_safety"}, items)
    with _refused("market_unknown_item"):
        mk.validate_scores({**FULL, "parking": 3}, items)
    assert mk.validate_scores({**FULL, "facilities": 0}, items)["facilities"] == 0.0


def test_sample_totals_equal_the_sum_of_item_scores(sample_session) -> None:
    latest = mk.latest_market_scores(sample_session, SAMPLE_AS_OF, None)
    assert len(latest) == 20
    items = mk.checklist_items(sample_session)
    assert len(items) == 8 and items["max_points"].sum() == 100
    for market_id in latest["id"][:5]:
        hist = mk.inspection_history(sample_session, int(market_id), limit=1)
        scores = mk.inspection_item_scores(sample_session, int(hist["id"].iloc[0]))
        assert float(hist["total_score"].iloc[0]) == pytest.approx(scores["score"].sum())
        row = latest[latest["id"] == market_id].iloc[0]
        assert row["score"] == pytest.approx(scores["score"].sum())
        assert int(row["findings"]) == int((scores["score"] < scores["threshold"]).sum())


# --- ranking ties -----------------------------------------------------------------------------

def test_ranking_shares_ranks_on_ties_and_skips_the_next() -> None:
    weekly = pd.DataFrame({
        "id": [1, 2, 3, 4, 5], "code": ["M05", "M02", "M03", "M04", "M01"],
        "name_zh": list("ABCDE"), "name_en": list("ABCDE"),
        "this_week": [90.04, 90.0, 88.0, math.nan, 90.0],
        "last_week": [85.0, 91.0, 88.0, 80.0, 91.0], "inspections": [7, 7, 7, 0, 7]})
    ranked = mk.rank_markets(weekly)
    # 90.04 rounds to 90.0: three markets tie at rank 1, listed by code; the next rank is 4
    assert list(ranked["code"]) == ["M01", "M02", "M05", "M03", "M04"]
    assert [None if pd.isna(r) else int(r) for r in ranked["rank"]] == [1, 1, 1, 4, None]
    # last week: 91, 91 tie at 1; 88 is 3; 85 is 4; 80 is 5
    assert list(ranked["rank_last_week"]) == [1, 1, 4, 3, 5]
    assert list(ranked["rank_change"][:4]) == [0, 0, 3, -1]
    assert pd.isna(ranked["rank_change"].iloc[4])
    assert list(ranked["score_change"][:3]) == [-1.0, -1.0, 5.0]


def test_sample_ranking_has_every_market(sample_session) -> None:
    ranked = mk.rank_markets(mk.weekly_market_scores(sample_session, SAMPLE_AS_OF, None))
    assert len(ranked) == 20 and ranked["rank"].iloc[0] == 1
    assert ranked["this_week"].is_monotonic_decreasing or \
        ranked["this_week"].round(1).is_monotonic_decreasing
    # the sample's last day is half done (10 of 20 markets inspected so far)
    assert ranked["inspections"].between(6, 7).all() and ranked["inspections"].sum() == 130


# --- five-grasp figures -----------------------------------------------------------------------

def test_five_grasp_figures_of_the_sample(sample_session) -> None:
    assert mk.staff_on_roll(sample_session) == {"market_inspector": 43, "inspection_vehicle": 12}
    hw = mk.hardware_progress(sample_session, None)
    assert list(hw["item"]) == ["publicity_board", "fire_facility", "trash_bin_set"]
    assert list(hw["planned"]) == [266, 46, 28]
    first = SAMPLE_AS_OF - timedelta(days=29)
    deploy = mk.daily_deployment(sample_session, first, SAMPLE_AS_OF, None)
    assert len(deploy) == 30 and (deploy["inspections"][:-1] == 20).all()
    assert deploy["inspections"].iloc[-1] == 10  # today is half done
    assert deploy["inspectors"].max() <= 43 and deploy["vehicles"].max() <= 12
    rates = mk.feedback_and_reinspection(sample_session, first, SAMPLE_AS_OF, None)
    assert rates["inspections"] == 590
    assert 0 < rates["same_day_share"] <= 1 and 0 < rates["pass_rate"] <= 1
    assert rates["reinspections_passed"] <= rates["reinspections"]


def test_reinspection_rate_rule(session) -> None:
    market = _world(session)
    day = date(2026, 11, 1)
    # findings per day: 2 (not fed back), 0 (follows findings: re-inspection, passes),
    # 1 (fed back), 1 (re-inspection, fails), 0 flagged re-inspection (passes)
    for k, (found, fed, flagged) in enumerate([(2, False, False), (0, True, False),
                                               (1, True, False), (1, True, False),
                                               (0, True, True)]):
        session.add(m.MarketInspection(market_id=market.id, inspected_on=day + timedelta(days=k),
                                       inspector="甲", total_score=90 - found, findings=found,
                                       fed_back_same_day=fed, is_reinspection=flagged))
    session.flush()
    rates = mk.feedback_and_reinspection(session, day, day + timedelta(days=10), None)
    assert rates["with_findings"] == 3 and rates["fed_back_same_day"] == 2
    assert rates["reinspections"] == 3 and rates["reinspections_passed"] == 2
    # the window starts after the first inspection: its findings still make day 2 a re-inspection
    later = mk.feedback_and_reinspection(session, day + timedelta(days=1), day + timedelta(days=10),
                                         None)
    assert later["reinspections"] == 3 and later["inspections"] == 4


# --- recording and the closed loop ------------------------------------------------------------

def _count(session, model) -> int:
    """Return the number of rows of a table."""
    return int(session.scalar(select(func.count()).select_from(model)))


def test_finding_raises_a_problem_and_a_passing_reinspection_closes_it(session,
                                                                        monkeypatch) -> None:
    monkeypatch.setenv("CIVDATA_TODAY", "2026-11-25")
    market = _world(session)
    failing = {**FULL, "environment_hygiene": 12.0, "fire_safety": 11.0}
    out = mk.record_inspection(session, MARKET, market.id, date(2026, 11, 24), "曾文杰",
                               failing, notes="地面积水", vehicle="辽A·17415")
    assert out.total_score == 88.0 and out.findings == ["environment_hygiene", "fire_safety"]
    ins = session.get(m.MarketInspection, out.inspection_id)
    assert ins.total_score == 88.0 and ins.findings == 2 and ins.vehicle == "辽A·17415"
    assert _count(session, m.MarketInspectionScore) == 8
    problem = session.get(m.Problem, out.problem_id)
    assert (problem.source, problem.market_id, problem.inspection_id, problem.status) == \
        ("market_inspection", market.id, ins.id, "discovered")
    assert session.get(m.ProblemClass, problem.class_id).code == "sanitation"
    assert "环境卫生" in problem.description and "消防安全" in problem.description

    # a passing daily inspection that is not a re-inspection closes nothing
    out2 = mk.record_inspection(session, MARKET, market.id, date(2026, 11, 24), "刘洋", FULL)
    assert out2.problem_id is None and out2.closed_problem_ids == []
    # where the role may not assign, a passing re-inspection leaves an unassigned problem open
    with monkeypatch.context() as mp:
        mp.setitem(auth.PERMISSIONS, "problem.assign", frozenset({"office"}))
        out3 = mk.record_inspection(session, MARKET, market.id, date(2026, 11, 25), "曾文杰",
                                    FULL, is_reinspection=True)
    assert out3.closed_problem_ids == [] and out3.left_open_problem_ids == [problem.id]
    assert session.get(m.Problem, problem.id, populate_existing=True).status == "discovered"

    # the office assigns; the market unit starts rectifying; the re-inspection closes it
    p = workflow.transition(session, OFFICE, problem.id, "assign", expected_version=1,
                            responsible_unit="测试市场市场方")
    workflow.transition(session, MARKET, problem.id, "start", expected_version=p.version)
    out4 = mk.record_inspection(session, MARKET, market.id, date(2026, 11, 25), "袁海", FULL,
                                is_reinspection=True)
    assert out4.passed and out4.closed_problem_ids == [problem.id]
    closed = session.get(m.Problem, problem.id, populate_existing=True)
    assert closed.status == "closed" and closed.closed_at is not None
    events = session.execute(select(m.ProblemEvent.to_status, m.ProblemEvent.note)
                             .where(m.ProblemEvent.problem_id == problem.id)
                             .order_by(m.ProblemEvent.id)).all()
    assert [e[0] for e in events] == ["discovered", "assigned", "rectifying", "submitted",
                                      "closed"]
    assert f"#{out4.inspection_id}" in events[-1][1] and "re-inspection" in events[-1][1]
    assert mk.market_problems(session, market.id).empty


def test_market_reinspection_closes_an_unassigned_problem(session, monkeypatch) -> None:
    monkeypatch.setenv("CIVDATA_TODAY", "2026-11-25")
    market = _world(session)
    out = mk.record_inspection(session, MARKET, market.id, date(2026, 11, 25), "甲",
                               {**FULL, "waste_sorting": 6.0})
    good = mk.record_inspection(session, MARKET, market.id, date(2026, 11, 25), "乙", FULL,
                                is_reinspection=True)
    assert good.closed_problem_ids == [out.problem_id] and good.left_open_problem_ids == []
    statuses = session.scalars(select(m.ProblemEvent.to_status)
                               .where(m.ProblemEvent.problem_id == out.problem_id)
                               .order_by(m.ProblemEvent.id)).all()
    assert statuses == ["discovered", "assigned", "rectifying", "submitted", "closed"]


def test_office_reinspection_walks_a_new_problem_to_closed(session, monkeypatch,
                                                          tmp_path) -> None:
    from civdata.io.photos import store_photo
    from tests.civdata.domain.test_workflow import png

    monkeypatch.setenv("CIVDATA_TODAY", "2026-11-25")
    monkeypatch.setenv("CIVDATA_PHOTO_DIR", str(tmp_path / "photos"))
    shot = store_photo(png((90, 90, 200)))  # the data layer takes only stored photos
    market = _world(session)
    out = mk.record_inspection(session, OFFICE, market.id, date(2026, 11, 25), "甲",
                               {**FULL, "food_safety": 5.0}, photo=shot)
    problem = session.get(m.Problem, out.problem_id)
    assert problem.photo_before == shot
    assert session.get(m.MarketInspection, out.inspection_id).photo == shot
    assert session.get(m.ProblemClass, problem.class_id).code == "service_management"
    # a failing re-inspection of the same kind raises no duplicate and closes nothing
    bad = mk.record_inspection(session, OFFICE, market.id, date(2026, 11, 25), "甲",
                               {**FULL, "food_safety": 6.0}, is_reinspection=True)
    assert bad.closed_problem_ids == [] and bad.problem_id == problem.id
    assert not bad.problem_is_new and bad.rejected_problem_ids == []
    good = mk.record_inspection(session, OFFICE, market.id, date(2026, 11, 25), "甲", FULL,
                                is_reinspection=True)
    assert good.closed_problem_ids == [problem.id]
    assert session.get(m.Problem, problem.id, populate_existing=True).responsible_unit == \
        "测试市场市场方"
    actions = session.scalars(select(m.AuditLog.action).order_by(m.AuditLog.id)).all()
    assert actions.count("market.inspect") == 3 and "problem.accept" in actions


def test_repeat_findings_reject_a_submitted_problem_other_kinds_open_a_new_one(
        session, monkeypatch, tmp_path) -> None:
    from civdata.domain import workflow
    from civdata.io.photos import store_photo
    from tests.civdata.domain.test_workflow import png

    monkeypatch.setenv("CIVDATA_TODAY", "2026-11-25")
    monkeypatch.setenv("CIVDATA_PHOTO_DIR", str(tmp_path / "photos"))
    after = store_photo(png((20, 160, 20)))  # the data layer takes only stored photos
    market = _world(session)
    first = mk.record_inspection(session, OFFICE, market.id, date(2026, 11, 24), "甲",
                                 {**FULL, "food_safety": 5.0})
    problem = session.get(m.Problem, first.problem_id)
    for action, extra in (("assign", {"responsible_unit": "市场方"}), ("start", {}),
                          ("submit", {"note": "已整改", "photo_after": after})):
        problem = workflow.transition(session, OFFICE, problem.id, action,
                                      expected_version=problem.version, **extra)
    assert problem.status == "submitted"
    count = session.scalar(select(func.count(m.Problem.id)))
    again = mk.record_inspection(session, OFFICE, market.id, date(2026, 11, 25), "乙",
                                 {**FULL, "food_safety": 6.0}, is_reinspection=True)
    assert (again.problem_id, again.problem_is_new) == (problem.id, False)
    assert again.rejected_problem_ids == [problem.id]
    assert session.scalar(select(func.count(m.Problem.id))) == count
    back = session.get(m.Problem, problem.id, populate_existing=True)
    assert back.status == "rectifying"
    event = session.scalars(select(m.ProblemEvent).where(m.ProblemEvent.problem_id == problem.id)
                            .order_by(m.ProblemEvent.id.desc())).first()
    assert (event.from_status, event.to_status) == ("submitted", "rectifying")
    assert f"#{again.inspection_id}" in event.note
    hygiene = {**FULL, "environment_hygiene": 1.0}  # a sanitation finding: another kind
    other = mk.record_inspection(session, OFFICE, market.id, date(2026, 11, 25), "乙", hygiene)
    assert other.problem_is_new and other.problem_id != problem.id
    assert session.scalar(select(func.count(m.Problem.id))) == count + 1


def test_refused_writes_change_nothing(session, monkeypatch) -> None:
    monkeypatch.setenv("CIVDATA_TODAY", "2026-11-25")
    market = _world(session)
    nanhu = Actor("nanhu", "subdistrict", subdistrict_id=market.subdistrict_id)
    for actor in (LEADER, nanhu):
        with pytest.raises(PermissionDenied):
            mk.record_inspection(session, actor, market.id, date(2026, 11, 25), "甲", FULL)
    with _refused("market_score_range"):
        mk.record_inspection(session, MARKET, market.id, date(2026, 11, 25), "甲",
                             {**FULL, "facilities": 11})
    with _refused("market_date_future"):
        mk.record_inspection(session, MARKET, market.id, date(2026, 11, 26), "甲", FULL)
    with _refused("market_inspector_required"):
        mk.record_inspection(session, MARKET, market.id, date(2026, 11, 25), "  ", FULL)
    with _refused("not_found"):
        mk.record_inspection(session, MARKET, 999, date(2026, 11, 25), "甲", FULL)
    assert _count(session, m.MarketInspection) == 0
    assert _count(session, m.Problem) == 0 and _count(session, m.AuditLog) == 0


def test_recording_on_the_sample_marks_markets_changed(sample_session) -> None:
    before = sample_session.scalar(select(m.DataChange.counter)
                                   .where(m.DataChange.domain == "markets")) or 0
    out = mk.record_inspection(sample_session, MARKET, 3, SAMPLE_AS_OF, "曾文杰", FULL)
    after = sample_session.scalar(select(m.DataChange.counter)
                                  .where(m.DataChange.domain == "markets"))
    assert after == before + 1 and out.total_score == 100.0
    latest = mk.latest_market_scores(sample_session, SAMPLE_AS_OF, None)
    assert latest.loc[latest["id"] == 3, "score"].iloc[0] == 100.0
