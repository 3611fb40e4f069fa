"""Markets: cached readers, the map, the charts, the market card and the inspection form."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import plotly.graph_objects as go
import pydeck as pdk
import streamlit as st

from civdata.core.auth import Actor
from civdata.core.errors import CivDataError
from civdata.domain import markets
from civdata.io import photos
from ui import basemap, forms, outlines, points, readers
from ui.deckchart import current_selection, deck_chart
from ui.downloads import download_table, table_with_downloads
from ui.i18n import current_lang, name_col, t
from ui.plain import escape_md
from ui.widgets import fmt_num, fmt_pct

MAP_HEIGHT = 500  # px, as st.pydeck_chart drew it

TREND_DAYS = 90
WINDOW_DAYS = 30
BAND_COLOURS = {"good": [26, 150, 65], "fair": [120, 198, 121], "weak": [253, 174, 97],
                "poor": [215, 25, 28], "none": [150, 150, 150]}
CHART_MARGIN = {"l": 10, "r": 10, "t": 10, "b": 10}
FORM_FOR = "mi_form_for"  # the market the inspection form was last preselected for
LEGEND_MAX = 6
ROW_PX = 35


# --- cached readers (one per dataset, keyed by the data version) ------------------------------

@readers.cached_by_domains("markets", "problems", "sites", "settings", "users",
                        show_spinner=False)
def checklist(version: tuple[str, int]) -> pd.DataFrame:
    """Return the checklist items (cached)."""
    with readers.session() as s:
        return markets.checklist_items(s)


@readers.cached_by_domains("markets", "problems", "sites", "settings", "users",
                        show_spinner=False)
def latest_scores(version: tuple[str, int], day: date, sub_id: int | None) -> pd.DataFrame:
    """Return every market with its latest score (cached)."""
    with readers.session() as s:
        return markets.latest_market_scores(s, day, sub_id)


@readers.cached_by_domains("markets", "problems", "sites", "settings", "users",
                        show_spinner=False)
def daily_scores(version: tuple[str, int], first: date, last: date, sub_id: int | None,
                 market_id: int | None) -> pd.DataFrame:
    """Return daily scores per market (cached)."""
    with readers.session() as s:
        return markets.daily_market_scores(s, first, last, sub_id, market_id)


@readers.cached_by_domains("markets", "problems", "sites", "settings", "users",
                        show_spinner=False)
def scope_daily_scores(version: tuple[str, int], first: date, last: date,
                       sub_id: int | None) -> pd.DataFrame:
    """Return the daily mean score of the district or subdistrict (cached)."""
    with readers.session() as s:
        return markets.district_daily_scores(s, first, last, sub_id)


@readers.cached_by_domains("markets", "problems", "sites", "settings", "users",
                        show_spinner=False)
def ranking(version: tuple[str, int], day: date, sub_id: int | None) -> pd.DataFrame:
    """Return the market ranking with the change against last week (cached)."""
    with readers.session() as s:
        return markets.rank_markets(markets.weekly_market_scores(s, day, sub_id))


@readers.cached_by_domains("markets", "problems", "sites", "settings", "users",
                        show_spinner=False)
def item_losses(version: tuple[str, int], first: date, last: date, sub_id: int | None,
                market_id: int | None) -> pd.DataFrame:
    """Return points lost per checklist item (cached)."""
    with readers.session() as s:
        return markets.item_point_losses(s, first, last, sub_id, market_id)


@readers.cached_by_domains("markets", "problems", "sites", "settings", "users",
                        show_spinner=False)
def deployment(version: tuple[str, int], first: date, last: date,
               sub_id: int | None) -> pd.DataFrame:
    """Return inspections, inspectors and vehicles per day (cached)."""
    with readers.session() as s:
        return markets.daily_deployment(s, first, last, sub_id)


@readers.cached_by_domains("markets", "problems", "sites", "settings", "users",
                        show_spinner=False)
def staff(version: tuple[str, int]) -> pd.DataFrame:
    """Return the active inspectors and vehicles (cached)."""
    with readers.session() as s:
        return markets.staff_names(s)


@readers.cached_by_domains("markets", "problems", "sites", "settings", "users",
                        show_spinner=False)
def staff_on_roll(version: tuple[str, int]) -> dict[str, int]:
    """Return the active inspectors and vehicles counted by kind (cached)."""
    with readers.session() as s:
        return markets.staff_on_roll(s)


@readers.cached_by_domains("markets", "problems", "sites", "settings", "users",
                        show_spinner=False)
def rates(version: tuple[str, int], first: date, last: date, sub_id: int | None) -> dict:
    """Return same-day feedback and re-inspection pass rates (cached)."""
    with readers.session() as s:
        return markets.feedback_and_reinspection(s, first, last, sub_id)


@readers.cached_by_domains("markets", "problems", "sites", "settings", "users",
                        show_spinner=False)
def hardware(version: tuple[str, int], sub_id: int | None) -> pd.DataFrame:
    """Return hardware renewal done against planned (cached)."""
    with readers.session() as s:
        return markets.hardware_progress(s, sub_id)


@readers.cached_by_domains("markets", "problems", "sites", "settings", "users",
                        show_spinner=False)
def history(version: tuple[str, int], market_id: int) -> pd.DataFrame:
    """Return a market's latest inspections (cached)."""
    with readers.session() as s:
        return markets.inspection_history(s, market_id)


@readers.cached_by_domains("markets", "problems", "sites", "settings", "users",
                        show_spinner=False)
def item_scores(version: tuple[str, int], inspection_id: int) -> pd.DataFrame:
    """Return one inspection's item scores (cached)."""
    with readers.session() as s:
        return markets.inspection_item_scores(s, inspection_id)


@readers.cached_by_domains("markets", "problems", "sites", "settings", "users",
                        show_spinner=False)
def open_problems(version: tuple[str, int], market_id: int) -> pd.DataFrame:
    """Return a market's open inspection problems (cached)."""
    with readers.session() as s:
        return markets.market_problems(s, market_id)


# --- drawing helpers ----------------------------------------------------------------------

def _pick_from_map() -> None:
    """Choose the market clicked on the map (runs before the rerun, so the selectbox follows)."""
    objects = current_selection("markets_map").get("objects") or {}
    for layer in ("market-points", "market-surroundings"):
        if objects.get(layer):
            st.session_state["market_select"] = int(objects[layer][0]["id"])
            return


def market_picker(latest: pd.DataFrame) -> int | None:
    """Draw the market selectbox bound to ?market=<code>; return the chosen id or None."""
    names = dict(zip(latest["id"].astype(int), latest[name_col()], strict=True))
    codes = dict(zip(latest["id"].astype(int), latest["code"], strict=True))
    by_code = {c: i for i, c in codes.items()}
    options = [0, *names]
    if st.session_state.get("market_select") not in options:
        st.session_state["market_select"] = by_code.get(st.query_params.get("market"), 0)
    chosen = st.selectbox(t("markets.market"), options, key="market_select",
                          format_func=lambda i: t("markets.all_markets") if i == 0 else names[i])
    if chosen:
        if st.query_params.get("market") != codes[chosen]:
            st.query_params["market"] = codes[chosen]
    elif "market" in st.query_params:
        del st.query_params["market"]
    return None if not chosen else int(chosen)


def show_map(latest: pd.DataFrame, boundaries: pd.DataFrame) -> None:
    """Draw the markets map; a click on a market chooses it."""
    deck_chart(market_deck(latest, boundaries), key="markets_map", height=MAP_HEIGHT,
               on_select=_pick_from_map, pickable=True)


def market_deck(latest: pd.DataFrame, boundaries: pd.DataFrame) -> pdk.Deck:
    """Return the map of markets, coloured by latest score, with their 300 m surroundings,
    over the subdistrict outlines."""
    frame = pd.DataFrame({
        "id": latest["id"].astype(int),
        "lat": latest["lat"].astype(float), "lon": latest["lon"].astype(float),
        "name": [str(n) for n in latest[name_col()]],  # the tooltip escapes {name} itself
        "score_text": [fmt_num(v, 1) for v in latest["score"]],
        "open": latest["open_nearby"].astype(int),
        "fill": [BAND_COLOURS[markets.score_band(v)] + [70] for v in latest["score"]],
        "dot": [BAND_COLOURS[markets.score_band(v)] + [230] for v in latest["score"]],
    })
    surroundings = points.point_layer("market-surroundings", frame, radius=300, fill="fill",
                                      line=[70, 70, 70, 150], stroked=True,
                                      line_width_min_pixels=1, pickable=True)
    dots = points.point_layer("market-points", frame, radius=40, fill="dot",
                              radius_min_pixels=4, pickable=True)
    shapes = [json.loads(g) for g in boundaries["boundary_geojson"]]
    outline = outlines.line_layer("subdistrict-outlines", shapes,
                                  [[90, 90, 90, 140]] * len(shapes), [1] * len(shapes))
    view = pdk.ViewState(latitude=float(frame["lat"].mean()), longitude=float(frame["lon"].mean()),
                         zoom=11.5 if len(frame) > 3 else 13.5)
    tooltip = {"html": t("markets.tooltip", name="{name}", score="{score_text}", open="{open}")}
    return basemap.deck([outline, surroundings, dots], view, tooltip)


def ranking_table(ranked: pd.DataFrame) -> None:
    """Draw the ranking with the change against last week."""
    def arrow(v: object) -> str:
        return "—" if pd.isna(v) or v == 0 else (f"▲{int(v)}" if v > 0 else f"▼{-int(v)}")

    table = pd.DataFrame({
        t("markets.col.rank"): ranked["rank"],
        t("markets.col.market"): ranked[name_col()],
        t("markets.col.this_week"): ranked["this_week"].round(1),
        t("markets.col.last_week"): ranked["last_week"].round(1),
        t("markets.col.score_change"): ranked["score_change"],
        t("markets.col.rank_change"): [arrow(v) for v in ranked["rank_change"]],
    })
    st.dataframe(table, hide_index=True, width="stretch", height=ROW_PX * (len(table) + 1) + 3,
                 column_config={t("markets.col.score_change"):
                                st.column_config.NumberColumn(format="%+.1f"),
                                **{t(f"markets.col.{c}"): st.column_config.NumberColumn(
                                    format="%.1f") for c in ("this_week", "last_week")}})
    download_table(table, "market_ranking", key="market_ranking")


def trend_figure(per_market: pd.DataFrame, scope_mean: pd.DataFrame, scope: str) -> go.Figure:
    """Return daily scores per market (thin lines) with the scope's daily mean (bold)."""
    fig = go.Figure()
    groups = per_market.groupby("code", sort=True)
    for _, rows in groups:
        fig.add_trace(go.Scatter(x=rows["day"].astype(str), y=rows["score"], mode="lines",
                                 name=str(rows[name_col()].iloc[0]), opacity=0.45,
                                 line={"width": 1}, showlegend=len(groups) <= LEGEND_MAX))
    fig.add_trace(go.Scatter(x=scope_mean["day"].astype(str), y=scope_mean["score"],
                             mode="lines", name=t("markets.trend_mean", scope=scope),
                             line={"width": 3, "color": "#1f3b73"}))
    fig.update_layout(xaxis_title=t("markets.day"), yaxis_title=t("markets.score"), height=360,
                      margin=CHART_MARGIN, legend={"orientation": "h"})
    return fig


def losses_figure(losses: pd.DataFrame) -> go.Figure:
    """Return the mean points lost per checklist item, most lost on top."""
    shown = losses.iloc[::-1]
    fig = go.Figure(go.Bar(x=shown["mean_lost"], y=shown[name_col()], orientation="h",
                           customdata=shown["below_share"] * 100,
                           hovertemplate="%{y}: %{x:.2f} · " + t("markets.below_share")
                           + " %{customdata:.1f}%<extra></extra>"))
    fig.update_layout(xaxis_title=t("markets.mean_lost"), height=320, margin=CHART_MARGIN)
    return fig


def five_grasp_kpis(deploy: pd.DataFrame, on_roll: dict[str, int], figures: dict) -> None:
    """Draw the five-grasp KPI cards: inspections, people, vehicles, feedback, re-inspection."""
    cols = st.columns(5)
    mean = {c: None if deploy.empty else float(deploy[c].mean())
            for c in ("inspections", "inspectors", "vehicles")}
    cols[0].metric(t("markets.kpi.per_day"), fmt_num(mean["inspections"], 1), border=True)
    cols[1].metric(t("markets.kpi.inspectors", n=on_roll["market_inspector"]),
                   fmt_num(mean["inspectors"], 1), border=True)
    cols[2].metric(t("markets.kpi.vehicles", n=on_roll["inspection_vehicle"]),
                   fmt_num(mean["vehicles"], 1), border=True)
    cols[3].metric(t("markets.kpi.same_day"), fmt_pct(figures["same_day_share"]), border=True,
                   help=t("markets.kpi.same_day_help", fed=figures["fed_back_same_day"],
                          n=figures["with_findings"]))
    cols[4].metric(t("markets.kpi.pass_rate"), fmt_pct(figures["pass_rate"]), border=True,
                   help=t("markets.kpi.pass_help", ok=figures["reinspections_passed"],
                          n=figures["reinspections"]))


def deployment_figure(deploy: pd.DataFrame, on_roll: dict[str, int]) -> go.Figure:
    """Return inspections per day (bars) with inspectors and vehicles out against the roll."""
    x = deploy["day"].astype(str)
    fig = go.Figure([
        go.Bar(x=x, y=deploy["inspections"], name=t("markets.inspections"), opacity=0.6),
        go.Scatter(x=x, y=deploy["inspectors"], name=t("markets.inspectors"),
                   mode="lines+markers"),
        go.Scatter(x=x, y=deploy["vehicles"], name=t("markets.vehicles"), mode="lines+markers"),
    ])
    for kind, key in (("market_inspector", "markets.inspectors_total"),
                      ("inspection_vehicle", "markets.vehicles_total")):
        fig.add_hline(y=on_roll[kind], line_dash="dash",
                      annotation_text=t(key, n=on_roll[kind]))
    fig.update_layout(xaxis_title=t("markets.day"), yaxis_title=t("markets.count"), height=320,
                      margin=CHART_MARGIN, legend={"orientation": "h"})
    return fig


def hardware_figure(hw: pd.DataFrame) -> go.Figure:
    """Return hardware renewal done against planned per item."""
    labels = [t(f"markets.hw.{i}") for i in hw["item"]]
    fig = go.Figure([
        go.Bar(x=labels, y=hw["planned"], name=t("markets.planned"), text=hw["planned"],
               marker_color="#c7d3e6"),
        go.Bar(x=labels, y=hw["done"], name=t("markets.done"), text=hw["done"],
               marker_color="#1f3b73"),
    ])
    fig.update_layout(barmode="group", yaxis_title=t("markets.count"), height=320,
                      margin=CHART_MARGIN, legend={"orientation": "h"})
    return fig


def _latest_photo(name: object) -> None:
    """Show the thumbnail of the latest inspection's photo, when there is one on disk."""
    if not isinstance(name, str) or not name:
        return
    try:
        thumb = photos.thumbnail_path(name)
    except CivDataError:
        return
    if thumb.exists():
        st.image(str(thumb), caption=t("markets.form.photo"), width=320)


def market_card(version: tuple[str, int], market: pd.Series) -> None:
    """Draw a market's card: its figures, latest item scores, open problems and history."""
    lang = current_lang()
    st.subheader(escape_md(market[name_col()]))
    st.caption(t("markets.card.caption", subdistrict=escape_md(market[f"subdistrict_{lang}"]),
                 director=escape_md(market["director"]), stalls=int(market["stalls"])))
    c1, c2 = st.columns(2)
    c1.metric(t("markets.card.latest"), fmt_num(market["score"], 1), border=True,
              help=None if pd.isna(market["score"]) else
              t("markets.card.latest_on", day=str(market["inspected_on"])))
    c2.metric(t("markets.kpi.open_problems"), int(market["open_nearby"]), border=True)
    hist = history(version, int(market["id"]))
    if hist.empty:
        st.info(t("common.no_data"))
        return
    st.markdown(f"**{t('markets.card.items')}**")
    scores = item_scores(version, int(hist["id"].iloc[0]))
    _latest_photo(hist["photo"].iloc[0])
    table_with_downloads(pd.DataFrame({
        t("markets.col.item"): scores[name_col()], t("markets.col.score"): scores["score"],
        t("markets.col.max"): scores["max_points"],
        t("markets.col.threshold"): scores["threshold"],
        t("markets.col.finding"): scores["score"] < scores["threshold"]}),
        f"market_{market['code']}_latest_items", key="market_items")
    st.markdown(f"**{t('markets.card.problems')}**")
    probs = open_problems(version, int(market["id"]))
    if probs.empty:
        st.caption(t("markets.card.no_problems"))
    else:
        table_with_downloads(pd.DataFrame({
            t("markets.col.code"): probs["code"],
            t("markets.col.status"): [t(f"problem.status.{s}") for s in probs["status"]],
            t("markets.col.description"): probs["description"],
            t("markets.col.discovered"): probs["discovered_at"],
            t("markets.col.deadline"): probs["deadline"]}),
            f"market_{market['code']}_open_problems", key="market_open_problems")
    st.markdown(f"**{t('markets.card.history')}**")
    st.dataframe(pd.DataFrame({
        t("markets.col.day"): hist["inspected_on"], t("markets.col.total"): hist["total_score"],
        t("markets.col.findings"): hist["findings"],
        t("markets.col.inspector"): hist["inspector"], t("markets.col.vehicle"): hist["vehicle"],
        t("markets.col.reinspection"): hist["is_reinspection"].astype(bool),
        t("markets.col.fed_back"): hist["fed_back_same_day"].astype(bool),
        t("markets.col.notes"): hist["notes"]}), hide_index=True, width="stretch")
    download_table(hist, f"market_{market['code']}_history", key="market_history")


# --- the inspection form ------------------------------------------------------------------

def _inspect_and_name(session, actor: Actor, **values: object
                      ) -> tuple[markets.InspectionOutcome, dict[int, str]]:
    """Record one inspection (the data layer stores its photo); return the outcome and the
    codes of the problems it raised, closed, sent back or left open."""
    outcome = markets.record_inspection(session, actor, **values)
    return outcome, markets.problem_codes(session, [
        outcome.problem_id or 0, *outcome.closed_problem_ids, *outcome.rejected_problem_ids,
        *outcome.left_open_problem_ids])


def outcome_flash(outcome: markets.InspectionOutcome, codes: dict[int, str], market: str,
                  day: date, items: pd.DataFrame) -> list[tuple[str, str]]:
    """Return the flash of a saved inspection: its total, the findings and the problems it
    raised (codes), sent back, closed or left open, as (level, text) pairs."""
    def listed(ids: list[int]) -> str:
        return ", ".join(codes.get(i, str(i)) for i in ids)

    flash = [("success", t("markets.form.saved", market=escape_md(market), day=str(day),
                           total=outcome.total_score))]
    if outcome.findings:
        item_names = dict(zip(items["code"], items[name_col()], strict=True))
        key = "markets.form.findings" if outcome.problem_is_new else "markets.form.repeat"
        flash.append(("warning", t(key, items=", ".join(item_names.get(c, c)
                                                        for c in outcome.findings),
                                   code=codes.get(outcome.problem_id, "—"))))
        if outcome.rejected_problem_ids:
            flash.append(("warning", t("markets.form.rejected",
                                       codes=listed(outcome.rejected_problem_ids))))
    else:
        flash.append(("info", t("markets.form.passed")))
    if outcome.closed_problem_ids:
        flash.append(("success", t("markets.form.closed",
                                   codes=listed(outcome.closed_problem_ids))))
    if outcome.left_open_problem_ids:
        flash.append(("warning", t("markets.form.left_open",
                                   codes=listed(outcome.left_open_problem_ids))))
    return flash


def inspection_form(actor: Actor, latest: pd.DataFrame, items: pd.DataFrame, people: pd.DataFrame,
                    market_id: int | None, today: date) -> None:
    """Draw the inspection form (one score per checklist item) and save it on submit."""
    names = dict(zip(latest["id"].astype(int), latest[name_col()], strict=True))
    forms.show_flash()
    if not names:
        st.info(t("markets.form.no_markets"))
        return
    st.caption(t("markets.form.intro"))
    options = list(names)
    inspectors = list(people.loc[people["kind"] == "market_inspector", "name"])
    vehicles = ["", *people.loc[people["kind"] == "inspection_vehicle", "name"]]
    in_view = market_id if market_id in options else options[0]
    if st.session_state.get(FORM_FOR) != in_view:  # the page's market changed: the form follows
        st.session_state["mi_market"] = in_view
        st.session_state[FORM_FOR] = in_view
    with st.form("market_inspection_form"):
        c1, c2, c3, c4 = st.columns(4)
        chosen = c1.selectbox(t("markets.market"), options, key="mi_market",
                              format_func=names.get)
        day = c2.date_input(t("markets.form.date"), value=today, max_value=today, key="mi_date")
        inspector = c3.selectbox(t("markets.form.inspector"), inspectors, key="mi_inspector",
                                 accept_new_options=True)
        vehicle = c4.selectbox(t("markets.form.vehicle"), vehicles, key="mi_vehicle",
                               format_func=lambda v: v or t("markets.form.no_vehicle"))
        cols = st.columns(4)
        scores = {}
        for k, item in enumerate(items.itertuples(index=False)):
            scores[item.code] = cols[k % 4].number_input(
                t("markets.form.item", name=getattr(item, name_col()), max=item.max_points,
                  threshold=item.threshold), min_value=0.0, max_value=float(item.max_points),
                value=float(item.max_points), step=0.5, key=f"mi_score_{item.code}")
        c5, c6 = st.columns(2)
        re = c5.checkbox(t("markets.form.reinspection"), key="mi_reinspection")
        fed = c6.checkbox(t("markets.form.fed_back"), value=False, key="mi_fed_back")
        notes = st.text_area(t("markets.form.notes"), key="mi_notes", max_chars=2000)
        upload = st.file_uploader(t("markets.form.photo"), type=["jpg", "jpeg", "png", "webp"],
                                  key="mi_photo", help=t("problems.upload_help"))
        submitted = st.form_submit_button(t("markets.form.submit"), key="mi_submit")
    if not submitted:
        return
    # saved: the form starts afresh (inviting no duplicate) and follows the page's market again
    fresh = [k for k in st.session_state if str(k).startswith("mi_") and k != "mi_submit"]
    forms.submit(lambda s: _inspect_and_name(
        s, actor, market_id=int(chosen), inspected_on=day, inspector=inspector or "",
        scores=scores, notes=notes, vehicle=vehicle or None, is_reinspection=re,
        fed_back_same_day=fed, photo=upload.getvalue() if upload is not None else None),
        lambda done: outcome_flash(*done, names.get(int(chosen), str(chosen)), day, items),
        clear=[*fresh, FORM_FOR])
