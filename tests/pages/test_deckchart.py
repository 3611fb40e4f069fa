"""ui.deckchart's helpers: the deck's JSON as the browser gets it, the tooltip, the selection
read from a map's state, and the deck.gl files it serves."""

from __future__ import annotations

import json

import pandas as pd
import pydeck as pdk
import pytest

from tests.pages import apptest
from ui import basemap, deckchart


def _deck(tooltip=True) -> pdk.Deck:
    """Return a small deck with a data frame behind its layer."""
    frame = pd.DataFrame({"lon": [123.41, 123.42], "lat": [41.78, 41.79], "name": ["甲", "乙"]})
    layer = pdk.Layer("ScatterplotLayer", id="dots", data=frame, get_position=["lon", "lat"])
    return basemap.deck([layer], pdk.ViewState(latitude=41.78, longitude=123.41, zoom=12),
                        tooltip=tooltip)


def test_the_deck_is_sent_with_its_rows_as_records() -> None:
    spec = json.loads(deckchart.deck_json(_deck()))
    [layer] = spec["layers"]
    assert layer["data"] == [{"lon": 123.41, "lat": 41.78, "name": "甲"},
                             {"lon": 123.42, "lat": 41.79, "name": "乙"}]
    assert layer["@@type"] == "ScatterplotLayer" and "mapProvider" not in spec


def test_only_a_template_tooltip_is_sent() -> None:
    assert deckchart.deck_tooltip(_deck({"html": "<b>{name}</b>"})) == {"html": "<b>{name}</b>"}
    assert deckchart.deck_tooltip(_deck(True)) is None  # as st.pydeck_chart: no tooltip


@pytest.mark.parametrize("state", [None, "text", {}, {"selection": None}, {"selection": "x"}])
def test_a_map_with_no_usable_state_has_nothing_picked(monkeypatch, state) -> None:
    monkeypatch.setattr(deckchart.st, "session_state", {"m": state})
    assert deckchart.current_selection("m") == {"indices": {}, "objects": {}}


def test_a_picked_object_is_read_from_the_maps_state(monkeypatch) -> None:
    picked = {"indices": {"dots": [1]}, "objects": {"dots": [{"name": "乙"}]}}
    monkeypatch.setattr(deckchart.st, "session_state", {"m": {"selection": picked}})
    assert deckchart.current_selection("m") == picked


def test_the_deck_gl_files_are_in_the_repository() -> None:
    for name in (deckchart.CORE, deckchart.CONVERTER, deckchart.H3):
        path = deckchart.ASSETS / name
        assert path.stat().st_size > 10_000, name
        head = path.read_text(encoding="utf-8")[:400]
        assert "define.amd" in head, name  # a UMD build: a plain script sets its global
    assert "Permission is hereby granted" in (deckchart.ASSETS / "LICENSE").read_text()
    assert "Apache License" in (deckchart.ASSETS / "LICENSE-h3-js").read_text()
    assert (deckchart.ASSETS.parent / "deckchart.js").read_text().startswith("// Every map")


def _layer_types(spec: dict) -> set[str]:
    """Return the layer types of a deck's spec."""
    return {layer["@@type"] for layer in spec["layers"]}


def test_the_warm_up_prepares_every_layer_type_the_maps_draw(sample_db) -> None:
    """Each layer type is a GPU pipeline to prepare: the warm-up draws every type that the
    sites map (points and H3 cells), markets, volunteers, the report's tap map and the public
    tap map draw, built by the maps' own helpers, with the settings that choose a layer's
    shaders. A new type, or a new such setting, on a map fails here until the warm-up has it."""
    import h3

    from ui import public

    warm = json.loads(deckchart.warm_spec())  # what every signed-in page sends
    specs = [json.loads(deckchart.deck_json(public.tap_deck(None)))]
    office = apptest.signed_in("office")
    for page in ("map", "markets", "volunteers"):
        specs += apptest.deck_specs(apptest.open_page(office, page))
    specs += apptest.deck_specs(apptest.open_page(apptest.signed_in("nanhu"), "report"))
    drawn = [layer for spec in specs for layer in spec["layers"]]
    types = {layer["@@type"] for layer in drawn}
    assert types == {"LineLayer", "ScatterplotLayer", "TextLayer", "H3HexagonLayer"}
    assert _layer_types(warm) == types
    # H3 cells: flat, at resolution 9 or more (deck.gl draws them as columns; 5 or less, or
    # mixed resolutions, as polygons: other shaders), filled and outlined as the maps do
    [cells] = [layer for layer in warm["layers"] if layer["@@type"] == "H3HexagonLayer"]
    hexes = [layer for layer in drawn if layer["@@type"] == "H3HexagonLayer"]
    assert len(hexes) >= 2  # the public and the report tap maps
    for layer in [*hexes, cells]:
        assert layer.get("extruded") is False
        column = layer["getHexagon"].removeprefix("@@=")
        found = {h3.get_resolution(row[column]) for row in layer["data"]}
        assert len(found) == 1 and min(found) >= 9, found
    assert cells["filled"] is True and cells["stroked"] is True
    assert any(layer["stroked"] for layer in hexes) and any(layer["filled"] for layer in hexes)
    # names: SDF text with its atlas of the characters used, no background (as on the map)
    [names] = [layer for layer in warm["layers"] if layer["@@type"] == "TextLayer"]
    [mapped] = [layer for layer in drawn if layer["@@type"] == "TextLayer"]
    for key in ("fontSettings", "characterSet", "outlineWidth", "billboard", "background"):
        assert names.get(key) == mapped.get(key), key
    assert names["fontSettings"] == {"sdf": True} and "background" not in names


def _warm_ups(at) -> list[dict]:
    """Return the documents of the warm-up elements drawn in the last run."""
    return [json.loads(proto.bytes.decode())
            for proto in apptest.component_protos(at, deckchart.WARM_COMPONENT)]


def test_a_signed_in_page_carries_the_warm_up_in_its_sidebar_and_the_sign_in_form_does_not(
        sample_db) -> None:
    at = apptest.AppTest.from_file(apptest.DASHBOARD, default_timeout=90)
    at.run()
    assert at.text_input(key="login_username") and not _warm_ups(at)
    apptest.sign_in(at, "office")  # the overview: no map on it
    assert not apptest.maps_drawn(at)
    [warm] = _warm_ups(at)
    assert warm["warm"] is True and warm["height"] == 0
    assert warm["core"] == "/component/ui.deckchart.deckgl/deck-9.4.0.min.js"
    assert warm["h3"] == "/component/ui.deckchart.deckgl/h3-js-4.5.0.umd.js"
    assert [layer["id"] for layer in warm["spec"]["layers"]] == [
        "warm-lines", "warm-points", "warm-cells", "warm-names"]
    assert [el.key for el in at.sidebar if el.key == "civ_deck_warmup"] == ["civ_deck_warmup"]


def test_with_a_map_style_nothing_is_warmed(sample_db, monkeypatch) -> None:
    """st.pydeck_chart draws the maps when a style is set: its deck.gl is not ours to warm."""
    monkeypatch.setenv("CIVDATA_MAP_STYLE", "http://tiles.intranet.local/style.json")
    at = apptest.signed_in("office")
    assert at.sidebar.get("button") and not _warm_ups(at)
