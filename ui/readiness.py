"""Evaluation readiness: cached readers, the estimate's headline and charts, points at risk, the
six-lists ledger, the survey, the materials, and the forms (site inspection, inspection round,
materials upload and review)."""

from __future__ import annotations

import functools
import math
from datetime import date, datetime, time
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from civdata.core import models as m
from civdata.core.auth import Actor, Scope, can
from civdata.core.clock import now_local
from civdata.core.errors import CivDataError
from civdata.domain import evaluation, evaluation_tasks, materials, site_inspections, survey
from ui import forms, readers
from ui import map as umap
from ui.downloads import table_with_downloads
from ui.i18n import catalogue, current_lang, name_col, t
from ui.widgets import fmt_num, kpi

METHODS = ("onsite", "survey", "materials")
UPLOAD_TYPES = ["pdf", "jpg", "jpeg", "png", "webp", "doc", "docx", "xls", "xlsx"]
ALL = "__all__"
RISK_ROWS = 30
MARGIN = {"l": 10, "r": 10, "t": 10, "b": 10}
ACTION_INSPECT = "evaluation.inspect"
ACTION_DRAW = "evaluation.manage"
ACTION_UPLOAD = "material.upload"
ACTION_REVIEW = "material.review"


# --- cached readers --------------------------------------------------------------------------
# Keyed by the marks of the domains the evaluation reads (ui.readers.domain_key): its own writes
# (imports, site inspections, rounds, tasks, materials) mark 'evaluation'; the site list and the
# fallback's problems and class weights are 'sites', 'problems' and 'settings'.
# The estimate depends on the moment too (deadlines, overdue tasks); the trend, the costly one
# (one estimate per week), is kept for the day.

DOMAINS = ("evaluation", "sites", "problems", "settings")
ESTIMATE_DOMAINS = ("evaluation", "sites", "settings")  # problems: only the fallback reads them


def _key(version: tuple) -> tuple:
    """Return the cache key of the evaluation's data within version."""
    return readers.domain_key(version, *DOMAINS)


def _compute_estimate(now: datetime, subdistrict_id: int | None,
                      open_weights: evaluation.OpenWeights) -> evaluation.Readiness | None:
    """Return the readiness estimate at now, or None without an evaluation system."""
    with readers.session() as s:
        try:
            return evaluation.readiness_estimate(s, now, subdistrict_id,
                                                 open_weights=open_weights)
        except CivDataError:
            return None


@st.cache_data(ttl=readers.READ_TTL_S, max_entries=64, show_spinner=False)
def _estimate(key: tuple, day: date, subdistrict_id: int | None, _now: datetime,
              _problems: tuple, _open_weights: evaluation.OpenWeights
              ) -> tuple[evaluation.Readiness | None, tuple]:
    """Return the estimate at _now and the problems' mark it was computed under (cached by the
    evaluation's marks and the day: no write dates a row after the moment it is made, so the
    estimate stands until a write marks the evaluation's domains)."""
    return _compute_estimate(_now, subdistrict_id, _open_weights), _problems


@st.cache_data(ttl=readers.READ_TTL_S, max_entries=64, show_spinner=False)
def _estimate_with_problems(key: tuple, day: date, subdistrict_id: int | None,
                            _now: datetime, _open_weights: evaluation.OpenWeights
                            ) -> evaluation.Readiness | None:
    """Return the estimate at _now when the deduction fallback read problems since changed
    (cached by the marks including problems)."""
    return _compute_estimate(_now, subdistrict_id, _open_weights)


def estimate(version: tuple, now: datetime,
             subdistrict_id: int | None) -> evaluation.Readiness | None:
    """Return the readiness estimate at now, or None without an evaluation system; a problem
    write recomputes it only when a category is estimated by the deduction fallback."""
    problems = readers.domain_key(version, "problems")
    weights = functools.partial(readers.open_weights, version)  # shared with the weekly page
    est, computed_under = _estimate(readers.domain_key(version, *ESTIMATE_DOMAINS), now.date(),
                                    subdistrict_id, now, problems, weights)
    if est is not None and est.fallback_categories and computed_under != problems:
        est = _estimate_with_problems(_key(version), now.date(), subdistrict_id, now, weights)
    return est


def trend_end(day: date) -> datetime:
    """Return the moment the trend is computed to: the end of day."""
    return datetime.combine(day, time(23, 59, 59))


@st.cache_data(ttl=readers.READ_TTL_S, max_entries=32, show_spinner=False)
def _trend(key: tuple, day: date, subdistrict_id: int | None,
           _open_weights: evaluation.OpenWeights) -> pd.DataFrame:
    """Return the weekly estimate of the last 12 weeks up to the end of day (cached)."""
    with readers.session() as s:
        try:
            return evaluation.readiness_trend(s, trend_end(day), 12, subdistrict_id,
                                              _open_weights)
        except CivDataError:
            return pd.DataFrame(columns=["week_start", "estimated", "low", "high"])


def trend(version: tuple, day: date, subdistrict_id: int | None) -> pd.DataFrame:
    """Return the weekly estimate of the last 12 weeks up to the end of day."""
    return _trend(_key(version), day, subdistrict_id,
                  functools.partial(readers.open_weights, version))


@st.cache_data(ttl=readers.READ_TTL_S, max_entries=32, show_spinner=False)
def _last_week(key: tuple, day: date, subdistrict_id: int | None,
               _open_weights: evaluation.OpenWeights) -> float | None:
    """Return the estimate at the end of the week before day's, from its snapshot (cached)."""
    with readers.session() as s:
        return evaluation.last_week_estimate(s, trend_end(day), subdistrict_id, _open_weights)


def last_week(version: tuple, day: date, subdistrict_id: int | None) -> float | None:
    """Return the estimate at the end of the week before day's (None without a system); the
    stored snapshot of a closed week, so only a new edition (evaluation) can change it."""
    return _last_week(readers.domain_key(version, "evaluation"), day, subdistrict_id,
                      functools.partial(readers.open_weights, version))


@st.cache_data(ttl=readers.READ_TTL_S, max_entries=64, show_spinner=False)
def _risk(key: tuple, now: datetime, subdistrict_id: int | None,
          _open_weights: evaluation.OpenWeights) -> pd.DataFrame:
    """Return the contents ranked by points lost (cached)."""
    with readers.session() as s:
        return evaluation.points_at_risk(s, now, subdistrict_id, _open_weights)


def risk(version: tuple, now: datetime, subdistrict_id: int | None) -> pd.DataFrame:
    """Return the contents ranked by points lost."""
    return _risk(_key(version), now, subdistrict_id,
                 functools.partial(readers.open_weights, version))


@st.cache_data(ttl=readers.READ_TTL_S, max_entries=64, show_spinner=False)
def _ledger(key: tuple, now: datetime, subdistrict_id: int | None, content_code: str | None,
            status: str | None, overdue_only: bool) -> pd.DataFrame:
    """Return the six-lists tasks matching the filters (cached)."""
    with readers.session() as s:
        return evaluation_tasks.six_lists(s, now, subdistrict_id, content_code=content_code,
                                          status=status, overdue_only=overdue_only)


def ledger(version: tuple, now: datetime, subdistrict_id: int | None, content_code: str | None,
           status: str | None, overdue_only: bool) -> pd.DataFrame:
    """Return the six-lists tasks matching the filters."""
    return _ledger(_key(version), now, subdistrict_id, content_code, status, overdue_only)


@st.cache_data(ttl=readers.READ_TTL_S, max_entries=32, show_spinner=False)
def _survey_rates(key: tuple, subdistrict_id: int | None) -> pd.DataFrame:
    """Return the survey rates per question and scope with Wilson intervals (cached)."""
    with readers.session() as s:
        return survey.survey_rates(s, subdistrict_id)


def survey_rates(version: tuple, subdistrict_id: int | None) -> pd.DataFrame:
    """Return the survey rates per question and scope with Wilson intervals."""
    return _survey_rates(_key(version), subdistrict_id)


@st.cache_data(ttl=readers.READ_TTL_S, max_entries=64, show_spinner=False)
def _material_table(key: tuple, now: datetime, subdistrict_id: int | None) -> pd.DataFrame:
    """Return the required materials with their latest version and review (cached)."""
    with readers.session() as s:
        return materials.materials_overview(s, now, subdistrict_id)


def material_table(version: tuple, now: datetime, subdistrict_id: int | None) -> pd.DataFrame:
    """Return the required materials with their latest version and review."""
    return _material_table(_key(version), now, subdistrict_id)


@st.cache_data(ttl=readers.READ_TTL_S, max_entries=32, show_spinner=False)
def _checklist(key: tuple, category_code: str) -> pd.DataFrame:
    """Return a site category's checklist items (cached)."""
    with readers.session() as s:
        return site_inspections.site_checklist(s, category_code)


def checklist(version: tuple, category_code: str) -> pd.DataFrame:
    """Return a site category's checklist items."""
    return _checklist(_key(version), category_code)


@st.cache_data(ttl=readers.READ_TTL_S, show_spinner=False)
def _rounds(key: tuple) -> pd.DataFrame:
    """Return the inspection rounds with their completion (cached)."""
    with readers.session() as s:
        return site_inspections.rounds_overview(s)


def rounds(version: tuple) -> pd.DataFrame:
    """Return the inspection rounds with their completion."""
    return _rounds(_key(version))


@st.cache_data(ttl=readers.READ_TTL_S, max_entries=32, show_spinner=False)
def _round_sites(key: tuple, round_id: int) -> pd.DataFrame:
    """Return one round's sites, inspectors and completion (cached)."""
    with readers.session() as s:
        return site_inspections.round_sites(s, round_id)


def round_sites(version: tuple, round_id: int) -> pd.DataFrame:
    """Return one round's sites, inspectors and completion."""
    return _round_sites(_key(version), round_id)


# --- scope and permissions -------------------------------------------------------------------

def scope(actor: Actor | None, chosen: int | None) -> int | None:
    """Return the subdistrict shown: an account bound to one sees only it, others the sidebar's."""
    if actor is not None and actor.subdistrict_id is not None:
        return actor.subdistrict_id
    return chosen


def scope_name(subdistrict_id: int | None) -> str:
    """Return the name of a subdistrict, or 'whole district'."""
    if subdistrict_id is None:
        return t("common.whole_district")
    subs = readers.subdistricts(readers.data_version())
    match = subs[subs["id"] == subdistrict_id]
    return str(match[name_col()].iloc[0]) if not match.empty else t("common.whole_district")


def _label(prefix: str, code: Any) -> str:
    """Return the text of prefix+code, or the code itself when the catalogue has none."""
    key = f"{prefix}{code}"
    return t(key) if key in catalogue() else ("" if code is None else str(code))


# --- formats ---------------------------------------------------------------------------------

def fmt_points(value: float | None) -> str:
    """Return points with one decimal, or '—' (the KPI's format)."""
    return fmt_num(value, 1)


def _day(value: Any) -> str:
    """Return a date or datetime as YYYY-MM-DD, or ''."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return ""
    if isinstance(value, (date, datetime, pd.Timestamp)):
        return value.strftime("%Y-%m-%d")
    return str(value)[:10]


def _moment(value: Any) -> str:
    """Return a datetime as YYYY-MM-DD HH:MM, or ''."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return ""
    if isinstance(value, (datetime, pd.Timestamp)):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)[:16].replace("T", " ")


# --- the headline ----------------------------------------------------------------------------

def has_system(est: evaluation.Readiness | None) -> bool:
    """Return True when an indicator system is loaded (the estimate has points to give)."""
    return est is not None and float(est.max_points or 0) > 0


def range_text(est: evaluation.Readiness) -> str:
    """Return '95% range 80.1 – 86.3'."""
    return t("readiness.kpi.range", low=fmt_points(est.low), high=fmt_points(est.high))


def draw_headline(est: evaluation.Readiness, before: float | None) -> None:
    """Draw the total with its range against last week's stored figure, and the points per
    method."""
    cols = st.columns(4)
    with cols[0]:
        kpi(t("readiness.kpi.total", max=fmt_num(est.max_points)), est.total, before,
            fmt="score",
            help_text=t("readiness.kpi.help"))
        st.caption(range_text(est))
    for col, method in zip(cols[1:], METHODS, strict=True):
        most = est.max_by_method.get(method, 0.0)
        col.metric(t("readiness.kpi.method", method=t(f"readiness.method.{method}"),
                     max=fmt_num(most)), fmt_points(est.by_method.get(method)), border=True)


def range_chart(est: evaluation.Readiness) -> go.Figure:
    """Return horizontal bars: the total with its range, and each method, against the maximum."""
    labels = [t("readiness.range_bar.label")] + [t(f"readiness.method.{m}") for m in METHODS]
    most = [float(est.max_points)] + [float(est.max_by_method.get(m, 0.0)) for m in METHODS]
    got = [float(est.total)] + [float(est.by_method.get(m, 0.0)) for m in METHODS]
    plus = [float(est.high) - float(est.total)] + [0.0] * len(METHODS)
    minus = [float(est.total) - float(est.low)] + [0.0] * len(METHODS)
    fig = go.Figure([
        go.Bar(y=labels, x=most, orientation="h", name=t("readiness.range_bar.max"),
               marker_color="#d9dde3", text=[fmt_num(v) for v in most], textposition="outside"),
        go.Bar(y=labels, x=got, orientation="h", name=t("readiness.range_bar.estimate"),
               marker_color="#2563eb", text=[fmt_points(v) for v in got],
               textposition="inside", insidetextanchor="middle",
               error_x={"type": "data", "symmetric": False, "array": plus, "arrayminus": minus,
                        "color": "#111827", "thickness": 2, "width": 8}),
    ])
    fig.update_layout(barmode="overlay", height=230, margin=MARGIN, bargap=0.35,
                      yaxis={"autorange": "reversed"},
                      xaxis={"range": [0, float(est.max_points) * 1.08],
                             "title": t("readiness.axis.points")},
                      legend={"orientation": "h", "y": 1.15, "x": 0})
    return fig


def fallback_note(est: evaluation.Readiness, categories: pd.DataFrame) -> None:
    """Name the site categories still estimated by the deduction model."""
    codes = list(est.fallback_categories)
    if not codes:
        st.caption(t("readiness.no_fallback"))
        return
    names = dict(zip(categories["code"], categories[name_col()], strict=True))
    st.warning(t("readiness.fallback", n=len(codes),
                 names="、".join(str(names.get(c, c)) for c in codes)),
               icon=":material/info:")


# --- parts and trend -------------------------------------------------------------------------

def parts_chart(parts: pd.DataFrame) -> go.Figure:
    """Return the parts as bars: estimate with its range (error bars) beside the maximum."""
    names = [str(v) for v in parts[name_col()]]
    est = parts["estimated"].astype(float)
    fig = go.Figure([
        go.Bar(x=names, y=list(est), name=t("readiness.parts.estimated"), marker_color="#2563eb",
               text=[fmt_points(v) for v in est], textposition="inside",
               insidetextanchor="middle",
               error_y={"type": "data", "symmetric": False,
                        "array": list(parts["high"].astype(float) - est),
                        "arrayminus": list(est - parts["low"].astype(float))}),
        go.Bar(x=names, y=list(parts["max_points"].astype(float)), name=t("readiness.parts.max"),
               marker_color="#d9dde3"),
    ])
    fig.update_layout(barmode="group", height=380, margin=MARGIN,
                      yaxis={"title": t("readiness.axis.points")},
                      legend={"orientation": "h", "y": 1.1, "x": 0})
    return fig


def parts_frame(parts: pd.DataFrame) -> pd.DataFrame:
    """Return the parts as a display table."""
    return pd.DataFrame({
        t("readiness.col.part"): parts[name_col()],
        t("readiness.col.max_points"): parts["max_points"].astype(float),
        t("readiness.col.estimated"): parts["estimated"].astype(float).round(1),
        t("readiness.col.low"): parts["low"].astype(float).round(1),
        t("readiness.col.high"): parts["high"].astype(float).round(1),
    }).reset_index(drop=True)


def trend_chart(weeks: pd.DataFrame, max_points: float) -> go.Figure:
    """Return the weekly estimate as a line inside its shaded range."""
    x = [_day(d) for d in weeks["week_start"]]
    fig = go.Figure([
        go.Scatter(x=x, y=list(weeks["high"].astype(float)), mode="lines",
                   line={"width": 0}, showlegend=False, hoverinfo="skip"),
        go.Scatter(x=x, y=list(weeks["low"].astype(float)), mode="lines", line={"width": 0},
                   fill="tonexty", fillcolor="rgba(37,99,235,0.15)",
                   name=t("readiness.trend.range")),
        go.Scatter(x=x, y=list(weeks["estimated"].astype(float)), mode="lines+markers",
                   name=t("readiness.parts.estimated"), line={"color": "#2563eb"}),
    ])
    low = float(weeks["low"].min()) if not weeks.empty else 0.0
    fig.update_layout(height=380, margin=MARGIN, legend={"orientation": "h", "y": 1.1, "x": 0},
                      xaxis={"title": t("readiness.trend.week")},
                      yaxis={"title": t("readiness.axis.points"),
                             "range": [max(0.0, low - 5), float(max_points)]})
    return fig


# --- points at risk --------------------------------------------------------------------------

def risk_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """Return the points at risk as a display table (rank 1 = most points lost)."""
    lang = current_lang()
    rows = rows.reset_index(drop=True)
    return pd.DataFrame({
        t("readiness.col.rank"): range(1, len(rows) + 1),
        t("readiness.col.content_code"): rows["content_code"],
        t("readiness.col.content"): rows[f"content_{lang}"],
        t("readiness.col.method"): [_label("readiness.method.", v) for v in rows["method"]],
        t("readiness.col.max_points"): rows["max_points"].astype(float),
        t("readiness.col.estimated"): rows["estimated"].astype(float).round(2),
        t("readiness.col.points_lost"): rows["points_lost"].astype(float).round(2),
        t("readiness.col.lead_unit"): rows["lead_unit"].fillna(""),
        t("readiness.col.owner"): rows["owner"].fillna(""),
        t("readiness.col.deadline"): [_day(v) for v in rows["deadline"]],
        t("readiness.col.tasks_open"): rows["tasks_open"].fillna(0).astype(int),
        t("readiness.col.tasks_overdue"): rows["tasks_overdue"].fillna(0).astype(int),
        t("readiness.col.work_under_way"): rows["work_under_way"].fillna(False).astype(bool),
    })


def draw_risk(rows: pd.DataFrame) -> None:
    """Draw the points-at-risk table with its downloads."""
    losing = rows[rows["points_lost"] > 0]
    if losing.empty:
        st.success(t("readiness.risk.none"))
        return
    st.caption(t("readiness.risk.help", n=len(losing), total=len(rows)))
    frame = risk_frame(losing)
    most = float(frame[t("readiness.col.points_lost")].max() or 1.0)
    table_with_downloads(frame, t("readiness.risk"), key="readiness_risk", column_config={
        t("readiness.col.points_lost"): st.column_config.ProgressColumn(
            min_value=0.0, max_value=most, format="%.2f"),
        t("readiness.col.estimated"): st.column_config.NumberColumn(format="%.2f"),
        t("readiness.col.max_points"): st.column_config.NumberColumn(format="%g")})


# --- the six-lists ledger --------------------------------------------------------------------

def ledger_filters(tasks: pd.DataFrame, risk_rows: pd.DataFrame) -> tuple[str | None,
                                                                         str | None, bool]:
    """Draw the ledger's filters (content, status, overdue only); return the chosen values."""
    lang = current_lang()
    names = dict(zip(risk_rows["content_code"], risk_rows[f"content_{lang}"], strict=True)) \
        if not risk_rows.empty else {}
    codes = sorted(str(c) for c in tasks["content_code"].dropna().unique())
    statuses = sorted(str(s) for s in tasks["status"].dropna().unique())
    c1, c2, c3 = st.columns([3, 2, 1], vertical_alignment="bottom")
    content = c1.selectbox(t("readiness.ledger.content"), [ALL, *codes],
                           key="readiness_ledger_content",
                           format_func=lambda c: t("readiness.ledger.all") if c == ALL
                           else f"{c} · {names[c]}" if c in names else c)
    status = c2.selectbox(t("readiness.ledger.status"), [ALL, *statuses],
                          key="readiness_ledger_status",
                          format_func=lambda s: t("readiness.ledger.all") if s == ALL
                          else _label("readiness.status.", s))
    overdue_only = c3.toggle(t("readiness.ledger.overdue_only"), key="readiness_ledger_overdue")
    return (None if content == ALL else content, None if status == ALL else status,
            bool(overdue_only))


def ledger_frame(tasks: pd.DataFrame, subs: pd.DataFrame) -> pd.DataFrame:
    """Return the six-lists tasks as a display table."""
    names = dict(zip(subs["id"], subs[name_col()], strict=True))
    return pd.DataFrame({
        t("readiness.col.content_code"): tasks["content_code"],
        t("readiness.col.task"): tasks["task"],
        t("readiness.col.standard"): tasks["standard"].fillna(""),
        t("readiness.col.measures"): tasks["measures"].fillna(""),
        t("readiness.col.responsible_unit"): tasks["responsible_unit"].fillna(""),
        t("readiness.col.responsible_person"): tasks["responsible_person"].fillna(""),
        t("readiness.col.subdistrict"): [names.get(v, "") if pd.notna(v) else ""
                                         for v in tasks["subdistrict_id"]],
        t("readiness.col.deadline"): [_day(v) for v in tasks["deadline"]],
        t("readiness.col.status"): [_label("readiness.status.", s) for s in tasks["status"]],
        t("readiness.col.overdue"): tasks["overdue"].fillna(False).astype(bool),
        t("readiness.col.rung"): tasks["rung"].fillna("").astype(str),
        t("readiness.col.problems"): [f"{int(o or 0)}/{int(a or 0)}" for o, a in
                                      zip(tasks["problems_open"], tasks["problems_linked"],
                                          strict=True)],
        t("readiness.col.materials"): [f"{int(o or 0)}/{int(a or 0)}" for o, a in
                                       zip(tasks["materials_accepted"], tasks["materials_linked"],
                                           strict=True)],
    }).reset_index(drop=True)


def draw_ledger(tasks: pd.DataFrame, subs: pd.DataFrame) -> None:
    """Draw the filtered ledger with its count and downloads."""
    if tasks.empty:
        st.info(t("readiness.ledger.none"))
        return
    st.caption(t("readiness.ledger.count", n=len(tasks), overdue=int(tasks["overdue"].sum())))
    table_with_downloads(ledger_frame(tasks, subs), t("readiness.ledger"),
                         key="readiness_ledger")


# --- the survey ------------------------------------------------------------------------------

def _question(rows: pd.DataFrame) -> list[str]:
    """Return the question texts of rows in the current language."""
    return [str(v) for v in rows[f"question_{current_lang()}"]]


def _rate_bars(x: list[str], rows: pd.DataFrame, name: str) -> go.Bar:
    """Return one bar trace of rates (percent) with Wilson error bars."""
    rate = rows["rate"].astype(float)
    return go.Bar(x=x, y=list(100 * rate), name=name, text=[f"{100 * v:.1f}%" for v in rate],
                  textposition="outside",
                  error_y={"type": "data", "symmetric": False,
                           "array": list(100 * (rows["high"].astype(float) - rate)),
                           "arrayminus": list(100 * (rate - rows["low"].astype(float)))})


def survey_chart(rows: pd.DataFrame) -> go.Figure:
    """Return one scope's rate per question (the district's weighted) with Wilson intervals."""
    fig = go.Figure([_rate_bars(_question(rows), rows, _scope_names(rows["scope"])[0])])
    fig.update_layout(height=360, margin=MARGIN, showlegend=False,
                      yaxis={"title": t("readiness.survey.rate_axis"), "range": [0, 105]})
    return fig


def subdistrict_chart(rows: pd.DataFrame, question: str) -> go.Figure:
    """Return one question's rate per subdistrict with 95% Wilson intervals."""
    fig = go.Figure([_rate_bars(_scope_names(rows["scope"]), rows, question)])
    fig.update_layout(height=340, margin=MARGIN, showlegend=False,
                      yaxis={"title": t("readiness.survey.rate_axis"), "range": [0, 105]})
    return fig


def _scope_names(scopes: pd.Series) -> list[str]:
    """Return the scopes in the current language ('district' and subdistricts' Chinese names)."""
    subs = readers.subdistricts(readers.data_version())
    names = dict(zip(subs["name_zh"], subs[name_col()], strict=True))
    return [t("readiness.survey.district") if s == "district" else str(names.get(s, s))
            for s in scopes]


def survey_frame(rates: pd.DataFrame) -> pd.DataFrame:
    """Return every rate as a display table."""
    return pd.DataFrame({
        t("readiness.col.question"): _question(rates),
        t("readiness.col.dimension"): [_label("readiness.dimension.", d)
                                       for d in rates["dimension"]],
        t("readiness.col.scope"): _scope_names(rates["scope"]),
        t("readiness.col.n"): rates["n"].astype(int),
        t("readiness.col.rate"): rates["rate"].astype(float).round(4),
        t("readiness.col.low"): rates["low"].astype(float).round(4),
        t("readiness.col.high"): rates["high"].astype(float).round(4),
    }).reset_index(drop=True)


def draw_survey(rates: pd.DataFrame) -> None:
    """Draw the rates per question (the district weighted, or the one subdistrict shown), one
    question across the subdistricts, and the table."""
    if rates.empty:
        st.info(t("readiness.survey.none"))
        return
    st.caption(t("readiness.survey.help"))
    district = rates[rates["scope"] == "district"]
    by_sub = rates[rates["scope"] != "district"]
    headline = district if not district.empty else by_sub
    st.plotly_chart(survey_chart(headline), width="stretch", key="readiness_survey_chart")
    if by_sub["scope"].nunique() > 1:
        texts = dict(zip(by_sub["question_code"], _question(by_sub), strict=False))
        code = st.selectbox(t("readiness.survey.question"), list(texts),
                            format_func=texts.get, key="readiness_survey_question")
        rows = by_sub[by_sub["question_code"] == code]
        st.caption(t("readiness.survey.by_sub", question=texts[code]))
        st.plotly_chart(subdistrict_chart(rows, texts[code]), width="stretch",
                        key="readiness_survey_sub_chart")
    pct = st.column_config.NumberColumn(format="percent")
    table_with_downloads(survey_frame(rates), t("readiness.survey"), key="readiness_survey",
                         column_config={t(f"readiness.col.{c}"): pct
                                        for c in ("rate", "low", "high")})


# --- materials -------------------------------------------------------------------------------

def material_frame(rows: pd.DataFrame, subs: pd.DataFrame) -> pd.DataFrame:
    """Return the materials as a display table."""
    names = dict(zip(subs["id"], subs[name_col()], strict=True))
    return pd.DataFrame({
        t("readiness.col.content_code"): rows["content_code"],
        t("readiness.col.title"): rows["title"],
        t("readiness.col.responsible_unit"): rows["responsible_unit"].fillna(""),
        t("readiness.col.subdistrict"): [names.get(v, "") if pd.notna(v) else ""
                                         for v in rows["subdistrict_id"]],
        t("readiness.col.deadline"): [_day(v) for v in rows["deadline"]],
        t("readiness.col.status"): [_label("readiness.material_status.", s)
                                    for s in rows["status"]],
        t("readiness.col.version"): [int(v) if pd.notna(v) else 0 for v in rows["version"]],
        t("readiness.col.file"): rows["display_name"].fillna("") if "display_name" in rows
        else "",
        t("readiness.col.submitted_at"): [_moment(v) for v in rows["submitted_at"]],
        t("readiness.col.reviewed_at"): [_moment(v) for v in rows["reviewed_at"]],
        t("readiness.col.reason"): rows["reason"].fillna(""),
    }).reset_index(drop=True)


def draw_materials(rows: pd.DataFrame, subs: pd.DataFrame) -> None:
    """Draw the count per status and the materials table with downloads."""
    if rows.empty:
        st.info(t("readiness.materials.none"))
        return
    counts = rows["status"].value_counts().to_dict()
    st.caption(t("readiness.materials.count", n=len(rows),
                 **{s: int(counts.get(s, 0)) for s in m.MATERIAL_STATUSES}))
    table_with_downloads(material_frame(rows, subs), t("readiness.materials"),
                         key="readiness_materials")


def _material_label(row: pd.Series) -> str:
    """Return a material's label in a picker."""
    return (f"{row['content_code']} · {row['title']} · "
            f"{_label('readiness.material_status.', row['status'])}")


def upload_form(actor: Actor | None, rows: pd.DataFrame) -> None:
    """Draw the upload of a new version, for the materials the actor is responsible for."""
    if not can(actor, ACTION_UPLOAD):
        return
    mine = rows[[can(actor, ACTION_UPLOAD, Scope(v)) for v in rows["subdistrict_id"]]] \
        if not rows.empty else rows
    st.markdown(f"**{t('readiness.upload')}**")
    if mine.empty:
        st.caption(t("readiness.upload.none"))
        return
    labels = {int(r["material_id"]): _material_label(r) for _, r in mine.iterrows()}
    with st.form("readiness_upload_form", clear_on_submit=True):
        material_id = st.selectbox(t("readiness.upload.material"), list(labels),
                                   format_func=labels.get, key="readiness_upload_material")
        upload = st.file_uploader(t("readiness.upload.file"), type=UPLOAD_TYPES,
                                  key="readiness_upload_file")
        submitted = st.form_submit_button(t("readiness.upload.submit"), type="primary",
                                          key="readiness_upload_submit")
    if not submitted:
        return
    if upload is None:
        st.error(t("readiness.upload.no_file"))
        return
    title = str(mine[mine["material_id"] == material_id]["title"].iloc[0])
    forms.submit(lambda s: materials.upload_material_version(
        s, actor, int(material_id), upload.name, upload.getvalue()),
        lambda version: t("readiness.upload.saved", title=title, version=version))


def review_form(actor: Actor | None, rows: pd.DataFrame) -> None:
    """Draw the office's review: accept, or return with a reason, a submitted material."""
    if not can(actor, ACTION_REVIEW):
        return
    st.markdown(f"**{t('readiness.review')}**")
    waiting = rows[rows["status"] == "submitted"] if not rows.empty else rows
    if waiting.empty:
        st.caption(t("readiness.review.none"))
        return
    labels = {int(r["material_id"]): _material_label(r) for _, r in waiting.iterrows()}
    with st.form("readiness_review_form"):
        material_id = st.selectbox(t("readiness.review.material"), list(labels),
                                   format_func=labels.get, key="readiness_review_material")
        decision = st.radio(t("readiness.review.decision"), ["accept", "return"], horizontal=True,
                            format_func=lambda d: t(f"readiness.review.{d}"),
                            key="readiness_review_decision")
        reason = st.text_input(t("readiness.review.reason"), key="readiness_review_reason",
                               max_chars=500)
        submitted = st.form_submit_button(t("readiness.review.submit"), type="primary",
                                          key="readiness_review_submit")
    if not submitted:
        return
    accept = decision == "accept"
    title = str(waiting[waiting["material_id"] == material_id]["title"].iloc[0])
    message = (t("readiness.review.accepted", title=title) if accept
               else t("readiness.review.returned", title=title, reason=reason))
    forms.submit(lambda s: materials.review_material(
        s, actor, int(material_id), accept=accept, reason=reason or None), message)


# --- site inspections ------------------------------------------------------------------------

def inspection_only() -> bool:
    """Return True when the page is opened for the inspection form alone (?view=inspect)."""
    return st.query_params.get("view") == "inspect"


def inspect_link(actor: Actor | None) -> None:
    """Offer the inspection form alone (for a phone) to those who may record inspections."""
    if can(actor, ACTION_INSPECT):
        st.link_button(t("readiness.inspect.phone"), "?view=inspect",
                       icon=":material/smartphone:")


def site_choices(version: tuple[str, int], subdistrict_id: int | None) -> pd.DataFrame:
    """Return the sites that can be inspected (with category), in the subdistrict shown: the
    sites' own rows, no open problem read (the map's site table read every open problem's
    links, 3.8 s at 1M with 10 % open)."""
    sites = umap.site_rows(version)
    return sites if subdistrict_id is None else sites[sites["subdistrict_id"] == subdistrict_id]


def inspect_form(actor: Actor | None, sites: pd.DataFrame, now: datetime) -> None:
    """Draw the phone-friendly site inspection: one column, the category's checklist as
    pass/fail toggles; failed items raise problems in the data layer."""
    if not can(actor, ACTION_INSPECT):
        return
    st.markdown(f"**{t('readiness.inspect')}**")
    mine = sites[[can(actor, ACTION_INSPECT, Scope(v)) for v in sites["subdistrict_id"]]] \
        if not sites.empty else sites
    if mine.empty:
        st.caption(t("readiness.inspect.no_sites"))
        return
    lang = current_lang()
    labels = dict(zip(mine["id"].astype(int), mine["code"] + " · " + mine[f"name_{lang}"],
                      strict=True))
    site_id = st.selectbox(t("readiness.inspect.site"), list(labels), format_func=labels.get,
                           key="readiness_inspect_site")
    site = mine[mine["id"] == site_id].iloc[0]
    items = checklist(readers.data_version(), str(site["category_code"]))
    st.caption(t("readiness.inspect.help"))
    if items.empty:
        st.info(t("readiness.inspect.no_items"))
        return
    with st.form(f"readiness_inspect_form_{site_id}", clear_on_submit=True):
        source = st.selectbox(t("readiness.inspect.source"), list(m.INSPECTION_SOURCES),
                              format_func=lambda s: t(f"inspection.source.{s}"),
                              key="readiness_inspect_source")
        inspector = st.text_input(t("readiness.inspect.inspector"),
                                  value=actor.display_name or actor.username,
                                  key="readiness_inspect_inspector", max_chars=64)
        st.markdown(t("readiness.inspect.checklist", category=site[f"category_{lang}"],
                      n=len(items)))
        results = {str(r["item_code"]): st.toggle(
            t("readiness.inspect.item", name=r[f"name_{lang}"], points=fmt_num(r["points"], 1)),
            value=True, key=f"readiness_item_{site_id}_{r['item_code']}")
            for _, r in items.iterrows()}
        upload = st.file_uploader(t("readiness.inspect.photo"),
                                  type=["jpg", "jpeg", "png", "webp"],
                                  key="readiness_inspect_photo")
        note = st.text_area(t("readiness.inspect.note"), key="readiness_inspect_note",
                            max_chars=1000)
        submitted = st.form_submit_button(t("readiness.inspect.submit"), type="primary",
                                          width="stretch", key="readiness_inspect_submit")
    if submitted:
        _save_inspection(actor, site, source, inspector, results, upload, note, now)


def _save_inspection(actor: Actor, site: pd.Series, source: str, inspector: str,
                     results: dict[str, bool], upload: Any, note: str, now: datetime) -> None:
    """Write the inspection (the data layer checks and stores the photo); show a refusal."""
    failed = sum(1 for ok in results.values() if not ok)
    forms.submit(lambda s: site_inspections.record_site_inspection(
        s, actor, site_id=int(site["id"]), source=source, inspector=inspector,
        results=dict(results), at=min(now, now_local()),
        photo=upload.getvalue() if upload is not None else None, note=note or ""),
        t("readiness.inspect.saved", site=f"{site['code']} {site[name_col()]}", failed=failed))


def draw_rounds(frame: pd.DataFrame) -> int | None:
    """Draw the rounds with their completion; return the round picked to view, or None."""
    if frame.empty:
        st.info(t("readiness.rounds.none"))
        return None
    shown = pd.DataFrame({
        t("readiness.col.round"): frame["name"],
        t("readiness.col.seed"): frame["seed"].astype(int),
        t("readiness.col.drawn_at"): [_moment(v) for v in frame["drawn_at"]],
        t("readiness.col.sites"): frame["sites"].astype(int),
        t("readiness.col.done"): frame["done"].astype(int),
    })
    table_with_downloads(shown, t("readiness.rounds"), key="readiness_rounds")
    labels = dict(zip(frame["round_id"].astype(int), frame["name"], strict=True))
    picked = st.selectbox(t("readiness.rounds.pick"), list(labels), format_func=labels.get,
                          key="readiness_round_pick")
    row = frame[frame["round_id"] == picked].iloc[0]
    st.progress(int(row["done"]) / max(int(row["sites"]), 1),
                text=t("readiness.rounds.progress", name=row["name"], done=int(row["done"]),
                       sites=int(row["sites"]), seed=int(row["seed"])))
    return int(picked)


def round_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """Return one round's sites as a display table."""
    return pd.DataFrame({
        t("readiness.col.site_code"): rows["site_code"],
        t("readiness.col.site_name"): rows["site_name" if current_lang() == "zh"
                                           else "site_name_en"],
        t("readiness.col.category"): rows[f"category_{current_lang()}"],
        t("readiness.col.inspector"): rows["inspector"].fillna(""),
        t("readiness.col.done"): rows["done"].astype(bool),
    }).reset_index(drop=True)


def draw_form(actor: Actor | None, today: date) -> None:
    """Draw the office's form that draws a stratified inspection round (seed shown)."""
    if not can(actor, ACTION_DRAW):
        return
    with st.expander(t("readiness.draw")):
        with st.form("readiness_draw_form"):
            name = st.text_input(t("readiness.draw.name"), key="readiness_draw_name",
                                 value=f"{today.isoformat()} 暗访" if current_lang() == "zh"
                                 else f"{today.isoformat()} spot check", max_chars=64)
            size = st.number_input(t("readiness.draw.size"), min_value=1, max_value=381,
                                   value=40, step=1, key="readiness_draw_size")
            seed = st.number_input(t("readiness.draw.seed"), min_value=0, max_value=2**31 - 1,
                                   value=int(today.strftime("%Y%m%d")), step=1,
                                   key="readiness_draw_seed")
            inspectors = st.text_area(t("readiness.draw.inspectors"), key="readiness_draw_who",
                                      max_chars=2000)
            submitted = st.form_submit_button(t("readiness.draw.submit"), type="primary",
                                              key="readiness_draw_submit")
    if submitted:
        who = [w.strip() for w in inspectors.splitlines() if w.strip()]
        forms.submit(lambda s: len(site_inspections.round_sites(s, site_inspections.draw_round(
            s, actor, name=name, sample_size=int(size), seed=int(seed), inspectors=who))),
            lambda drawn: t("readiness.draw.saved", name=name, n=drawn, seed=int(seed)))


# --- overview and weekly helpers -------------------------------------------------------------

def overview_headline(version: tuple[str, int], now: datetime,
                      subdistrict_id: int | None) -> None:
    """Draw the overview's headline: the estimated score with its range, against last week."""
    est = estimate(version, now, subdistrict_id)
    if not has_system(est):
        return
    before = last_week(version, now.date(), subdistrict_id)  # a stored snapshot: no estimate
    kpi(t("overview.kpi.readiness", max=fmt_num(est.max_points)), est.total, before,
        fmt="score",
        help_text=t("overview.kpi.readiness_help", low=fmt_points(est.low),
                    high=fmt_points(est.high)))
    st.caption(range_text(est))
