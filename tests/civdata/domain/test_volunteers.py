"""Volunteer coverage: window edges, the 300 m edge, gap ordering, agreement, the activity write."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from pyproj import Geod
from sqlalchemy import func, select

from civdata.core import models as m
from civdata.core.auth import Actor
from civdata.core.errors import CivDataError, PermissionDenied
from civdata.core.live import last_change
from civdata.domain import district, geo
from civdata.domain import volunteers as vol
from tests.conftest import SAMPLE_AS_OF
from tests.factories import make_category, make_community, make_problem, make_site, make_subdistrict

DAY = date(2026, 11, 25)
LAT, LON = 41.785, 123.40
FAR_LAT = 41.74  # about 5 km south: never near the test site
_GEOD = Geod(ellps="WGS84")


def north_of(lat: float, lon: float, metres: float) -> tuple[float, float]:
    """Return the point metres due north of (lat, lon)."""
    lon2, lat2, _ = _GEOD.fwd(lon, lat, 0.0, metres)
    return lat2, lon2


def make_team(session, sub: m.Subdistrict, lat: float = FAR_LAT, lon: float = LON,
              code: str = "T1") -> m.VolunteerTeam:
    """Create a volunteer team based at (lat, lon)."""
    team = m.VolunteerTeam(code=code, name_zh=f"队伍{code}", name_en=f"Team {code}",
                           service_type="culture", subdistrict_id=sub.id, members=20,
                           lat=lat, lon=lon)
    session.add(team)
    session.flush()
    return team


def make_activity(session, team: m.VolunteerTeam, community: m.Community | None, held_on: date,
                  lat: float = LAT, lon: float = LON, **kw) -> m.VolunteerActivity:
    """Create an activity."""
    row = m.VolunteerActivity(team_id=team.id, held_on=held_on, title=kw.pop("title", "活动"),
                              place="某地", community_id=community.id if community else None,
                              subdistrict_id=team.subdistrict_id, lat=lat, lon=lon,
                              service_type="culture", participants=kw.pop("participants", 10),
                              volunteer_hours=kw.pop("volunteer_hours", 20.0), **kw)
    session.add(row)
    session.flush()
    return row


def coverage_of(session, day: date = DAY, window: int = 30) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (community coverage, site coverage) as the page computes them."""
    comms = vol.community_coverage(vol.community_activity(session, day, None, window), day)
    sites = vol.site_coverage(vol.sites_with_open_problem_counts(session),
                              vol.activities_between(session, day - timedelta(days=364), day),
                              vol.team_bases(session), day, window)
    return comms, sites


@pytest.mark.parametrize(("age", "covered"), [(0, True), (29, True), (30, False)])
def test_window_edges(session, age: int, covered: bool) -> None:
    sub = make_subdistrict(session)
    comm = make_community(session, sub)
    make_site(session, sub, lat=LAT, lon=LON)
    team = make_team(session, sub)
    make_activity(session, team, comm, DAY - timedelta(days=age))
    comms, sites = coverage_of(session)
    assert bool(comms["covered"].iloc[0]) is covered
    assert bool(sites["covered"].iloc[0]) is covered
    assert vol.coverage_share(comms) == district.community_coverage_at(session, DAY, None, 30)
    assert comms["days_since"].iloc[0] == age
    assert sites["days_since"].iloc[0] == age  # the last activity nearby, in or out of window


def test_window_of_one_day_and_future_activities(session) -> None:
    sub = make_subdistrict(session)
    comm = make_community(session, sub)
    team = make_team(session, sub)
    make_activity(session, team, comm, DAY + timedelta(days=1))
    assert not coverage_of(session, window=1)[0]["covered"].iloc[0]
    make_activity(session, team, comm, DAY)
    assert coverage_of(session, window=1)[0]["covered"].iloc[0]
    with pytest.raises(CivDataError):
        vol.window_bounds(DAY, 0)


@pytest.mark.parametrize(("metres", "covered"), [(299.9, True), (300.1, False)])
def test_activity_at_the_300_m_edge(session, metres: float, covered: bool) -> None:
    sub = make_subdistrict(session)
    make_site(session, sub, lat=LAT, lon=LON)
    lat, lon = north_of(LAT, LON, metres)
    assert geo.distance_m(LON, LAT, lon, lat) == pytest.approx(metres, abs=0.01)
    make_activity(session, make_team(session, sub), None, DAY - timedelta(days=3), lat, lon)
    sites = coverage_of(session)[1]
    assert bool(sites["covered"].iloc[0]) is covered
    assert int(sites["activities"].iloc[0]) == (1 if covered else 0)


@pytest.mark.parametrize(("metres", "covered"), [(299.9, True), (300.1, False)])
def test_team_base_at_the_300_m_edge(session, metres: float, covered: bool) -> None:
    sub = make_subdistrict(session)
    make_site(session, sub, lat=LAT, lon=LON)
    make_team(session, sub, *north_of(LAT, LON, metres))
    sites = coverage_of(session)[1]
    assert bool(sites["covered"].iloc[0]) is covered
    assert int(sites["team_bases"].iloc[0]) == (1 if covered else 0)


def test_a_site_uses_its_own_check_radius(session) -> None:
    sub = make_subdistrict(session)
    make_site(session, sub, make_category(session, radius_m=100.0), lat=LAT, lon=LON)
    make_team(session, sub, *north_of(LAT, LON, 150))
    assert not coverage_of(session)[1]["covered"].iloc[0]


def _open_problems(session, site: m.Site, n: int, status: str = "assigned") -> None:
    """Link n problems of status to site through problem_site."""
    for _ in range(n):
        p = make_problem(session, status=status)
        session.add(m.ProblemSite(problem_id=p.id, site_id=site.id, distance_m=10.0))
    session.flush()


def test_gap_ordering(session) -> None:
    sub = make_subdistrict(session)
    team = make_team(session, sub, lat=41.70)
    spots = {}
    for i, name in enumerate(["A", "B", "C", "D", "E"]):  # 2 km apart, west to east
        spots[name] = make_site(session, sub, code=f"S-{name}", lat=LAT, lon=LON + 0.025 * i)
    _open_problems(session, spots["A"], 2)
    make_activity(session, team, None, DAY - timedelta(days=40), LAT, spots["A"].lon)
    _open_problems(session, spots["B"], 1)  # B: one open problem, never an activity nearby
    _open_problems(session, spots["C"], 3, status="closed")  # closed ones do not count
    make_activity(session, team, None, DAY - timedelta(days=100), LAT, spots["C"].lon)
    _open_problems(session, spots["E"], 5)  # E is covered: not a gap, however many problems
    make_activity(session, team, None, DAY - timedelta(days=2), LAT, spots["E"].lon)
    old = make_community(session, sub, code="C-old", lat=41.80)
    make_activity(session, team, old, DAY - timedelta(days=50), 41.80, 123.30)
    comms, sites = coverage_of(session)
    gaps = vol.ranked_gaps(sites, comms)
    assert gaps["code"].tolist() == ["S-A", "S-B", "S-D", "S-C", "C-old"]
    assert gaps["open_problems"].tolist() == [2, 1, 0, 0, 0]
    assert gaps["rank"].tolist() == [1, 2, 3, 4, 5]
    assert gaps["kind"].tolist() == ["site"] * 4 + ["community"]


def test_no_gaps_gives_an_empty_frame(session) -> None:
    sub = make_subdistrict(session)
    make_site(session, sub, lat=LAT, lon=LON)
    make_team(session, sub, LAT, LON)
    assert vol.ranked_gaps(*reversed(coverage_of(session))).empty


@pytest.mark.parametrize("window", [30, 7, 90])
def test_community_coverage_agrees_with_the_overview_on_the_sample(sample_session,
                                                                   window: int) -> None:
    subs = district.subdistricts(sample_session)
    for day in (SAMPLE_AS_OF, SAMPLE_AS_OF - timedelta(days=45), SAMPLE_AS_OF - timedelta(days=200)):
        for sub_id in (None, *subs["id"].tolist()[:4]):
            frame = vol.community_coverage(
                vol.community_activity(sample_session, day, sub_id, window), day)
            assert vol.coverage_share(frame) == district.community_coverage_at(
                sample_session, day, sub_id, window)


def test_sample_figures_and_rankings(sample_session) -> None:
    first, last = vol.window_bounds(SAMPLE_AS_OF, 30)
    assert len(vol.team_bases(sample_session)) == 58
    assert len(vol.partner_orgs(sample_session)) == 51
    assert vol.practice_stations(sample_session)["level"].value_counts().to_dict() == {
        "community": 65, "subdistrict": 12, "district": 1}
    acts = vol.activities_between(sample_session, first, last)
    teams = vol.team_ranking(sample_session, first, last)
    assert teams["hours"].sum() == pytest.approx(acts["volunteer_hours"].sum())
    assert teams["hours"].is_monotonic_decreasing
    partners = vol.partner_ranking(sample_session, first, last)
    assert partners["activities"].sum() == acts["partner_org_id"].notna().sum()
    daily = vol.daily_activity(sample_session, first, last)
    assert daily["activities"].sum() == len(acts)
    weekly = vol.weekly_trend(daily, last, 5)
    assert weekly["activities"].sum() == len(acts) - daily[daily["held_on"] < last - timedelta(
        days=34)]["activities"].sum()
    year = vol.daily_activity(sample_session, SAMPLE_AS_OF - timedelta(days=7 * 52 - 1),
                              SAMPLE_AS_OF)
    assert vol.weekly_trend(year, SAMPLE_AS_OF, 52)["activities"].sum() == year["activities"].sum()
    totals = vol.activity_totals(acts)
    assert totals["activities"] == len(acts) and totals["participants"] == acts[
        "participants"].sum()


# ---------------------------------------------------------------- the activity write

@pytest.fixture
def world(session):
    """Return (session, own subdistrict, other subdistrict, own community, other, team)."""
    own, other = make_subdistrict(session), make_subdistrict(session)
    c_own, c_other = make_community(session, own), make_community(session, other)
    return session, own, other, c_own, c_other, make_team(session, own)


def _record(session, actor: Actor, community: m.Community, team: m.VolunteerTeam,
            **kw) -> m.VolunteerActivity:
    """Call record_activity with sensible defaults."""
    args = {"held_on": DAY, "title": "义剪", "participants": 12, "volunteer_hours": 30.0} | kw
    return vol.record_activity(session, actor, team_id=team.id, community_id=community.id, **args)


def _count(session) -> int:
    """Return the number of stored activities."""
    return int(session.scalar(select(func.count(m.VolunteerActivity.id))))


def test_office_records_anywhere_with_audit_and_change_mark(world, monkeypatch) -> None:
    monkeypatch.setenv("CIVDATA_TODAY", DAY.isoformat())
    session, own, other, c_own, c_other, team = world
    before = last_change(session)[1]
    row = _record(session, Actor("office", "office"), c_other, team, place=" 广场 ")
    assert row.subdistrict_id == other.id and row.place == "广场"
    assert (row.lat, row.lon, row.service_type) == (c_other.lat, c_other.lon, "culture")
    assert last_change(session)[1] == before + 1
    log = session.scalars(select(m.AuditLog).where(m.AuditLog.table_name == "volunteer_activity"))
    assert [a.action for a in log] == ["activity.record"]


def test_subdistrict_staff_only_in_their_own_subdistrict(world, monkeypatch) -> None:
    monkeypatch.setenv("CIVDATA_TODAY", DAY.isoformat())
    session, own, other, c_own, c_other, team = world
    staff = Actor("nanhu", "subdistrict", subdistrict_id=own.id)
    with pytest.raises(PermissionDenied) as err:
        _record(session, staff, c_other, team)
    assert err.value.code == "wrong_subdistrict"
    assert _count(session) == 0
    with pytest.raises(PermissionDenied):
        _record(session, Actor("leader", "leader"), c_own, team)
    assert _count(session) == 0
    assert _record(session, staff, c_own, team).place == c_own.name_zh
    assert _count(session) == 1


@pytest.mark.parametrize(("kw", "code", "zh_part", "en_part"), [
    ({"held_on": DAY + timedelta(days=1)}, "activity_future", "未来", "future"),
    ({"participants": 0}, "activity_not_positive", "参与人数", "participants"),
    ({"participants": -3}, "activity_not_positive", "参与人数", "participants"),
    ({"participants": 2.5}, "activity_not_whole", "整数", "whole"),
    ({"volunteer_hours": 0}, "activity_not_positive", "志愿时长", "volunteer hours"),
    ({"volunteer_hours": "abc"}, "activity_not_positive", "志愿时长", "volunteer hours"),
    ({"participants": 2, "volunteer_hours": 49}, "activity_hours_implausible", "24", "24"),
    ({"title": "   "}, "required_field", "活动名称", "title"),
])
def test_invalid_activities_are_refused_with_clear_messages(world, monkeypatch, kw, code,
                                                            zh_part, en_part) -> None:
    monkeypatch.setenv("CIVDATA_TODAY", DAY.isoformat())
    session, own, other, c_own, c_other, team = world
    with pytest.raises(CivDataError) as err:
        _record(session, Actor("office", "office"), c_own, team, **kw)
    assert err.value.code == code
    assert zh_part in err.value.message("zh") and en_part in err.value.message("en")
    assert "{" not in err.value.message("zh") + err.value.message("en")
    assert _count(session) == 0


def test_today_is_allowed_and_unknown_records_are_refused(world, monkeypatch) -> None:
    monkeypatch.setenv("CIVDATA_TODAY", DAY.isoformat())
    session, own, other, c_own, c_other, team = world
    office = Actor("office", "office")
    assert _record(session, office, c_own, team, held_on=DAY).held_on == DAY
    with pytest.raises(CivDataError) as err:
        vol.record_activity(session, office, team_id=9999, community_id=c_own.id, held_on=DAY,
                            title="x", participants=1, volunteer_hours=1)
    assert err.value.code == "not_found"
