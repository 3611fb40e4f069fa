"""Volunteers page helpers: cached readers (keyed by the data version), the map, the charts."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pandas as pd
import plotly.graph_objects as go
import pydeck as pdk
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from civdata.core.auth import Actor
from civdata.domain import geo
from civdata.domain import volunteers as vol
from ui import basemap, forms, outlines, points, readers
from ui.i18n import current_lang, name_col, t
from ui.widgets import styled, why_missing

TREND_WEEKS = 52
TOP_N = 15
ALL_TEAMS = "all"
MAP_HEIGHT = 560
LEVEL_COLOURS = {"district": [153, 27, 27, 230], "subdistrict": [234, 88, 12, 220],
                 "community": [234, 179, 8, 210]}
LEVEL_RADIUS = {"district": 90, "subdistrict": 60, "community": 35}


# ---------------------------------------------------------------- cached readers

@readers.cached_by_domains("volunteers", "problems", "sites", "settings",
                        show_spinner=False)
def coverage(version: tuple[str, int], day: date, subdistrict_id: int | None,
             window_days: int) -> dict[str, pd.DataFrame]:
    """Return community and site coverage, the ranked gaps and coverage per subdistrict."""
    with readers.session() as s:
        communities = vol.community_activity(s, day, subdistrict_id, window_days)
        sites = vol.sites_with_open_problem_counts(s, subdistrict_id)
        nearby = vol.activity_points_between(s, day - timedelta(days=vol.LOOKBACK_DAYS - 1),
                                             day)
        bases = vol.team_bases(s)
    comm = vol.community_coverage(communities, day)
    site = vol.site_coverage(sites, nearby, bases, day, window_days)
    return {"communities": comm, "sites": site, "gaps": vol.ranked_gaps(site, comm),
            "by_subdistrict": vol.coverage_by_subdistrict(comm, site)}


@readers.cached_by_domains("volunteers", "problems", "sites", "settings",
                        show_spinner=False)
def stations(version: tuple[str, int], subdistrict_id: int | None) -> pd.DataFrame:
    """Return the practice stations (cached)."""
    with readers.session() as s:
        return vol.practice_stations(s, subdistrict_id)


@readers.cached_by_domains("volunteers", "problems", "sites", "settings",
                        show_spinner=False)
def teams(version: tuple[str, int], subdistrict_id: int | None) -> pd.DataFrame:
    """Return the volunteer teams and their bases (cached)."""
    with readers.session() as s:
        return vol.team_bases(s, subdistrict_id)


@readers.cached_by_domains("volunteers", "problems", "sites", "settings",
                        show_spinner=False)
def activities(version: tuple[str, int], first: date, last: date, subdistrict_id: int | None,
               team_id: int | None) -> pd.DataFrame:
    """Return the activities of the window (cached)."""
    with readers.session() as s:
        return vol.activities_between(s, first, last, subdistrict_id, team_id)


@readers.cached_by_domains("volunteers", "problems", "sites", "settings",
                        show_spinner=False)
def trend(version: tuple[str, int], last: date, subdistrict_id: int | None,
          team_id: int | None) -> pd.DataFrame:
    """Return activities, participants and hours per week for TREND_WEEKS weeks (cached)."""
    with readers.session() as s:
        daily = vol.daily_activity(s, last - timedelta(days=7 * TREND_WEEKS - 1), last,
                                   subdistrict_id, team_id)
    return vol.weekly_trend(daily, last, TREND_WEEKS)


@readers.cached_by_domains("volunteers", "problems", "sites", "settings",
                        show_spinner=False)
def rankings(version: tuple[str, int], first: date, last: date,
             subdistrict_id: int | None) -> dict[str, pd.DataFrame]:
    """Return the team ranking by hours and the partner organisations by activity (cached)."""
    with readers.session() as s:
        return {"teams": vol.team_ranking(s, first, last, subdistrict_id),
                "partners": vol.partner_ranking(s, first, last, subdistrict_id)}


@readers.cached_by_domains("volunteers", "problems", "sites", "settings",
                        show_spinner=False)
def form_choices(version: tuple[str, int], subdistrict_id: int | None) -> dict[str, pd.DataFrame]:
    """Return the teams, the communities (of subdistrict_id) and partners for the form."""
    with readers.session() as s:
        return {"teams": vol.team_bases(s), "partners": vol.partner_orgs(s),
                "communities": vol.communities(s, subdistrict_id)}


def record_activity(actor: Actor, **fields: object) -> None:
    """Record an activity through the one write path (a flash names it; a refusal is shown)."""
    forms.submit(lambda s: vol.record_activity(s, actor, **fields),
                 t("volunteers.form.saved", title=fields.get("title", "")))


# ---------------------------------------------------------------- controls

def team_select(container: DeltaGenerator, team_list: pd.DataFrame) -> str | None:
    """Draw the team drill-down (kept in the URL as ?team=<code>); return the code or None."""
    names = dict(zip(team_list["code"], team_list[name_col()], strict=True))
    options = [ALL_TEAMS, *names]
    from_url = st.query_params.get("team")
    if "vol_team" not in st.session_state and from_url in names:
        st.session_state["vol_team"] = from_url
    if st.session_state.get("vol_team") not in options:
        st.session_state["vol_team"] = ALL_TEAMS
    code = container.selectbox(t("volunteers.team"), options, key="vol_team",
                               format_func=lambda c: t("volunteers.all_teams") if c == ALL_TEAMS
                               else f"{c} {names[c]}")
    if code == ALL_TEAMS:
        if "team" in st.query_params:
            del st.query_params["team"]
        return None
    if st.query_params.get("team") != code:
        st.query_params["team"] = code
    return code


# ---------------------------------------------------------------- tables and charts

def gap_table(gaps: pd.DataFrame) -> pd.DataFrame:
    """Return the gaps as a display table in the current language."""
    return pd.DataFrame({
        t("volunteers.col.rank"): gaps["rank"],
        t("volunteers.col.kind"): [t(f"volunteers.kind.{k}") for k in gaps["kind"]],
        t("volunteers.col.name"): gaps[name_col()],
        t("volunteers.col.open_problems"): gaps["open_problems"],
        t("volunteers.col.days_since"): gaps["days_since"].round().astype("Int64"),
    })


def show_gap_table(gaps: pd.DataFrame) -> None:
    """Draw the gaps; a place with no activity on record shows '—' and the header says why."""
    days = t("volunteers.col.days_since")
    st.dataframe(styled(gap_table(gaps), digits={days: 0}), hide_index=True, width="stretch",
                 height=320, column_config={days: why_missing(t("volunteers.missing.days_since"))})


def show_subdistrict_table(by_sub: pd.DataFrame) -> None:
    """Draw coverage per subdistrict, shares as one-decimal percents."""
    st.dataframe(styled(subdistrict_table(by_sub), pct=(t("volunteers.col.community_share"),
                                                        t("volunteers.col.site_share"))),
                 hide_index=True, width="stretch")


def subdistrict_table(by_sub: pd.DataFrame) -> pd.DataFrame:
    """Return coverage per subdistrict as a display table."""
    name = "subdistrict_zh" if current_lang() == "zh" else "subdistrict_en"
    return pd.DataFrame({
        t("volunteers.col.subdistrict"): by_sub[name],
        t("volunteers.col.communities"): [f"{a}/{b}" for a, b in zip(
            by_sub["communities_covered"], by_sub["communities"], strict=True)],
        t("volunteers.col.community_share"): by_sub["community_share"],
        t("volunteers.col.sites"): [f"{a}/{b}" for a, b in zip(
            by_sub["sites_covered"], by_sub["sites"], strict=True)],
        t("volunteers.col.site_share"): by_sub["site_share"],
    })


def activity_table(acts: pd.DataFrame) -> pd.DataFrame:
    """Return activities as a display table."""
    team = "team_name_zh" if current_lang() == "zh" else "team_name_en"
    return pd.DataFrame({
        t("volunteers.col.date"): acts["held_on"], t("volunteers.col.title"): acts["title"],
        t("volunteers.col.place"): acts["place"], t("volunteers.col.team"): acts[team],
        t("volunteers.col.participants"): acts["participants"],
        t("volunteers.col.hours"): acts["volunteer_hours"],
    })


def trend_figure(weekly: pd.DataFrame) -> go.Figure:
    """Return the weekly trend: activities as bars, participants and hours as lines."""
    x = weekly["week_end"].astype(str)
    fig = go.Figure([
        go.Bar(x=x, y=weekly["activities"], name=t("volunteers.activities")),
        go.Scatter(x=x, y=weekly["participants"], name=t("volunteers.participants"),
                   mode="lines", yaxis="y2"),
        go.Scatter(x=x, y=weekly["hours"], name=t("volunteers.hours"), mode="lines",
                   yaxis="y2"),
    ])
    fig.update_layout(height=340, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      legend={"orientation": "h"}, xaxis_title=t("volunteers.week_end"),
                      yaxis={"title": t("volunteers.activities")},
                      yaxis2={"overlaying": "y", "side": "right",
                              "title": t("volunteers.people_hours")})
    return fig


def bar_figure(frame: pd.DataFrame, value: str, label: str) -> go.Figure:
    """Return a horizontal bar chart of the top rows of frame by value (largest on top)."""
    top = frame.head(TOP_N).iloc[::-1]
    fig = go.Figure(go.Bar(x=top[value], y=top[name_col()], orientation="h", name=label))
    fig.update_layout(height=40 + 24 * max(len(top), 1), xaxis_title=label,
                      margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return fig


# ---------------------------------------------------------------- the map

def _tip(*parts: object) -> str:
    """Return tooltip text from parts, as plain text: the map's tooltip (ui/deckchart.js)
    escapes every {field} value itself, so escaping here as well would show entities."""
    return " · ".join(str(p) for p in parts if p is not None and p != "")


def platform_names(platforms: str) -> str:
    """Return a station's comma-separated service platforms as names in the current language."""
    sep = "、" if current_lang() == "zh" else ", "
    return sep.join(t(f"volunteers.platform.{p.strip()}") for p in (platforms or "").split(",")
                    if p.strip())


def _layer(layer_id: str, frame: pd.DataFrame, colour: list[int] | str, radius: float | str,
           min_pixels: int = 2, **kw: object) -> pdk.Layer:
    """Return a pickable point layer over frame's lon/lat (radius in metres)."""
    return points.point_layer(layer_id, frame, radius=radius, fill=colour, pickable=True,
                              radius_min_pixels=min_pixels, **kw)


def volunteer_deck(subs: pd.DataFrame, stations_df: pd.DataFrame, teams_df: pd.DataFrame,
                   acts: pd.DataFrame, sites: pd.DataFrame, gaps: pd.DataFrame,
                   surroundings: bool, show_gaps: bool) -> pdk.Deck:
    """Return the map: boundaries, stations, team bases, recent activities, site surroundings
    (300 m) and the gaps."""
    name = name_col()
    shapes = [json.loads(g) for g in subs["boundary_geojson"]]
    layers = [outlines.line_layer("subdistrict-lines", shapes, [[100, 116, 139]] * len(shapes),
                                  [1] * len(shapes))]
    if surroundings and len(sites):
        ring = pd.DataFrame({"lon": sites["lon"], "lat": sites["lat"], "r": sites["radius_m"],
                             "tip": [_tip(n, t("volunteers.map.radius", r=int(r)))
                                     for n, r in zip(sites[name], sites["radius_m"],
                                                     strict=True)]})
        layers.append(_layer("site-surroundings", ring, [100, 116, 139, 40], "r", stroked=True,
                             line=[71, 85, 105, 160], line_width_min_pixels=1))
    if show_gaps and len(gaps):
        g = pd.DataFrame({"lon": gaps["lon"], "lat": gaps["lat"],
                          "tip": [_tip(t("volunteers.map.gap"), t(f"volunteers.kind.{k}"), n,
                                       t("volunteers.map.open", n=int(o)))
                                  for k, n, o in zip(gaps["kind"], gaps[name],
                                                     gaps["open_problems"], strict=True)]})
        layers.append(_layer("gaps", g, [220, 38, 38, 200], 70, 4, stroked=True,
                             filled=False, line=[220, 38, 38, 230],
                             line_width_min_pixels=2))
    if len(acts):
        a = pd.DataFrame({"lon": acts["lon"], "lat": acts["lat"],
                          "tip": [_tip(d, ti, pl, t("volunteers.map.people", n=int(p)))
                                  for d, ti, pl, p in zip(acts["held_on"].astype(str),
                                                          acts["title"], acts["place"],
                                                          acts["participants"], strict=True)]})
        layers.append(_layer("activities", a, [22, 163, 74, 200], 40, 3))
    if len(stations_df):
        st_df = pd.DataFrame({
            "lon": stations_df["lon"], "lat": stations_df["lat"],
            "colour": [LEVEL_COLOURS.get(lv, [0, 0, 0, 200]) for lv in stations_df["level"]],
            "r": [LEVEL_RADIUS.get(lv, 30) for lv in stations_df["level"]],
            "tip": [_tip(n, t(f"volunteers.level.{lv}"), platform_names(p)) for n, lv, p in zip(
                stations_df[name], stations_df["level"], stations_df["platforms"], strict=True)]})
        layers.append(_layer("stations", st_df, "colour", "r", 6))
    if len(teams_df):
        tm = pd.DataFrame({"lon": teams_df["lon"], "lat": teams_df["lat"],
                           "tip": [_tip(n, t("volunteers.map.members", n=int(k)))
                                   for n, k in zip(teams_df[name], teams_df["members"],
                                                   strict=True)]})
        layers.append(_layer("team-bases", tm, [37, 99, 235, 230], 25, 3))
    spots = pd.concat([f[["lat", "lon"]] for f in (stations_df, teams_df, sites) if len(f)])
    if len(spots):
        view = pdk.ViewState(**geo.view_for_bounds(spots["lon"].min(), spots["lat"].min(),
                                                   spots["lon"].max(), spots["lat"].max(),
                                                   height_px=MAP_HEIGHT))
    else:
        view = pdk.ViewState(latitude=geo.CENTER_LAT, longitude=geo.CENTER_LON, zoom=12)
    return basemap.deck(layers, view, {"html": "{tip}"})
