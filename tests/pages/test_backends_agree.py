"""The same sample on SQLite and on PostgreSQL: every page shows the same figures, tables and
charts (the code runs unchanged on both; only CIVDATA_DATABASE_URL differs)."""

from __future__ import annotations

import json
import math

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.conftest import SAMPLE_AS_OF
from tests.pages.apptest import deck_specs, open_page, plotly_figures, signed_in, values
from ui import nav

VIEWER = {"overview": "leader", "markets": "market", "weekly": "leader"}  # else the office
# the pages of figures (offered to every role), each seen by the role that uses it most
PAGES = [(s.url_path, VIEWER.get(s.url_path, "office")) for s in nav.PAGES
         if s.roles == nav.EVERYONE]


def _plain(value: object) -> object:
    """Return value with floats rounded (the two databases may differ in the last bits)."""
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 6)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _seen(at: AppTest) -> dict[str, object]:
    """Return what the page shows: metrics, progress bars, tables, chart data, map layer sizes."""
    tables = [json.loads(df.value.to_json(orient="split", date_format="iso", default_handler=str))
              for df in at.dataframe]
    charts = [[{"name": tr.name, "x": values(tr.x) if "x" in tr else None,
                "y": values(tr.y) if "y" in tr else None} for tr in fig.data]
              for fig in plotly_figures(at)]
    layers = [[(layer.get("@@type"), len(layer.get("data") or []))
               for layer in spec.get("layers", [])] for spec in deck_specs(at)]
    return _plain({
        "metrics": [(m.label, m.value, m.delta) for m in at.metric],
        "progress": [bar.proto.text for bar in at.get("progress")],
        "tables": tables, "charts": charts, "layers": layers})


def _page_as_seen(page: str, user: str) -> dict[str, object]:
    """Sign in, open page and return what it shows, with Streamlit's caches emptied first."""
    st.cache_data.clear()
    st.cache_resource.clear()
    at = signed_in(user)
    if page != "overview":
        open_page(at, page)
    return _seen(at)


@pytest.mark.parametrize(("page", "user"), PAGES)
def test_page_shows_the_same_on_sqlite_and_postgresql(
        page: str, user: str, sample_db: str, pg_sample_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # one stopped moment for both runs: a minute turning between them changed the figures that
    # count up to "now" (seen once in the suite: 16:11:58 against 16:12:00)
    monkeypatch.setenv("CIVDATA_TODAY", f"{SAMPLE_AS_OF.isoformat()}T12:00")
    on_sqlite = _page_as_seen(page, user)
    monkeypatch.setenv("CIVDATA_DATABASE_URL", pg_sample_url)
    on_postgres = _page_as_seen(page, user)
    assert on_sqlite["metrics"] or on_sqlite["tables"] or on_sqlite["charts"]
    for part in on_sqlite:
        assert on_postgres[part] == on_sqlite[part], f"{page}: {part} differ"
