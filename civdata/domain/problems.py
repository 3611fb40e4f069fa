"""Reads behind the problems page: funnel, overdue and escalation, ageing, matrix, close
statistics, work queue, red and black lists, cards. Aggregates are computed in SQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import and_, case, func, literal_column, or_, select, true
from sqlalchemy.orm import Session

from civdata.core import models as m
from civdata.core.auth import Actor, records_where
from civdata.core.query import in_subdistrict as _in_subdistrict
from civdata.core.query import not_closed_by, open_at, overdue_at, overdue_now, problem_is_open
from civdata.domain import workflow

AGE_BUCKETS = ((0, 1), (1, 3), (3, 7), (7, 15), (15, 30), (30, None))  # days since discovery
FUNNEL = ("discovered", "assigned", "rectifying", "submitted", "closed")


def problem_classes(session: Session) -> pd.DataFrame:
    """Return every problem class: id, code, names, time limit, risk weight."""
    rows = session.execute(select(m.ProblemClass.id, m.ProblemClass.code, m.ProblemClass.name_zh,
                                  m.ProblemClass.name_en, m.ProblemClass.time_limit_days,
                                  m.ProblemClass.risk_weight).order_by(m.ProblemClass.id)).all()
    return pd.DataFrame(rows, columns=["id", "code", "name_zh", "name_en", "time_limit_days",
                                       "risk_weight"])


def site_choices(session: Session, subdistrict_id: int | None) -> pd.DataFrame:
    """Return the sites a problem can be reported at: id, code, names, subdistrict, lat, lon."""
    rows = session.execute(select(m.Site.id, m.Site.code, m.Site.name_zh, m.Site.name_en,
                                  m.Site.subdistrict_id, m.Site.lat, m.Site.lon)
                           .where(_in_subdistrict(m.Site.subdistrict_id, subdistrict_id))
                           .order_by(m.Site.code)).all()
    return pd.DataFrame(rows, columns=["id", "code", "name_zh", "name_en", "subdistrict_id",
                                       "lat", "lon"])


def status_counts(session: Session, since: datetime, subdistrict_id: int | None) -> pd.DataFrame:
    """Return, for problems found since a moment, how many are in each state (all states)."""
    rows = dict(session.execute(
        select(m.Problem.status, func.count(m.Problem.id))
        .where(m.Problem.discovered_at >= since,
               _in_subdistrict(m.Problem.subdistrict_id, subdistrict_id))
        .group_by(m.Problem.status)).all())
    return pd.DataFrame({"status": list(FUNNEL), "count": [int(rows.get(s, 0)) for s in FUNNEL]})


def funnel_stages(counts: pd.DataFrame) -> pd.DataFrame:
    """Return how many problems reached each stage (a problem in a later state passed earlier)."""
    by_status = dict(zip(counts["status"], counts["count"], strict=True))
    reached = [sum(int(by_status.get(s, 0)) for s in FUNNEL[i:]) for i in range(len(FUNNEL))]
    return pd.DataFrame({"stage": list(FUNNEL), "reached": reached})


def overdue_problems(session: Session, now: datetime, subdistrict_id: int | None,
                     limit: int = 500) -> pd.DataFrame:
    """Return open problems past their deadline, most days overdue first, with their rung."""
    rows = session.execute(
        select(m.Problem.id, m.Problem.code, m.Problem.subdistrict_id, m.Subdistrict.name_zh,
               m.Subdistrict.name_en, m.ProblemClass.name_zh, m.ProblemClass.name_en,
               m.Problem.status, m.Problem.responsible_unit, m.Problem.deadline,
               m.Problem.description)
        .join(m.Subdistrict, m.Subdistrict.id == m.Problem.subdistrict_id)
        .join(m.ProblemClass, m.ProblemClass.id == m.Problem.class_id)
        .where(overdue_now(now),
               _in_subdistrict(m.Problem.subdistrict_id, subdistrict_id))
        .order_by(m.Problem.deadline, m.Problem.id).limit(limit)).all()
    out = pd.DataFrame(rows, columns=["id", "code", "subdistrict_id", "subdistrict_zh",
                                      "subdistrict_en", "class_zh", "class_en", "status",
                                      "responsible_unit", "deadline", "description"])
    out["days_overdue"] = [workflow.days_overdue(d, now) for d in out["deadline"]]
    return out


def with_rungs(overdue: pd.DataFrame, rungs: pd.DataFrame) -> pd.DataFrame:
    """Return the overdue list with each problem's escalation rung code and names."""
    out = overdue.copy()
    out["rung"] = pd.Series(workflow.rungs_for(out["days_overdue"], rungs), index=out.index,
                            dtype=object)
    for lang in ("zh", "en"):
        names = dict(zip(rungs["code"], rungs[f"name_{lang}"], strict=True)) \
            if f"name_{lang}" in rungs else {}
        out[f"rung_{lang}"] = [names.get(c, "") if isinstance(c, str) else "" for c in out["rung"]]
    return out


def rung_counts(overdue: pd.DataFrame, rungs: pd.DataFrame) -> pd.DataFrame:
    """Return how many overdue problems each subdistrict has on each rung (who is where)."""
    ranked = with_rungs(overdue, rungs)
    ranked = ranked[ranked["rung"].notna()]
    if ranked.empty:
        return pd.DataFrame(columns=["subdistrict_zh", "subdistrict_en", "rung", "count"])
    return (ranked.groupby(["subdistrict_zh", "subdistrict_en", "rung"]).size()
            .rename("count").reset_index())


def open_problem_ages(session: Session, now: datetime,
                      subdistrict_id: int | None) -> pd.DataFrame:
    """Return open problems counted by age bucket (days since found) and state."""
    whens = []
    for i, (lo, hi) in enumerate(AGE_BUCKETS):
        cond = m.Problem.discovered_at <= now - timedelta(days=lo)
        if hi is not None:
            cond = and_(cond, m.Problem.discovered_at > now - timedelta(days=hi))
        whens.append((cond, i))
    bucket = case(*whens, else_=0).label("bucket")
    rows = session.execute(
        select(bucket, m.Problem.status, func.count(m.Problem.id))
        .where(problem_is_open(), _in_subdistrict(m.Problem.subdistrict_id, subdistrict_id))
        .group_by(bucket, m.Problem.status)).all()
    out = pd.DataFrame(rows, columns=["bucket", "status", "count"])
    out["label"] = [age_label(int(b)) for b in out["bucket"]]
    return out.sort_values(["bucket", "status"]).reset_index(drop=True)


def age_label(bucket: int) -> str:
    """Return the label of an age bucket, e.g. '3-7 d' or '>30 d'."""
    lo, hi = AGE_BUCKETS[bucket]
    return f">{lo} d" if hi is None else f"{lo}-{hi} d"


def class_subdistrict_counts(session: Session, since: datetime) -> pd.DataFrame:
    """Return problems found since a moment, and those still open, per subdistrict and class."""
    sid = func.coalesce(m.Problem.subdistrict_id, 0)  # an expression: the date index is used
    counts = (select(sid.label("sid"), m.Problem.class_id.label("cid"),
                     func.count(m.Problem.id).label("found"),
                     func.sum(case((problem_is_open(), 1), else_=0)).label("open"))
              .where(m.Problem.discovered_at >= since)
              .group_by(sid, m.Problem.class_id).subquery())
    rows = session.execute(
        select(m.Subdistrict.code, m.Subdistrict.name_zh, m.Subdistrict.name_en,
               m.ProblemClass.code, m.ProblemClass.name_zh, m.ProblemClass.name_en,
               counts.c.found, counts.c.open)
        .join(m.Subdistrict, m.Subdistrict.id == counts.c.sid)
        .join(m.ProblemClass, m.ProblemClass.id == counts.c.cid)).all()
    out = pd.DataFrame(rows, columns=["subdistrict", "subdistrict_zh", "subdistrict_en", "class",
                                      "class_zh", "class_en", "found", "open"])
    return out.astype({"found": int, "open": int})


def _close_stats(session: Session, group, since: datetime, until: datetime,
                 subdistrict_id: int | None) -> pd.DataFrame:
    """Return per group: closed, closed on time, on-time rate, median hours to close."""
    window = and_(m.Problem.closed_at >= since, m.Problem.closed_at < until,
                  m.Problem.seconds_to_close.is_not(None),
                  _in_subdistrict(m.Problem.subdistrict_id, subdistrict_id))
    ranked = select(
        (group if group is not None else literal_column("0")).label("g"),
        m.Problem.seconds_to_close.label("s"),
        case((m.Problem.closed_on_time.is_(True), 1), else_=0).label("ot"),
        func.row_number().over(partition_by=group, order_by=m.Problem.seconds_to_close)
        .label("rn"),
        func.count().over(partition_by=group).label("n"),
    ).where(window).subquery()
    middle = or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2)
    rows = session.execute(
        select(ranked.c.g, func.count(), func.sum(ranked.c.ot),
               func.avg(case((middle, ranked.c.s), else_=None)))
        .group_by(ranked.c.g)).all()
    out = pd.DataFrame(rows, columns=["id", "closed", "on_time", "median_s"])
    out = out.astype({"closed": int, "on_time": int, "median_s": float})
    out["on_time_rate"] = out["on_time"] / out["closed"]
    out["median_hours"] = out["median_s"] / 3600
    return out.drop(columns=["median_s"])


def close_stats_by_subdistrict(session: Session, since: datetime, until: datetime,
                               subdistrict_id: int | None = None) -> pd.DataFrame:
    """Return per subdistrict id: closed, on time, on-time rate, median hours to close."""
    return _close_stats(session, m.Problem.subdistrict_id, since, until, subdistrict_id)


def close_stats_overall(session: Session, since: datetime, until: datetime,
                        subdistrict_id: int | None = None) -> pd.DataFrame:
    """Return one row: closed, on time, on-time rate, median hours to close (id 0)."""
    return _close_stats(session, None, since, until, subdistrict_id)


def close_stats_by_class(session: Session, since: datetime, until: datetime,
                         subdistrict_id: int | None = None) -> pd.DataFrame:
    """Return per class id: closed, on time, on-time rate, median hours to close."""
    return _close_stats(session, m.Problem.class_id, since, until, subdistrict_id)


def work_queue(session: Session, subdistrict_id: int, now: datetime,
               limit: int = 200) -> pd.DataFrame:
    """Return a subdistrict's open problems, most urgent first (overdue, then nearest deadline)."""
    rows = session.execute(
        select(m.Problem.id, m.Problem.code, m.ProblemClass.name_zh, m.ProblemClass.name_en,
               m.Problem.status, m.Problem.deadline, m.Problem.discovered_at,
               m.Problem.responsible_unit, m.Problem.description, m.Problem.version)
        .join(m.ProblemClass, m.ProblemClass.id == m.Problem.class_id)
        .where(problem_is_open(), m.Problem.subdistrict_id == subdistrict_id)
        # nearest deadline first; problems without one (not yet assigned) newest first, so a
        # problem just reported is offered at once however many older ones wait
        .order_by(m.Problem.deadline.is_(None), m.Problem.deadline,
                  m.Problem.discovered_at.desc(), m.Problem.id.desc()).limit(limit)).all()
    out = pd.DataFrame(rows, columns=["id", "code", "class_zh", "class_en", "status", "deadline",
                                      "discovered_at", "responsible_unit", "description",
                                      "version"])
    out["hours_left"] = [None if pd.isna(d) else round((d - now).total_seconds() / 3600, 1)
                         for d in out["deadline"]]
    return out


RATE_COLUMNS = ("closed", "on_time", "open", "overdue")


def subdistrict_close_rates_at(session: Session, ends: list[datetime],
                               days: int = 30) -> list[pd.DataFrame]:
    """Return per subdistrict, at each of several ends: problems closed in the days to the end,
    on time, open and overdue, counted in one pass (the ranking compares now with a week
    before)."""
    sums = []
    for end in ends:
        start = end - timedelta(days=days)
        closed_in = and_(m.Problem.closed_at > start, m.Problem.closed_at <= end)
        sums += [func.sum(case((closed_in, 1), else_=0)),
                 func.sum(case((and_(closed_in, m.Problem.closed_on_time.is_(True)), 1),
                               else_=0)),
                 func.sum(case((open_at(end), 1), else_=0)),
                 func.sum(case((overdue_at(end), 1), else_=0))]
    earliest = min(ends) - timedelta(days=days)
    sid = func.coalesce(m.Problem.subdistrict_id, 0)  # an expression: no index-ordered scan
    counts = (select(sid.label("sid"), *[c.label(f"c{i}") for i, c in enumerate(sums)])
              # both terms can use the closed_at index: closed after the window start, or never
              .where(not_closed_by(earliest))
              .group_by(sid).subquery())
    rows = session.execute(
        select(m.Subdistrict.id, m.Subdistrict.code, m.Subdistrict.name_zh, m.Subdistrict.name_en,
               *[counts.c[f"c{i}"] for i in range(len(sums))])
        .outerjoin(counts, counts.c.sid == m.Subdistrict.id)
        .order_by(m.Subdistrict.id)).all()
    out = []
    for k in range(len(ends)):
        part = pd.DataFrame([(*r[:4], *r[4 + 4 * k:8 + 4 * k]) for r in rows],
                            columns=["id", "code", "name_zh", "name_en", *RATE_COLUMNS])
        out.append(part.fillna(0).astype({c: int for c in RATE_COLUMNS}))
    return out


def _ranked(rates: pd.DataFrame, min_problems: int) -> pd.DataFrame:
    """Return rates with on-time rate, overdue share and rank (None below min_problems)."""
    out = rates.copy()
    # A subdistrict with enough problems but none closed has closed none on time: rate 0.
    out["on_time_rate"] = (out["on_time"] / out["closed"].where(out["closed"] > 0)).fillna(0.0)
    out["overdue_share"] = out["overdue"] / out["open"].where(out["open"] > 0)
    out["overdue_share"] = out["overdue_share"].fillna(0.0)
    out["eligible"] = (out["closed"] + out["open"]) >= min_problems
    eligible = out[out["eligible"] & out["on_time_rate"].notna()].sort_values(
        ["on_time_rate", "overdue_share", "closed"], ascending=[False, True, False])
    out["rank"] = pd.Series(range(1, len(eligible) + 1), index=eligible.index)
    return out


def on_time_ranking(now: pd.DataFrame, before: pd.DataFrame, min_problems: int = 10,
                    size: int = 3) -> pd.DataFrame:
    """Return subdistricts ranked by on-time rate (then overdue share), red and black lists
    marked, with the change against the week before; those under min_problems are not ranked."""
    cur, old = _ranked(now, min_problems), _ranked(before, min_problems)
    out = cur.merge(old[["id", "on_time_rate", "rank"]].rename(
        columns={"on_time_rate": "rate_before", "rank": "rank_before"}), on="id", how="left")
    out["rate_change"] = out["on_time_rate"] - out["rate_before"]
    out["rank_change"] = out["rank_before"] - out["rank"]
    ranked = out["rank"].notna()
    n = int(ranked.sum())
    size = min(size, n // 2)
    out["list"] = ""
    out.loc[ranked & (out["rank"] <= size), "list"] = "red"
    out.loc[ranked & (out["rank"] > n - size), "list"] = "black"
    return out.sort_values(["rank", "id"], na_position="last").reset_index(drop=True)


def problem_card(session: Session, problem_id: int) -> dict | None:
    """Return one problem with its class, subdistrict and site names, or None."""
    row = session.execute(
        select(m.Problem.id, m.Problem.code, m.Problem.status, m.Problem.version,
               m.Problem.source, m.Problem.description, m.Problem.responsible_unit,
               m.Problem.discovered_at, m.Problem.assigned_at, m.Problem.deadline,
               m.Problem.closed_at, m.Problem.photo_before, m.Problem.photo_after,
               m.Problem.lat, m.Problem.lon, m.Problem.reopened_from_id,
               m.Problem.subdistrict_id, m.Subdistrict.name_zh.label("subdistrict_zh"),
               m.Subdistrict.name_en.label("subdistrict_en"),
               m.ProblemClass.name_zh.label("class_zh"), m.ProblemClass.name_en.label("class_en"),
               m.Site.name_zh.label("site_zh"), m.Site.name_en.label("site_en"),
               select(func.count(m.ProblemConfirmation.id))  # issue 20: street confirmations
               .where(m.ProblemConfirmation.problem_id == m.Problem.id)
               .scalar_subquery().label("confirmations"))
        .join(m.Subdistrict, m.Subdistrict.id == m.Problem.subdistrict_id)
        .join(m.ProblemClass, m.ProblemClass.id == m.Problem.class_id)
        .outerjoin(m.Site, m.Site.id == m.Problem.nearest_site_id)
        .where(m.Problem.id == problem_id)).mappings().first()
    return dict(row) if row is not None else None


def problem_events(session: Session, problem_id: int) -> pd.DataFrame:
    """Return every transition of a problem, oldest first."""
    rows = session.execute(select(m.ProblemEvent.at, m.ProblemEvent.actor,
                                  m.ProblemEvent.from_status, m.ProblemEvent.to_status,
                                  m.ProblemEvent.note)
                           .where(m.ProblemEvent.problem_id == problem_id)
                           .order_by(m.ProblemEvent.at, m.ProblemEvent.id)).all()
    return pd.DataFrame(rows, columns=["at", "actor", "from_status", "to_status", "note"])


def actionable_problems(session: Session, actor: Actor, action: str,
                        subdistrict_id: int | None, limit: int = 300) -> pd.DataFrame:
    """Return the problems on which actor may take action now, most urgent first."""
    tr = workflow.TRANSITIONS[action]
    scope = [m.Problem.status == tr.from_status,
             _in_subdistrict(m.Problem.subdistrict_id, subdistrict_id),
             records_where(actor, tr.permission, m.Problem)]
    rows = session.execute(
        select(m.Problem.id, m.Problem.code, m.Problem.description, m.Problem.version,
               m.Problem.deadline, m.Subdistrict.name_zh, m.Subdistrict.name_en)
        .join(m.Subdistrict, m.Subdistrict.id == m.Problem.subdistrict_id)
        .where(*scope)
        # nearest deadline first; problems without one (not yet assigned) newest first, so a
        # problem just reported is offered at once however many older ones wait
        .order_by(m.Problem.deadline.is_(None), m.Problem.deadline,
                  m.Problem.discovered_at.desc(), m.Problem.id.desc()).limit(limit)).all()
    return pd.DataFrame(rows, columns=["id", "code", "description", "version", "deadline",
                                       "subdistrict_zh", "subdistrict_en"])


def closed_problems(session: Session, subdistrict_id: int | None, actor: Actor | None = None,
                    limit: int = 100) -> pd.DataFrame:
    """Return the most recently closed problems (candidates for reopening; with an actor, those
    the actor may reopen: report again on the old problem's scope)."""
    rows = session.execute(
        select(m.Problem.id, m.Problem.code, m.Problem.description, m.Problem.closed_at)
        .where(m.Problem.status == "closed",
               _in_subdistrict(m.Problem.subdistrict_id, subdistrict_id),
               true() if actor is None else records_where(actor, "problem.report", m.Problem))
        .order_by(m.Problem.closed_at.desc(), m.Problem.id.desc()).limit(limit)).all()
    return pd.DataFrame(rows, columns=["id", "code", "description", "closed_at"])


def find_problems(session: Session, text: str, limit: int = 20) -> pd.DataFrame:
    """Return problems, open or closed, whose code or description holds text: an exact code
    first, then the newest."""
    needle = text.strip()
    if not needle:
        return pd.DataFrame(columns=["id", "code", "status", "description", "discovered_at"])
    like = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    exact = func.upper(m.Problem.code) == needle.upper()
    rows = session.execute(
        select(m.Problem.id, m.Problem.code, m.Problem.status, m.Problem.description,
               m.Problem.discovered_at)
        .where(or_(exact, m.Problem.code.ilike(like, escape="\\"),
                   m.Problem.description.like(like, escape="\\")))
        .order_by(case((exact, 0), else_=1), m.Problem.discovered_at.desc(), m.Problem.id.desc())
        .limit(limit)).all()
    return pd.DataFrame(rows, columns=["id", "code", "status", "description", "discovered_at"])
