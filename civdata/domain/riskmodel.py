"""Risk per evaluation site and a mock evaluation (stratified sample, bootstrap range)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from civdata.core import models as m
from civdata.core.query import (
    epoch_of,
    epoch_seconds,
    overdue_flags,
    problem_is_open,
    to_district_time,
)

# An open problem weighs its class's risk_weight times (1 + days open / AGE_SCALE_DAYS);
# an overdue problem counts OVERDUE_FACTOR times as much.
AGE_SCALE_DAYS = 7.0
AGE_SCALE_S = AGE_SCALE_DAYS * 86400.0
OVERDUE_FACTOR = 1.5
# The mock evaluation: a site starts at 100 points; every open problem inside its
# surroundings costs DEDUCTION_POINTS x its class's risk weight (floor 0).
FULL_SCORE = 100.0
DEDUCTION_POINTS = 5.0
DEFAULT_SEED = 2022
BOOTSTRAP_ROUNDS = 1000


@dataclass(frozen=True)
class OpenLinks:
    """The open problems within each site's radius, read once for every moment from `since` on:
    the links already overdue at since (and found by then) summed per site (`late`: site_id,
    links, risk_weight, weighted_found = the sum of weight x found-moment seconds), every other
    link one row (`rows`: site_id, problem_id, risk_weight, discovered_at, deadline). With 10 %
    of 1M problems open, `late` is 381 rows where the links were 500,000."""

    since: datetime
    late: pd.DataFrame
    rows: pd.DataFrame


LATE_COLUMNS = ["site_id", "links", "risk_weight", "weighted_found"]
ROW_COLUMNS = ["site_id", "problem_id", "risk_weight", "discovered_at", "deadline"]


def read_open_links(session: Session, since: datetime,
                    subdistrict_id: int | None = None) -> OpenLinks:
    """Return the open problems in each site's radius (in one subdistrict or the district) as
    OpenLinks valid for every moment from since on."""
    since = to_district_time(since)
    late = and_(m.Problem.deadline.is_not(None), m.Problem.deadline < since,
                m.Problem.discovered_at <= since)
    weight = m.ProblemClass.risk_weight
    summed = (select(m.ProblemSite.site_id, func.count(), func.sum(weight),
                     func.sum(weight * epoch_seconds(m.Problem.discovered_at)))
              .group_by(m.ProblemSite.site_id).order_by(m.ProblemSite.site_id))
    each = (select(m.ProblemSite.site_id, m.Problem.id, weight, m.Problem.discovered_at,
                   m.Problem.deadline)
            .order_by(m.ProblemSite.site_id, m.Problem.id))
    frames = []
    for q, cond, columns in ((summed, late, LATE_COLUMNS), (each, ~late, ROW_COLUMNS)):
        q = (q.join(m.Problem, m.Problem.id == m.ProblemSite.problem_id)
             .join(m.ProblemClass, m.ProblemClass.id == m.Problem.class_id)
             .where(problem_is_open(), cond))
        if subdistrict_id is not None:
            q = q.join(m.Site, m.Site.id == m.ProblemSite.site_id).where(
                m.Site.subdistrict_id == subdistrict_id)
        frames.append(pd.DataFrame(session.execute(q).all(), columns=columns))
    late_rows, rows = frames
    late_rows = late_rows.astype({"links": int, "risk_weight": float, "weighted_found": float})
    return OpenLinks(since, late_rows, rows)


def site_open_figures(links: OpenLinks, now: datetime) -> pd.DataFrame:
    """Return per site with open problems in its radius at now (not before links.since): site_id,
    open, overdue, risk (problem_risk summed) and risk_weight (the class weights summed)."""
    now = to_district_time(now)
    if now < links.since:
        raise ValueError(f"open links read at {links.since} cannot answer for {now}")
    rows, late = links.rows, links.late
    overdue = overdue_flags(rows["deadline"], now).to_numpy(dtype=int)
    # every summed link is overdue and was found by now: its risk is linear in its found moment
    aged = epoch_of(now) * late["risk_weight"] - late["weighted_found"]
    parts = [
        pd.DataFrame({"site_id": rows["site_id"].to_numpy(dtype=int), "open": 1,
                      "overdue": overdue, "risk": problem_risk(rows, now).to_numpy(dtype=float),
                      "risk_weight": rows["risk_weight"].to_numpy(dtype=float)}),
        pd.DataFrame({"site_id": late["site_id"].to_numpy(dtype=int),
                      "open": late["links"].to_numpy(dtype=int),
                      "overdue": late["links"].to_numpy(dtype=int),
                      "risk": (OVERDUE_FACTOR * (late["risk_weight"] + aged / AGE_SCALE_S)
                               ).to_numpy(dtype=float),
                      "risk_weight": late["risk_weight"].to_numpy(dtype=float)})]
    out = pd.concat(parts, ignore_index=True).groupby("site_id", as_index=False).sum()
    return out.astype({"site_id": int, "open": int, "overdue": int, "risk": float,
                       "risk_weight": float})


def open_weight_by_site(session: Session) -> pd.DataFrame:
    """Return per site the summed class weight of the open problems in its radius (site_id,
    risk_weight; sites without any are left out): what site_scores needs, from the
    site_open_count summary (sites x classes rows, not every open problem's links)."""
    q = (select(m.SiteOpenCount.site_id,
                func.sum(m.SiteOpenCount.problems * m.ProblemClass.risk_weight))
         .join(m.ProblemClass, m.ProblemClass.id == m.SiteOpenCount.class_id)
         .where(m.SiteOpenCount.problems > 0)
         .group_by(m.SiteOpenCount.site_id)
         .order_by(m.SiteOpenCount.site_id))
    out = pd.DataFrame(session.execute(q).all(), columns=["site_id", "risk_weight"])
    out["risk_weight"] = out["risk_weight"].astype(float)
    return out


def problem_risk(links: pd.DataFrame, now: datetime) -> pd.Series:
    """Return each open problem's risk: class weight x age factor (x overdue factor)."""
    now = to_district_time(now)
    if links.empty:
        return pd.Series(dtype=float)
    age_days = ((now - pd.to_datetime(links["discovered_at"])).dt.total_seconds()
                / 86400.0).clip(lower=0)
    overdue = overdue_flags(links["deadline"], now)
    factor = np.where(overdue, OVERDUE_FACTOR, 1.0)
    return links["risk_weight"].astype(float) * (1 + age_days / AGE_SCALE_DAYS) * factor


def site_risk(sites: pd.DataFrame, figures: pd.DataFrame) -> pd.DataFrame:
    """Return sites with open, overdue and risk columns (from site_open_figures), ranked
    riskiest first (rank 1)."""
    per_site = figures.set_index("site_id")[["open", "overdue", "risk"]].rename(
        columns={"open": "open_in_radius", "overdue": "overdue_in_radius"})
    out = sites.merge(per_site, left_on="id", right_index=True, how="left")
    out[["open_in_radius", "overdue_in_radius"]] = out[
        ["open_in_radius", "overdue_in_radius"]].fillna(0).astype(int)
    out["risk"] = out["risk"].fillna(0.0).round(2)
    out = out.sort_values(["risk", "code"], ascending=[False, True]).reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out


def site_scores(sites: pd.DataFrame, links: pd.DataFrame) -> pd.Series:
    """Return each site's mock score (100 minus weighted deductions, floor 0), by site id."""
    deduction = links.groupby("site_id")["risk_weight"].sum() * DEDUCTION_POINTS
    scores = FULL_SCORE - sites["id"].map(deduction).fillna(0.0)
    return pd.Series(scores.clip(lower=0).to_numpy(), index=sites["id"].to_numpy())


def allocate_sample(strata_sizes: pd.Series, n: int) -> pd.Series:
    """Return how many sites to draw per stratum: proportional, at least 1, largest remainder."""
    sizes = strata_sizes[strata_sizes > 0].astype(int)
    n = int(min(max(n, len(sizes)), sizes.sum()))
    quota = sizes / sizes.sum() * n
    alloc = np.floor(quota).astype(int).clip(lower=1, upper=sizes)
    while alloc.sum() < n:  # give the next site to the stratum furthest below its quota
        gap = (quota - alloc).where(alloc < sizes)
        alloc[gap.idxmax()] += 1
    while alloc.sum() > n:  # take one back from the stratum furthest above its quota
        excess = (alloc - quota).where(alloc > 1)
        alloc[excess.idxmax()] -= 1
    return alloc


def draw_stratified_sample(sites: pd.DataFrame, n: int, seed: int,
                           stratum: str = "category_code") -> pd.DataFrame:
    """Return a reproducible random sample of sites, stratified by category."""
    rng = np.random.default_rng(seed)
    alloc = allocate_sample(sites.groupby(stratum).size(), n)
    parts = []
    for key in sorted(alloc.index):
        members = sites[sites[stratum] == key].sort_values("id")
        picked = rng.choice(len(members), size=int(alloc[key]), replace=False)
        parts.append(members.iloc[np.sort(picked)])
    return pd.concat(parts, ignore_index=True) if parts else sites.iloc[0:0]


def stratified_mean(values: pd.Series, strata: pd.Series, weights: pd.Series) -> float:
    """Return the stratified mean: sum over strata of weight x stratum sample mean."""
    means = values.groupby(strata.to_numpy()).mean()
    w = weights.reindex(means.index)
    return float((means * w).sum() / w.sum())


def bootstrap_groups(sample: pd.DataFrame, stratum: str,
                     weights: pd.Series) -> list[tuple[float, np.ndarray]]:
    """Return (weight, scores) per resampling group; strata with one draw are collapsed.

    A stratum sampled once has no spread of its own, and resampling it alone would shrink
    the range; such strata are pooled into one group (the collapsed-strata method), and a
    lone one joins the largest stratum.
    """
    groups = [(float(weights[key]), g["score"].to_numpy(dtype=float))
              for key, g in sample.groupby(stratum)]
    many = [g for g in groups if len(g[1]) > 1]
    single = [g for g in groups if len(g[1]) == 1]
    if len(single) == 1 and many:
        biggest = max(range(len(many)), key=lambda i: many[i][0])
        weight, vals = many[biggest]
        many[biggest] = (weight + single[0][0], np.concatenate([vals, single[0][1]]))
    elif single:
        many.append((sum(w for w, _ in single), np.concatenate([v for _, v in single])))
    return many


def mock_evaluation(sites: pd.DataFrame, links: pd.DataFrame, n: int, seed: int,
                    rounds: int = BOOTSTRAP_ROUNDS, stratum: str = "category_code") -> dict:
    """Return the estimated score of a stratified sample with a 95% bootstrap range."""
    scores = site_scores(sites, links)
    census = float(scores.mean()) if len(scores) else float("nan")
    sample = draw_stratified_sample(sites, n, seed, stratum)
    sample = sample.assign(score=sample["id"].map(scores).to_numpy())
    if sample.empty:
        return {"estimate": float("nan"), "low": float("nan"), "high": float("nan"),
                "census": census, "sample": sample, "n": 0, "seed": seed}
    weights = sites.groupby(stratum).size() / len(sites)
    estimate = stratified_mean(sample["score"], sample[stratum], weights)
    rng = np.random.default_rng(seed + 1)
    boot = np.zeros(rounds)
    groups = bootstrap_groups(sample, stratum, weights)
    for weight, vals in groups:  # every round resamples each group with replacement
        boot += weight * rng.choice(vals, size=(rounds, len(vals)), replace=True).mean(1)
    boot /= sum(weight for weight, _ in groups)
    low, high = np.percentile(boot, [2.5, 97.5])
    return {"estimate": round(estimate, 2), "low": round(float(low), 2),
            "high": round(float(high), 2), "census": round(census, 2), "sample": sample,
            "n": len(sample), "seed": seed}
