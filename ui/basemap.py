"""What lies under every map's layers: nothing by default (no request leaves the machine), an
intranet style (CIVDATA_MAP_STYLE), or raster tiles (CIVDATA_TILE_URL=https://…/{z}/{x}/{y}.png,
e.g. an intranet tile server or 天地图).

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


def deck_style() -> dict:
    """Return the Deck keyword for an intranet map style ({} when none is set)."""
    style = load_settings().map_style
    return {"map_style": style} if style else {}
