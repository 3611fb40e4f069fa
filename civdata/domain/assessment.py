"""The monthly scheduling and assessment (月调度 / 考核): a month against the month before.

Each subdistrict and each responsible unit gets a score from the indicators the office configures
(target, weight, direction), computed by the subdistrict index's rule (metrics.index_scores: a
capped ratio to the target per indicator, weighted; an indicator without a value for a row is
left out of that row's weights). Rank is competition ranking (1-2-2-4); rank change is positive
when a row moved up. Closing a month freezes its record, as closing a weekly meeting does.

Indicators (month = first day 00:00 to the first of the next month, or now if earlier):
- on_time_closure: problems closed in the month on time / closed in the month;
- overdue_count: problems open and past their deadline at the month's end (lower is better);
- repeat_problems: problems found in the month again after one was closed (lower is better);
- progress_vs_plan: weighted renovation percent / straight-line plan on the last day;
- market_score: mean market inspection total in the month;
- volunteer_coverage: share of communities with a volunteer activity in the month;
- readiness_on_time: evaluation-readiness tasks due in the month done by their deadline.
Units are scored on the indicators that name a unit (closure, overdue, repeats, readiness).
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.orm import Session

from civdata.core import auth, live
from civdata.core import models as m
from civdata.core.auth import Actor
from civdata.core.clock import day_start, now_local
from civdata.core.errors import CivDataError
from civdata.core.query import in_window_counts, overdue_at_end, unordered_key
from civdata.domain.district import renovation_progress_at, subdistricts
from civdata.domain.metrics import index_scores, progress_against_plan
from civdata.domain.weekly import records

SNAPSHOT_VERSION = 1
INDICATORS = ("on_time_closure", "overdue_count", "repeat_problems", "progress_vs_plan",
              "market_score", "volunteer_coverage", "readiness_on_time")
UNIT_INDICATORS = ("on_time_closure", "overdue_count", "repeat_problems", "readiness_on_time")
# code -> (target, weight, higher_is_better): used until the office saves its own.
DEFAULT_INDICATORS: dict[str, tuple[float, float, bool]] = {
    "on_time_closure": (0.9, 25.0, True),
    "overdue_count": (2.0, 15.0, False),
    "repeat_problems": (1.0, 10.0, False),
    "progress_vs_plan": (1.0, 15.0, True),
    "market_score": (90.0, 15.0, True),
    "volunteer_coverage": (0.8, 10.0, True),
    "readiness_on_time": (0.9, 10.0, True),
}
INDICATOR_COLUMNS = ["metric", "target", "weight", "higher_is_better"]


# --- months ---------------------------------------------------------------------------------

def parse_month(label: str) -> str:
    """Return the normalised month label ('2026-11'), or raise invalid_value."""
    try:
        year_text, month_text = str(label).strip().split("-")
        first = date(int(year_text), int(month_text), 1)
    except (ValueError, AttributeError):
        raise CivDataError("invalid_value", field="month", detail="YYYY-MM") from None
    return f"{first.year:04d}-{first.month:02d}"


def month_bounds(label: str) -> tuple[date, date]:
    """Return the first and the last day of a month."""
    year, month = (int(x) for x in parse_month(label).split("-"))
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def previous_month(label: str) -> str:
    """Return the label of the month before."""
    first, _ = month_bounds(label)
    return parse_month((first - timedelta(days=1)).strftime("%Y-%m"))


def month_of(day: date) -> str:
    """Return the label of the month holding day."""
    return f"{day.year:04d}-{day.month:02d}"


def recent_months(today: date, count: int = 12) -> list[str]:
    """Return the labels of the current month and the count-1 months before, newest first."""
    out = [month_of(today)]
    while len(out) < count:
        out.append(previous_month(out[-1]))
    return out


def month_end(label: str, now: datetime) -> datetime:
    """Return the moment the month's figures are taken: its end, or now if earlier."""
    _, last = month_bounds(label)
    return min(day_start(last + timedelta(days=1)), now)


# --- indicators (office settings) -----------------------------------------------------------

def assessment_indicators(session: Session) -> pd.DataFrame:
    """Return every indicator's target, weight and direction (saved, else the default)."""
    saved = {r.code: (r.target, r.weight, r.higher_is_better)
             for r in session.scalars(select(m.AssessmentIndicator))}
    rows = [(code, *saved.get(code, DEFAULT_INDICATORS[code])) for code in INDICATORS]
    return pd.DataFrame(rows, columns=INDICATOR_COLUMNS)


def set_assessment_indicator(session: Session, actor: Actor, code: str, target: float,
                             weight: float) -> None:
    """Change one assessment indicator's target and weight (office), audited."""
    auth.require(actor, "settings.edit")
    if code not in DEFAULT_INDICATORS:
        raise CivDataError("not_found", what=code)
    if target is None or pd.isna(target) or float(target) <= 0:
        raise CivDataError("invalid_value", field="target", detail="> 0")
    if weight is None or pd.isna(weight) or float(weight) < 0:
        raise CivDataError("invalid_value", field="weight", detail=">= 0")
    row = session.scalar(select(m.AssessmentIndicator).where(m.AssessmentIndicator.code == code))
    default_target, default_weight, higher = DEFAULT_INDICATORS[code]
    if row is None:
        row = m.AssessmentIndicator(code=code, target=default_target, weight=default_weight,
                                    higher_is_better=higher, version=0)
        session.add(row)
    old = {"target": row.target, "weight": row.weight}
    row.target, row.weight = float(target), float(weight)
    row.version = (row.version or 0) + 1
    session.flush()
    auth.audit(session, actor, "set_assessment_indicator", "assessment_indicator", row.id, old,
               {"code": code, "target": row.target, "weight": row.weight})
    live.mark_changed(session, "settings")


# --- raw monthly figures --------------------------------------------------------------------

def _problem_figures(session: Session, start: datetime, end: datetime, group) -> pd.DataFrame:
    """Return per group (a problem column) closed and closed on time in [start, end), overdue at
    end (open, past the deadline) and repeats (found in [start, end), reopened from a closed one)."""
    found = m.Problem.discovered_at < end
    closed = and_(m.Problem.closed_at >= start, m.Problem.closed_at < end, found)
    rows = session.execute(
        select(group,
               func.sum(case((closed, 1), else_=0)),
               func.sum(case((and_(closed, m.Problem.closed_on_time.is_(True)), 1), else_=0)),
               func.sum(case((overdue_at_end(end), 1), else_=0)),
               func.sum(case((and_(m.Problem.discovered_at >= start, found,
                                   m.Problem.reopened_from_id.is_not(None)), 1), else_=0)))
        .where(in_window_counts(start), group.is_not(None))
        .group_by(group)).all()
    frame = pd.DataFrame(rows, columns=["key", "closed", "closed_on_time", "overdue_count",
                                        "repeat_problems"])
    for col in ("closed", "closed_on_time", "overdue_count", "repeat_problems"):
        frame[col] = frame[col].fillna(0).astype(int)
    return frame


def _task_figures(session: Session, start: datetime, end: datetime, group) -> pd.DataFrame:
    """Return per group (a task column) the readiness tasks due in [start, end) and those done
    by their deadline."""
    on_time = and_(m.EvalTask.status == "done", m.EvalTask.done_at.is_not(None),
                   m.EvalTask.done_at <= m.EvalTask.deadline)
    rows = session.execute(
        select(group, func.count(m.EvalTask.id), func.sum(case((on_time, 1), else_=0)))
        .where(m.EvalTask.deadline >= start, m.EvalTask.deadline < end, group.is_not(None))
        .group_by(group)).all()
    frame = pd.DataFrame(rows, columns=["key", "tasks_due", "tasks_on_time"])
    for col in ("tasks_due", "tasks_on_time"):
        frame[col] = frame[col].fillna(0).astype(int)
    return frame


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """Return num / den, NaN where den is zero."""
    den = den.astype(float)
    return num.astype(float) / den.where(den > 0)


def subdistrict_month_figures(session: Session, label: str, end: datetime) -> pd.DataFrame:
    """Return per subdistrict the month's raw figures and indicator values, as of end."""
    first, _ = month_bounds(label)
    start = day_start(first)
    last_day = (end - timedelta(microseconds=1)).date() if end > start else first
    out = subdistricts(session)[["id", "code", "name_zh", "name_en"]]
    probs = _problem_figures(session, start, end, unordered_key(m.Problem.subdistrict_id))
    tasks = _task_figures(session, start, end, m.EvalTask.subdistrict_id)
    market = pd.DataFrame(session.execute(
        select(m.Market.subdistrict_id, func.count(m.MarketInspection.id),
               func.avg(m.MarketInspection.total_score))
        .join(m.Market, m.Market.id == m.MarketInspection.market_id)
        .where(m.MarketInspection.inspected_on >= first, m.MarketInspection.inspected_on <= last_day)
        .group_by(m.Market.subdistrict_id)).all(), columns=["key", "inspections", "market_score"])
    covered = pd.DataFrame(session.execute(
        select(m.Community.subdistrict_id, func.count(distinct(m.VolunteerActivity.community_id)))
        .join(m.VolunteerActivity, m.VolunteerActivity.community_id == m.Community.id)
        .where(m.VolunteerActivity.held_on >= first, m.VolunteerActivity.held_on <= last_day)
        .group_by(m.Community.subdistrict_id)).all(), columns=["key", "communities_covered"])
    comms = pd.DataFrame(session.execute(
        select(m.Community.subdistrict_id, func.count(m.Community.id))
        .group_by(m.Community.subdistrict_id)).all(), columns=["key", "communities"])
    plan = progress_against_plan(renovation_progress_at(session, last_day, None), last_day)
    plan = plan.rename(columns={"subdistrict_id": "key", "ratio": "progress_vs_plan",
                                "actual": "progress_actual", "planned": "progress_planned"})
    out = out.rename(columns={"id": "key"})
    for part in (probs, tasks, market, covered, comms, plan):
        out = out.merge(part.astype({"key": int}) if not part.empty else part, on="key",
                        how="left")
    for col in ("closed", "closed_on_time", "overdue_count", "repeat_problems", "tasks_due",
                "tasks_on_time", "inspections", "communities_covered", "communities"):
        out[col] = out[col].fillna(0).astype(int)
    out["market_score"] = out["market_score"].astype(float)
    out["progress_vs_plan"] = out["progress_vs_plan"].astype(float)
    out["on_time_closure"] = _ratio(out["closed_on_time"], out["closed"])
    out["volunteer_coverage"] = _ratio(out["communities_covered"], out["communities"])
    out["readiness_on_time"] = _ratio(out["tasks_on_time"], out["tasks_due"])
    return out.rename(columns={"key": "id"})


def unit_month_figures(session: Session, label: str, end: datetime) -> pd.DataFrame:
    """Return per responsible unit the month's raw figures and indicator values, as of end."""
    first, _ = month_bounds(label)
    start = day_start(first)
    probs = _problem_figures(session, start, end, m.Problem.responsible_unit)
    tasks = _task_figures(session, start, end, m.EvalTask.responsible_unit)
    out = probs.merge(tasks, on="key", how="outer")
    for col in ("closed", "closed_on_time", "overdue_count", "repeat_problems", "tasks_due",
                "tasks_on_time"):
        out[col] = out[col].fillna(0).astype(int)
    # a unit with nothing to answer for this month is not assessed
    busy = out[["closed", "overdue_count", "repeat_problems", "tasks_due"]].sum(axis=1) > 0
    out = out[busy].copy()
    out["on_time_closure"] = _ratio(out["closed_on_time"], out["closed"])
    out["readiness_on_time"] = _ratio(out["tasks_on_time"], out["tasks_due"])
    out["code"] = out["key"].astype(str)
    out["name_zh"] = out["code"]
    out["name_en"] = out["code"]
    return out.drop(columns=["key"]).reset_index(drop=True)


def scored(values: pd.DataFrame, indicators: pd.DataFrame,
           codes: tuple[str, ...] = INDICATORS) -> pd.DataFrame:
    """Return values with each indicator's ratio, the weighted score (0-125) and the rank."""
    targets = indicators[indicators["metric"].isin(codes) & (indicators["weight"] > 0)]
    if values.empty:
        return values.assign(index=pd.Series(dtype=float), rank=pd.Series(dtype="Int64"))
    return index_scores(values, targets.reset_index(drop=True))


def with_change(now: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    """Return the month's scores with last month's score and rank, and the changes."""
    prev = before[["code", "index", "rank"]].rename(columns={"index": "score_before",
                                                             "rank": "rank_before"})
    out = now.merge(prev, on="code", how="left").rename(columns={"index": "score"})
    out["score_change"] = out["score"] - out["score_before"]
    out["rank_change"] = (out["rank_before"].astype("Float64")
                          - out["rank"].astype("Float64"))  # positive = moved up
    return out


SUB_COLUMNS = ["rank", "code", "name_zh", "name_en", "score", "score_before", "score_change",
               "rank_before", "rank_change", *INDICATORS, "closed", "closed_on_time",
               "inspections", "communities_covered", "communities", "tasks_due", "tasks_on_time"]
UNIT_COLUMNS = ["rank", "code", "score", "score_before", "score_change", "rank_before",
                "rank_change", *UNIT_INDICATORS, "closed", "closed_on_time", "tasks_due",
                "tasks_on_time"]


def monthly_snapshot(session: Session, label: str, now: datetime | None = None) -> dict[str, Any]:
    """Return the month's assessment beside the month before, as a JSON-serialisable dict."""
    label = parse_month(label)
    now = now or now_local()
    before_label = previous_month(label)
    end = month_end(label, now)
    first, last = month_bounds(label)
    # an unfinished month is compared with the same span of the month before; a whole month
    # with the whole month before
    complete = end >= day_start(last + timedelta(days=1))
    before_first, _ = month_bounds(before_label)
    end_before = month_end(before_label, now) if complete else min(
        day_start(before_first) + (end - day_start(first)), month_end(before_label, now))
    indicators = assessment_indicators(session)
    subs = with_change(scored(subdistrict_month_figures(session, label, end), indicators),
                       scored(subdistrict_month_figures(session, before_label, end_before),
                              indicators))
    units = with_change(scored(unit_month_figures(session, label, end), indicators,
                               UNIT_INDICATORS),
                        scored(unit_month_figures(session, before_label, end_before), indicators,
                               UNIT_INDICATORS))
    ratio_cols = [f"{c}_ratio" for c in INDICATORS]
    return {
        "version": SNAPSHOT_VERSION,
        "month": label,
        "previous_month": before_label,
        "first": first.isoformat(),
        "last": last.isoformat(),
        "as_of": end.isoformat(),
        "previous_as_of": end_before.isoformat(),
        "complete": complete,
        "indicators": records(indicators),
        "subdistricts": records(subs[[*SUB_COLUMNS,
                                      *[c for c in ratio_cols if c in subs.columns]]]),
        "units": records(units[[c for c in UNIT_COLUMNS if c in units.columns]]
                         .sort_values(["rank", "code"])) if not units.empty else [],
        "record": None,
    }


# --- the frozen record ----------------------------------------------------------------------

def month_record(session: Session, label: str) -> dict[str, Any] | None:
    """Return the frozen record of a closed month, or None when the month is not closed."""
    text = session.scalar(select(m.AssessmentMonth.snapshot_json).where(
        m.AssessmentMonth.month == parse_month(label), m.AssessmentMonth.status == "closed"))
    return None if text is None else json.loads(text)


def assessment_snapshot(session: Session, label: str, now: datetime | None = None) -> dict[str, Any]:
    """Return what the monthly page shows: the frozen record if closed, else live figures."""
    frozen = month_record(session, label)
    return frozen if frozen is not None else monthly_snapshot(session, label, now)


def close_month(session: Session, actor: Actor, label: str) -> dict[str, Any]:
    """Close a month's assessment, freezing its figures as of now; return the record."""
    auth.require(actor, "meeting.manage")
    label = parse_month(label)
    row = session.scalar(select(m.AssessmentMonth).where(m.AssessmentMonth.month == label))
    if row is not None and row.status == "closed":
        raise CivDataError("month_closed", month=label)
    now = now_local()
    first, _ = month_bounds(label)
    if now < day_start(first):
        raise CivDataError("month_not_started", month=label)
    record = monthly_snapshot(session, label, now)
    record["record"] = {"closed_at": now.isoformat(), "closed_by": actor.username}
    if row is None:
        row = m.AssessmentMonth(month=label, status="open")
        session.add(row)
    row.snapshot_json = json.dumps(record, ensure_ascii=False, allow_nan=False)
    row.status = "closed"
    row.closed_at = now
    row.closed_by = actor.username
    session.flush()
    auth.audit(session, actor, "close_month", "assessment_month", row.id, {"status": "open"},
               {"status": "closed", "month": label})
    live.mark_changed(session, "meetings")
    return record
