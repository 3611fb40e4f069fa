"""Pure functions: progress weights, plans, the subdistrict index (CityScore style), changes."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

INDEX_CAP = 1.25
WEIGHT_COLUMN = {
    "old_compound": "floor_area_m2",
    "back_street": "length_m",
    "boutique_street": "length_m",
    "key_road": "length_m",
}
PROGRAMME_ORDER = [("old_compound", 1), ("old_compound", 2), ("back_street", 1),
                   ("back_street", 2), ("boutique_street", 1), ("key_road", 1)]


def planned_percent(start: date | None, end: date | None, day: date) -> float:
    """Return the planned percent complete on day for a straight-line plan from start to end."""
    if start is None or end is None:
        return 0.0
    if day <= start:
        return 0.0
    if day >= end:
        return 100.0
    return 100.0 * (day - start).days / max((end - start).days, 1)


def project_weights(projects: pd.DataFrame) -> pd.Series:
    """Return each project's progress weight (floor area for compounds, length for streets)."""
    if projects.empty:
        return pd.Series(dtype=float)
    weights = pd.Series(
        [float(row[WEIGHT_COLUMN[row["programme"]]]) for _, row in projects.iterrows()],
        index=projects.index, dtype=float)
    return weights.where(weights > 0, 1.0)


def weighted_progress(projects: pd.DataFrame) -> pd.DataFrame:
    """Return weighted percent complete, counts and weights per programme and batch."""
    cols = ["programme", "batch", "percent", "projects", "completed", "weight"]
    if projects.empty:
        return pd.DataFrame(columns=cols)
    frame = projects.assign(weight=project_weights(projects))
    frame["weighted"] = frame["percent"] * frame["weight"]
    out = frame.groupby(["programme", "batch"], as_index=False).agg(
        weighted=("weighted", "sum"), weight=("weight", "sum"), projects=("id", "count"),
        completed=("stage", lambda s: int((s == "completed").sum())))
    out["percent"] = out["weighted"] / out["weight"]
    order = {key: i for i, key in enumerate(PROGRAMME_ORDER)}
    out["order"] = [order.get((p, b), 99) for p, b in zip(out["programme"], out["batch"],
                                                          strict=True)]
    return out.sort_values("order")[cols].reset_index(drop=True)


def progress_against_plan(projects: pd.DataFrame, day: date) -> pd.DataFrame:
    """Return per subdistrict the weighted actual and planned percent and their ratio."""
    if projects.empty:
        return pd.DataFrame(columns=["subdistrict_id", "actual", "planned", "ratio"])
    frame = projects.assign(weight=project_weights(projects))
    frame["plan"] = [planned_percent(s, e, day) for s, e in
                     zip(frame["planned_start"], frame["planned_end"], strict=True)]
    frame["wa"] = frame["percent"] * frame["weight"]
    frame["wp"] = frame["plan"] * frame["weight"]
    out = frame.groupby("subdistrict_id", as_index=False).agg(
        wa=("wa", "sum"), wp=("wp", "sum"), w=("weight", "sum"))
    out["actual"] = out["wa"] / out["w"]
    out["planned"] = out["wp"] / out["w"]
    out["ratio"] = np.where(out["planned"] > 0, out["actual"] / out["planned"].where(
        out["planned"] > 0, 1.0), np.nan)
    return out[["subdistrict_id", "actual", "planned", "ratio"]]


# --- renovation page: stage counts, slippage, bid-section timeline (issue 6) ---
SLIP_POINTS = 10.0  # a project slips when its actual percent trails the plan by more than this
STAGE_ORDER = ("planned", "bidding", "under_construction", "completed")


def programme_summary(projects: pd.DataFrame) -> pd.DataFrame:
    """Return per programme and batch the weighted percent, weight basis, stage counts,
    households and investment planned and spent."""
    stage_cols = [f"n_{s}" for s in STAGE_ORDER]
    cols = ["programme", "batch", "percent", "weight_basis", "projects", "completed",
            *stage_cols, "drawings_done", "households", "investment_planned", "investment_spent"]
    if projects.empty:
        return pd.DataFrame(columns=cols)
    base = weighted_progress(projects)
    frame = projects.assign(**{f"n_{s}": (projects["stage"] == s).astype(int)
                               for s in STAGE_ORDER},
                            drawings_done=projects.get("drawings_done_on", pd.Series(
                                None, index=projects.index)).notna().astype(int))
    extra = frame.groupby(["programme", "batch"], as_index=False).agg(
        drawings_done=("drawings_done", "sum"),
        households=("households", "sum"),
        investment_planned=("investment_planned_yuan", "sum"),
        investment_spent=("investment_spent_yuan", "sum"),
        **{c: (c, "sum") for c in stage_cols})
    out = base.merge(extra, on=["programme", "batch"], how="left")
    out["weight_basis"] = [WEIGHT_COLUMN[p] for p in out["programme"]]
    return out[cols]


def project_slippage(projects: pd.DataFrame, day: date,
                     threshold: float = SLIP_POINTS) -> pd.DataFrame:
    """Return projects with planned percent on day, points behind plan and a slip flag/reason.

    A project slips when it is not completed and either trails the straight-line plan by more
    than threshold points ('behind') or its planned end has passed ('overdue').
    """
    out = projects.copy()
    if out.empty:
        for col in ("planned_percent", "behind", "slipping", "slip_reason"):
            out[col] = pd.Series(dtype=object)
        return out
    out["planned_percent"] = [planned_percent(s, e, day) for s, e in
                              zip(out["planned_start"], out["planned_end"], strict=True)]
    out["behind"] = out["planned_percent"] - out["percent"].astype(float)
    open_ = out["stage"] != "completed"
    overdue = open_ & pd.Series([e is not None and not pd.isna(e) and e < day
                                 for e in out["planned_end"]], index=out.index)
    behind = open_ & (out["behind"] > threshold)
    out["slipping"] = overdue | behind
    out["slip_reason"] = pd.Series(["overdue" if o else "behind" if b else None
                                    for o, b in zip(overdue, behind, strict=True)],
                                   index=out.index, dtype=object)
    return out


def bid_section_timeline(projects: pd.DataFrame) -> pd.DataFrame:
    """Return per programme, batch and bid section the planned and actual span and percent
    (actual end only once every project of the section is complete)."""
    cols = ["programme", "batch", "bid_section", "planned_start", "planned_end",
            "actual_start", "actual_end", "percent", "projects"]
    if projects.empty:
        return pd.DataFrame(columns=cols)
    frame = projects.assign(weight=project_weights(projects),
                            bid_section=projects["bid_section"].fillna("—"))
    frame["weighted"] = frame["percent"] * frame["weight"]
    rows = []
    for (prog, batch, section), g in frame.groupby(["programme", "batch", "bid_section"],
                                                    sort=True):
        done = bool((g["stage"] == "completed").all())
        starts = g["actual_start"].dropna()
        rows.append({"programme": prog, "batch": int(batch), "bid_section": section,
                     "planned_start": g["planned_start"].min(),
                     "planned_end": g["planned_end"].max(),
                     "actual_start": starts.min() if len(starts) else None,
                     "actual_end": g["actual_end"].max() if done else None,
                     "percent": float(g["weighted"].sum() / g["weight"].sum()),
                     "projects": len(g)})
    return pd.DataFrame(rows, columns=cols)


def metric_values(raw: pd.DataFrame, renovation: pd.DataFrame) -> pd.DataFrame:
    """Return the index metrics per subdistrict from the raw counts (NaN where undefined)."""
    out = raw[["id", "code", "name_zh", "name_en"]].copy()
    out["on_time_rate"] = _ratio(raw["on_time_30d"], raw["closed_30d"])
    out["clean_site_share"] = 1.0 - _ratio(raw["sites_with_open"], raw["sites"])
    out["market_score"] = raw["market_score"]
    out["volunteer_coverage"] = _ratio(raw["communities_covered"], raw["communities"])
    ren = renovation.rename(columns={"subdistrict_id": "id", "ratio": "renovation_vs_plan"})
    out = out.merge(ren[["id", "renovation_vs_plan"]], on="id", how="left")
    out["open"] = raw["open"].to_numpy()
    out["overdue"] = raw["overdue"].to_numpy()
    return out


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """Return num / den, NaN where den is zero."""
    den = den.astype(float)
    return num.astype(float) / den.where(den > 0)


def index_scores(values: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """Return values with one capped ratio per metric, the weighted index (0-125) and rank."""
    out = values.copy()
    weighted = np.zeros(len(out))
    weight_sum = np.zeros(len(out))
    for t in targets.itertuples(index=False):
        actual = out[t.metric].astype(float).to_numpy()
        if t.higher_is_better:
            ratio = actual / t.target
        else:
            ratio = np.where(actual > 0, t.target / np.where(actual > 0, actual, 1.0), INDEX_CAP)
        ratio = np.minimum(ratio, INDEX_CAP)
        out[f"{t.metric}_ratio"] = ratio
        present = ~np.isnan(ratio)
        weighted += np.where(present, ratio * t.weight, 0.0)
        weight_sum += np.where(present, t.weight, 0.0)
    out["index"] = np.where(weight_sum > 0, 100.0 * weighted / np.where(weight_sum > 0,
                                                                        weight_sum, 1.0), np.nan)
    out["rank"] = out["index"].rank(ascending=False, method="min").astype("Int64")
    return out.sort_values(["rank", "code"]).reset_index(drop=True)


def change(now: float | None, before: float | None) -> float | None:
    """Return now - before, or None when either is missing."""
    if now is None or before is None or pd.isna(now) or pd.isna(before):
        return None
    return float(now) - float(before)
