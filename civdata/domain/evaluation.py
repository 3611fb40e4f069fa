"""The readiness estimate (issue 19): the score the district would get out of 120 if the
national evaluators came at time t, per content, item, part and in total, with a range.

Rules kept here (and shown on the page):
- On-site contents: a site's rate for a content is the share of points its latest inspection
  (on or before t) gave the checklist items that check the content (all its items when none is
  linked to the content). A category's rate is the mean over its inspected sites; the content's
  rate is the mean of its categories' rates weighted by their numbers of sites (a stratified
  estimate). The range: a bootstrap resampling the inspected sites within each category, the
  deviations scaled by sqrt(n/(n-1)) (the bootstrap's small-sample correction).
  A category with no inspection in scope borrows the district's rate for it; a category with
  no inspection at all is estimated by the deduction model (riskmodel.site_scores: 100 minus
  deductions for open problems in the surroundings) and listed in fallback_categories.
- Survey contents: points x the population-weighted favourable rate of their questions (answers
  up to t's day); the range from the Wilson intervals (normal draws with that spread). A survey
  content without answers counts 0 with the range 0..points.
- Materials contents: points x the share of their materials accepted as of t (no range).
- Items, parts and the total add up the contents; their ranges are the 2.5 and 97.5
  percentiles of the summed draws.
- Points at risk: per content, points minus the estimate; owner, deadline and work under way
  (an open task) from the six lists.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civdata.core import models as m
from civdata.core.clock import now_local, week_start
from civdata.core.errors import CivDataError
from civdata.domain.evaluation_tasks import open_task_counts
from civdata.domain.materials import accepted_by_content
from civdata.domain.riskmodel import FULL_SCORE, open_weight_by_site, site_scores
from civdata.domain.site_inspections import latest_content_sums
from civdata.domain.survey import Z95, content_survey_rates

PART_COLUMNS = ["part_code", "name_zh", "name_en", "max_points", "estimated", "low", "high"]
RISK_COLUMNS = ["content_code", "content_zh", "content_en", "item_zh", "item_en", "part_code",
                "method", "max_points", "estimated", "points_lost", "lead_unit", "owner",
                "deadline", "tasks_open", "tasks_overdue", "work_under_way"]
TREND_DRAWS = 100


@dataclass(frozen=True)
class Readiness:
    """The estimated score out of max_points with its range, by method and by part."""

    total: float
    low: float
    high: float
    max_points: float
    by_method: dict[str, float]
    max_by_method: dict[str, float]
    parts: pd.DataFrame
    fallback_categories: list[str]
    edition: str
    contents: pd.DataFrame = field(default_factory=pd.DataFrame)
    items: pd.DataFrame = field(default_factory=pd.DataFrame)


def current_edition(session: Session) -> m.EvalEdition | None:
    """Return the current edition of the evaluation system, or None before any is loaded."""
    return session.scalar(select(m.EvalEdition).where(m.EvalEdition.is_current.is_(True))
                          .order_by(m.EvalEdition.id.desc()).limit(1))


def evaluation_system(session: Session, edition_id: int) -> pd.DataFrame:
    """Return an edition's contents with their item and part, in order."""
    rows = session.execute(
        select(m.EvalContent.id, m.EvalContent.code, m.EvalContent.name_zh,
               m.EvalContent.name_en, m.EvalContent.points, m.EvalContent.method,
               m.EvalContent.lead_unit, m.EvalItem.code, m.EvalItem.name_zh, m.EvalItem.name_en,
               m.EvalPart.code, m.EvalPart.name_zh, m.EvalPart.name_en, m.EvalPart.kind)
        .join(m.EvalItem, m.EvalItem.id == m.EvalContent.item_id)
        .join(m.EvalPart, m.EvalPart.id == m.EvalItem.part_id)
        .where(m.EvalContent.edition_id == edition_id)
        .order_by(m.EvalPart.sort_order, m.EvalItem.sort_order, m.EvalContent.sort_order)).all()
    return pd.DataFrame(rows, columns=["content_id", "content_code", "content_zh", "content_en",
                                       "points", "method", "lead_unit", "item_code", "item_zh",
                                       "item_en", "part_code", "part_zh", "part_en",
                                       "part_kind"])


def content_categories(session: Session, edition_id: int) -> pd.DataFrame:
    """Return (content_id, category code) for an edition's on-site contents."""
    rows = session.execute(
        select(m.EvalContentCategory.content_id, m.SiteCategory.code)
        .join(m.SiteCategory, m.SiteCategory.id == m.EvalContentCategory.category_id)
        .join(m.EvalContent, m.EvalContent.id == m.EvalContentCategory.content_id)
        .where(m.EvalContent.edition_id == edition_id)).all()
    return pd.DataFrame(rows, columns=["content_id", "category"])


def _sites(session: Session, subdistrict_id: int | None) -> pd.DataFrame:
    """Return every site's id, code, category code and subdistrict."""
    rows = session.execute(select(m.Site.id, m.Site.code, m.SiteCategory.code,
                                  m.Site.subdistrict_id)
                           .join(m.SiteCategory, m.SiteCategory.id == m.Site.category_id)
                           .order_by(m.Site.id)).all()
    frame = pd.DataFrame(rows, columns=["id", "code", "category_code", "subdistrict_id"])
    return frame if subdistrict_id is None else frame[frame["subdistrict_id"] == subdistrict_id]


# --- pure estimation --------------------------------------------------------------------------

def site_content_rates(results: pd.DataFrame, content_codes: dict[str, list[str]]
                       ) -> pd.DataFrame:
    """Return per (site, content) the share of points on the content's items (all items of the
    site's checklist when none checks it); content_codes maps category -> its contents."""
    columns = ["site_id", "category", "content_code", "rate"]
    pairs = pd.DataFrame([(c, code) for c, codes in content_codes.items() for code in codes],
                         columns=["category", "content_code"])
    if results.empty or pairs.empty:
        return pd.DataFrame(columns=columns)
    overall = results.groupby(["site_id", "category"], as_index=False)[["got", "max"]].sum()
    linked = (results.dropna(subset=["content_code"])
              .groupby(["site_id", "content_code"], as_index=False)[["got", "max"]].sum()
              .rename(columns={"got": "got_c", "max": "max_c"}))
    out = overall.merge(pairs, on="category").merge(linked, on=["site_id", "content_code"],
                                                    how="left")
    got = out["got_c"].where(out["max_c"].notna(), out["got"]).astype(float)
    top = out["max_c"].where(out["max_c"].notna(), out["max"]).astype(float)
    out["rate"] = (got / top.where(top > 0)).astype(float)
    return out[columns]


def stratified_draws(rates: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
    """Return bootstrap means of a stratum's site rates (deviations scaled by sqrt(n/(n-1)))."""
    n = len(rates)
    mean = float(rates.mean())
    if n < 2 or draws == 0:
        return np.full(draws, mean)
    idx = rng.integers(0, n, size=(draws, n))
    boot = rates[idx].mean(axis=1)
    return mean + (boot - mean) * np.sqrt(n / (n - 1))


def stratified_estimate(strata: dict[str, np.ndarray], weights: dict[str, float], draws: int,
                        seed: int) -> tuple[float, float, float]:
    """Return (estimate, low, high) of a weighted mean of strata means with its bootstrap
    range (the 2.5 and 97.5 percentiles)."""
    rng = np.random.default_rng(seed)
    total_w = sum(weights[k] for k in strata)
    est = sum(weights[k] * float(v.mean()) for k, v in strata.items()) / total_w
    boot = sum(weights[k] * stratified_draws(v, draws, rng) for k, v in strata.items()) / total_w
    low, high = np.percentile(boot, [2.5, 97.5])
    return est, float(low), float(high)


# --- the estimate -----------------------------------------------------------------------------

# A source of open_weight_by_site's frame (site_id, risk_weight).
OpenWeights = Callable[[], pd.DataFrame]


@dataclass
class _Static:
    """What the estimate reads that does not depend on t (shared by the weeks of a trend)."""

    edition: m.EvalEdition
    system: pd.DataFrame
    categories: pd.DataFrame
    sites: pd.DataFrame
    # the open problems' summed weight per site (the fallback's input), read when needed
    links: list[pd.DataFrame] = field(default_factory=list)
    fallback: dict[tuple[str, int | None], float] = field(default_factory=dict)
    # where that sum comes from when the caller holds it (e.g. cached per data version: it
    # does not depend on the clock); None: open_weight_by_site
    open_weights: OpenWeights | None = None


def _static(session: Session) -> _Static:
    """Return the current edition, its contents and categories, and the sites."""
    edition = current_edition(session)
    if edition is None:
        raise CivDataError("eval_no_edition")
    system = evaluation_system(session, edition.id)
    cats = content_categories(session, edition.id)
    code_of = dict(zip(system["content_id"], system["content_code"], strict=True))
    cats["content_code"] = cats["content_id"].map(code_of)
    return _Static(edition, system, cats, _sites(session, None))


def _onsite(session: Session, t: datetime, subdistrict_id: int | None, static: _Static,
            draws: int, rng: np.random.Generator
            ) -> tuple[dict[str, np.ndarray], dict[str, float], list[str]]:
    """Return per on-site content its rate draws and rate, and the fallback categories."""
    system = static.system
    onsite = system[system["method"] == "onsite"]
    cats = static.categories
    by_category: dict[str, list[str]] = {}
    for cat, code in zip(cats["category"], cats["content_code"], strict=True):
        by_category.setdefault(cat, []).append(code)
    all_sites = static.sites
    scope = all_sites if subdistrict_id is None else \
        all_sites[all_sites["subdistrict_id"] == subdistrict_id]
    district = site_content_rates(latest_content_sums(session, t), by_category)
    local = district if subdistrict_id is None else district[district["site_id"].isin(
        scope["id"])]
    district_rates = _rates_by_stratum(district)
    local_rates = district_rates if subdistrict_id is None else _rates_by_stratum(local)
    links = static.links
    sizes = scope.groupby("category_code").size()
    fallback: list[str] = []
    fallback_rate: dict[str, float] = {}
    draws_of: dict[str, np.ndarray] = {}
    rate_of: dict[str, float] = {}
    cats_of: dict[int, list[str]] = {}
    for cid, cat in zip(cats["content_id"], cats["category"], strict=True):
        cats_of.setdefault(int(cid), []).append(cat)
    for code, cid in zip(onsite["content_code"], onsite["content_id"], strict=True):
        categories = sorted(cats_of.get(int(cid), []))
        weights = {c: float(sizes.get(c, 0)) for c in categories if sizes.get(c, 0) > 0}
        if not weights:  # the scope has no site of these categories: the district's view
            weights = {c: float(all_sites["category_code"].eq(c).sum()) for c in categories}
            weights = {c: w for c, w in weights.items() if w > 0}
        acc = np.zeros(draws)
        est = 0.0
        total_w = sum(weights.values()) or 1.0
        for cat, w in weights.items():
            values = local_rates.get((cat, code), np.empty(0))
            if not len(values):
                values = district_rates.get((cat, code), np.empty(0))
            if len(values):
                acc += w * stratified_draws(values, draws, rng)
                est += w * float(values.mean())
                continue
            if cat not in fallback_rate:
                key = (cat, subdistrict_id)
                if key not in static.fallback:
                    if not links:
                        links.append(static.open_weights() if static.open_weights
                                     else open_weight_by_site(session))
                    static.fallback[key] = _deduction_rate(links[0], all_sites, cat,
                                                           subdistrict_id)
                fallback_rate[cat] = static.fallback[key]
                fallback.append(cat)
            acc += w * fallback_rate[cat]
            est += w * fallback_rate[cat]
        draws_of[code] = acc / total_w
        rate_of[code] = est / total_w
    return draws_of, rate_of, sorted(fallback)


def _rates_by_stratum(rates: pd.DataFrame) -> dict[tuple[str, str], np.ndarray]:
    """Return {(category, content): the sites' rates (no NaN)}."""
    values = rates["rate"].to_numpy(dtype=float)
    keys = list(zip(rates["category"], rates["content_code"], strict=True))
    out: dict[tuple[str, str], list[float]] = {}
    for key, v in zip(keys, values, strict=True):
        if not np.isnan(v):
            out.setdefault(key, []).append(v)
    return {k: np.asarray(v) for k, v in out.items()}


def _deduction_rate(weights: pd.DataFrame, sites: pd.DataFrame, category: str,
                    subdistrict_id: int | None) -> float:
    """Return the deduction model's mean score share of a category's sites (the fallback;
    weights: open_weight_by_site)."""
    members = sites[sites["category_code"] == category]
    if subdistrict_id is not None and (members["subdistrict_id"] == subdistrict_id).any():
        members = members[members["subdistrict_id"] == subdistrict_id]
    if members.empty:
        return 1.0
    weights = weights[weights["site_id"].isin(members["id"])]
    return float(site_scores(members, weights).mean()) / FULL_SCORE


def content_estimates(session: Session, t: datetime, subdistrict_id: int | None = None, *,
                      draws: int = 200, seed: int = 0, static: _Static | None = None
                      ) -> tuple[pd.DataFrame, np.ndarray, list[str], m.EvalEdition]:
    """Return per content its estimate and range, the matrix of draws (contents x draws), the
    fallback categories and the edition; raise eval_no_edition before a system is loaded."""
    static = static or _static(session)
    edition, system = static.edition, static.system
    rng = np.random.default_rng(seed)
    onsite_draws, onsite_rate, fallback = _onsite(session, t, subdistrict_id, static, draws,
                                                  rng)
    survey = content_survey_rates(session, t.date(), subdistrict_id)
    survey_of = {code: (float(r), float(lo), float(hi)) for code, r, lo, hi in zip(
        survey["content_code"], survey["rate"], survey["low"], survey["high"], strict=True)}
    mats = accepted_by_content(session, t, subdistrict_id)
    mats_of = {int(cid): (float(acc), float(req)) for cid, acc, req in zip(
        mats["content_id"], mats["accepted"], mats["required"], strict=True)}
    rate = np.zeros(len(system))
    matrix = np.zeros((len(system), draws))
    for i, (method, code, cid) in enumerate(zip(system["method"], system["content_code"],
                                               system["content_id"], strict=True)):
        if method == "onsite":
            rate[i] = onsite_rate[code]
            matrix[i] = onsite_draws[code]
        elif method == "survey":
            if code in survey_of:
                rate[i], low, high = survey_of[code]
                sd = (high - low) / (2 * Z95)
                matrix[i] = np.clip(rate[i] + sd * rng.standard_normal(draws), 0, 1)
            else:
                matrix[i] = rng.uniform(0, 1, draws)
        else:
            accepted, required = mats_of.get(int(cid), (0.0, 0.0))
            if required:
                rate[i] = accepted / required
            matrix[i] = rate[i]
    points = system["points"].to_numpy(dtype=float)
    matrix = matrix * points[:, None]
    out = system.copy()
    out["estimated"] = rate * points
    if draws:
        out["low"] = np.minimum(np.percentile(matrix, 2.5, axis=1), out["estimated"])
        out["high"] = np.maximum(np.percentile(matrix, 97.5, axis=1), out["estimated"])
    else:
        out["low"] = out["high"] = out["estimated"]
    out["points_lost"] = points - out["estimated"]
    return out, matrix, fallback, edition


def _rollup(contents: pd.DataFrame, matrix: np.ndarray, keys: list[str]) -> pd.DataFrame:
    """Return contents summed by keys with the percentile range of their summed draws."""
    groups: dict[tuple, list[int]] = {}
    for i, key in enumerate(zip(*(contents[k] for k in keys), strict=True)):
        groups.setdefault(key, []).append(i)
    points = contents["points"].to_numpy(dtype=float)
    estimated = contents["estimated"].to_numpy(dtype=float)
    rows = []
    for key, idx in groups.items():
        sums = matrix[idx].sum(axis=0)
        est = float(estimated[idx].sum())
        low, high = np.percentile(sums, [2.5, 97.5]) if sums.size else (est, est)
        rows.append((*key, float(points[idx].sum()), est, min(float(low), est),
                     max(float(high), est)))
    return pd.DataFrame(rows, columns=[*keys, "max_points", "estimated", "low", "high"])


def readiness_estimate(session: Session, t: datetime, subdistrict_id: int | None = None, *,
                       draws: int = 200, seed: int = 0, static: _Static | None = None,
                       open_weights: OpenWeights | None = None) -> Readiness:
    """Return the estimated score out of 120 at t (district or one subdistrict) with its range,
    by method and by part (open_weights: where the deduction fallback's open_weight_by_site
    comes from, if not SQL)."""
    if open_weights is not None:
        static = static or _static(session)
        static.open_weights = open_weights
    contents, matrix, fallback, edition = content_estimates(session, t, subdistrict_id,
                                                            draws=draws, seed=seed,
                                                            static=static)
    contents = contents.reset_index(drop=True)
    parts = _rollup(contents, matrix, ["part_code", "part_zh", "part_en"]).rename(
        columns={"part_zh": "name_zh", "part_en": "name_en"})[PART_COLUMNS]
    items = _rollup(contents, matrix, ["part_code", "item_code", "item_zh", "item_en"])
    total = matrix.sum(axis=0)
    est = float(contents["estimated"].sum())
    low, high = np.percentile(total, [2.5, 97.5]) if total.size else (est, est)
    by_method = {k: float(contents.loc[contents["method"] == k, "estimated"].sum())
                 for k in m.EVAL_METHODS}
    max_by_method = {k: float(contents.loc[contents["method"] == k, "points"].sum())
                     for k in m.EVAL_METHODS}
    return Readiness(total=round(est, 2), low=round(min(float(low), est), 2),
                     high=round(max(float(high), est), 2),
                     max_points=float(contents["points"].sum()), by_method=by_method,
                     max_by_method=max_by_method, parts=parts, fallback_categories=fallback,
                     edition=edition.code, contents=contents, items=items)


def week_end(start: date) -> datetime:
    """Return the last second of the week that starts on start."""
    return datetime.combine(start + timedelta(days=7), datetime.min.time()) - timedelta(seconds=1)


def _week_seed(start: date) -> int:
    """Return the bootstrap seed of a week's estimate (the same whenever it is computed)."""
    return start.toordinal()


TIMED_INPUTS = (("inspections", m.SiteInspection, m.SiteInspection.inspected_at, False),
                ("responses", m.SurveyResponse, m.SurveyResponse.responded_on, True),
                ("reviews", m.EvalMaterialReview, m.EvalMaterialReview.at, False))
FIXED_INPUTS = (("sites", m.Site), ("items", m.SiteChecklistItem),
                ("questions", m.SurveyQuestion), ("materials", m.EvalMaterial))


def inputs_now(session: Session, edition_id: int) -> dict:
    """Return the watermark of the estimate's inputs now: the edition; the last id of the
    inspections, survey responses and material reviews (rows only ever added); count and last
    id of the sites, checklist items, questions and materials; the sites/settings marks."""
    aggs = [func.coalesce(select(func.max(model.id)).scalar_subquery(), 0)
            for _, model, _, _ in TIMED_INPUTS]
    for _, model in FIXED_INPUTS:
        aggs += [select(func.count(model.id)).scalar_subquery(),
                 func.coalesce(select(func.max(model.id)).scalar_subquery(), 0)]
    row = [int(v or 0) for v in session.execute(select(*aggs)).one()]
    out: dict = {"edition": edition_id}
    for k, (name, _, _, _) in enumerate(TIMED_INPUTS):
        out[name] = row[k]
    for k, (name, _) in enumerate(FIXED_INPUTS):
        out[name] = row[len(TIMED_INPUTS) + 2 * k:len(TIMED_INPUTS) + 2 * k + 2]
    out["marks"] = [list(r) for r in session.execute(
        select(m.DataChange.domain, m.DataChange.counter)
        .where(m.DataChange.domain.in_(("sites", "settings"))).order_by(m.DataChange.domain))]
    return out


def _stored_weeks(session: Session, starts: list[date], scope_id: int
                  ) -> dict[date, m.ReadinessSnapshot]:
    """Return the stored snapshots of these weeks for a scope."""
    rows = session.scalars(select(m.ReadinessSnapshot).where(
        m.ReadinessSnapshot.scope_id == scope_id,
        m.ReadinessSnapshot.week_start.in_(starts))).all()
    return {r.week_start: r for r in rows}


def _store_week(session: Session, row: m.ReadinessSnapshot | None, start: date, scope_id: int,
                r: Readiness, inputs: str) -> None:
    """Insert or refresh one week's snapshot (another process storing it first is fine)."""
    values = {"edition": r.edition, "estimated": r.total, "low": r.low, "high": r.high,
              "max_points": r.max_points, "inputs": inputs, "computed_at": now_local()}
    if row is not None:
        for key, value in values.items():
            setattr(row, key, value)
        session.flush()
        return
    try:
        with session.begin_nested():
            session.add(m.ReadinessSnapshot(week_start=start, scope_id=scope_id, **values))
    except IntegrityError:  # stored meanwhile by another replica: the same figures
        pass


def weekly_snapshots(session: Session, end: datetime, weeks: int = 12,
                     subdistrict_id: int | None = None, *, static: _Static | None = None
                     ) -> pd.DataFrame:
    """Return the estimate at the end of each finished week of the last weeks before end's
    week, from the stored snapshots: week_start, estimated, low, high, computed (True when
    computed now). A finished week is computed once, the first time it is asked for after its
    close, and stored (committed) with the watermark of its inputs (inputs_now); from then on
    it is that week's figure: a write after the close, even one dated inside the week, leaves
    it as stored. Only a new edition of the evaluation system recomputes it."""
    static = static or _static(session)
    current = week_start(end.date())
    starts = [current - timedelta(weeks=k) for k in range(weeks, 0, -1)]
    scope_id = subdistrict_id or 0
    stored = _stored_weeks(session, starts, scope_id)
    inputs: str | None = None
    rows, wrote = [], False
    for start in starts:
        at = week_end(start)
        row = stored.get(start)
        if row is not None and row.edition == static.edition.code:
            rows.append((start, row.estimated, row.low, row.high, False))
            continue
        if inputs is None:
            inputs = json.dumps(inputs_now(session, static.edition.id), sort_keys=True)
        r = readiness_estimate(session, at, subdistrict_id, draws=TREND_DRAWS,
                               seed=_week_seed(start), static=static)
        _store_week(session, row, start, scope_id, r, inputs)
        wrote = True
        rows.append((start, r.total, r.low, r.high, True))
    if wrote:
        session.commit()
    return pd.DataFrame(rows, columns=["week_start", "estimated", "low", "high", "computed"])


def readiness_trend(session: Session, end: datetime, weeks: int = 12,
                    subdistrict_id: int | None = None,
                    open_weights: OpenWeights | None = None) -> pd.DataFrame:
    """Return the estimate at the end of each of the last weeks (the current week up to end):
    week_start, estimated, low, high; the finished weeks from their stored snapshots
    (weekly_snapshots), the current one computed."""
    static = _static(session)
    static.open_weights = open_weights
    current = week_start(end.date())
    done = weekly_snapshots(session, end, weeks - 1, subdistrict_id, static=static) \
        if weeks > 1 else pd.DataFrame(columns=["week_start", "estimated", "low", "high"])
    r = readiness_estimate(session, min(week_end(current), end), subdistrict_id,
                           draws=TREND_DRAWS, seed=_week_seed(current), static=static)
    now = pd.DataFrame([(current, r.total, r.low, r.high)],
                       columns=["week_start", "estimated", "low", "high"])
    if done.empty:
        return now
    return pd.concat([done.drop(columns="computed"), now], ignore_index=True)


def last_week_estimate(session: Session, t: datetime, subdistrict_id: int | None = None,
                       open_weights: OpenWeights | None = None) -> float | None:
    """Return the estimate at the end of the week before t's (its stored snapshot), or None
    before an evaluation system is loaded."""
    try:
        static = _static(session)
        static.open_weights = open_weights
        weeks = weekly_snapshots(session, t, 1, subdistrict_id, static=static)
    except CivDataError:
        return None
    return float(weeks["estimated"].iloc[0])


def points_at_risk(session: Session, t: datetime, subdistrict_id: int | None = None,
                   open_weights: OpenWeights | None = None) -> pd.DataFrame:
    """Return the contents ranked by points lost, with owner, deadline and open tasks
    (open_weights: where the deduction fallback's open_weight_by_site comes from, if not SQL)."""
    static = _static(session)
    static.open_weights = open_weights
    contents, _, _, _ = content_estimates(session, t, subdistrict_id, draws=0, static=static)
    tasks = open_task_counts(session, t, subdistrict_id)
    out = contents.merge(tasks, on="content_code", how="left")
    out["tasks_open"] = out["tasks_open"].fillna(0).astype(int)
    out["tasks_overdue"] = out["tasks_overdue"].fillna(0).astype(int)
    out["owner"] = out["owner"].where(out["owner"].notna(), out["lead_unit"])
    out["work_under_way"] = out["tasks_open"] > 0
    out = out.rename(columns={"points": "max_points"})
    out["estimated"] = out["estimated"].round(2)
    out["points_lost"] = out["points_lost"].round(2)
    out = out.sort_values(["points_lost", "content_code"], ascending=[False, True])
    return out[RISK_COLUMNS].reset_index(drop=True)
