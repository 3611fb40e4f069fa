"""The map page through AppTest: deck layers, counts drawn, drill-down, site card, risk, mock."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import select, update
from streamlit.testing.v1 import AppTest

from civdata.core import models as m
from civdata.core.clock import this_minute
from civdata.domain import geo, riskmodel, sites
from tests.pages import apptest
from tests.pages.apptest import DASHBOARD

APP = DASHBOARD
LAYER_IDS = ["district-outline", "subdistrict-lines", "site-buffers", "problems",
             "sites", "subdistrict-labels"]


def _open_map(query: dict[str, str] | None = None, user: str = "office") -> AppTest:
    """Log in and open the map page (query params set before the first run)."""
    return apptest.open_page(apptest.signed_in(user, query), "map")


def _deck(at: AppTest) -> dict:
    """Return the deck JSON of the map."""
    return apptest.deck_specs(at)[0]


def _layers(at: AppTest) -> dict[str, dict]:
    """Return the deck's layers by id."""
    return {layer["id"]: layer for layer in _deck(at)["layers"]}


def _now() -> datetime:
    """Return the page's clock (minute precision)."""
    return this_minute()


def test_deck_layers_radius_and_no_base_map(sample_db, sample_session) -> None:
    at = _open_map()
    deck = _deck(at)
    # pydeck's sentinel (no base map at all); never a style URL, never a provider
    assert deck.get("mapStyle") == "__MAP_STYLE__" and "mapProvider" not in deck
    layers = _layers(at)
    assert list(layers) == LAYER_IDS
    types = {k: v["@@type"] for k, v in layers.items()}
    assert types == {"district-outline": "LineLayer", "subdistrict-lines": "LineLayer",
                     "subdistrict-labels": "TextLayer", "site-buffers": "ScatterplotLayer", "problems": "ScatterplotLayer",
                     "sites": "ScatterplotLayer"}
    buffers = layers["site-buffers"]
    assert buffers["getRadius"] == "@@=radius_m" and "radiusUnits" not in buffers
    assert {row["radius_m"] for row in buffers["data"]} == {300}
    expected_sites = sites.sites_with_problem_counts(sample_session, _now())
    assert len(layers["sites"]["data"]) == len(buffers["data"]) == len(expected_sites) == 381
    n_open = sites.count_problems_in_view(sample_session, _now(), None, None, "open")
    assert len(layers["problems"]["data"]) == n_open > 0
    assert {row["part"] for row in layers["subdistrict-lines"]["data"]} == set(range(12))
    outline = geo.district_outline_geojson()
    assert len(layers["district-outline"]["data"]) == len(
        json.loads(outline)["features"][0]["geometry"]["coordinates"][0]) - 1  # a closed ring
    assert any(f"{len(expected_sites)}" in c.value and f"{n_open}" in c.value for c in at.caption)


def test_subdistrict_drill_down_zooms_and_filters(sample_db, sample_session) -> None:
    at = _open_map({"subdistrict": "nanhu"})
    assert "南湖" in at.title[0].value
    sub = sample_session.scalar(select(m.Subdistrict).where(m.Subdistrict.code == "nanhu"))
    layers = _layers(at)
    expected = sites.sites_with_problem_counts(sample_session, _now(), sub.id)
    assert len(layers["sites"]["data"]) == len(expected) > 0
    assert {s["code"] for s in layers["sites"]["data"]} == set(expected["code"])
    assert len(layers["problems"]["data"]) == sites.count_problems_in_view(
        sample_session, _now(), sub.id, None, "open")
    view = _deck(at)["initialViewState"]
    outline = geo.geometry_from_geojson(sub.boundary_geojson)
    assert not geo.points_outside(outline, [view["longitude"]], [view["latitude"]])[0]
    assert view["zoom"] > 12
    widths = {row["width"] for row in layers["subdistrict-lines"]["data"]}
    assert widths == {1, 3}  # the chosen subdistrict is outlined


def test_site_card_from_the_url(sample_db, sample_session) -> None:
    site_id = sites.site_id_by_code(sample_session, "S060")
    at = _open_map({"site": "S060"})
    detail = sites.site_detail(sample_session, site_id)
    assert at.subheader[0].value == f"S060 · {detail['name_zh']}"
    probs = sites.site_problems(sample_session, site_id, _now())
    metrics = {mt.label: mt.value for mt in at.metric}
    assert metrics["300 米内未结问题"] == str(int((probs["status"] != "closed").sum()))
    assert metrics["其中超期"] == str(int(probs["overdue"].sum()))
    assert metrics["300 米内已结问题"] == str(int((probs["status"] == "closed").sum()))
    assert any(detail["leader"] in md.value and detail["unit_1"] in md.value for md in at.markdown)
    events = sites.site_recent_events(sample_session, site_id)
    history = at.dataframe[1].value
    assert history.iloc[:, 1].tolist() == events["problem"].tolist()
    downloads = {b.key for b in at.get("download_button")}
    assert {"dl_csv_site_card_events", "dl_xlsx_site_card_events",
            "dl_xlsx_site_card_problems"} <= downloads
    layers = _layers(at)
    [ring] = layers["selected-site"]["data"]
    assert (ring["lon"], ring["lat"], ring["radius_m"]) == (detail["lon"], detail["lat"], 300)
    assert _deck(at)["initialViewState"]["latitude"] == pytest.approx(detail["lat"])


def test_tooltips_carry_user_text_only_in_escaped_fields(sample_db, sample_session) -> None:
    # the map (ui/deckchart.js) HTML-escapes every {field} of an html tooltip in the browser
    # (the browser tests hover a site, and fill the template with markup); the markup lives
    # only in the fixed template.
    evil = '<img src=x onerror="alert(1)">'
    pid = sample_session.scalar(select(m.Problem.id).where(m.Problem.status != "closed")
                                .order_by(m.Problem.id).limit(1))
    sample_session.execute(update(m.Problem).where(m.Problem.id == pid).values(description=evil))
    sample_session.commit()
    at = _open_map()
    assert apptest.map_data(at)[0]["tooltip"] == {"html": "<b>{title}</b><br/>{line1}<br/>{line2}"
                                                   "<br/>{line3}"}
    problems = _layers(at)["problems"]["data"]
    assert evil in [p["line3"] for p in problems]  # plain text, escaped by the browser
    sites_drawn = _layers(at)["sites"]["data"]
    assert all(set(s) >= {"title", "line1", "line2", "line3"} for s in sites_drawn)
    assert all("<" not in s["title"] for s in sites_drawn)


def test_many_problems_become_h3_cells(sample_db, sample_session, monkeypatch) -> None:
    import ui.map

    monkeypatch.setattr(ui.map, "MAX_RAW_POINTS", 500)
    at = _open_map()
    at.selectbox(key="map_problem_state").select("all").run()
    layers = _layers(at)
    assert "problems" not in layers and layers["problem-cells"]["@@type"] == "H3HexagonLayer"
    cells = sites.problem_cells_in_view(sample_session, _now(), None, None, "all")
    assert len(layers["problem-cells"]["data"]) == len(cells)
    assert cells["problems"].sum() == sample_session.query(m.Problem).count()
    assert any("H3" in c.value for c in at.caption)


def test_filters_and_layer_switches(sample_db, sample_session) -> None:
    at = _open_map()
    cats = sites.site_categories(sample_session)
    market = int(cats.loc[cats["code"] == "farmers_market", "id"].iloc[0])
    at.multiselect(key="map_categories").select(market).run()
    frame = sites.sites_with_problem_counts(sample_session, _now())
    assert len(_layers(at)["sites"]["data"]) == int((frame["category_id"] == market).sum())
    at.multiselect(key="map_states").select("clean").run()
    expected = frame[(frame["category_id"] == market) & (frame["state"] == "clean")]
    assert {s["code"] for s in _layers(at)["sites"]["data"]} == set(expected["code"])
    at.multiselect(key="map_layers").unselect("buffers").unselect("boundaries").run()
    assert list(_layers(at)) == ["problems", "sites"]
    at.radio(key="map_color_by").set_value("state").run()
    colors = {s["code"]: s["color"] for s in _layers(at)["sites"]["data"]}
    assert set(map(tuple, colors.values())) <= {(46, 160, 67)}


def test_risk_ranking_and_mock_evaluation(sample_db, sample_session) -> None:
    at = _open_map()
    now = _now()
    frame = sites.sites_with_problem_counts(sample_session, now)
    links = riskmodel.site_open_figures(riskmodel.read_open_links(sample_session, now), now)
    ranked = riskmodel.site_risk(frame, links)
    table = at.dataframe[0].value
    assert table["编号"].tolist() == ranked["code"].head(30).tolist()
    assert table["风险值"].tolist() == pytest.approx(ranked["risk"].head(30).tolist())
    result = riskmodel.mock_evaluation(frame, links, 60, riskmodel.DEFAULT_SEED)
    metrics = {mt.label: mt.value for mt in at.metric}
    assert metrics["模拟测评得分"] == f"{result['estimate']:.1f}"
    assert metrics["95% 区间"] == f"{result['low']:.1f} – {result['high']:.1f}"
    assert any(f"本次抽样随机种子：{riskmodel.DEFAULT_SEED}" in md.value for md in at.markdown)
    at.number_input(key="mock_seed").set_value(7).run()
    again = riskmodel.mock_evaluation(frame, links, 60, 7)
    metrics = {mt.label: mt.value for mt in at.metric}
    assert metrics["模拟测评得分"] == f"{again['estimate']:.1f}"
    assert at.dataframe[1].value["抽取点位数"].sum() == 60


def test_intranet_map_style_is_used_only_when_set(sample_db, monkeypatch) -> None:
    monkeypatch.setenv("CIVDATA_MAP_STYLE", "http://tiles.intranet.local/style.json")
    at = _open_map()
    deck = _deck(at)
    assert deck["mapStyle"] == "http://tiles.intranet.local/style.json"
    assert "mapProvider" not in deck
    # a style needs Streamlit's base map renderer: st.pydeck_chart draws this map
    assert at.get("deck_gl_json_chart") and not [p for p in apptest.maps_drawn(at)
                                                 if hasattr(p, "component_name")]


def test_without_a_style_the_map_is_drawn_by_the_apps_component(sample_db) -> None:
    at = _open_map()
    assert not at.get("deck_gl_json_chart")
    [data] = apptest.map_data(at)
    assert (data["height"], data["select"]) == (620, True)
    assert data["selection"] == {"indices": {}, "objects": {}}
    # deck.gl from this server (ui/deckgl), not from a CDN
    assert data["core"] == "/component/ui.deckchart.deckgl/deck-9.4.0.min.js"
    assert data["json"] == "/component/ui.deckchart.deckgl/deck-json-9.4.0.min.js"
    assert data["h3"] == "/component/ui.deckchart.deckgl/h3-js-4.5.0.umd.js"
    assert data["tooltip"]["html"].startswith("<b>{title}</b>")


def test_a_ranking_row_or_a_map_click_selects_the_site(sample_db, sample_session) -> None:
    at = _open_map()
    now = _now()
    ranked = riskmodel.site_risk(sites.sites_with_problem_counts(sample_session, now),
                                 riskmodel.site_open_figures(
                                     riskmodel.read_open_links(sample_session, now), now))
    third = ranked["code"].iloc[2]
    at.session_state["risk_table"] = {"selection": {"rows": [2], "columns": []}}
    at.run()
    assert at.subheader[0].value.startswith(f"{third} · ")
    assert at.query_params["site"] in (third, [third])
    # a click on the map (the pydeck selection state) wins over the earlier row
    at.session_state["site_map"] = {"selection": {"indices": {"sites": [9]},
                                                  "objects": {"sites": [{"code": "S010"}]}}}
    at.run()
    assert at.subheader[0].value.startswith("S010 · ")
    assert _layers(at)["selected-site"]["data"][0]["lat"] == pytest.approx(
        sites.site_detail(sample_session, sites.site_id_by_code(sample_session, "S010"))["lat"])


def test_office_moves_a_site_given_in_gcj02(sample_db, sample_session) -> None:
    site_id = sites.site_id_by_code(sample_session, "S060")
    before = sites.site_detail(sample_session, site_id)
    target_lat, target_lon = before["lat"] - 0.003, before["lon"] + 0.002
    glat, glon = geo.from_wgs84(target_lat, target_lon, "gcj02")
    at = _open_map({"site": "S060"})
    at.number_input(key="map_move_lat_S060").set_value(glat)
    at.number_input(key="map_move_lon_S060").set_value(glon)
    at.selectbox(key="map_move_datum_S060").select("gcj02")
    at.button(key="FormSubmitter:map_move_site_S060-保存新位置").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("S060" in s.value for s in at.success)
    sample_session.expire_all()
    after = sites.site_detail(sample_session, site_id)
    assert geo.distance_m(after["lon"], after["lat"], target_lon, target_lat) < 1.0
    assert after["version"] == before["version"] + 1
    drawn = _layers(at)["selected-site"]["data"][0]
    assert geo.distance_m(drawn["lon"], drawn["lat"], target_lon, target_lat) < 1.0
    links = sites.site_problems(sample_session, site_id, _now())
    assert links["distance_m"].max() <= 300


def test_a_point_outside_the_district_is_refused_with_a_message(sample_db, sample_session) -> None:
    at = _open_map({"site": "S060"})
    at.number_input(key="map_move_lat_S060").set_value(41.78)
    at.number_input(key="map_move_lon_S060").set_value(123.0)
    at.button(key="FormSubmitter:map_move_site_S060-保存新位置").click().run()
    assert any("不在和平区范围内" in e.value for e in at.error)
    site = sites.site_detail(sample_session, sites.site_id_by_code(sample_session, "S060"))
    assert site["version"] == 1 and site["lon"] != 123.0


def test_leaders_see_no_move_form(sample_db) -> None:
    at = _open_map({"site": "S060"}, user="leader")
    assert at.subheader[0].value.startswith("S060")
    assert not [w for w in at.number_input if str(w.key).startswith("map_move")]
