"""The browser's floor for the benchmark: a three-page Streamlit app with no data behind it, whose
second visits show what Streamlit and deck.gl cost on this machine whatever the data.

Pages: a heading only (the landing page, at /), a map of 381 points, a map with the layer types
of the sites map (outlines, points, names), and that map drawn by st.pydeck_chart instead of the
app's ui.deckchart (which keeps one WebGL context for the tab; st.pydeck_chart builds a new one
for every map it mounts). The maps are built with the app's own builders (ui.points,
ui.outlines, ui.basemap, ui.deckchart) on made-up positions in Heping District, so a browser
without a GPU (software WebGL) pays here what every map of the app pays before its data.
Usage: streamlit run scripts/bench_floor.py (scripts/bench.py starts it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pydeck as pdk
import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ui import basemap, outlines, points
from ui.deckchart import deck_chart

CENTER = (41.775, 123.40)  # lat, lon
SPAN = (0.05, 0.07)  # degrees of latitude and longitude the made-up points spread over
POINTS = 381  # as many as the evaluation sites


def made_up_points() -> pd.DataFrame:
    """Return POINTS positions on a regular grid over the district (no randomness)."""
    side = int(POINTS ** 0.5) + 1
    rows = [(CENTER[1] - SPAN[1] / 2 + SPAN[1] * (i % side) / side,
             CENTER[0] - SPAN[0] / 2 + SPAN[0] * (i // side) / side) for i in range(POINTS)]
    return pd.DataFrame(rows, columns=["lon", "lat"])


def made_up_boundaries() -> list[dict]:
    """Return twelve rectangles tiling the district as GeoJSON polygons (4 by 3)."""
    boxes = []
    for i in range(12):
        x0 = CENTER[1] - SPAN[1] / 2 + SPAN[1] * (i % 4) / 4
        y0 = CENTER[0] - SPAN[0] / 2 + SPAN[0] * (i // 4) / 3
        x1, y1 = x0 + SPAN[1] / 4, y0 + SPAN[0] / 3
        boxes.append({"type": "Polygon",
                      "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]})
    return boxes


def view() -> pdk.ViewState:
    """Return the view over the made-up district."""
    return pdk.ViewState(latitude=CENTER[0], longitude=CENTER[1], zoom=12.5)


def blank_page() -> None:
    """A heading only."""
    st.header("floor")


def points_page() -> None:
    """One point layer."""
    st.header("points")
    layer = points.point_layer("points", made_up_points(), radius=40, fill=[200, 60, 60, 200],
                               line=[255, 255, 255], radius_min_pixels=4, stroked=True,
                               line_width_min_pixels=1, pickable=True)
    deck_chart(basemap.deck([layer], view()), key="points", height=620)


def map_layers_deck() -> pdk.Deck:
    """Return a map with the sites map's layer types: outlines, points, names."""
    boxes = made_up_boundaries()
    lines = outlines.line_layer("lines", boxes, [[40, 40, 40]] * len(boxes), [1.0] * len(boxes))
    layer = points.point_layer("points", made_up_points(), radius=40, fill=[200, 60, 60, 200],
                               line=[255, 255, 255], radius_min_pixels=4, stroked=True,
                               line_width_min_pixels=1, pickable=True)
    centers = pd.DataFrame([{"lon": sum(p[0] for p in b["coordinates"][0][:4]) / 4,
                             "lat": sum(p[1] for p in b["coordinates"][0][:4]) / 4,
                             "label": f"第{i + 1}街道"} for i, b in enumerate(boxes)])
    names = outlines.name_layer("names", centers)
    return basemap.deck([lines, layer, names], view())


def map_layers_page() -> None:
    """The sites map's layer types, drawn as the app draws every map."""
    st.header("map layers")
    deck_chart(map_layers_deck(), key="map_layers", height=620)


def map_layers_pydeck_page() -> None:
    """The same map drawn by st.pydeck_chart."""
    st.header("map layers (st.pydeck_chart)")
    st.pydeck_chart(map_layers_deck(), height=620)


st.navigation([st.Page(blank_page, title="floor", url_path="floor", default=True),
               st.Page(points_page, title="points", url_path="points"),
               st.Page(map_layers_page, title="map layers", url_path="map_layers"),
               st.Page(map_layers_pydeck_page, title="map layers (st.pydeck_chart)",
                       url_path="map_layers_pydeck")]).run()
