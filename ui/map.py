"""The site map: cached readers, the selected site, the pydeck layers, legend and site card."""

from __future__ import annotations

import html
import json
from datetime import datetime

import pandas as pd
import pydeck as pdk
import streamlit as st

from civdata.core import auth
from civdata.core.query import to_district_time
from civdata.domain import geo, riskmodel, sites
from ui import basemap, forms, outlines, points, readers
from ui.deckchart import current_selection
from ui.downloads import table_with_downloads
from ui.i18n import current_lang, t
from ui.plain import escape_md

# Beyond this many problem points the map draws server-side H3 cells instead (deck JSON size).
MAX_RAW_POINTS = 20_000
LAYERS = ("boundaries", "buffers", "sites", "problems")
SITE_RADIUS_M = 35
PROBLEM_RADIUS_M = 18
STATE_COLORS = {"clean": [46, 160, 67], "open": [245, 158, 11], "overdue": [220, 38, 38]}
CLOSED_COLOR = [120, 120, 120]
CATEGORY_PALETTE = [
    [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
    [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
    [57, 59, 121], [99, 121, 57], [140, 109, 49], [132, 60, 57], [123, 65, 115],
    [82, 84, 163], [181, 207, 107], [231, 186, 82], [214, 97, 107], [206, 109, 189],
    [107, 174, 214], [253, 141, 60], [116, 196, 118], [158, 154, 200], [150, 150, 150],
]


# --- cached readers ------------------------------------------------------------------------
# Keyed by the marks of the domains the map reads (ui.readers.domain_key), never by the clock:
# an idle minute re-reads nothing; what depends on now (overdue, risk by age) is computed from
# the cached rows at render time.

MAP_DOMAINS = ("sites", "problems", "settings")
DATA_TTL_S = 6 * 3600  # a safety net only: the data version invalidates on every write


def _key(version: tuple) -> tuple:
    """Return the cache key of the map's data within version."""
    return readers.domain_key(version, *MAP_DOMAINS)


@st.cache_data(show_spinner=False)
def district_outline() -> dict:
    """Return the district outline as a GeoJSON dict (cached; a file shipped with the app)."""
    return json.loads(geo.district_outline_geojson())


@st.cache_data(ttl=DATA_TTL_S, show_spinner=False)
def _categories(key: tuple) -> pd.DataFrame:
    """Return the site categories (cached)."""
    with readers.session() as s:
        return sites.site_categories(s)


def categories(version: tuple) -> pd.DataFrame:
    """Return the site categories."""
    return _categories(_key(version))


@st.cache_data(ttl=DATA_TTL_S, show_spinner=False)
def _site_rows(key: tuple) -> pd.DataFrame:
    """Return every site with its problems in radius from the summary table (cached)."""
    with readers.session() as s:
        return sites.sites_with_link_counts(s)


@st.cache_data(ttl=DATA_TTL_S, show_spinner=False)
def _open_links(key: tuple, _since: datetime) -> riskmodel.OpenLinks:
    """Return the open problems in each site's radius, read at the first caller's clock _since
    and valid for every later moment (cached by key alone: _since is not hashed)."""
    with readers.session() as s:
        return riskmodel.read_open_links(s, _since)


def site_rows(version: tuple) -> pd.DataFrame:
    """Return every site with category and subdistrict (no problem read: the summary table)."""
    return _site_rows(_key(version))


@st.cache_data(ttl=DATA_TTL_S, max_entries=8, show_spinner=False)
def _figures(key: tuple, now: datetime) -> pd.DataFrame:
    """Return per site the open, overdue problems in radius, their risk and weight at now
    (cached per minute: the site table and the ranking of one run, and the reruns of that
    minute, share one computation)."""
    links = _open_links(key, now)
    if links.since > to_district_time(now):  # the clock went back (a test's, a correction's)
        with readers.session() as s:
            links = riskmodel.read_open_links(s, now)
    return riskmodel.site_open_figures(links, now)


def open_figures(version: tuple, now: datetime) -> pd.DataFrame:
    """Return per site the open, overdue problems in radius, their risk and weight at now."""
    return _figures(_key(version), now)


def site_table(version: tuple, now: datetime) -> pd.DataFrame:
    """Return every site with its problem counts and state at now (from cached rows)."""
    return sites.with_problem_counts(_site_rows(_key(version)), open_figures(version, now))


@st.cache_data(ttl=DATA_TTL_S, max_entries=64, show_spinner=False)
def _problem_layer_rows(key: tuple, subdistrict_id: int | None,
                        class_ids: tuple[int, ...] | None, state: str,
                        _since: datetime) -> tuple[str, object]:
    """Return ('points', problem rows) or, beyond MAX_RAW_POINTS, ('cells', sites.CellRows read
    at the first caller's clock _since), both for every later moment (cached; _since is not
    hashed)."""
    base = "open" if state == "overdue" else state
    with readers.session() as s:
        n = sites.count_problems_in_view(s, None, subdistrict_id, class_ids, base)  # type: ignore[arg-type]
        if n > MAX_RAW_POINTS:
            return "cells", sites.problem_cell_rows(s, subdistrict_id, class_ids, state, _since)
        return "points", sites.problem_points(s, subdistrict_id, class_ids, base)


def problem_layer_data(version: tuple, now: datetime, subdistrict_id: int | None,
                       class_ids: tuple[int, ...] | None, state: str) -> tuple[str, pd.DataFrame]:
    """Return ('points', problems) or, beyond MAX_RAW_POINTS, ('cells', H3 counts) at now."""
    kind, rows = _problem_layer_rows(_key(version), subdistrict_id, class_ids, state, now)
    if kind == "cells":
        if rows.since > to_district_time(now):  # type: ignore[attr-defined]  # the clock went back
            with readers.session() as s:
                rows = sites.problem_cell_rows(s, subdistrict_id, class_ids, state, now)
        return kind, sites.cells_at(rows, now, state)  # type: ignore[arg-type]
    return kind, sites.mark_overdue(rows, now, only_overdue=state == "overdue")  # type: ignore[arg-type]


@st.cache_data(ttl=DATA_TTL_S, max_entries=64, show_spinner=False)
def _site_card(key: tuple, site_id: int) -> dict | None:
    """Return a site's card rows: detail, problems within its radius, recent events (cached)."""
    with readers.session() as s:
        detail = sites.site_detail(s, site_id)
        if detail is None:
            return None
        return {"detail": detail, "problems": sites.site_problems(s, site_id, datetime.min),
                "events": sites.site_recent_events(s, site_id)}


def site_card(version: tuple, site_id: int, now: datetime) -> dict | None:
    """Return a site's card: detail, problems within its radius (overdue at now), events."""
    card = _site_card(_key(version), site_id)
    if card is None:
        return None
    return {**card, "problems": sites.mark_overdue(card["problems"], now)}


RANKING_TOP = 30


def risk_ranking(version: tuple, now: datetime, table: pd.DataFrame,
                 subdistrict_id: int | None = None, top: int = RANKING_TOP) -> pd.DataFrame:
    """Return the riskiest sites (district rank kept), in one subdistrict or the district, from
    the site table of the same moment (site_table)."""
    ranked = riskmodel.site_risk(table, open_figures(version, now))
    if subdistrict_id is not None:
        ranked = ranked[ranked["subdistrict_id"] == subdistrict_id]
    return ranked.head(top).reset_index(drop=True)


def site_row(frame: pd.DataFrame, code: str | None) -> dict | None:
    """Return the row of the site with this code as a dict, or None."""
    picked = frame[frame["code"] == code] if code else frame.iloc[0:0]
    return picked.iloc[0].to_dict() if len(picked) else None


@st.cache_data(ttl=DATA_TTL_S, max_entries=32, show_spinner=False)
def _mock_evaluation(key: tuple, n: int, seed: int, _now: datetime) -> dict:
    """Return a mock evaluation of n sites drawn with seed (cached by key, n and seed: the
    scores weigh the open problems by class only, so they do not age)."""
    links = _open_links(key, _now)
    weights = riskmodel.site_open_figures(links, links.since)
    return riskmodel.mock_evaluation(_site_rows(key), weights, n, seed)


def mock_evaluation(version: tuple, now: datetime, n: int, seed: int) -> dict:
    """Return a mock evaluation of n sites drawn with seed."""
    return _mock_evaluation(_key(version), n, seed, now)


# --- selection -----------------------------------------------------------------------------

def _clicked_site_code() -> str | None:
    """Return the code of the site clicked on the map (the widget's state), if any."""
    objects = (current_selection("site_map").get("objects") or {}).get("sites") or []
    return str(objects[0].get("code")) if objects else None


def selected_site_code(ranking: pd.DataFrame) -> str | None:
    """Return the selected site's code: a new map click or ranking row wins, else ?site=."""
    clicked = _clicked_site_code()
    if clicked and clicked != st.session_state.get("_map_last_click"):
        st.session_state["_map_last_click"] = clicked
        st.query_params["site"] = clicked
    rows = (st.session_state.get("risk_table") or {}).get("selection", {}).get("rows", [])
    picked = str(ranking["code"].iloc[rows[0]]) if rows and rows[0] < len(ranking) else None
    if picked and picked != st.session_state.get("_map_last_row"):
        st.session_state["_map_last_row"] = picked
        st.query_params["site"] = picked
    return st.query_params.get("site")


# --- the deck ------------------------------------------------------------------------------

def category_colors(cats: pd.DataFrame) -> dict[int, list[int]]:
    """Return a colour per category id."""
    return {int(cid): CATEGORY_PALETTE[i % len(CATEGORY_PALETTE)]
            for i, cid in enumerate(cats["id"])}


TOOLTIP = {"html": "<b>{title}</b><br/>{line1}<br/>{line2}<br/>{line3}"}


def _tip_fields(title: object, *lines: object) -> dict[str, str]:
    """Return the tooltip's fields as plain text.

    The map (ui/deckchart.js, as Streamlit's element did) HTML-escapes every {field} it puts
    into an html tooltip, so user text travels unescaped in the data and only the fixed
    template above carries markup.
    """
    padded = [*(str(x) for x in lines), "", "", ""][:3]
    return {"title": str(title), "line1": padded[0], "line2": padded[1], "line3": padded[2]}


def site_records(frame: pd.DataFrame, color_by: str, colors: dict[int, list[int]]) -> pd.DataFrame:
    """Return the columns the site and buffer layers need, tooltips escaped."""
    lang = current_lang()
    out = pd.DataFrame({"code": frame["code"], "lon": frame["lon"].round(6),
                        "lat": frame["lat"].round(6), "radius_m": frame["radius_m"]})
    out["color"] = [colors.get(int(c), [0, 0, 0]) if color_by == "category" else
                    STATE_COLORS[s] for c, s in zip(frame["category_id"], frame["state"],
                                                     strict=True)]
    tips = pd.DataFrame([_tip_fields(f"{r.code} {getattr(r, 'name_' + lang)}",
                                     getattr(r, "category_" + lang),
                                     getattr(r, "subdistrict_" + lang),
                                     t("map.tip.counts", open=r.open, overdue=r.overdue))
                         for r in frame.itertuples(index=False)], columns=list(_tip_fields("")))
    return pd.concat([out.reset_index(drop=True), tips], axis=1)


def problem_records(frame: pd.DataFrame, class_names: dict[int, str]) -> pd.DataFrame:
    """Return the columns the problem layer needs, tooltips escaped."""
    out = pd.DataFrame({"lon": frame["lon"].round(6), "lat": frame["lat"].round(6)})
    out["color"] = [STATE_COLORS["overdue"] if o else CLOSED_COLOR if s == "closed"
                    else STATE_COLORS["open"] for o, s in zip(frame["overdue"].tolist(),
                                                               frame["status"].tolist(),
                                                               strict=True)]
    status_text = {s: t(f"problem.status.{s}") for s in frame["status"].unique()}  # once, not per row
    # Plain lists, not itertuples: a row walk over Arrow-backed text columns cost ~0.2 ms a row.
    tips = pd.DataFrame([_tip_fields(code, class_names.get(int(cid), ""), status_text[st_],
                                     text)
                         for code, cid, st_, text in zip(
                             frame["code"].tolist(), frame["class_id"].tolist(),
                             frame["status"].tolist(), frame["description"].tolist(),
                             strict=True)], columns=list(_tip_fields("")))
    return pd.concat([out.reset_index(drop=True), tips], axis=1)


def cell_records(cells: pd.DataFrame) -> pd.DataFrame:
    """Return the columns the H3 layer needs: cell, colour by overdue share, tooltip."""
    out = cells[["h3_cell"]].copy()
    share = cells["overdue"] / cells["problems"].clip(lower=1)
    out["color"] = [[int(245 - 25 * s), int(158 - 120 * s), int(11 + 27 * s), 170] for s in share]
    tips = pd.DataFrame([_tip_fields(t("map.cell"), t("map.tip.cell", problems=p, overdue=o))
                         for p, o in zip(cells["problems"], cells["overdue"], strict=True)],
                        columns=list(_tip_fields("")))
    return pd.concat([out.reset_index(drop=True), tips], axis=1)


def view_state(subs: pd.DataFrame | None, subdistrict_id: int | None,
               site: dict | None) -> pdk.ViewState:
    """Return the view: on the selected site, else fitted to the subdistrict or the district."""
    if site is not None:
        return pdk.ViewState(latitude=site["lat"], longitude=site["lon"], zoom=15)
    match = (subs[subs["id"] == subdistrict_id] if subs is not None and subdistrict_id
             else None)
    text = (match["boundary_geojson"].iloc[0] if match is not None and len(match)
            else geo.district_outline_geojson())
    geometry = geo.geometry_from_geojson(text)
    return pdk.ViewState(**geo.view_for_bounds(*geometry.bounds))


def build_deck(site_rows: pd.DataFrame, problems: tuple[str, pd.DataFrame], subs: pd.DataFrame,
               view: pdk.ViewState, show: tuple[str, ...] = LAYERS,
               selected: dict | None = None, subdistrict_id: int | None = None) -> pdk.Deck:
    """Return the deck: boundaries, 300 m buffers, sites, problems (or H3 cells) as shown."""
    layers = []
    if "boundaries" in show:
        layers.append(outlines.line_layer("district-outline",
                                          [district_outline()["features"][0]["geometry"]],
                                          [[40, 40, 40]], [2]))
        shapes = [json.loads(g) for g in subs["boundary_geojson"]]
        chosen = [r == subdistrict_id for r in subs["id"]]
        layers.append(outlines.line_layer("subdistrict-lines", shapes,
                                          [[30, 90, 180] if c else [110, 115, 130]
                                           for c in chosen], [3 if c else 1 for c in chosen]))
    if "buffers" in show:
        buffers = site_rows[["lon", "lat", "radius_m"]].assign(
            color=[[*c, 40] for c in site_rows["color"]])
        layers.append(points.point_layer("site-buffers", buffers, radius="radius_m",
                                         fill="color", line=[80, 80, 80, 120], stroked=True,
                                         line_width_min_pixels=1))
    kind, frame = problems
    if "problems" in show:
        if kind == "cells":
            layers.append(pdk.Layer("H3HexagonLayer", id="problem-cells", data=frame,
                                    get_hexagon="h3_cell", get_fill_color="color",
                                    extruded=False, stroked=False, pickable=True))
        else:
            layers.append(points.point_layer("problems", frame, radius=PROBLEM_RADIUS_M,
                                             fill="color", line=[60, 30, 0, 160],
                                             radius_min_pixels=3, stroked=True,
                                             line_width_min_pixels=1, pickable=True))
    if "sites" in show:
        layers.append(points.point_layer(
            "sites", site_rows[["code", "lon", "lat", "color", "title", "line1", "line2",
                                "line3"]],
            radius=SITE_RADIUS_M, fill="color", line=[255, 255, 255], radius_min_pixels=4,
            stroked=True, line_width_min_pixels=1, pickable=True, auto_highlight=True))
    if selected is not None:
        layers.append(points.point_layer(
            "selected-site", [{"lon": selected["lon"], "lat": selected["lat"]}], radius=300,
            fill=points.CLEAR, line=[0, 90, 200], filled=False, stroked=True,
            line_width_min_pixels=3))
    if "boundaries" in show:  # names on top of everything
        labels = pd.DataFrame({"lon": subs["center_lon"].round(6),
                               "lat": subs["center_lat"].round(6),
                               "label": subs["name_" + current_lang()]})
        layers.append(outlines.name_layer("subdistrict-labels", labels))
    return basemap.deck(layers, view, TOOLTIP)


# --- legend and card -----------------------------------------------------------------------

def draw_legend(color_by: str, cats: pd.DataFrame, colors: dict[int, list[int]]) -> None:
    """Draw the colour legend (names escaped)."""
    if color_by == "category":
        items = [(colors[int(r.id)], getattr(r, "name_" + current_lang()))
                 for r in cats.itertuples(index=False)]
    else:
        items = [(STATE_COLORS[s], t(f"map.state.{s}")) for s in sites.SITE_STATES]
    spans = "".join(
        f'<span style="display:inline-block;margin:0 12px 4px 0;white-space:nowrap">'
        f'<span style="display:inline-block;width:10px;height:10px;border-radius:5px;'
        f'background:rgb({c[0]},{c[1]},{c[2]});margin-right:4px"></span>'
        f'{html.escape(str(name))}</span>' for c, name in items)
    st.html(f'<div style="font-size:0.8rem;line-height:1.4">{spans}</div>')


def draw_site_card(card: dict, class_names: dict[int, str]) -> None:
    """Draw a site's card: identity, 1+3+N, problems within its radius, recent history."""
    d, lang = card["detail"], current_lang()
    probs = card["problems"]
    st.subheader(escape_md(f"{d['code']} · {d['name_' + lang]}"))
    st.caption(t("map.card.identity", category=escape_md(d["category_" + lang]),
                 subdistrict=escape_md(d["subdistrict_" + lang]), radius=int(d["radius_m"])))
    st.markdown(t("map.card.responsibility", leader=escape_md(d["leader"]),
                  u1=escape_md(d["unit_1"]), u2=escape_md(d["unit_2"]),
                  u3=escape_md(d["unit_3"]), n=escape_md(d["grid_staff"])))
    c1, c2, c3 = st.columns(3)
    c1.metric(t("map.card.open"), int((probs["status"] != "closed").sum()), border=True)
    c2.metric(t("map.card.overdue"), int(probs["overdue"].sum()), border=True)
    c3.metric(t("map.card.closed"), int((probs["status"] == "closed").sum()), border=True)
    open_rows = probs[probs["status"] != "closed"]
    if open_rows.empty:
        st.info(t("map.card.no_open"))
    else:
        table_with_downloads(pd.DataFrame({
            t("map.col.code"): open_rows["code"],
            t("map.col.class"): open_rows["class_id"].map(class_names),
            t("map.col.status"): open_rows["status"].map(lambda s: t(f"problem.status.{s}")),
            t("map.col.overdue"): open_rows["overdue"],
            t("map.col.distance"): open_rows["distance_m"],
            t("map.col.discovered"): open_rows["discovered_at"],
            t("map.col.description"): open_rows["description"],
        }), f"site_{d['code']}_open_problems", key="site_card_problems")
    st.markdown(f"**{t('map.card.history')}**")
    ev = card["events"]
    table_with_downloads(pd.DataFrame({
        t("map.col.at"): ev["at"], t("map.col.code"): ev["problem"],
        t("map.col.actor"): ev["actor"],
        t("map.col.change"): [f"{t('problem.status.' + a) if isinstance(a, str) else '—'} → {t('problem.status.' + b)}"
                              for a, b in zip(ev["from_status"], ev["to_status"], strict=True)],
        t("map.col.note"): ev["note"]}), f"site_{d['code']}_history", key="site_card_events")


def ranking_table(ranking: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Return the risk ranking with translated column names."""
    return pd.DataFrame({
        t("map.col.rank"): ranking["rank"], t("map.col.code"): ranking["code"],
        t("map.col.site"): ranking["name_" + lang],
        t("map.col.category"): ranking["category_" + lang],
        t("map.col.subdistrict"): ranking["subdistrict_" + lang],
        t("map.col.open"): ranking["open_in_radius"],
        t("map.col.overdue"): ranking["overdue_in_radius"], t("map.col.risk"): ranking["risk"]})


def sample_table(sample: pd.DataFrame, population: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Return the mock evaluation's sample per category: sites, drawn, mean score."""
    sizes = population.groupby("category_" + lang).size()
    per = sample.groupby("category_" + lang).agg(drawn=("id", "size"), score=("score", "mean"))
    return pd.DataFrame({t("map.col.category"): per.index,
                         t("map.col.population"): sizes.reindex(per.index).to_numpy(),
                         t("map.col.sampled"): per["drawn"].to_numpy(),
                         t("map.col.mean_score"): per["score"].round(1).to_numpy()})


# --- moving a site (office) ----------------------------------------------------------------

def draw_move_form(detail: dict, version: int) -> None:
    """Draw the 'move this site' form for roles that may edit sites; write through civdata."""
    actor = st.session_state.get("actor")
    if not auth.can(actor, "site.edit"):
        return
    with st.expander(t("map.move.title")), st.form(f"map_move_site_{detail['code']}"):
        st.caption(t("map.move.help"))
        c1, c2, c3 = st.columns(3)
        lat = c1.number_input(t("map.move.lat"), value=float(detail["lat"]), format="%.6f",
                              key=f"map_move_lat_{detail['code']}")
        lon = c2.number_input(t("map.move.lon"), value=float(detail["lon"]), format="%.6f",
                              key=f"map_move_lon_{detail['code']}")
        datum = c3.selectbox(t("map.move.datum"), geo.DATUMS, key=f"map_move_datum_{detail['code']}",
                             format_func=lambda d: t(f"map.datum.{d}"))
        if not st.form_submit_button(t("map.move.submit")):
            return
    forms.submit(lambda s: sites.move_site(s, actor, int(detail["id"]), lat, lon, datum, version),
                 lambda n: t("map.move.done", code=detail["code"], n=n))
