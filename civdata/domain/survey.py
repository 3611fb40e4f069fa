"""The household survey (问卷调查, issue 19): favourable rates per question and subdistrict with
95 % Wilson intervals, weighted to the district by subdistrict population.

Rules kept here:
- A question's rate is the share of favourable answers among those who answered it (blanks are
  not counted).
- A subdistrict's interval is the Wilson score interval at 95 % (z = 1.959964).
- The district rate weights each subdistrict's rate by its population share (subdistricts with
  answers only; without populations every subdistrict weighs the same). Its interval is the
  Wilson interval at the effective sample size n_eff = p(1-p) / sum(w_s^2 p_s(1-p_s) / n_s)
  (Kish), i.e. the variance of the weighted rate; with one subdistrict it equals that one's.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from civdata.core import models as m

Z95 = 1.959963984540054
COLUMNS = ["question_code", "question_zh", "question_en", "dimension", "scope", "n", "rate",
           "low", "high"]


def wilson_interval(k: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Return the Wilson score interval of k successes in n trials (NaN, NaN when n = 0)."""
    if n <= 0:
        return float("nan"), float("nan")
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def weighted_rate(k: np.ndarray, n: np.ndarray, weights: np.ndarray
                  ) -> tuple[float, float, float, float]:
    """Return (rate, low, high, effective n) of strata rates k/n weighted by weights."""
    k, n, w = (np.asarray(a, dtype=float) for a in (k, n, weights))
    keep = n > 0
    if not keep.any():
        return float("nan"), float("nan"), float("nan"), 0.0
    k, n, w = k[keep], n[keep], w[keep]
    w = w / w.sum()
    p_s = k / n
    p = float((w * p_s).sum())
    var = float((w * w * p_s * (1 - p_s) / n).sum())
    if var <= 0 or p <= 0 or p >= 1:  # every stratum all yes or all no: Kish's size is n
        n_eff = float(n.sum()) if len(n) > 1 else float(n[0])
    else:
        n_eff = p * (1 - p) / var
    low, high = wilson_interval(p * n_eff, n_eff)
    return p, low, high, n_eff


def answer_counts(session: Session, until: date | None = None,
                  subdistrict_id: int | None = None) -> pd.DataFrame:
    """Return per question and subdistrict: answers and favourable answers (up to a day)."""
    q = (select(m.SurveyQuestion.code, m.SurveyResponse.subdistrict_id,
                func.count(), func.sum(case((m.SurveyAnswer.favourable.is_(True), 1), else_=0)))
         .join(m.SurveyAnswer, m.SurveyAnswer.question_id == m.SurveyQuestion.id)
         .join(m.SurveyResponse, m.SurveyResponse.id == m.SurveyAnswer.response_id)
         .group_by(m.SurveyQuestion.code, m.SurveyResponse.subdistrict_id))
    if until is not None:
        q = q.where(m.SurveyResponse.responded_on <= until)
    if subdistrict_id is not None:
        q = q.where(m.SurveyResponse.subdistrict_id == subdistrict_id)
    frame = pd.DataFrame(session.execute(q).all(),
                         columns=["question_code", "subdistrict_id", "n", "k"])
    frame[["n", "k"]] = frame[["n", "k"]].astype(float)
    return frame


def _questions(session: Session) -> pd.DataFrame:
    """Return the questions in order: code, names, dimension, content code."""
    rows = session.execute(select(m.SurveyQuestion.code, m.SurveyQuestion.name_zh,
                                  m.SurveyQuestion.name_en, m.SurveyQuestion.dimension,
                                  m.SurveyQuestion.content_code)
                           .order_by(m.SurveyQuestion.sort_order, m.SurveyQuestion.id)).all()
    return pd.DataFrame(rows, columns=["question_code", "question_zh", "question_en",
                                       "dimension", "content_code"])


def _populations(session: Session) -> pd.DataFrame:
    """Return every subdistrict's id, names and population (NaN when unknown)."""
    rows = session.execute(select(m.Subdistrict.id, m.Subdistrict.name_zh, m.Subdistrict.name_en,
                                  m.Subdistrict.population).order_by(m.Subdistrict.id)).all()
    frame = pd.DataFrame(rows, columns=["subdistrict_id", "name_zh", "name_en", "population"])
    frame["population"] = frame["population"].astype(float)
    return frame


def district_rates(counts: pd.DataFrame, populations: pd.DataFrame) -> pd.DataFrame:
    """Return per question the population-weighted rate, its interval and the answers."""
    pop = populations.set_index("subdistrict_id")["population"]
    rows = []
    for code, g in counts.groupby("question_code", sort=False):
        w = g["subdistrict_id"].map(pop).to_numpy(dtype=float)
        if np.isnan(w).any() or w.sum() <= 0:
            w = np.ones(len(g))
        rate, low, high, _ = weighted_rate(g["k"].to_numpy(), g["n"].to_numpy(), w)
        rows.append((code, int(g["n"].sum()), rate, low, high))
    return pd.DataFrame(rows, columns=["question_code", "n", "rate", "low", "high"])


def survey_rates(session: Session, subdistrict_id: int | None = None,
                 until: date | None = None) -> pd.DataFrame:
    """Return rates per question: the district (weighted) and each subdistrict, or one
    subdistrict only; columns question_code, names, dimension, scope, n, rate, low, high."""
    questions = _questions(session)
    populations = _populations(session)
    counts = answer_counts(session, until, subdistrict_id)
    if counts.empty or questions.empty:
        return pd.DataFrame(columns=COLUMNS)
    names = populations.set_index("subdistrict_id")["name_zh"]
    parts = []
    if subdistrict_id is None:
        parts.append(district_rates(counts, populations).assign(scope="district"))
    per_sub = counts.copy()
    bounds = [wilson_interval(k, n) for k, n in zip(per_sub["k"], per_sub["n"], strict=True)]
    per_sub["rate"] = per_sub["k"] / per_sub["n"]
    per_sub["low"] = [b[0] for b in bounds]
    per_sub["high"] = [b[1] for b in bounds]
    per_sub["scope"] = per_sub["subdistrict_id"].map(names)
    per_sub["n"] = per_sub["n"].astype(int)
    parts.append(per_sub[["question_code", "n", "rate", "low", "high", "scope"]]
                 .sort_values(["question_code", "scope"]))
    out = pd.concat(parts, ignore_index=True).merge(
        questions.drop(columns="content_code"), on="question_code", how="left")
    order = {c: i for i, c in enumerate(questions["question_code"])}
    out["_q"] = out["question_code"].map(order)
    out["_d"] = out["scope"] != "district"
    out = out.sort_values(["_q", "_d", "scope"]).drop(columns=["_q", "_d"])
    return out[COLUMNS].reset_index(drop=True)


def content_survey_rates(session: Session, until: date | None = None,
                         subdistrict_id: int | None = None) -> pd.DataFrame:
    """Return per survey content code its rate and interval (mean over its questions):
    content_code, rate, low, high, n."""
    questions = _questions(session)
    counts = answer_counts(session, until, subdistrict_id)
    if counts.empty:
        return pd.DataFrame(columns=["content_code", "rate", "low", "high", "n"])
    rates = district_rates(counts, _populations(session)).merge(
        questions[["question_code", "content_code"]], on="question_code")
    out = rates.groupby("content_code").agg(rate=("rate", "mean"), low=("low", "mean"),
                                            high=("high", "mean"), n=("n", "sum"))
    return out.reset_index()
