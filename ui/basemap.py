"""What lies under every map's layers, and the deck that puts them on it (deck). Under the
layers: nothing by default (no request leaves the machine), an intranet style
(CIVDATA_MAP_STYLE), or raster tiles (CIVDATA_TILE_URL=https://…/{z}/{x}/{y}.png, e.g. an
intranet tile server or 天地图).

Tiles in CGCS2000 (天地图) need no offset: CGCS2000 and WGS-84 differ by centimetres at this
scale, and the stored points are WGS-84. GCJ-02 tiles (AMap, Tencent) would be ~500 m off.

How the tiles are drawn: deck.gl draws raster tiles with a TileLayer whose renderSubLayers
returns a BitmapLayer per tile. pydeck cannot express that callback: its JSON has no functions
(Streamlit's converter registers only colorBins/colorCategories/colorContinuous and refuses
function calls in "@@=" expressions). TerrainLayer is deck.gl's own TileLayer that draws each
tile's image (texture) on a mesh; with an elevation decoder that scales every channel by zero
the mesh is flat, so it draws the raster tiles as a TileLayer + BitmapLayer would. Its decoder
runs on the main thread (worker: False), so no worker script is fetched from a CDN.
"""

from __future__ import annotations

import json
from typing import Any

import pydeck as pdk

from civdata.core.config import load_settings

FLAT = {"rScaler": 0, "gScaler": 0, "bScaler": 0, "offset": 0}


def tile_layers() -> list[pdk.Layer]:
    """Return the raster tile layer to put first (under the others), or [] when no tile URL."""
    url = load_settings().tile_url
    if not url:
        return []
    return [pdk.Layer("TerrainLayer", id="base-tiles", elevation_data=url, texture=url,
                      elevation_decoder=FLAT, mesh_max_error=100, min_zoom=0, max_zoom=19,
                      tile_size=256, material=False, pickable=False,
                      load_options={"worker": False, "core": {"worker": False},
                                    "terrain": {"worker": False}})]


class CompactDeck(pdk.Deck):
    """A Deck whose JSON has no indentation and keeps Chinese as UTF-8: about 2.5x fewer bytes
    than pydeck's, and the browser parses a map's JSON with JSON5, a character at a time (about
    0.1 s per MB in headless Chromium on 2 cores)."""

    def to_json(self) -> str:
        """Return the deck as compact JSON (what Streamlit sends to the browser)."""
        from pydeck.bindings.json_tools import default_serialize

        return json.dumps(self, sort_keys=True, default=default_serialize, ensure_ascii=False,
                          separators=(",", ":"))


def deck(layers: list[pdk.Layer], view: pdk.ViewState, tooltip: Any = True) -> pdk.Deck:
    """Return the deck of every map: the layers over the raster tiles when a deployment names a
    tile server, no base map from the internet (map_provider=None and pydeck's map_style
    sentinel left in place: an explicit None makes Streamlit fetch a CARTO style), an intranet
    style when a deployment names one (CIVDATA_MAP_STYLE)."""
    style = load_settings().map_style
    extra = {"map_style": style} if style else {}
    return CompactDeck(layers=[*tile_layers(), *layers], initial_view_state=view,
                       map_provider=None, tooltip=tooltip, **extra)
