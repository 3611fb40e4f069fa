"""Point layers on the maps (deck.gl ScatterplotLayer), all built one way so that they share one
GPU pipeline and send few bytes.

A browser without a GPU (software WebGL: ANGLE over SwiftShader) builds a pipeline for every
vertex layout it draws, on the first draw of every map it shows: about 0.1-0.2 s each on 2 cores
(headless Chromium; the page's first ReadPixels waits for it). A constant accessor
(get_radius=300) and a per-row one (get_radius="r") are two layouts of one shader, so point
layers written differently cost a pipeline each. Here every point layer reads its radius and fill
colour from a column (a constant is written on every row) and takes its line colour as a
constant, so the point layers of a map share one pipeline (two when some are pickable and some
not: picking colours are a per-row attribute of pickable layers only). Positions are rounded to
6 decimals (0.1 m): the browser parses the map's JSON a character at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import pydeck as pdk

Colour = Sequence[int]
RADIUS, FILL = "radius_m", "fill"  # the columns a constant radius or fill colour is written to
CLEAR: Colour = (0, 0, 0, 0)  # a colour drawn as nothing
DECIMALS = 6


def point_layer(layer_id: str, data: pd.DataFrame | list[dict[str, Any]], *,
                radius: float | str, fill: Colour | str, line: Colour = CLEAR,
                **props: Any) -> pdk.Layer:
    """Return a ScatterplotLayer of data's lon/lat: radius in metres and fill colour (RGB or
    RGBA) each a constant or the name of a column of them, line colour a constant; props are the
    layer's other settings (stroked, filled, pickable, radius_min_pixels, ...)."""
    frame = pd.DataFrame(data).copy()
    for axis in ("lon", "lat"):
        frame[axis] = pd.to_numeric(frame[axis]).round(DECIMALS)
    if not isinstance(radius, str):
        frame[RADIUS], radius = radius, RADIUS
    if isinstance(fill, str):
        fill_column = fill
    else:
        frame[FILL], fill_column = [list(fill)] * len(frame), FILL
    return pdk.Layer("ScatterplotLayer", id=layer_id, data=frame, get_position=["lon", "lat"],
                     get_radius=radius, get_fill_color=fill_column, get_line_color=list(line),
                     **props)
