"""Every map of the app is drawn here (deck_chart): a pydeck deck in a small Streamlit component
(components v2, ui/deckchart.js) that keeps deck.gl's Deck, and so its WebGL context and GPU
pipelines, for the whole browser tab. st.pydeck_chart builds a new Deck and WebGL context for
every map it mounts; in a browser without a GPU (software WebGL) that costs about 0.2-0.4 s per
layer type on every visit (docs/performance.md, item 30). deck.gl is served from this server
(ui/deckgl: deck.gl 9.4.0 and @deck.gl/json 9.4.0, MIT, and h3-js 4.5.0, Apache-2.0, from the
npm registry): no map reaches outside. With an intranet map style (CIVDATA_MAP_STYLE) the map is
drawn by st.pydeck_chart, whose base map renderer draws the style.

The first map of a tab would still load deck.gl and prepare each layer type's pipelines (about
1 s without a GPU): warm_maps, in the sidebar of every signed-in page, does that out of sight
once the page has been idle for a second (docs/performance.md, item 31).

A pickable map reports the object clicked as st.pydeck_chart does: {"indices": {layer id:
[index]}, "objects": {layer id: [object]}}; a second click on it, or a click beside every
object, clears it."""

from __future__ import annotations

import functools
import json
import weakref
from collections.abc import Callable
from pathlib import Path

import h3
import pandas as pd
import pydeck as pdk
import streamlit as st
import streamlit.components.v1 as components_v1

from civdata.core.config import load_settings
from ui import outlines, points

ASSETS = Path(__file__).with_name("deckgl")
CORE = "deck-9.4.0.min.js"
CONVERTER = "deck-json-9.4.0.min.js"
H3 = "h3-js-4.5.0.umd.js"  # deck.gl's H3 layers (the tap maps) read h3-js from a global
NO_SELECTION: dict = {"indices": {}, "objects": {}}
MAP_COMPONENT = "civ_deck_chart"  # the component's name (tests and the bench find maps by it)
WARM_COMPONENT = "civ_deck_warmup"  # the same code, drawing nothing on the page (warm_maps)
# a browser-side test that every map on the page drew its latest layers (ui/deckchart.js marks
# each map's element), for the browser tests, the bench and the screenshots to wait on
MAPS_DRAWN_JS = """() => [...document.querySelectorAll('[data-testid="civDeckChart"]')]
  .every((host) => host.dataset.drawn === "1")"""


@st.cache_resource(show_spinner=False)
def _component(name: str = MAP_COMPONENT) -> Callable:
    """Return the mount command of the map component, or of the warm-up (registered once)."""
    return st.components.v2.component(
        name, js=Path(__file__).with_suffix(".js").read_text(encoding="utf-8"),
        isolate_styles=False)


def _library_urls() -> tuple[str, str, str]:
    """Serve ui/deckgl through Streamlit's component file route (registered in this run's
    server); return the URLs of h3-js, deck.gl and its JSON converter."""
    served = components_v1.declare_component("deckgl", path=str(ASSETS))
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    prefix = f"/{base}/component/{served.name}" if base else f"/component/{served.name}"
    return f"{prefix}/{H3}", f"{prefix}/{CORE}", f"{prefix}/{CONVERTER}"


def deck_json(deck: pdk.Deck) -> str:
    """Return the deck's JSON as the browser gets it (data frames written as records, as
    st.pydeck_chart writes them under pandas 3)."""
    for layer in deck.layers or []:
        data = getattr(layer, "data", None)
        if isinstance(data, weakref.ref):
            data = data()
        if isinstance(data, pd.DataFrame):
            layer.data = data.to_dict(orient="records")
    return deck.to_json()


def deck_tooltip(deck: pdk.Deck) -> dict | None:
    """Return the deck's tooltip template ({"html": ...} or {"text": ...}), or None."""
    tooltip = getattr(deck, "_tooltip", None)
    return tooltip if isinstance(tooltip, dict) else None


def current_selection(key: str) -> dict:
    """Return what is picked on the map drawn under key ({indices, objects}, maybe empty)."""
    state = st.session_state.get(key)
    try:
        selection = state["selection"]  # type: ignore[index]
    except (KeyError, TypeError):
        return NO_SELECTION
    return selection if isinstance(selection, dict) else NO_SELECTION


def map_payload(deck: pdk.Deck, height: int, pickable: bool, key: str) -> bytes:
    """Return what the browser gets for one map: one UTF-8 JSON document (spec, tooltip, height,
    select, selection, the URLs of deck.gl). Sent as bytes: a dict would be sent as JSON with
    every quote of the spec escaped and every Chinese character as a six-byte escape."""
    return _document(deck_json(deck), deck_tooltip(deck), height, pickable, key)


def _document(spec: str, tooltip: dict | None, height: int, pickable: bool, key: str,
              warm: bool = False) -> bytes:
    """Return the component's document of a deck's JSON spec (map_payload; warm: the warm-up's)."""
    h3_url, core, converter = _library_urls()
    rest = json.dumps({"tooltip": tooltip, "height": int(height), "select": pickable,
                       "selection": current_selection(key) if pickable else NO_SELECTION,
                       "h3": h3_url, "core": core, "json": converter,
                       **({"warm": True} if warm else {})},
                      ensure_ascii=False, separators=(",", ":"))
    return f'{{"spec":{spec},{rest[1:]}'.encode()


def deck_chart(deck: pdk.Deck, key: str, height: int = 500,
               on_select: Callable[[], None] | None = None, pickable: bool = False) -> dict:
    """Draw a map; return what is picked on it ({indices, objects}; empty unless pickable).
    With pickable, a click reruns the page (on_select runs first, as a widget's callback)."""
    if load_settings().map_style:  # a base map style: Streamlit's renderer draws it
        event = st.pydeck_chart(deck, key=key, height=height,
                                on_select=(on_select or "rerun") if pickable else "ignore",
                                selection_mode="single-object")
        return dict(getattr(event, "selection", None) or NO_SELECTION) if pickable else NO_SELECTION
    result = _component()(key=key, data=map_payload(deck, height, pickable, key),
                          default={"selection": NO_SELECTION},
                          on_selection_change=on_select or (lambda: None))
    if not pickable:
        return NO_SELECTION
    selection = result.get("selection") if result is not None else None
    return selection if isinstance(selection, dict) else NO_SELECTION


def warm_deck() -> pdk.Deck:
    """Return a deck with one small layer of each type and shader setting the maps draw."""
    # outlines, points and names from the maps' own builders; H3 cells filled and outlined at a
    # resolution of 9 or more (drawn as columns), as the report's and the public tap maps draw
    # them (tests/pages/test_deckchart.py compares). Not the raster tiles' TerrainLayer of
    # CIVDATA_TILE_URL: warming it would fetch tiles.
    lon, lat = 123.4, 41.8
    line = {"type": "Polygon", "coordinates": [[[lon, lat], [lon + 0.001, lat],
                                                 [lon, lat + 0.001], [lon, lat]]]}
    cell = h3.latlng_to_cell(lat, lon, 9)
    layers = [outlines.line_layer("warm-lines", [line], [[0, 0, 0]], [1]),
              points.point_layer("warm-points", [{"lon": lon, "lat": lat}], radius=10,
                                 fill=[0, 0, 0], line=[0, 0, 0], stroked=True,
                                 radius_min_pixels=3, line_width_min_pixels=1),
              pdk.Layer("H3HexagonLayer", id="warm-cells", data=[{"cell": cell}],
                        get_hexagon="cell", filled=True, stroked=True, extruded=False,
                        get_fill_color=[0, 0, 0, 40], get_line_color=[0, 0, 0, 90],
                        line_width_min_pixels=1),
              outlines.name_layer("warm-names", pd.DataFrame(
                  {"lon": [lon], "lat": [lat], "label": ["和平 Heping"]}))]
    return pdk.Deck(layers=layers, map_provider=None,
                    initial_view_state=pdk.ViewState(latitude=lat, longitude=lon, zoom=14))


def warm_maps() -> None:
    """Put the maps' warm-up in the page (nothing shows; none with a map style)."""
    # Once per browser tab, when the page is idle and no map has been drawn yet, the browser
    # loads deck.gl and prepares every layer type's GPU pipelines, so the first map of the tab
    # draws as a later one does (about 1 s sooner without a GPU; docs/performance.md item 31).
    # With CIVDATA_MAP_STYLE, st.pydeck_chart draws the maps: there is nothing of ours to warm.
    if load_settings().map_style:
        return
    _component(WARM_COMPONENT)(key="civ_deck_warmup",
                               data=_document(warm_spec(), None, 0, False, "", warm=True))


@functools.lru_cache(maxsize=1)
def warm_spec() -> str:
    """Return the warm deck's JSON, built once per process (the same for every page and user)."""
    return deck_json(warm_deck())
