"""ui.deckchart's helpers: the deck's JSON as the browser gets it, the tooltip, the selection
read from a map's state, and the deck.gl files it serves."""

from __future__ import annotations

import json

import pandas as pd
import pydeck as pdk
import pytest

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
