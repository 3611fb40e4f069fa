"""Every figure of DOMAIN.md, checked in a database loaded from the sample (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import distinct, func, select

from civdata.core import models as m
from civdata.domain.evaluation import readiness_estimate
from civdata.io.sample import shifted
from tests.conftest import SAMPLE_AS_OF


def _count(session, stmt) -> int:
    return int(session.scalar(stmt) or 0)


def _projects(session, programme: str, batch: int | None = None):
    q = select(m.Project).where(m.Project.programme == programme)
    if batch is not None:
        q = q.where(m.Project.batch == batch)
    return session.scalars(q).all()


def test_sites_and_categories(sample_reader) -> None:
    s = sample_reader
    assert _count(s, select(func.count(m.Site.id))) == 381
    assert _count(s, select(func.count(m.SiteCategory.id))) == 25
    assert _count(s, select(func.count(distinct(m.Site.category_id)))) == 25
    radii = set(s.scalars(select(m.SiteCategory.radius_m)))
    assert radii == {300.0}
    focus = set(s.scalars(select(m.SiteCategory.code).where(
        m.SiteCategory.surroundings_focus.is_(True))))
    assert {"farmers_market", "hospital", "railway_station", "residential_community"} <= focus


def test_subdistricts_and_problem_classes(sample_reader) -> None:
    s = sample_reader
    names = set(s.scalars(select(m.Subdistrict.name_zh)))
    assert names == {"太原街", "南市场", "北市场", "西塔", "八经", "马路湾", "集贤", "新华", "南湖",
                     "长白", "浑河湾", "沈水湾"}
    classes = list(s.scalars(select(m.ProblemClass.name_zh).order_by(m.ProblemClass.id)))
    assert classes == ["基础设施", "环境卫生", "服务管理", "公共秩序", "公益宣传", "文明素质"]


def test_old_compound_batches(sample_reader) -> None:
    s = sample_reader
    expected = {1: (50, 5, 16, 1_050_000, 183, 15_666), 2: (55, 6, 22, 850_000, 175, 13_235)}
    for batch, (n, subs, comms, area, buildings, households) in expected.items():
        rows = _projects(s, "old_compound", batch)
        assert len(rows) == n
        assert len({r.subdistrict_id for r in rows}) == subs
        assert len({r.community_id for r in rows}) == comms
        assert sum(r.floor_area_m2 for r in rows) == area
        assert sum(r.buildings for r in rows) == buildings
        assert sum(r.households for r in rows) == households
    all_rows = _projects(s, "old_compound")
    assert len(all_rows) == 105
    assert sum(r.floor_area_m2 for r in all_rows) == 1_900_000
    assert sum(r.buildings for r in all_rows) == 358
    assert sum(r.households for r in all_rows) == 28_901
    assert round(sum(r.investment_planned_yuan for r in all_rows)) == 530_000_000


def test_renovation_state_on_the_article_day(sample_reader) -> None:
    s = sample_reader
    b1 = _projects(s, "old_compound", 1)
    assert sum(r.stage == "completed" for r in b1) == 35
    assert all(r.stage == "under_construction" for r in b1 if r.stage != "completed")
    b2 = _projects(s, "old_compound", 2)
    assert {r.planned_end for r in b2} == {shifted(date(2022, 9, 30), SAMPLE_AS_OF)}
    sections = {r.bid_section for r in b2 if r.stage == "under_construction"}
    assert sections == {"1标段", "2标段"}
    assert {r.stage for r in b2} == {"under_construction", "bidding"}
    assert all(r.drawings_done_on is not None and r.drawings_done_on < SAMPLE_AS_OF for r in b2)
    assert all(r.drawings_done_on <= r.actual_start for r in b2 if r.actual_start)


def test_streets_and_key_roads(sample_reader) -> None:
    s = sample_reader
    bs1, bs2 = _projects(s, "back_street", 1), _projects(s, "back_street", 2)
    assert len(bs1) == 32 and len(bs2) == 11
    assert len(bs1) + len(bs2) == 43
    assert round(sum(r.investment_planned_yuan for r in bs1)) == 50_000_000
    assert round(sum(r.investment_planned_yuan for r in bs2)) == 8_000_000
    assert all(r.stage == "completed" for r in bs1)
    assert all(r.stage == "under_construction" for r in bs2)
    assert {r.area for r in bs1 + bs2} == {"beijing_street", "station_north", "xinhua", "taiyuan"}
    names = {r.name_zh for r in bs1} | {r.name_zh for r in bs2}
    assert {"南七马路", "西安街", "长沙街", "北九马路15巷"} <= names
    boutique = _projects(s, "boutique_street")
    assert len(boutique) == 10
    assert sum(r.investment_planned_yuan for r in boutique) <= 28_000_000
    key = _projects(s, "key_road")
    assert len(key) == 10
    assert round(sum(r.investment_planned_yuan for r in key)) == 40_000_000
    assert all(r.stage == "completed" for r in key)
    assert {"香港路", "新华路"} <= {r.name_zh for r in key}
    quantities = {q.item: q.planned for q in s.scalars(select(m.ProgrammeQuantity))}
    assert quantities == {"road_km": 6.0, "motor_lane_m2": 34000, "sidewalk_m2": 21000,
                          "green_space_m2": 8578, "pocket_parks": 12, "landscape_features": 81,
                          "facade_m2": 40000, "shop_sign_m": 1684}
    assert round(sum(r.length_m for r in key)) == 6000


def test_markets_volunteers_and_people(sample_reader) -> None:
    s = sample_reader
    hardware = dict(s.execute(select(m.MarketHardware.item, func.sum(m.MarketHardware.done))
                              .group_by(m.MarketHardware.item)).all())
    assert hardware == {"publicity_board": 266, "fire_facility": 46, "trash_bin_set": 28}
    kinds = dict(s.execute(select(m.StaffResource.kind, func.count(m.StaffResource.id))
                           .group_by(m.StaffResource.kind)).all())
    assert kinds["market_inspector"] == 43
    assert kinds["inspection_vehicle"] == 12
    assert kinds["grid_staff"] > 900
    assert _count(s, select(func.count(m.VolunteerTeam.id))) == 58
    assert _count(s, select(func.count(m.PartnerOrg.id))) == 51
    levels = dict(s.execute(select(m.PracticeStation.level, func.count(m.PracticeStation.id))
                            .group_by(m.PracticeStation.level)).all())
    assert levels["district"] == 1 and levels["subdistrict"] == 12 and levels["community"] > 0
    wenan = s.scalar(select(m.PracticeStation).where(
        m.PracticeStation.name_zh == "文安路社区新时代文明实践站"))
    nanhu = s.scalar(select(m.Subdistrict.id).where(m.Subdistrict.code == "nanhu"))
    assert wenan is not None and wenan.subdistrict_id == nanhu
    assert _count(s, select(func.count(m.Meeting.id)).where(m.Meeting.kind == "headquarters")) == 60
    figures = {f.key: f.value for f in s.scalars(select(m.CampaignFigure))}
    assert figures["co_governance_compounds"] == 770


def test_history_is_long_enough_for_trends(sample_reader) -> None:
    s = sample_reader
    first, last = s.execute(select(func.min(m.MarketInspection.inspected_on),
                                   func.max(m.MarketInspection.inspected_on))).one()
    assert (last - first).days >= 364
    assert last == SAMPLE_AS_OF
    assert _count(s, select(func.count(distinct(m.Problem.class_id)))) == 6
    events_per_problem = _count(s, select(func.count(m.ProblemEvent.id))) / _count(
        s, select(func.count(m.Problem.id)))
    assert events_per_problem > 3
    open_problems = _count(s, select(func.count(m.Problem.id)).where(m.Problem.status != "closed"))
    assert open_problems > 0
    assert _count(s, select(func.count(m.ProjectProgress.id))) > 500
    assert _count(s, select(func.count(m.VolunteerActivity.id))) > 1000


def test_the_evaluation_sample(sample_reader) -> None:
    """Issue 19: an invented excerpt of the evaluation system worth 100 + 20 points over all
    three methods, a checklist for every one of the 25 categories, inspections, a survey."""
    s = sample_reader
    points = dict(s.execute(select(m.EvalPart.kind, func.sum(m.EvalContent.points))
                            .join(m.EvalItem, m.EvalItem.part_id == m.EvalPart.id)
                            .join(m.EvalContent, m.EvalContent.item_id == m.EvalItem.id)
                            .group_by(m.EvalPart.kind)).all())
    assert points == {"basic": 100.0, "distinctive": 20.0}
    methods = set(s.scalars(select(m.EvalContent.method).distinct()))
    assert methods == {"onsite", "survey", "materials"}
    assert _count(s, select(func.count(distinct(m.SiteChecklistItem.category_id)))) == 25
    totals = set(s.scalars(select(func.sum(m.SiteChecklistItem.points))
                           .group_by(m.SiteChecklistItem.category_id)))
    assert totals == {100.0}
    assert _count(s, select(func.count(m.SiteInspection.id))) > 500
    assert _count(s, select(func.count(m.SurveyResponse.id))) > 1000
    assert _count(s, select(func.count(m.Subdistrict.id)).where(
        m.Subdistrict.population.is_(None))) == 0
    last = s.scalar(select(func.max(m.SiteInspection.inspected_at)))
    assert last.date() <= SAMPLE_AS_OF
    r = readiness_estimate(s, datetime.combine(SAMPLE_AS_OF, time(12, 0)), draws=50)
    assert r.max_points == 120.0 and 60 < r.total < 120 and r.low <= r.total <= r.high
    assert r.fallback_categories == ["museum", "scenic_spot"]
