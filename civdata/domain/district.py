"""Reads behind the overview: headline figures at a moment, subdistrict metrics, trends."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from civdata.core import models as m
from civdata.core.clock import day_start
from civdata.core.query import in_subdistrict as _in_subdistrict
from civdata.core.query import (
    not_closed_by,
    open_at,
    open_at_by_index,
    open_problem_ids_at,
    overdue_at,
    past_deadline,
    unordered_key,
)

COVERAGE_WINDOW_DAYS = 30


def subdistricts(session: Session) -> pd.DataFrame:
    """Return every subdistrict's id, code, names and centre."""
    rows = session.execute(select(m.Subdistrict.id, m.Subdistrict.code, m.Subdistrict.name_zh,
                                  m.Subdistrict.name_en, m.Subdistrict.center_lat,
                                  m.Subdistrict.center_lon).order_by(m.Subdistrict.id)).all()
    return pd.DataFrame(rows, columns=["id", "code", "name_zh", "name_en", "center_lat",
                                       "center_lon"])


def site_count(session: Session, subdistrict_id: int | None) -> int:
    """Return the number of evaluation sites (in one subdistrict or the district)."""
    return int(session.scalar(select(func.count(m.Site.id)).where(
        _in_subdistrict(m.Site.subdistrict_id, subdistrict_id))) or 0)


def _has_open_problem_at(t: datetime) -> ColumnElement[bool]:
    """Return 'the site had a problem open at t within its radius' (EXISTS per site: it stops at
    the first open link, where a join with DISTINCT read every open problem's links: 0.58 s
    against 0.07 s at 1M with 10 % open, 0.41 against 0.11 s with 0.5 %)."""
    return (select(m.ProblemSite.problem_id)
            .where(m.ProblemSite.site_id == m.Site.id,
                   m.ProblemSite.problem_id.in_(open_problem_ids_at(t)))
            .exists())


def sites_with_open_problems_at(session: Session, t: datetime, subdistrict_id: int | None) -> int:
    """Return how many sites had an open problem within their check radius at t."""
    q = select(func.count(m.Site.id)).where(
        _has_open_problem_at(t), _in_subdistrict(m.Site.subdistrict_id, subdistrict_id))
    return int(session.scalar(q) or 0)


def problem_counts_at(session: Session, t: datetime, subdistrict_id: int | None) -> dict[str, int]:
    """Return open and overdue problem counts at t, and closures (on time) in the 7 days to t."""
    week_ago = t - timedelta(days=7)
    closed_in_week = and_(m.Problem.closed_at > week_ago, m.Problem.closed_at <= t)
    row = session.execute(
        select(
            func.sum(case((open_at(t), 1), else_=0)),
            func.sum(case((overdue_at(t), 1), else_=0)),
            func.sum(case((closed_in_week, 1), else_=0)),
            func.sum(case((and_(closed_in_week, m.Problem.closed_on_time.is_(True)), 1), else_=0)),
            func.sum(case((and_(m.Problem.discovered_at > week_ago,
                                m.Problem.discovered_at <= t), 1), else_=0)),
        ).where(_in_subdistrict(m.Problem.subdistrict_id, subdistrict_id),
                not_closed_by(week_ago))
    ).one()
    keys = ("open", "overdue", "closed_week", "closed_on_time_week", "new_week")
    return {k: int(v or 0) for k, v in zip(keys, row, strict=True)}


def renovation_progress_at(session: Session, day: date, subdistrict_id: int | None) -> pd.DataFrame:
    """Return each project's latest reported percent on day, with its weight and plan dates."""
    latest = (select(m.ProjectProgress.project_id,
                     func.max(m.ProjectProgress.id).label("report_id"))
              .where(m.ProjectProgress.reported_on <= day)
              .group_by(m.ProjectProgress.project_id)).subquery()
    rows = session.execute(
        select(m.Project.id, m.Project.programme, m.Project.batch, m.Project.subdistrict_id,
               m.Project.floor_area_m2, m.Project.length_m, m.Project.investment_planned_yuan,
               m.Project.planned_start, m.Project.planned_end, m.Project.stage,
               func.coalesce(m.ProjectProgress.percent, 0.0))
        .outerjoin(latest, latest.c.project_id == m.Project.id)
        .outerjoin(m.ProjectProgress, m.ProjectProgress.id == latest.c.report_id)
        .where(_in_subdistrict(m.Project.subdistrict_id, subdistrict_id))
        .order_by(m.Project.id)
    ).all()
    return pd.DataFrame(rows, columns=["id", "programme", "batch", "subdistrict_id",
                                       "floor_area_m2", "length_m", "investment_planned_yuan",
                                       "planned_start", "planned_end", "stage", "percent"])


def market_score_between(session: Session, first: date, last: date,
                         subdistrict_id: int | None) -> float | None:
    """Return the mean inspection total of markets between two days (inclusive)."""
    q = (select(func.avg(m.MarketInspection.total_score))
         .join(m.Market, m.Market.id == m.MarketInspection.market_id)
         .where(m.MarketInspection.inspected_on >= first, m.MarketInspection.inspected_on <= last,
                _in_subdistrict(m.Market.subdistrict_id, subdistrict_id)))
    value = session.scalar(q)
    return None if value is None else float(value)


def community_coverage_at(session: Session, day: date, subdistrict_id: int | None,
                          window_days: int = COVERAGE_WINDOW_DAYS) -> tuple[int, int]:
    """Return (communities with an activity in the window ending on day, all communities)."""
    first = day - timedelta(days=window_days - 1)
    covered = session.scalar(
        select(func.count(distinct(m.VolunteerActivity.community_id)))
        .join(m.Community, m.Community.id == m.VolunteerActivity.community_id)
        .where(m.VolunteerActivity.held_on >= first, m.VolunteerActivity.held_on <= day,
               _in_subdistrict(m.Community.subdistrict_id, subdistrict_id)))
    total = session.scalar(select(func.count(m.Community.id)).where(
        _in_subdistrict(m.Community.subdistrict_id, subdistrict_id)))
    return int(covered or 0), int(total or 0)


def weekly_problem_flow(session: Session, end: datetime, weeks: int,
                        subdistrict_id: int | None) -> pd.DataFrame:
    """Return new and closed problem counts per week for the weeks ending at end."""
    ends = [end - timedelta(days=7 * (k - 1)) for k in range(weeks, 0, -1)]

    def per_week(column) -> list[int]:
        """Return the problems with column in each week: one statement of indexed range counts
        (one round trip, not one per week: 24 of them cost PostgreSQL ~50 ms at 1M)."""
        row = session.execute(select(*[
            select(func.count(m.Problem.id))
            .where(column > hi - timedelta(days=7), column <= hi,
                   _in_subdistrict(m.Problem.subdistrict_id, subdistrict_id)).scalar_subquery()
            for hi in ends])).one()
        return [int(v or 0) for v in row]

    return pd.DataFrame({"week_end": [hi.date() for hi in ends],
                         "new": per_week(m.Problem.discovered_at),
                         "closed": per_week(m.Problem.closed_at)})


def subdistrict_metrics(session: Session, day: date) -> pd.DataFrame:
    """Return per subdistrict the raw figures behind the index, as of the end of day."""
    t = day_start(day + timedelta(days=1))
    month_ago = t - timedelta(days=30)
    subs = subdistricts(session)[["id", "code", "name_zh", "name_en"]]
    closed = pd.DataFrame(session.execute(
        select(m.Problem.subdistrict_id, func.count(m.Problem.id),
               func.sum(case((m.Problem.closed_on_time.is_(True), 1), else_=0)))
        .where(m.Problem.closed_at > month_ago, m.Problem.closed_at <= t)
        .group_by(m.Problem.subdistrict_id)).all(),
        columns=["id", "closed_30d", "on_time_30d"])
    sid = unordered_key(m.Problem.subdistrict_id)  # read by the closed_at covering index
    opened = pd.DataFrame(session.execute(
        select(sid, func.count(m.Problem.id), func.sum(case((past_deadline(t), 1), else_=0)))
        .where(open_at_by_index(t))
        .group_by(sid)).all(), columns=["id", "open", "overdue"])
    sites = pd.DataFrame(session.execute(
        select(m.Site.subdistrict_id, func.count(m.Site.id)).group_by(m.Site.subdistrict_id)
    ).all(), columns=["id", "sites"])
    dirty = pd.DataFrame(session.execute(
        select(m.Site.subdistrict_id, func.count(m.Site.id)).where(_has_open_problem_at(t))
        .group_by(m.Site.subdistrict_id)).all(),
        columns=["id", "sites_with_open"])
    market = pd.DataFrame(session.execute(
        select(m.Market.subdistrict_id, func.avg(m.MarketInspection.total_score))
        .join(m.MarketInspection, m.MarketInspection.market_id == m.Market.id)
        .where(m.MarketInspection.inspected_on > day - timedelta(days=7),
               m.MarketInspection.inspected_on <= day)
        .group_by(m.Market.subdistrict_id)).all(), columns=["id", "market_score"])
    first = day - timedelta(days=COVERAGE_WINDOW_DAYS - 1)
    covered = pd.DataFrame(session.execute(
        select(m.Community.subdistrict_id, func.count(distinct(m.VolunteerActivity.community_id)))
        .join(m.VolunteerActivity, m.VolunteerActivity.community_id == m.Community.id)
        .where(m.VolunteerActivity.held_on >= first, m.VolunteerActivity.held_on <= day)
        .group_by(m.Community.subdistrict_id)).all(), columns=["id", "communities_covered"])
    comms = pd.DataFrame(session.execute(
        select(m.Community.subdistrict_id, func.count(m.Community.id))
        .group_by(m.Community.subdistrict_id)).all(), columns=["id", "communities"])
    out = subs
    for part in (closed, opened, sites, dirty, market, covered, comms):
        out = out.merge(part, on="id", how="left")
    for col in ("closed_30d", "on_time_30d", "open", "overdue", "sites", "sites_with_open",
                "communities_covered", "communities"):
        out[col] = out[col].fillna(0).astype(int)
    out["market_score"] = out["market_score"].astype(float)
    return out


def metric_targets(session: Session) -> pd.DataFrame:
    """Return the index's metrics with their targets and weights."""
    rows = session.execute(select(m.MetricTarget.metric, m.MetricTarget.target,
                                  m.MetricTarget.weight, m.MetricTarget.higher_is_better)
                           .order_by(m.MetricTarget.id)).all()
    return pd.DataFrame(rows, columns=["metric", "target", "weight", "higher_is_better"])


def day_figures(session: Session, day: date, subdistrict_id: int | None) -> dict[str, float | None]:
    """Return the headline figures that move only with the data and the day: sites, volunteer
    coverage, the week's market score and renovation progress per programme and batch."""
    from civdata.domain.metrics import weighted_progress

    covered, communities = community_coverage_at(session, day, subdistrict_id)
    progress = weighted_progress(renovation_progress_at(session, day, subdistrict_id))
    out: dict[str, float | None] = {
        "sites": float(site_count(session, subdistrict_id)),
        "market_score_week": market_score_between(session, day - timedelta(days=6), day,
                                                  subdistrict_id),
        "volunteer_coverage": covered / communities if communities else None,
        "communities_covered": float(covered),
        "communities": float(communities),
    }
    for row in progress.itertuples(index=False):
        out[f"progress_{row.programme}_{row.batch}"] = float(row.percent)
    return out


def moment_figures(session: Session, t: datetime, subdistrict_id: int | None
                   ) -> dict[str, float | None]:
    """Return the headline figures that move with the minute: open, overdue, the 7 days' new and
    closed problems, and the sites with an open problem within their radius."""
    counts = problem_counts_at(session, t, subdistrict_id)
    return {
        "sites_with_open": float(sites_with_open_problems_at(session, t, subdistrict_id)),
        "open": float(counts["open"]),
        "overdue": float(counts["overdue"]),
        "new_week": float(counts["new_week"]),
        "closed_week": float(counts["closed_week"]),
        "closed_on_time_week": float(counts["closed_on_time_week"]),
        "on_time_rate_week": (counts["closed_on_time_week"] / counts["closed_week"]
                              if counts["closed_week"] else None),
    }


def figures_at(session: Session, t: datetime, subdistrict_id: int | None) -> dict[str, float | None]:
    """Return the overview's headline figures at moment t."""
    return {**day_figures(session, t.date(), subdistrict_id),
            **moment_figures(session, t, subdistrict_id)}


def subdistrict_ranking(session: Session, day: date) -> pd.DataFrame:
    """Return the subdistrict index table as of the end of day, best first."""
    from civdata.domain.metrics import index_scores, metric_values, progress_against_plan

    raw = subdistrict_metrics(session, day)
    renovation = progress_against_plan(renovation_progress_at(session, day, None), day)
    return index_scores(metric_values(raw, renovation), metric_targets(session))
