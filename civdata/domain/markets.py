"""Farmers'-market governance: the checklist kept as data, scores, ranking, the five-grasp
figures, and recording inspections whose findings feed the problem loop.

Rules kept here (and shown on the page):
- A market's score is the total of its latest inspection; an inspection's total is the sum of
  its item scores; an item scored below its threshold is a finding.
- Ranking: markets are ranked by their mean score over the 7 days ending on the day, rounded to
  one decimal. Equal rounded scores share the best rank and the next rank is skipped
  (competition ranking, 1-2-2-4); inside a tie rows are listed by market code. Markets without
  an inspection in the week come last, unranked.
- A re-inspection is an inspection flagged as one, or the first inspection of a market after an
  inspection with findings; it passes when it has no finding.
- Recording an inspection with findings reports one problem (source market_inspection, linked
  to the market and the inspection); its class is sanitation when a hygiene or waste item failed,
  else service management. A passing re-inspection walks the market's open market problems
  through the workflow to closed, as far as the recording role may (the office assigns first).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from civdata.core import models as m
from civdata.core.auth import Actor, Scope, audit, can, require
from civdata.core.clock import today_local
from civdata.core.errors import CivDataError
from civdata.core.live import mark_changed
from civdata.core.query import in_subdistrict as _in_subdistrict
from civdata.core.query import problem_is_open
from civdata.texts import Term

SANITATION_ITEMS = frozenset({"environment_hygiene", "waste_sorting"})
RANK_DECIMALS = 1
WEEK_DAYS = 7
HARDWARE_ITEMS = ("publicity_board", "fire_facility", "trash_bin_set")
STAFF_KINDS = ("market_inspector", "inspection_vehicle")
SCORE_BANDS = ((90.0, "good"), (85.0, "fair"), (80.0, "weak"), (-math.inf, "poor"))
CLOSING_PATHS = {
    "discovered": ("assign", "start", "submit", "accept"),
    "assigned": ("start", "submit", "accept"),
    "rectifying": ("submit", "accept"),
    "submitted": ("accept",),
}
MAX_NOTES = 2000


def _in_market(column, market_id: int | None):
    """Return a condition restricting column to one market (or true for every market)."""
    return column == market_id if market_id is not None else column.is_not(None)


# --- pure rules -----------------------------------------------------------------------------

def score_total(scores: Mapping[str, float]) -> float:
    """Return an inspection's total: the sum of its item scores, rounded to 0.01."""
    return round(sum(float(v) for v in scores.values()), 2)


def findings_of(scores: Mapping[str, float], items: pd.DataFrame) -> list[str]:
    """Return the codes of items scored below their threshold, in checklist order."""
    ordered = items.sort_values("sort_order")
    return [c for c, th in zip(ordered["code"], ordered["threshold"], strict=True)
            if c in scores and float(scores[c]) < float(th)]


def finding_class(findings: list[str]) -> str:
    """Return the problem class of a set of findings: sanitation or service_management."""
    return "sanitation" if any(c in SANITATION_ITEMS for c in findings) else "service_management"


def score_band(score: float | None) -> str:
    """Return the band of a score: good (>=90), fair (>=85), weak (>=80), poor, or none."""
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return "none"
    return next(band for low, band in SCORE_BANDS if float(score) >= low)


def validate_scores(scores: Mapping[str, float], items: pd.DataFrame) -> dict[str, float]:
    """Return the scores as floats; raise unless every item is scored within 0..max_points."""
    codes = list(items.sort_values("sort_order")["code"])
    unknown = sorted(set(scores) - set(codes))
    if unknown:
        raise CivDataError("market_unknown_item", item=", ".join(unknown))
    zh = dict(zip(items["code"], items.get("name_zh", items["code"]), strict=True))
    en = dict(zip(items["code"], items.get("name_en", items["code"]), strict=True))
    missing = [c for c in codes if c not in scores or scores[c] is None]
    if missing:
        raise CivDataError("market_scores_missing", items=", ".join(en[c] for c in missing),
                           items_zh="、".join(zh[c] for c in missing))
    maxima = dict(zip(items["code"], items["max_points"], strict=True))
    clean: dict[str, float] = {}
    for code in codes:
        try:
            value = float(scores[code])
        except (TypeError, ValueError):
            raise CivDataError("market_score_range", item=en[code], item_zh=zh[code],
                               score=scores[code], max=maxima[code], item_code=code) from None
        if math.isnan(value) or value < 0 or value > float(maxima[code]):
            raise CivDataError("market_score_range", item=en[code], item_zh=zh[code],
                               score=scores[code], max=maxima[code], item_code=code)
        clean[code] = value
    return clean


def weighted_mean_score(daily: pd.DataFrame, first: date, last: date) -> float | None:
    """Return the mean inspection score between two days from daily means and counts."""
    if daily.empty:
        return None
    rows = daily[(daily["day"] >= first) & (daily["day"] <= last)]
    n = float(rows["inspections"].sum())
    return None if n == 0 else float((rows["score"] * rows["inspections"]).sum() / n)


def count_below(scores: pd.Series, limit: float) -> int:
    """Return how many scores (ignoring missing ones) lie below limit."""
    return int((scores.dropna().astype(float) < limit).sum())


def rank_markets(weekly: pd.DataFrame) -> pd.DataFrame:
    """Return weekly scores with rank, last week's rank and both changes (see module rules)."""
    out = weekly.copy()
    for col, rank_col in (("this_week", "rank"), ("last_week", "rank_last_week")):
        rounded = out[col].astype(float).round(RANK_DECIMALS)
        out[rank_col] = rounded.rank(ascending=False, method="min").astype("Int64")
    out["score_change"] = (out["this_week"].astype(float) - out["last_week"].astype(float)
                           ).round(RANK_DECIMALS)
    out["rank_change"] = (out["rank_last_week"] - out["rank"]).astype("Int64")
    out["_unranked"] = out["rank"].isna()
    out = out.sort_values(["_unranked", "rank", "code"], na_position="last")
    return out.drop(columns="_unranked").reset_index(drop=True)


# --- reads ------------------------------------------------------------------------------------

def checklist_items(session: Session) -> pd.DataFrame:
    """Return the checklist: id, code, names, max points, threshold, in order."""
    rows = session.execute(select(m.ChecklistItem.id, m.ChecklistItem.code,
                                  m.ChecklistItem.name_zh, m.ChecklistItem.name_en,
                                  m.ChecklistItem.max_points, m.ChecklistItem.threshold,
                                  m.ChecklistItem.sort_order)
                           .order_by(m.ChecklistItem.sort_order, m.ChecklistItem.id)).all()
    return pd.DataFrame(rows, columns=["id", "code", "name_zh", "name_en", "max_points",
                                       "threshold", "sort_order"])


def latest_market_scores(session: Session, day: date, subdistrict_id: int | None) -> pd.DataFrame:
    """Return every market with its latest inspection on or before day and open problems
    within its site's 300 m."""
    # One index probe per market on (market_id, inspected_on), not a window over every
    # inspection (3 s at 730k inspections); open problems from the partial index on them.
    latest_id = (select(m.MarketInspection.id)
                 .where(m.MarketInspection.market_id == m.Market.id,
                        m.MarketInspection.inspected_on <= day)
                 .order_by(m.MarketInspection.inspected_on.desc(), m.MarketInspection.id.desc())
                 .limit(1).correlate(m.Market).scalar_subquery())
    ranked = aliased(m.MarketInspection)
    open_ids = select(m.Problem.id).where(problem_is_open())
    nearby = (select(func.count(m.ProblemSite.problem_id))
              .where(m.ProblemSite.site_id == m.Market.site_id,
                     m.ProblemSite.problem_id.in_(open_ids))
              .correlate(m.Market).scalar_subquery())
    rows = session.execute(
        select(m.Market.id, m.Market.code, m.Market.name_zh, m.Market.name_en,
               m.Market.subdistrict_id, m.Subdistrict.name_zh, m.Subdistrict.name_en,
               m.Market.lat, m.Market.lon, m.Market.director, m.Market.stalls,
               ranked.inspected_on, ranked.total_score, ranked.findings,
               func.coalesce(nearby, 0))
        .join(m.Subdistrict, m.Subdistrict.id == m.Market.subdistrict_id)
        .outerjoin(ranked, ranked.id == latest_id)
        .where(_in_subdistrict(m.Market.subdistrict_id, subdistrict_id))
        .order_by(m.Market.code)).all()
    return pd.DataFrame(rows, columns=["id", "code", "name_zh", "name_en", "subdistrict_id",
                                       "subdistrict_zh", "subdistrict_en", "lat", "lon",
                                       "director", "stalls", "inspected_on", "score",
                                       "findings", "open_nearby"])


def daily_market_scores(session: Session, first: date, last: date, subdistrict_id: int | None,
                        market_id: int | None = None) -> pd.DataFrame:
    """Return each market's daily score (mean of that day's inspections) between two days."""
    rows = session.execute(
        select(m.Market.id, m.Market.code, m.Market.name_zh, m.Market.name_en,
               m.MarketInspection.inspected_on, func.avg(m.MarketInspection.total_score))
        .join(m.Market, m.Market.id == m.MarketInspection.market_id)
        .where(m.MarketInspection.inspected_on >= first, m.MarketInspection.inspected_on <= last,
               _in_subdistrict(m.Market.subdistrict_id, subdistrict_id),
               _in_market(m.Market.id, market_id))
        .group_by(m.Market.id, m.MarketInspection.inspected_on)
        .order_by(m.Market.code, m.MarketInspection.inspected_on)).all()
    return pd.DataFrame(rows, columns=["market_id", "code", "name_zh", "name_en", "day",
                                       "score"])


def district_daily_scores(session: Session, first: date, last: date,
                          subdistrict_id: int | None) -> pd.DataFrame:
    """Return the mean inspection score and inspection count per day (district or subdistrict)."""
    rows = session.execute(
        select(m.MarketInspection.inspected_on, func.avg(m.MarketInspection.total_score),
               func.count(m.MarketInspection.id))
        .join(m.Market, m.Market.id == m.MarketInspection.market_id)
        .where(m.MarketInspection.inspected_on >= first, m.MarketInspection.inspected_on <= last,
               _in_subdistrict(m.Market.subdistrict_id, subdistrict_id))
        .group_by(m.MarketInspection.inspected_on)
        .order_by(m.MarketInspection.inspected_on)).all()
    return pd.DataFrame(rows, columns=["day", "score", "inspections"])


def weekly_market_scores(session: Session, day: date, subdistrict_id: int | None) -> pd.DataFrame:
    """Return each market's mean score in the 7 days ending on day and in the 7 days before."""
    this_start = day - timedelta(days=WEEK_DAYS - 1)
    last_start = this_start - timedelta(days=WEEK_DAYS)
    on = m.MarketInspection.inspected_on
    in_this = and_(on >= this_start, on <= day)
    in_last = and_(on >= last_start, on < this_start)
    rows = session.execute(
        select(m.Market.id, m.Market.code, m.Market.name_zh, m.Market.name_en,
               func.avg(case((in_this, m.MarketInspection.total_score))),
               func.avg(case((in_last, m.MarketInspection.total_score))),
               func.sum(case((in_this, 1), else_=0)))
        .outerjoin(m.MarketInspection, and_(m.MarketInspection.market_id == m.Market.id,
                                            on >= last_start, on <= day))
        .where(_in_subdistrict(m.Market.subdistrict_id, subdistrict_id))
        .group_by(m.Market.id).order_by(m.Market.code)).all()
    frame = pd.DataFrame(rows, columns=["id", "code", "name_zh", "name_en", "this_week",
                                        "last_week", "inspections"])
    frame[["this_week", "last_week"]] = frame[["this_week", "last_week"]].astype(float)
    return frame


def item_point_losses(session: Session, first: date, last: date, subdistrict_id: int | None,
                      market_id: int | None = None) -> pd.DataFrame:
    """Return per checklist item the points lost between two days, most lost first."""
    lost = m.ChecklistItem.max_points - m.MarketInspectionScore.score
    below = case((m.MarketInspectionScore.score < m.ChecklistItem.threshold, 1), else_=0)
    rows = session.execute(
        select(m.ChecklistItem.code, m.ChecklistItem.name_zh, m.ChecklistItem.name_en,
               m.ChecklistItem.max_points, m.ChecklistItem.threshold,
               func.count(m.MarketInspectionScore.inspection_id),
               func.avg(m.MarketInspectionScore.score), func.avg(lost), func.sum(lost),
               func.sum(below))
        .join(m.MarketInspectionScore, m.MarketInspectionScore.item_id == m.ChecklistItem.id)
        .join(m.MarketInspection, m.MarketInspection.id == m.MarketInspectionScore.inspection_id)
        .join(m.Market, m.Market.id == m.MarketInspection.market_id)
        .where(m.MarketInspection.inspected_on >= first, m.MarketInspection.inspected_on <= last,
               _in_subdistrict(m.Market.subdistrict_id, subdistrict_id),
               _in_market(m.Market.id, market_id))
        .group_by(m.ChecklistItem.id)
        .order_by(func.sum(lost).desc(), m.ChecklistItem.sort_order)).all()
    frame = pd.DataFrame(rows, columns=["code", "name_zh", "name_en", "max_points", "threshold",
                                        "inspections", "mean_score", "mean_lost", "lost_total",
                                        "below_threshold"])
    frame["below_share"] = (frame["below_threshold"] / frame["inspections"]).where(
        frame["inspections"] > 0)
    return frame


def daily_deployment(session: Session, first: date, last: date,
                     subdistrict_id: int | None) -> pd.DataFrame:
    """Return per day the inspections made and the distinct inspectors and vehicles out."""
    rows = session.execute(
        select(m.MarketInspection.inspected_on, func.count(m.MarketInspection.id),
               func.count(func.distinct(m.MarketInspection.inspector)),
               func.count(func.distinct(m.MarketInspection.vehicle)))
        .join(m.Market, m.Market.id == m.MarketInspection.market_id)
        .where(m.MarketInspection.inspected_on >= first, m.MarketInspection.inspected_on <= last,
               _in_subdistrict(m.Market.subdistrict_id, subdistrict_id))
        .group_by(m.MarketInspection.inspected_on)
        .order_by(m.MarketInspection.inspected_on)).all()
    return pd.DataFrame(rows, columns=["day", "inspections", "inspectors", "vehicles"])


def staff_on_roll(session: Session) -> dict[str, int]:
    """Return the active market inspectors and inspection vehicles: {kind: count}."""
    rows = session.execute(select(m.StaffResource.kind, func.count(m.StaffResource.id))
                           .where(m.StaffResource.kind.in_(STAFF_KINDS),
                                  m.StaffResource.active.is_(True))
                           .group_by(m.StaffResource.kind)).all()
    counts = dict.fromkeys(STAFF_KINDS, 0)
    counts.update({kind: int(n) for kind, n in rows})
    return counts


def staff_names(session: Session) -> pd.DataFrame:
    """Return the active inspectors' and vehicles' kind, code and name (for the form)."""
    rows = session.execute(select(m.StaffResource.kind, m.StaffResource.code,
                                  m.StaffResource.name)
                           .where(m.StaffResource.kind.in_(STAFF_KINDS),
                                  m.StaffResource.active.is_(True))
                           .order_by(m.StaffResource.kind, m.StaffResource.code)).all()
    return pd.DataFrame(rows, columns=["kind", "code", "name"])


def feedback_and_reinspection(session: Session, first: date, last: date,
                              subdistrict_id: int | None) -> dict[str, float | int | None]:
    """Return same-day feedback of findings and the re-inspection pass rate between two days."""
    # The window only needs each market's last inspection before first: start there, not at
    # the first inspection ever (2.4 s at 730k inspections).
    before = (select(func.max(m.MarketInspection.inspected_on))
              .where(m.MarketInspection.market_id == m.Market.id,
                     m.MarketInspection.inspected_on < first)
              .correlate(m.Market).scalar_subquery())
    start = session.scalar(select(func.min(before))) or first
    prev = func.lag(m.MarketInspection.findings).over(
        partition_by=m.MarketInspection.market_id,
        order_by=(m.MarketInspection.inspected_on, m.MarketInspection.id))
    seq = (select(m.MarketInspection.inspected_on, m.MarketInspection.findings,
                  m.MarketInspection.fed_back_same_day, m.MarketInspection.is_reinspection,
                  prev.label("prev_findings"))
           .join(m.Market, m.Market.id == m.MarketInspection.market_id)
           .where(m.MarketInspection.inspected_on >= start, m.MarketInspection.inspected_on <= last,
                  _in_subdistrict(m.Market.subdistrict_id, subdistrict_id))).subquery()
    is_re = or_(seq.c.is_reinspection.is_(True), seq.c.prev_findings > 0)
    row = session.execute(
        select(func.sum(case((seq.c.findings > 0, 1), else_=0)),
               func.sum(case((and_(seq.c.findings > 0, seq.c.fed_back_same_day.is_(True)), 1),
                             else_=0)),
               func.sum(case((is_re, 1), else_=0)),
               func.sum(case((and_(is_re, seq.c.findings == 0), 1), else_=0)),
               func.count())
        .where(seq.c.inspected_on >= first)).one()
    with_findings, fed_back, re_n, re_pass, total = (int(v or 0) for v in row)
    return {"inspections": total, "with_findings": with_findings, "fed_back_same_day": fed_back,
            "same_day_share": fed_back / with_findings if with_findings else None,
            "reinspections": re_n, "reinspections_passed": re_pass,
            "pass_rate": re_pass / re_n if re_n else None}


def hardware_progress(session: Session, subdistrict_id: int | None) -> pd.DataFrame:
    """Return hardware renewal per item: planned and done (boards, fire facilities, bin sets)."""
    rows = session.execute(
        select(m.MarketHardware.item, func.sum(m.MarketHardware.planned),
               func.sum(m.MarketHardware.done))
        .join(m.Market, m.Market.id == m.MarketHardware.market_id)
        .where(_in_subdistrict(m.Market.subdistrict_id, subdistrict_id))
        .group_by(m.MarketHardware.item)).all()
    frame = pd.DataFrame(rows, columns=["item", "planned", "done"])
    order = {k: i for i, k in enumerate(HARDWARE_ITEMS)}
    frame["_o"] = frame["item"].map(order).fillna(len(order))
    return frame.sort_values(["_o", "item"]).drop(columns="_o").reset_index(drop=True)


def inspection_history(session: Session, market_id: int, limit: int = 60) -> pd.DataFrame:
    """Return a market's latest inspections, newest first."""
    rows = session.execute(
        select(m.MarketInspection.id, m.MarketInspection.inspected_on,
               m.MarketInspection.inspector, m.MarketInspection.vehicle,
               m.MarketInspection.total_score, m.MarketInspection.findings,
               m.MarketInspection.is_reinspection, m.MarketInspection.fed_back_same_day,
               m.MarketInspection.notes, m.MarketInspection.photo)
        .where(m.MarketInspection.market_id == market_id)
        .order_by(m.MarketInspection.inspected_on.desc(), m.MarketInspection.id.desc())
        .limit(limit)).all()
    return pd.DataFrame(rows, columns=["id", "inspected_on", "inspector", "vehicle",
                                       "total_score", "findings", "is_reinspection",
                                       "fed_back_same_day", "notes", "photo"])


def inspection_item_scores(session: Session, inspection_id: int) -> pd.DataFrame:
    """Return one inspection's score per checklist item, with max points and threshold."""
    rows = session.execute(
        select(m.ChecklistItem.code, m.ChecklistItem.name_zh, m.ChecklistItem.name_en,
               m.ChecklistItem.max_points, m.ChecklistItem.threshold,
               m.MarketInspectionScore.score)
        .join(m.MarketInspectionScore, and_(
            m.MarketInspectionScore.item_id == m.ChecklistItem.id,
            m.MarketInspectionScore.inspection_id == inspection_id))
        .order_by(m.ChecklistItem.sort_order)).all()
    return pd.DataFrame(rows, columns=["code", "name_zh", "name_en", "max_points", "threshold",
                                       "score"])


def market_problems(session: Session, market_id: int, open_only: bool = True) -> pd.DataFrame:
    """Return the problems raised by a market's inspections (open ones by default), newest first."""
    q = (select(m.Problem.id, m.Problem.code, m.Problem.status, m.Problem.version,
                m.ProblemClass.code, m.Problem.description, m.Problem.discovered_at,
                m.Problem.deadline, m.Problem.responsible_unit, m.Problem.inspection_id,
                m.Problem.closed_at)
         .join(m.ProblemClass, m.ProblemClass.id == m.Problem.class_id)
         .where(m.Problem.market_id == market_id, m.Problem.source == "market_inspection"))
    if open_only:
        q = q.where(problem_is_open())
    rows = session.execute(q.order_by(m.Problem.discovered_at.desc(), m.Problem.id.desc())).all()
    return pd.DataFrame(rows, columns=["id", "code", "status", "version", "class",
                                       "description", "discovered_at", "deadline",
                                       "responsible_unit", "inspection_id", "closed_at"])


def problem_codes(session: Session, problem_ids: list[int]) -> dict[int, str]:
    """Return {problem id: code} for the given ids."""
    rows = session.execute(select(m.Problem.id, m.Problem.code)
                           .where(m.Problem.id.in_([int(i) for i in problem_ids]))).all()
    return {int(i): str(c) for i, c in rows}


# --- writes -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class InspectionOutcome:
    """What recording an inspection did: its total, findings, the problem raised and closed."""

    inspection_id: int
    total_score: float
    findings: list[str]
    problem_id: int | None = None
    closed_problem_ids: list[int] = field(default_factory=list)
    left_open_problem_ids: list[int] = field(default_factory=list)
    problem_is_new: bool = True  # False: the findings were already open as problem_id
    rejected_problem_ids: list[int] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Return True when no item was scored below its threshold."""
        return not self.findings


def _clean_text(value: str | None, field_name: str, limit: int = MAX_NOTES) -> str | None:
    """Return value stripped (None when blank); raise when longer than limit."""
    cleaned = (value or "").strip() or None
    if cleaned is not None and len(cleaned) > limit:
        raise CivDataError("invalid_value", field=field_name, detail=f"> {limit}")
    return cleaned


def inspection_on(session: Session, market_id: int, inspected_on: date, inspector: str,
                  is_reinspection: bool, total_score: float | None = None
                  ) -> m.MarketInspection | None:
    """Return an inspection of the market that day by the inspector (of that kind, and with
    that total when given: the natural key that a second save of the same form repeats)."""
    query = select(m.MarketInspection).where(
        m.MarketInspection.market_id == market_id, m.MarketInspection.inspected_on == inspected_on,
        m.MarketInspection.inspector == inspector,
        m.MarketInspection.is_reinspection.is_(bool(is_reinspection)))
    if total_score is not None:
        query = query.where(m.MarketInspection.total_score == total_score)
    return session.scalar(query.order_by(m.MarketInspection.id).limit(1))


def inspection_key_params(market: m.Market, inspected_on: date, inspector: str,
                          is_reinspection: bool) -> dict[str, str | Term]:
    """Return the message parameters naming an inspection by its natural key."""
    kind = Term("market.inspection_kind.repeat" if is_reinspection
                else "market.inspection_kind.first")
    return {"market": f"{market.code} {market.name_en}", "market_zh": f"{market.code} {market.name_zh}",
            "day": inspected_on.isoformat(), "inspector": inspector, "kind": kind}


def record_inspection(session: Session, actor: Actor, market_id: int, inspected_on: date,
                      inspector: str, scores: Mapping[str, float], notes: str | None = None,
                      vehicle: str | None = None, is_reinspection: bool = False,
                      fed_back_same_day: bool = False,
                      photo: bytes | str | None = None) -> InspectionOutcome:
    """Record an inspection with one score per checklist item; raise a problem for its
    findings, and close the market's open problems when a re-inspection passes. photo: the
    photo's bytes (checked and stored here; a refusal leaves no file) or a stored photo's name."""
    require(actor, "market.inspect")
    market = session.get(m.Market, market_id)
    if market is None:
        raise CivDataError("not_found", what=f"market {market_id}")
    if inspected_on > today_local():
        raise CivDataError("market_date_future", day=inspected_on.isoformat())
    who = _clean_text(inspector, "inspector", 64)
    if who is None:
        raise CivDataError("market_inspector_required")
    items = checklist_items(session)
    clean = validate_scores(scores, items)
    if inspection_on(session, market.id, inspected_on, who, bool(is_reinspection),
                     score_total(clean)) is not None:
        raise CivDataError("inspection_exists", **inspection_key_params(
            market, inspected_on, who, bool(is_reinspection)))
    found = findings_of(clean, items)
    notes_text = _clean_text(notes, "notes")
    vehicle_text = _clean_text(vehicle, "vehicle", 32)
    if found:
        require(actor, "problem.report", Scope(market.subdistrict_id, "market_inspection"))
    from civdata.io.photos import photo_for_write

    # bytes are checked and stored here (a refusal leaves no file); a name must be a stored one
    given = photo if isinstance(photo, bytes | bytearray) else _clean_text(photo, "photo", 255)
    with photo_for_write(session, given) as photo_name:
        total = score_total(clean)
        inspection = m.MarketInspection(
            market_id=market.id, inspected_on=inspected_on, inspector=who, vehicle=vehicle_text,
            total_score=total, is_reinspection=bool(is_reinspection), findings=len(found),
            fed_back_same_day=bool(fed_back_same_day), notes=notes_text, photo=photo_name)
        session.add(inspection)
        session.flush()
        ids = dict(zip(items["code"], items["id"], strict=True))
        session.add_all([m.MarketInspectionScore(inspection_id=inspection.id, item_id=int(ids[c]),
                                                 score=v) for c, v in clean.items()])
        audit(session, actor, "market.inspect", "market_inspection", inspection.id, None,
              {"market": market.code, "inspected_on": inspected_on, "inspector": who,
               "total_score": total, "findings": found, "is_reinspection": bool(is_reinspection),
               "scores": clean})
        mark_changed(session, "markets")
        session.flush()
        problem_id, is_new, rejected = _report_findings(session, actor, market, inspection, found,
                                                        clean, items)
        closed: list[int] = []
        left: list[int] = []
        if is_reinspection and not found:
            closed, left = _close_market_problems(session, actor, market, inspection)
        return InspectionOutcome(inspection.id, total, found, problem_id, closed, left, is_new,
                                 rejected)


def _report_findings(session: Session, actor: Actor, market: m.Market,
                     inspection: m.MarketInspection, found: list[str],
                     scores: dict[str, float], items: pd.DataFrame
                     ) -> tuple[int | None, bool, list[int]]:
    """Report one problem for an inspection's findings, unless the market already has an open
    one of that class; return (problem id or None, whether it is new, ids sent back).

    A repeat finding raises no duplicate: the open problem stands, and if its rectification
    was submitted for review, the failed inspection rejects it back to rectifying.
    """
    if not found:
        return None, True, []
    from civdata.domain.workflow import report_problem

    open_same = market_problems(session, market.id)
    open_same = open_same[open_same["class"] == finding_class(found)]
    if not open_same.empty:
        names = "、".join(items.set_index("code").at[c, "name_zh"] for c in found)
        standing, sent_back = settle_repeat_finding(
            session, actor, open_same, f"检查未通过 / inspection failed: {names} "
                                       f"{inspection.inspected_on.isoformat()} #{inspection.id}")
        return standing, False, sent_back

    by_code = items.set_index("code")
    parts = [f"{by_code.at[c, 'name_zh']} {scores[c]:g}/{by_code.at[c, 'max_points']:g}"
             f"（低于{by_code.at[c, 'threshold']:g}）" for c in found]
    description = f"农贸市场检查：{'、'.join(by_code.at[c, 'name_zh'] for c in found)}不达标。" \
                  f"{'；'.join(parts)}。检查记录 #{inspection.id}"
    problem = report_problem(session, actor, subdistrict_id=market.subdistrict_id,
                             class_code=finding_class(found), lat=market.lat, lon=market.lon,
                             description=description, source="market_inspection",
                             site_id=market.site_id, market_id=market.id,
                             inspection_id=inspection.id, photo_before=inspection.photo)
    return problem.id, True, []


def closing_actions(status: str) -> tuple[str, ...]:
    """Return the workflow actions that take a problem in status to closed."""
    return CLOSING_PATHS.get(status, ())


def settle_repeat_finding(session: Session, actor: Actor, open_same: pd.DataFrame,
                          note: str) -> tuple[int, list[int]]:
    """Return (the open problem a repeat finding stands for, ids sent back): no duplicate is
    raised; a rectification submitted for review is rejected back to rectifying (shared by
    market and site inspections; open_same is newest first)."""
    from civdata.domain.workflow import TRANSITIONS, transition

    row = open_same.iloc[-1]  # the oldest open one of the class
    if row["status"] != "submitted" or not can(actor, TRANSITIONS["reject"].permission):
        return int(row["id"]), []
    transition(session, actor, int(row["id"]), "reject", expected_version=int(row["version"]),
               note=note)
    return int(row["id"]), [int(row["id"])]


def close_open_problems(session: Session, actor: Actor, problems: pd.DataFrame, note: str,
                        unit: str, *, evidence_inspection_id: int | None = None,
                        photo_after: str | None = None) -> tuple[list[int], list[int]]:
    """Walk open problems to closed as far as the actor may after a passing re-check; return
    (closed ids, left-open ids). Shared by market and site inspections."""
    from civdata.domain.workflow import TRANSITIONS, transition

    closed: list[int] = []
    left: list[int] = []
    for row in problems.itertuples(index=False):
        path = closing_actions(row.status)
        if not all(can(actor, TRANSITIONS[a].permission) for a in path) or (
                "submit" in path and evidence_inspection_id is None and not photo_after):
            left.append(int(row.id))
            continue
        version = int(row.version)
        # pandas 3 reads a text column holding None as NaN (truthy): use the default then
        current = row.responsible_unit if isinstance(row.responsible_unit, str) else None
        for action in path:
            problem = transition(session, actor, int(row.id), action, expected_version=version,
                                 note=note, responsible_unit=current or unit,
                                 evidence_inspection_id=evidence_inspection_id,
                                 photo_after=photo_after if action == "submit" else None)
            version = problem.version
        closed.append(int(row.id))
    return closed, left


def _close_market_problems(session: Session, actor: Actor, market: m.Market,
                           inspection: m.MarketInspection) -> tuple[list[int], list[int]]:
    """Walk the market's open market problems to closed; return (closed ids, left-open ids)."""
    note = (f"复检通过 / re-inspection passed: {inspection.inspected_on.isoformat()} "
            f"#{inspection.id}, {inspection.total_score:g}/100")
    return close_open_problems(session, actor, market_problems(session, market.id), note,
                               f"{market.name_zh}市场方", evidence_inspection_id=inspection.id)
