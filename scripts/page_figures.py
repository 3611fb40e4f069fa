"""Print what every page shows on a database, as JSON: metrics, progress bars, tables, chart data
and map layer sizes, per page, each page opened through AppTest by a role that may see it.

Used to check that a refactor changes no figure: run it before and after on the same database
with a stopped clock (CIVDATA_TODAY=2026-11-25T10:30) and compare the two files.

    CIVDATA_DATABASE_URL=sqlite:////tmp/sample.db CIVDATA_TODAY=2026-11-25T10:30 \
        python scripts/page_figures.py > before.json
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from tests.pages.apptest import (  # noqa: E402
    deck_specs,
    open_page,
    plotly_figures,
    signed_in,
    values,
)
from ui.nav import PAGES  # noqa: E402

ROLE_ORDER = ("office", "leader", "market", "nanhu", "admin")
ROLE_USER = {"office": "office", "leader": "leader", "market": "market",
             "subdistrict": "nanhu", "admin": "admin"}


def _plain(value: object) -> object:
    """Return value with floats rounded to 6 places and NaN as None."""
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 6)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def page_as_seen(page: str, user: str) -> dict[str, object]:
    """Return what page shows to user, with Streamlit's caches emptied first."""
    st.cache_data.clear()
    st.cache_resource.clear()
    at = signed_in(user)
    open_page(at, page)
    tables = [json.loads(df.value.to_json(orient="split", date_format="iso", default_handler=str))
              for df in at.dataframe]
    charts = [[{"name": tr.name, "x": values(tr.x) if "x" in tr else None,
                "y": values(tr.y) if "y" in tr else None} for tr in fig.data]
              for fig in plotly_figures(at)]
    layers = [[(layer.get("@@type"), len(layer.get("data") or []))
               for layer in spec.get("layers", [])] for spec in deck_specs(at)]
    return _plain({"user": user,
                   "metrics": [(m.label, m.value, m.delta) for m in at.metric],
                   "progress": [bar.proto.text for bar in at.get("progress")],
                   "tables": tables, "charts": charts, "layers": layers})


def main(argv: list[str]) -> int:
    """Print every page's figures (or only the pages named in argv) as one JSON object."""
    out: dict[str, object] = {}
    for spec in PAGES:
        page = Path(spec.file).stem
        if argv and page not in argv:
            continue
        role = next((r for r in ("office", "leader", "market", "subdistrict", "admin")
                     if r in spec.roles), None)
        if role is None:
            continue
        out[page] = page_as_seen(page, ROLE_USER[role])
    print(json.dumps(out, ensure_ascii=False, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
