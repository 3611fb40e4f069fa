"""Benchmark the spatial join and the map's deck payload; prints `name: value unit` lines.

Run: .venv/bin/python scripts/bench_geo.py   (figures only; no test asserts timings)
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
logging.getLogger("streamlit").setLevel(logging.ERROR)

from civdata import geo, sites  # noqa: E402


def synthetic_problems(site_frame: pd.DataFrame, n: int, seed: int = 1) -> pd.DataFrame:
    """Return n problems: 70% scattered ~200 m around sites, 30% uniform over the district."""
    rng = np.random.default_rng(seed)
    near = int(n * 0.7)
    pick = rng.integers(0, len(site_frame), near)
    xy = geo.project_xy(site_frame["lon"].to_numpy()[pick], site_frame["lat"].to_numpy()[pick])
    xy += rng.normal(0, 200, xy.shape)
    from pyproj import Transformer

    back = Transformer.from_crs(geo._to_local().target_crs, "EPSG:4326", always_xy=True)
    lon_n, lat_n = back.transform(xy[:, 0], xy[:, 1])
    min_lon, min_lat, max_lon, max_lat = geo.district_outline().bounds
    lon_u = rng.uniform(min_lon, max_lon, n - near)
    lat_u = rng.uniform(min_lat, max_lat, n - near)
    return pd.DataFrame({"id": np.arange(1, n + 1), "lon": np.concatenate([lon_n, lon_u]),
                         "lat": np.concatenate([lat_n, lat_u])})


def timed(fn, *args):  # noqa: ANN001, ANN002, ANN201
    """Return (result, seconds) of the best of two runs."""
    best, out = float("inf"), None
    for _ in range(2):
        start = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - start)
    return out, best


def join_only(site_frame: pd.DataFrame, problems: pd.DataFrame) -> int:
    """Run the nearest-site and within-300 m joins; return the number of pairs."""
    s_lon, s_lat = site_frame["lon"].to_numpy(), site_frame["lat"].to_numpy()
    p_lon, p_lat = problems["lon"].to_numpy(), problems["lat"].to_numpy()
    geo.nearest_sites(s_lon, s_lat, p_lon, p_lat)
    return len(geo.pairs_within(s_lon, s_lat, p_lon, p_lat, geo.CHECK_RADIUS_M))


def deck_payload_bytes(site_frame: pd.DataFrame, problems: pd.DataFrame,
                       kind: str) -> tuple[int, int]:
    """Return the deck JSON size the map page sends for these problems (and pydeck's default)."""
    import pydeck as pdk

    from ui import map as mp

    full = site_frame.assign(
        code=[f"S{i:03d}" for i in range(len(site_frame))], name_zh="点位", name_en="Site",
        category_id=1, category_zh="类别", category_en="Category", subdistrict_zh="街道",
        subdistrict_en="Subdistrict", radius_m=300.0, open=0, overdue=0, state="clean")
    if kind == "points":
        frame = problems.assign(code="P000000", class_id=1, status="assigned", overdue=False,
                                description="问题描述：占道经营，垃圾未清运")
        layer = ("points", mp.problem_records(frame, {1: "环境卫生"}))
    else:
        cells = pd.Series([geo.h3_cell(a, b) for a, b in zip(problems["lat"], problems["lon"],
                                                              strict=True)])
        counts = cells.value_counts().rename_axis("h3_cell").reset_index(name="problems")
        layer = ("cells", mp.cell_records(counts.assign(overdue=0)))
    feats = json.loads((ROOT / "sample_data" / "subdistricts.geojson").read_text("utf-8"))
    subs = pd.DataFrame([{"id": i + 1, **f["properties"],
                          "boundary_geojson": json.dumps(f["geometry"])}
                         for i, f in enumerate(feats["features"])])
    deck = mp.build_deck(mp.site_records(full, "category", {1: [1, 2, 3]}), layer, subs,
                         mp.view_state(None, None, None))
    return len(deck.to_json().encode("utf-8")), len(pdk.Deck.to_json(deck).encode("utf-8"))


def main() -> None:
    """Print the figures."""
    raw = pd.read_csv(ROOT / "sample_data" / "sites.csv")
    site_frame = pd.DataFrame({"id": np.arange(1, len(raw) + 1), "lat": raw["lat"],
                               "lon": raw["lon"], "radius_m": 300.0})
    print(f"sites: {len(site_frame)} count")
    for n, label in ((10_000, "10k"), (100_000, "100k"), (1_000_000, "1M")):
        problems = synthetic_problems(site_frame, n)
        pairs, secs = timed(join_only, site_frame, problems)
        print(f"join_{label}_nearest_and_within_300m: {secs:.3f} s")
        print(f"join_{label}_pairs: {pairs} count")
        if n <= 100_000:
            _, secs = timed(sites.spatial_links, site_frame, problems)
            print(f"spatial_links_{label}_with_h3: {secs:.3f} s")
    brute_n = 10_000
    problems = synthetic_problems(site_frame, brute_n)
    _, secs = timed(geo.pairs_within_brute, site_frame["lon"].to_numpy(),
                    site_frame["lat"].to_numpy(), problems["lon"].to_numpy(),
                    problems["lat"].to_numpy())
    print(f"join_10k_brute_force: {secs:.3f} s")
    for n, label in ((10_000, "10k"), (20_000, "20k")):
        size, default = deck_payload_bytes(site_frame, synthetic_problems(site_frame, n), "points")
        print(f"deck_json_{label}_raw_points: {size / 1e6:.2f} MB")
        print(f"deck_json_{label}_raw_points_pydeck_indented_ascii: {default / 1e6:.2f} MB")
    size, _ = deck_payload_bytes(site_frame, synthetic_problems(site_frame, 1_000_000), "cells")
    print(f"deck_json_1M_as_h3_cells: {size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
