"""Volunteers and civilization practice: stations, teams, activities, coverage and its gaps.

Coverage over a window of N days ending on a day D counts activities held on D-(N-1) .. D
(both ends inclusive), the same window as civdata.domain.district.community_coverage_at. A community is
covered when it had an activity in the window; an evaluation site is covered when an activity in
the window or a team base lies within its check radius (300 m, measured in metres on the
district's projection). Writes check the permission, audit and mark 'volunteers' changed; the
caller commits.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from civdata.core import models as m
from civdata.core.auth import Actor, audit, require
from civdata.core.clock import today_local
from civdata.core.errors import CivDataError
from civdata.core.live import mark_changed
from civdata.core.query import in_subdistrict as _in_subdistrict
from civdata.core.query import problem_is_open
from civdata.domain import geo
from civdata.domain.district import COVERAGE_WINDOW_DAYS
from civdata.texts import Term

LOOKBACK_DAYS = 365  # how far back 'days since the last activity nearby' looks
SERVICE_TYPES = ("theory", "education", "culture", "science", "fitness", "environment",
                 "elderly_care", "civilized_traffic")
MAX_TEXT = 128


def window_bounds(day: date, window_days: int = COVERAGE_WINDOW_DAYS) -> tuple[date, date]:
    """Return (first, last) day of the window of window_days ending on day, both inclusive."""
    if window_days < 1:
        raise CivDataError("invalid_value", field="window_days", detail=str(window_days))
    return day - timedelta(days=window_days - 1), day


# ---------------------------------------------------------------- reads (one query each)

def practice_stations(session: Session, subdistrict_id: int | None = None) -> pd.DataFrame:
    """Return the practice stations (district centre always included) with level and platforms."""
    q = select(m.PracticeStation.id, m.PracticeStation.code, m.PracticeStation.name_zh,
               m.PracticeStation.name_en, m.PracticeStation.level,
               m.PracticeStation.subdistrict_id, m.PracticeStation.community_id,
               m.PracticeStation.platforms, m.PracticeStation.lat, m.PracticeStation.lon)
    if subdistrict_id is not None:
        q = q.where((m.PracticeStation.subdistrict_id == subdistrict_id)
                    | (m.PracticeStation.level == "district"))
    rows = session.execute(q.order_by(m.PracticeStation.id)).all()
    return pd.DataFrame(rows, columns=["id", "code", "name_zh", "name_en", "level",
                                       "subdistrict_id", "community_id", "platforms", "lat",
                                       "lon"])


def team_bases(session: Session, subdistrict_id: int | None = None) -> pd.DataFrame:
    """Return the volunteer teams with their base location, service type and members."""
    rows = session.execute(
        select(m.VolunteerTeam.id, m.VolunteerTeam.code, m.VolunteerTeam.name_zh,
               m.VolunteerTeam.name_en, m.VolunteerTeam.service_type,
               m.VolunteerTeam.subdistrict_id, m.VolunteerTeam.community_id,
               m.VolunteerTeam.members, m.VolunteerTeam.lat, m.VolunteerTeam.lon)
        .where(_in_subdistrict(m.VolunteerTeam.subdistrict_id, subdistrict_id))
        .order_by(m.VolunteerTeam.code)).all()
    return pd.DataFrame(rows, columns=["id", "code", "name_zh", "name_en", "service_type",
                                       "subdistrict_id", "community_id", "members", "lat", "lon"])


def activities_between(session: Session, first: date, last: date,
                       subdistrict_id: int | None = None,
                       team_id: int | None = None) -> pd.DataFrame:
    """Return the activities held from first to last (inclusive), newest first, with team names."""
    q = (select(m.VolunteerActivity.id, m.VolunteerActivity.held_on, m.VolunteerActivity.title,
                m.VolunteerActivity.place, m.VolunteerActivity.team_id,
                m.VolunteerTeam.name_zh, m.VolunteerTeam.name_en,
                m.VolunteerActivity.partner_org_id, m.VolunteerActivity.community_id,
                m.VolunteerActivity.subdistrict_id, m.VolunteerActivity.service_type,
                m.VolunteerActivity.participants, m.VolunteerActivity.volunteer_hours,
                m.VolunteerActivity.lat, m.VolunteerActivity.lon)
         .join(m.VolunteerTeam, m.VolunteerTeam.id == m.VolunteerActivity.team_id)
         .where(m.VolunteerActivity.held_on >= first, m.VolunteerActivity.held_on <= last,
                _in_subdistrict(m.VolunteerActivity.subdistrict_id, subdistrict_id)))
    if team_id is not None:
        q = q.where(m.VolunteerActivity.team_id == team_id)
    rows = session.execute(q.order_by(m.VolunteerActivity.held_on.desc(),
                                      m.VolunteerActivity.id.desc())).all()
    return pd.DataFrame(rows, columns=["id", "held_on", "title", "place", "team_id",
                                       "team_name_zh", "team_name_en", "partner_org_id",
                                       "community_id", "subdistrict_id", "service_type",
                                       "participants", "volunteer_hours", "lat", "lon"])


def activity_points_between(session: Session, first: date, last: date) -> pd.DataFrame:
    """Return the day and place (held_on, lat, lon) of every activity from first to last: all
    that site coverage needs (a year of full activity rows took 1-2 s at 1M problems' scale)."""
    rows = session.execute(
        select(m.VolunteerActivity.held_on, m.VolunteerActivity.lat, m.VolunteerActivity.lon)
        .where(m.VolunteerActivity.held_on >= first, m.VolunteerActivity.held_on <= last)
        .order_by(m.VolunteerActivity.held_on.desc(), m.VolunteerActivity.id.desc())).all()
    return pd.DataFrame(rows, columns=["held_on", "lat", "lon"])


def sites_with_open_problem_counts(session: Session,
                                   subdistrict_id: int | None = None) -> pd.DataFrame:
    """Return the evaluation sites with check radius and their number of open problems nearby."""
    open_counts = (select(m.ProblemSite.site_id, func.count(m.ProblemSite.problem_id).label("n"))
                   .join(m.Problem, m.Problem.id == m.ProblemSite.problem_id)
                   .where(problem_is_open())
                   .group_by(m.ProblemSite.site_id)).subquery()
    rows = session.execute(
        select(m.Site.id, m.Site.code, m.Site.name_zh, m.Site.name_en,
               m.SiteCategory.name_zh, m.SiteCategory.name_en, m.SiteCategory.radius_m,
               m.Site.subdistrict_id, m.Site.lat, m.Site.lon,
               func.coalesce(open_counts.c.n, 0))
        .join(m.SiteCategory, m.SiteCategory.id == m.Site.category_id)
        .outerjoin(open_counts, open_counts.c.site_id == m.Site.id)
        .where(_in_subdistrict(m.Site.subdistrict_id, subdistrict_id))
        .order_by(m.Site.id)).all()
    return pd.DataFrame(rows, columns=["id", "code", "name_zh", "name_en", "category_zh",
                                       "category_en", "radius_m", "subdistrict_id", "lat", "lon",
                                       "open_problems"])


def community_activity(session: Session, day: date, subdistrict_id: int | None = None,
                       window_days: int = COVERAGE_WINDOW_DAYS) -> pd.DataFrame:
    """Return every community with its activities in the window ending on day and last activity."""
    first, last = window_bounds(day, window_days)
    mine = m.VolunteerActivity.community_id == m.Community.id
    # Two probes per community on (community_id, held_on), not a join of every activity.
    in_window = (select(func.count(m.VolunteerActivity.id))
                 .where(mine, m.VolunteerActivity.held_on >= first,
                        m.VolunteerActivity.held_on <= last)
                 .correlate(m.Community).scalar_subquery())
    latest = (select(func.max(m.VolunteerActivity.held_on))
              .where(mine, m.VolunteerActivity.held_on <= last)
              .correlate(m.Community).scalar_subquery())
    rows = session.execute(
        select(m.Community.id, m.Community.code, m.Community.name_zh, m.Community.name_en,
               m.Community.subdistrict_id, m.Subdistrict.name_zh, m.Subdistrict.name_en,
               m.Community.lat, m.Community.lon, func.coalesce(in_window, 0), latest)
        .join(m.Subdistrict, m.Subdistrict.id == m.Community.subdistrict_id)
        .where(_in_subdistrict(m.Community.subdistrict_id, subdistrict_id))
        .order_by(m.Community.id)).all()
    out = pd.DataFrame(rows, columns=["id", "code", "name_zh", "name_en", "subdistrict_id",
                                      "subdistrict_zh", "subdistrict_en", "lat", "lon",
                                      "activities", "last_activity"])
    out["activities"] = out["activities"].astype(int)
    return out


def daily_activity(session: Session, first: date, last: date, subdistrict_id: int | None = None,
                   team_id: int | None = None) -> pd.DataFrame:
    """Return activities, participants and volunteer hours per day from first to last."""
    q = (select(m.VolunteerActivity.held_on, func.count(m.VolunteerActivity.id),
                func.sum(m.VolunteerActivity.participants),
                func.sum(m.VolunteerActivity.volunteer_hours))
         .where(m.VolunteerActivity.held_on >= first, m.VolunteerActivity.held_on <= last,
                _in_subdistrict(m.VolunteerActivity.subdistrict_id, subdistrict_id)))
    if team_id is not None:
        q = q.where(m.VolunteerActivity.team_id == team_id)
    rows = session.execute(q.group_by(m.VolunteerActivity.held_on)
                           .order_by(m.VolunteerActivity.held_on)).all()
    out = pd.DataFrame(rows, columns=["held_on", "activities", "participants", "hours"])
    return out.astype({"activities": int, "participants": int, "hours": float})


def team_ranking(session: Session, first: date, last: date,
                 subdistrict_id: int | None = None) -> pd.DataFrame:
    """Return every team (of the subdistrict) with its activities and hours, most hours first."""
    rows = session.execute(
        select(m.VolunteerTeam.id, m.VolunteerTeam.code, m.VolunteerTeam.name_zh,
               m.VolunteerTeam.name_en, m.VolunteerTeam.service_type, m.VolunteerTeam.members,
               m.VolunteerTeam.subdistrict_id, func.count(m.VolunteerActivity.id),
               func.coalesce(func.sum(m.VolunteerActivity.participants), 0),
               func.coalesce(func.sum(m.VolunteerActivity.volunteer_hours), 0.0))
        .outerjoin(m.VolunteerActivity, and_(m.VolunteerActivity.team_id == m.VolunteerTeam.id,
                                             m.VolunteerActivity.held_on >= first,
                                             m.VolunteerActivity.held_on <= last))
        .where(_in_subdistrict(m.VolunteerTeam.subdistrict_id, subdistrict_id))
        .group_by(m.VolunteerTeam.id)).all()
    out = pd.DataFrame(rows, columns=["id", "code", "name_zh", "name_en", "service_type",
                                      "members", "subdistrict_id", "activities", "participants",
                                      "hours"])
    out = out.astype({"activities": int, "participants": int, "hours": float})
    return out.sort_values(["hours", "code"], ascending=[False, True]).reset_index(drop=True)


def partner_ranking(session: Session, first: date, last: date,
                    subdistrict_id: int | None = None) -> pd.DataFrame:
    """Return every partner organisation with its activities (in the subdistrict), most first."""
    rows = session.execute(
        select(m.PartnerOrg.id, m.PartnerOrg.code, m.PartnerOrg.name_zh, m.PartnerOrg.name_en,
               m.PartnerOrg.kind, func.count(m.VolunteerActivity.id),
               func.coalesce(func.sum(m.VolunteerActivity.participants), 0),
               func.coalesce(func.sum(m.VolunteerActivity.volunteer_hours), 0.0))
        .outerjoin(m.VolunteerActivity, and_(
            m.VolunteerActivity.partner_org_id == m.PartnerOrg.id,
            m.VolunteerActivity.held_on >= first, m.VolunteerActivity.held_on <= last,
            _in_subdistrict(m.VolunteerActivity.subdistrict_id, subdistrict_id)))
        .group_by(m.PartnerOrg.id)).all()
    out = pd.DataFrame(rows, columns=["id", "code", "name_zh", "name_en", "kind", "activities",
                                      "participants", "hours"])
    out = out.astype({"activities": int, "participants": int, "hours": float})
    return out.sort_values(["activities", "hours", "code"],
                           ascending=[False, False, True]).reset_index(drop=True)


def communities(session: Session, subdistrict_id: int | None = None) -> pd.DataFrame:
    """Return the communities (of one subdistrict or the district) with id, code and names."""
    rows = session.execute(
        select(m.Community.id, m.Community.code, m.Community.name_zh, m.Community.name_en,
               m.Community.subdistrict_id)
        .where(_in_subdistrict(m.Community.subdistrict_id, subdistrict_id))
        .order_by(m.Community.code)).all()
    return pd.DataFrame(rows, columns=["id", "code", "name_zh", "name_en", "subdistrict_id"])


def partner_orgs(session: Session) -> pd.DataFrame:
    """Return the partner organisations with id, code, names and kind."""
    rows = session.execute(select(m.PartnerOrg.id, m.PartnerOrg.code, m.PartnerOrg.name_zh,
                                  m.PartnerOrg.name_en, m.PartnerOrg.kind)
                           .order_by(m.PartnerOrg.code)).all()
    return pd.DataFrame(rows, columns=["id", "code", "name_zh", "name_en", "kind"])


# ---------------------------------------------------------------- pure functions

def community_coverage(communities: pd.DataFrame, day: date) -> pd.DataFrame:
    """Return communities (from community_activity) with covered and days since last activity."""
    out = communities.copy()
    out["covered"] = out["activities"] > 0
    out["days_since"] = [float((day - d).days) if d is not None and not pd.isna(d) else math.nan
                         for d in out["last_activity"]]
    return out


def site_coverage(sites: pd.DataFrame, activities: pd.DataFrame, teams: pd.DataFrame,
                  day: date, window_days: int = COVERAGE_WINDOW_DAYS) -> pd.DataFrame:
    """Return sites with covered (activity in the window or team base within radius), the count
    of such activities, team bases nearby and days since the last activity nearby (NaN: none)."""
    first, last = window_bounds(day, window_days)
    out = sites.copy()
    n = len(out)
    radius = out["radius_m"].to_numpy(dtype=float) if n else np.zeros(0)
    max_r = float(radius.max()) if n else geo.CHECK_RADIUS_M
    acts = activities[(activities["held_on"] <= last)] if len(activities) else activities
    in_window = np.zeros(n, dtype=int)
    last_seen: list[date | None] = [None] * n
    if n and len(acts):
        pairs = geo.pairs_within(out["lon"].to_numpy(), out["lat"].to_numpy(),
                                 acts["lon"].to_numpy(), acts["lat"].to_numpy(), max_r)
        pairs = pairs[pairs["distance_m"].to_numpy() <= radius[pairs["site"].to_numpy()]]
        held = acts["held_on"].to_numpy()[pairs["point"].to_numpy()]
        for s, h in zip(pairs["site"].to_numpy(), held, strict=True):
            if first <= h <= last:
                in_window[s] += 1
            if last_seen[s] is None or h > last_seen[s]:
                last_seen[s] = h
    team_near = np.zeros(n, dtype=int)
    if n and len(teams):
        tp = geo.pairs_within(out["lon"].to_numpy(), out["lat"].to_numpy(),
                              teams["lon"].to_numpy(), teams["lat"].to_numpy(), max_r)
        tp = tp[tp["distance_m"].to_numpy() <= radius[tp["site"].to_numpy()]]
        np.add.at(team_near, tp["site"].to_numpy(), 1)
    out["activities"] = in_window
    out["team_bases"] = team_near
    out["covered"] = (in_window > 0) | (team_near > 0)
    out["last_activity"] = last_seen
    out["days_since"] = [float((day - d).days) if d is not None else math.nan for d in last_seen]
    return out


def coverage_share(coverage: pd.DataFrame) -> tuple[int, int]:
    """Return (covered, total) rows of a coverage frame."""
    return int(coverage["covered"].sum()) if len(coverage) else 0, len(coverage)


def ranked_gaps(sites: pd.DataFrame, communities: pd.DataFrame) -> pd.DataFrame:
    """Return uncovered sites and communities, most important first: sites with open problems,
    then more open problems, then longer since the last activity nearby (never = longest)."""
    cols = ["kind", "id", "code", "name_zh", "name_en", "subdistrict_id", "lat", "lon",
            "open_problems", "days_since"]
    site_gaps = sites.loc[~sites["covered"]].assign(kind="site") if len(sites) else None
    comm_gaps = (communities.loc[~communities["covered"]].assign(kind="community", open_problems=0)
                 if len(communities) else None)
    parts = [p[cols] for p in (site_gaps, comm_gaps) if p is not None and len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols} | {"rank": []})
    gaps = pd.concat(parts, ignore_index=True)
    gaps["open_problems"] = gaps["open_problems"].astype(int)
    gaps["days_since"] = gaps["days_since"].astype(float)
    gaps["_has_open"] = gaps["open_problems"] > 0
    gaps["_age"] = gaps["days_since"].fillna(math.inf)
    gaps["_kind"] = (gaps["kind"] != "site").astype(int)
    gaps = gaps.sort_values(["_has_open", "open_problems", "_age", "_kind", "code"],
                            ascending=[False, False, False, True, True], kind="mergesort")
    gaps = gaps.drop(columns=["_has_open", "_age", "_kind"]).reset_index(drop=True)
    gaps["rank"] = np.arange(1, len(gaps) + 1)
    return gaps


def coverage_by_subdistrict(communities: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """Return per subdistrict: communities and sites covered, totals and shares."""
    comm = communities.groupby(["subdistrict_id", "subdistrict_zh", "subdistrict_en"]).agg(
        communities=("id", "size"), communities_covered=("covered", "sum")).reset_index()
    site = sites.groupby("subdistrict_id").agg(sites=("id", "size"),
                                               sites_covered=("covered", "sum")).reset_index()
    out = comm.merge(site, on="subdistrict_id", how="left").fillna({"sites": 0,
                                                                    "sites_covered": 0})
    for col in ("communities", "communities_covered", "sites", "sites_covered"):
        out[col] = out[col].astype(int)
    out["community_share"] = out["communities_covered"] / out["communities"].where(
        out["communities"] > 0)
    out["site_share"] = out["sites_covered"] / out["sites"].where(out["sites"] > 0)
    return out.sort_values(["community_share", "site_share"]).reset_index(drop=True)


def activity_totals(activities: pd.DataFrame) -> dict[str, float]:
    """Return the number of activities, participants and volunteer hours of a frame."""
    return {"activities": float(len(activities)),
            "participants": float(activities["participants"].sum()) if len(activities) else 0.0,
            "hours": float(activities["volunteer_hours"].sum()) if len(activities) else 0.0}


def weekly_trend(daily: pd.DataFrame, last: date, weeks: int) -> pd.DataFrame:
    """Return activities, participants and hours per 7-day period ending on last (oldest first)."""
    ends = [last - timedelta(days=7 * k) for k in range(weeks - 1, -1, -1)]
    rows = []
    for end in ends:
        start = end - timedelta(days=6)
        part = daily[(daily["held_on"] >= start) & (daily["held_on"] <= end)] if len(daily) \
            else daily
        rows.append({"week_end": end, "activities": int(part["activities"].sum()) if len(part)
                     else 0, "participants": int(part["participants"].sum()) if len(part) else 0,
                     "hours": float(part["hours"].sum()) if len(part) else 0.0})
    return pd.DataFrame(rows, columns=["week_end", "activities", "participants", "hours"])


# ---------------------------------------------------------------- writes

def _positive(value: float | int | None, field: str, whole: bool = False) -> float:
    """Return value as a number; raise a clear error unless it is a positive (whole) number."""
    name = Term(f"activity.field.{field}")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise CivDataError("activity_not_positive", field=name, value=value) from None
    if math.isnan(number) or number <= 0:
        raise CivDataError("activity_not_positive", field=name, value=value)
    if whole and number != int(number):
        raise CivDataError("activity_not_whole", field=name, value=value)
    return number


def _required_text(value: str | None, field: str) -> str:
    """Return value stripped; raise when blank or longer than MAX_TEXT."""
    cleaned = (value or "").strip()
    name = Term(f"activity.field.{field}")
    if not cleaned:
        raise CivDataError("required_field", field=name)
    if len(cleaned) > MAX_TEXT:
        raise CivDataError("invalid_value", field=name, detail=f"> {MAX_TEXT}")
    return cleaned


def activity_on(session: Session, team_id: int, held_on: date, place: str,
                title: str) -> m.VolunteerActivity | None:
    """Return the activity with this natural key (team, day, place, title), if any."""
    return session.scalar(select(m.VolunteerActivity).where(
        m.VolunteerActivity.team_id == team_id, m.VolunteerActivity.held_on == held_on,
        m.VolunteerActivity.place == place, m.VolunteerActivity.title == title).limit(1))


def record_activity(session: Session, actor: Actor, *, team_id: int, community_id: int,
                    held_on: date, title: str, participants: int, volunteer_hours: float,
                    place: str | None = None, service_type: str | None = None,
                    partner_org_id: int | None = None) -> m.VolunteerActivity:
    """Record a volunteer activity in a community (subdistrict staff: their own subdistrict)."""
    team_id, community_id = int(team_id), int(community_id)
    partner_org_id = None if partner_org_id is None else int(partner_org_id)
    community = session.get(m.Community, community_id)
    if community is None:
        raise CivDataError("not_found", what=f"community {community_id}")
    require(actor, "activity.record", community)
    team = session.get(m.VolunteerTeam, team_id)
    if team is None:
        raise CivDataError("not_found", what=f"team {team_id}")
    if partner_org_id is not None and session.get(m.PartnerOrg, partner_org_id) is None:
        raise CivDataError("not_found", what=f"partner organisation {partner_org_id}")
    if not isinstance(held_on, date):
        raise CivDataError("required_field", field=Term("activity.field.held_on"))
    today = today_local()
    if held_on > today:
        raise CivDataError("activity_future", day=held_on.isoformat(), today=today.isoformat())
    people = int(_positive(participants, "participants", whole=True))
    hours = _positive(volunteer_hours, "volunteer_hours")
    if hours > people * 24:
        raise CivDataError("activity_hours_implausible", hours=f"{hours:g}", limit=people * 24,
                           participants=people)
    kind = service_type or team.service_type
    if kind not in SERVICE_TYPES:
        raise CivDataError("invalid_value", field="service_type", detail=str(kind))
    title_text = _required_text(title, "title")
    place_text = _required_text(place or community.name_zh, "place")
    if activity_on(session, team.id, held_on, place_text, title_text) is not None:
        raise CivDataError("activity_exists", team=f"{team.code} {team.name_en}",
                           team_zh=f"{team.code} {team.name_zh}", day=held_on.isoformat(),
                           place=place_text, title=title_text)
    row = m.VolunteerActivity(
        team_id=team.id, partner_org_id=partner_org_id, held_on=held_on,
        title=title_text, place=place_text,
        community_id=community.id, subdistrict_id=community.subdistrict_id,
        lat=community.lat, lon=community.lon, service_type=kind, participants=people,
        volunteer_hours=round(hours, 1), created_by=actor.username)
    session.add(row)
    session.flush()
    audit(session, actor, "activity.record", "volunteer_activity", row.id, None,
          {"team_id": team.id, "community_id": community.id, "held_on": held_on,
           "title": row.title, "participants": people, "volunteer_hours": row.volunteer_hours})
    mark_changed(session, "volunteers")
    return row
