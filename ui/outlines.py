"""Boundaries on the maps, drawn as LineLayer segments (deck.gl's cheapest shader to prepare),
and the names written on them (name_layer).

Each layer type on a map costs its shader program on every visit of a browser without a GPU
(software WebGL, measured in headless Chromium on 2 cores): a GeoJsonLayer strokes polygons
with a PathLayer (about 0.9 s), a SolidPolygonLayer fill added about 0.3 s, a LineLayer about
0.2-0.3 s. So the maps draw outlines only (no fill): one to three pixels wide they look the
same as a PathLayer's, and the chosen subdistrict is told apart by a thicker, blue outline.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pydeck as pdk

Point = list[float]


def polygons_of(geometry: dict[str, Any]) -> list[list[list[Point]]]:
    """Return the polygons (each a list of rings of [lon, lat]) of a GeoJSON Polygon or
    MultiPolygon (nothing for other types)."""
    if geometry.get("type") == "Polygon":
        return [geometry["coordinates"]]
    if geometry.get("type") == "MultiPolygon":
        return list(geometry["coordinates"])
    return []


def segments_of(geometry: dict[str, Any]) -> list[tuple[Point, Point]]:
    """Return the edges of every ring of a Polygon or MultiPolygon, each ring closed."""
    edges: list[tuple[Point, Point]] = []
    for polygon in polygons_of(geometry):
        for ring in polygon:
            points = [[round(x, 6), round(y, 6)] for x, y, *_ in ring]
            if points and points[0] != points[-1]:
                points.append(points[0])
            edges.extend(zip(points[:-1], points[1:], strict=True))
    return edges


def line_layer(layer_id: str, geometries: list[dict[str, Any]], colors: list[list[int]],
               widths: list[float]) -> pdk.Layer:
    """Return a LineLayer drawing each geometry's outline in its colour and width (pixels; one
    row per edge, `part` naming the geometry it belongs to)."""
    data = [{"s": a, "t": b, "color": color, "width": width, "part": i}
            for i, (geometry, color, width) in enumerate(zip(geometries, colors, widths,
                                                             strict=True))
            for a, b in segments_of(geometry)]
    return pdk.Layer("LineLayer", id=layer_id, data=data, get_source_position="s",
                     get_target_position="t", get_color="color", get_width="width")


def name_layer(layer_id: str, names: pd.DataFrame) -> pdk.Layer:
    """Return a TextLayer writing each row's label (lon, lat, label) at 14 px, outlined in
    white, with only the characters it uses in its font atlas."""
    return pdk.Layer("TextLayer", id=layer_id, data=names, get_position=["lon", "lat"],
                     get_text="label", get_size=14, get_color=[40, 50, 80, 230],
                     character_set=pdk.types.String("auto"), font_weight=600, outline_width=2,
                     outline_color=[255, 255, 255, 220], font_settings={"sdf": True},
                     billboard=True)
