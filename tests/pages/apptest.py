"""AppTest helpers: start the app, sign in as a demo user, open a page."""

from __future__ import annotations

import json
from collections.abc import Callable

import plotly.io as pio
from streamlit.testing.v1 import AppTest

from tests.conftest import DEMO_PASSWORDS, ROOT
from ui.deckchart import MAP_COMPONENT

DASHBOARD = str(ROOT / "dashboard.py")


def sign_in(at: AppTest, user: str = "office") -> AppTest:
    """Run at (its query params already set) and sign in as a demo user through the form."""
    at.run()
    at.text_input(key="login_username").input(user)
    at.text_input(key="login_password").input(DEMO_PASSWORDS[user])
    at.button[0].click()
    at.run()
    assert not at.exception, at.exception
    return at


def signed_in(user: str = "office", query: dict[str, str] | None = None) -> AppTest:
    """Return an AppTest of the app signed in as a demo user (query params set first)."""
    at = AppTest.from_file(DASHBOARD, default_timeout=90)
    at.query_params.update(query or {})
    return sign_in(at, user)


def open_page(at: AppTest, page: str) -> AppTest:
    """Switch to pages/<page>.py and run it."""
    at.switch_page(str(ROOT / "pages" / f"{page}.py")).run()
    assert not at.exception, at.exception
    return at


def offered_pages(at: AppTest) -> set[str]:
    """Return the page files st.navigation registered in the last run."""
    return {info["script_path"].rsplit("/", 1)[-1] for info in at._registered_pages.values()}


def plotly_figures(at: AppTest) -> list:
    """Return the plotly figures drawn, decoded from the element protos (bdata included)."""
    return [pio.from_json(el.proto.spec) for el in at.get("plotly_chart")]


def protos_drawn(at: AppTest, wanted: Callable[[str, object], bool]) -> list:
    """Return the protos of the elements drawn in the last run, in page order, whose element
    type and proto wanted(type, proto) accepts (AppTest has no accessor for components)."""
    found = []

    def walk(node: object) -> None:
        kind = getattr(node, "type", None)
        if kind is not None and hasattr(node, "proto") and wanted(kind, node.proto):
            found.append(node.proto)
        children = getattr(node, "children", None)
        for child in (children.values() if isinstance(children, dict) else children or []):
            walk(child)

    walk(at._tree)
    return found


def component_protos(at: AppTest, name: str) -> list:
    """Return the protos of one components-v2 component drawn in the last run, in page order."""
    return protos_drawn(at, lambda kind, proto: kind == "bidi_component" and
                        proto.component_name == name)


def maps_drawn(at: AppTest) -> list:
    """Return the protos of the maps drawn, in page order: ui.deckchart's component, or
    st.pydeck_chart where an intranet map style is configured."""
    return protos_drawn(at, lambda kind, proto: kind == "deck_gl_json_chart" or (
        kind == "bidi_component" and proto.component_name == MAP_COMPONENT))


def map_wire(proto) -> str:
    """Return the text a map's proto carries to the browser (the component's UTF-8 bytes, or
    st.pydeck_chart's spec)."""
    return proto.bytes.decode() if hasattr(proto, "component_name") else proto.json


def map_data(at: AppTest) -> list[dict]:
    """Return what each map drawn gives the browser: spec and tooltip, and for the component
    also height, select, selection and the URLs of deck.gl."""
    return [json.loads(map_wire(proto)) if hasattr(proto, "component_name") else
            {"spec": json.loads(proto.json),
             "tooltip": json.loads(proto.tooltip) if proto.tooltip else None}
            for proto in maps_drawn(at)]


def deck_specs(at: AppTest) -> list[dict]:
    """Return the pydeck specs of the maps drawn, decoded from the element protos."""
    return [data["spec"] for data in map_data(at)]


def values(array) -> list:
    """Return a plotly data array as a list, decoding plotly 7's base64 'bdata' form."""
    import base64

    import numpy as np

    if isinstance(array, dict) and "bdata" in array:
        out = np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"]))
        if "shape" in array:
            out = out.reshape([int(n) for n in str(array["shape"]).split(",")])
        return out.tolist()
    return list(array) if array is not None else []


def shown(el):
    """Return a drawn st.dataframe as the user reads it: the Styler's display strings when the
    table is styled, else the values themselves."""
    from streamlit import dataframe_util

    raw = el.proto.arrow_data.styler.display_values
    return dataframe_util.convert_arrow_bytes_to_pandas_df(raw) if raw else el.value


def column_help(el) -> dict[str, str]:
    """Return {column label: header tooltip} of a drawn st.dataframe."""
    config = json.loads(el.proto.columns or "{}")
    return {label.removeprefix("name:") if label.startswith("name:") else label: c.get("help")
            for label, c in config.items() if c.get("help")}
