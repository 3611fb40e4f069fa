"""Every map's point layers are built one way (ui.points) and every deck is sent compact
(ui.basemap.deck): what keeps a map's first draw cheap in a browser without a GPU."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.pages.apptest import deck_specs, map_wire, maps_drawn, open_page, signed_in
from ui import points

SIGNED_IN_MAPS = {"map": "office", "markets": "office", "volunteers": "office"}


def _scatter_layers(spec: dict) -> list[dict]:
    """Return the ScatterplotLayers of a deck spec."""
    return [layer for layer in spec["layers"] if layer["@@type"] == "ScatterplotLayer"]


def _assert_one_layout(layer: dict) -> None:
    """Assert radius and fill colour are read from a column on every row and the line colour is
    a constant: the one vertex layout every point layer shares."""
    rows = layer["data"]
    for accessor in ("getRadius", "getFillColor"):
        assert isinstance(layer[accessor], str) and layer[accessor].startswith("@@="), \
            (layer["id"], accessor, layer[accessor])
        column = layer[accessor].removeprefix("@@=")
        assert rows and all(column in row for row in rows), (layer["id"], column)
    assert isinstance(layer["getLineColor"], list), (layer["id"], layer["getLineColor"])
    assert layer["getPosition"] == "@@=[lon, lat]"


@pytest.mark.parametrize(("page", "user"), sorted(SIGNED_IN_MAPS.items()))
def test_point_layers_share_one_layout_and_decks_are_compact(sample_db, page, user) -> None:
    at = open_page(signed_in(user), page)
    specs = deck_specs(at)
    assert specs, page
    layers = [layer for spec in specs for layer in _scatter_layers(spec)]
    assert len(layers) >= 2, page
    for layer in layers:
        _assert_one_layout(layer)
    for proto in maps_drawn(at):
        text = map_wire(proto)  # what goes to the browser
        assert "\n" not in text and '": ' not in text, page  # no indentation, no padding
        assert "\\u" not in text, page  # Chinese as UTF-8, not six-byte escapes
        # the spec as JSON, not a string of JSON inside JSON (every quote escaped)
        assert text.startswith('{"spec":{') or not hasattr(proto, "component_name"), page
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text), page  # names and tips are there


def test_the_tap_maps_point_is_built_the_same_way(sample_db) -> None:
    from ui import public

    spec = json.loads(public.tap_deck((41.7615, 123.4268)).to_json())
    [layer] = _scatter_layers(spec)
    assert layer["id"] == "chosen-point"
    _assert_one_layout(layer)
    assert layer["data"][0]["radius_m"] == 25 and layer["data"][0]["fill"] == [220, 40, 40]


def test_point_layer_writes_constants_per_row_and_reads_columns_as_they_are() -> None:
    frame = pd.DataFrame({"lon": [123.123456789, 123.2], "lat": [41.987654321, 41.8],
                          "r": [10.0, 20.0], "colour": [[1, 2, 3], [4, 5, 6, 7]]})
    layer = points.point_layer("x", frame, radius=300, fill=[9, 9, 9, 90], line=[1, 1, 1])
    data = pd.DataFrame(layer.data)
    assert layer.get_radius == "@@=radius_m" and layer.get_fill_color == "@@=fill"
    assert layer.get_line_color == [1, 1, 1]
    assert list(data["radius_m"]) == [300, 300]
    assert list(data["fill"]) == [[9, 9, 9, 90], [9, 9, 9, 90]]
    assert list(data["lon"]) == [123.123457, 123.2] and list(data["lat"]) == [41.987654, 41.8]
    assert "radius_m" not in frame and frame["lon"].iloc[0] == 123.123456789  # caller's intact
    by_column = points.point_layer("y", frame, radius="r", fill="colour")
    assert by_column.get_radius == "@@=r" and by_column.get_fill_color == "@@=colour"
    assert by_column.get_line_color == list(points.CLEAR)
    data = pd.DataFrame(by_column.data)
    assert "radius_m" not in data and "fill" not in data  # nothing written twice
