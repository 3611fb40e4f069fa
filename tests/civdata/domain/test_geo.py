"""Geography: planar metres against the WGS-84 geodesic, indexed joins, datums, the outline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pyproj import Geod

from civdata.core.errors import CivDataError
from civdata.domain import geo

GEOD = Geod(ellps="WGS84")
# Published pairs from the coordtransform README (github.com/wandergis/coordtransform):
# lon, lat in; lon, lat out.
WGS_TO_GCJ = ((116.404, 39.915), (116.41024449916938, 39.91640428150164))
GCJ_TO_BD = ((116.404, 39.915), (116.41036949371029, 39.92133699351021))
BD_TO_GCJ = ((116.404, 39.915), (116.39762729119315, 39.90865673957631))


def _random_points(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return n random (lon, lat) inside the district's bounding box."""
    rng = np.random.default_rng(seed)
    return rng.uniform(123.315, 123.44, n), rng.uniform(41.69, 41.815, n)


def _metres_between(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Return the geodesic distance in metres (test reference)."""
    return float(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def test_planar_distance_matches_geodesic_near_300_m() -> None:
    lon, lat = _random_points(500, 1)
    rng = np.random.default_rng(2)
    az = rng.uniform(0, 360, 500)
    dist = rng.uniform(290, 310, 500)
    lon2, lat2, _ = GEOD.fwd(lon, lat, az, dist)
    planar = np.array([geo.distance_m(a, b, c, d) for a, b, c, d in zip(lon, lat, lon2, lat2,
                                                                         strict=True)])
    assert np.max(np.abs(planar - dist)) < 0.1
    assert abs(geo.geodesic_m(lon[0], lat[0], lon2[0], lat2[0]) - dist[0]) < 1e-6


def test_planar_distance_is_exact_across_the_district() -> None:
    # Corner to corner of the district (~15 km): still well under a metre.
    d_planar = geo.distance_m(123.315, 41.69, 123.44, 41.815)
    assert abs(d_planar - _metres_between(123.315, 41.69, 123.44, 41.815)) < 0.5


def test_points_on_the_300_m_edge_are_classified_like_the_geodesic() -> None:
    site_lon, site_lat = np.array([123.40]), np.array([41.78])
    az = np.linspace(0, 360, 72, endpoint=False)
    inside = GEOD.fwd(np.full(72, 123.40), np.full(72, 41.78), az, np.full(72, 299.95))
    outside = GEOD.fwd(np.full(72, 123.40), np.full(72, 41.78), az, np.full(72, 300.05))
    lon = np.concatenate([inside[0], outside[0]])
    lat = np.concatenate([inside[1], outside[1]])
    pairs = geo.pairs_within(site_lon, site_lat, lon, lat, 300.0)
    assert sorted(pairs["point"]) == list(range(72))


def test_indexed_join_equals_brute_force() -> None:
    rng = np.random.default_rng(7)
    site_lon, site_lat = _random_points(60, 3)
    lon, lat = _random_points(3000, 4)
    # Put some points exactly near sites so the join has many hits.
    near = rng.integers(0, 60, 1000)
    lon[:1000] = site_lon[near] + rng.normal(0, 0.002, 1000)
    lat[:1000] = site_lat[near] + rng.normal(0, 0.002, 1000)
    fast = geo.pairs_within(site_lon, site_lat, lon, lat, 300.0)
    slow = geo.pairs_within_brute(site_lon, site_lat, lon, lat, 300.0)
    key = ["point", "site"]
    fast = fast.sort_values(key).reset_index(drop=True)
    slow = slow.sort_values(key).reset_index(drop=True)
    assert len(fast) > 500
    pd.testing.assert_frame_equal(fast[key], slow[key], check_dtype=False)
    assert np.allclose(fast["distance_m"], slow["distance_m"])
    # and every pair is within 300 m by the geodesic, too (to 0.1 m)
    geod = GEOD.inv(lon[fast["point"]], lat[fast["point"]], site_lon[fast["site"]],
                    site_lat[fast["site"]])[2]
    assert np.all(geod <= 300.1)


def test_nearest_site_equals_brute_force() -> None:
    site_lon, site_lat = _random_points(40, 5)
    lon, lat = _random_points(800, 6)
    idx, dist = geo.nearest_sites(site_lon, site_lat, lon, lat)
    xy_s, xy_p = geo.project_xy(site_lon, site_lat), geo.project_xy(lon, lat)
    d = np.hypot(xy_p[:, None, 0] - xy_s[None, :, 0], xy_p[:, None, 1] - xy_s[None, :, 1])
    assert np.array_equal(idx, d.argmin(axis=1))
    assert np.allclose(dist, d.min(axis=1))


def test_empty_inputs() -> None:
    assert geo.pairs_within(np.array([]), np.array([]), np.array([1.0]), np.array([2.0])).empty
    idx, dist = geo.nearest_sites(np.array([]), np.array([]), np.array([1.0]), np.array([2.0]))
    assert idx.tolist() == [-1] and np.isnan(dist[0])


def _off_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Return metres between two (lat, lon) tuples."""
    return _metres_between(a[1], a[0], b[1], b[0])


def test_wgs84_to_gcj02_matches_published_pair() -> None:
    (lon, lat), (glon, glat) = WGS_TO_GCJ
    assert _off_m(geo.from_wgs84(lat, lon, "gcj02"), (glat, glon)) < 1.0
    # and the import direction recovers the WGS-84 point
    assert _off_m(geo.to_wgs84(glat, glon, "gcj02"), (lat, lon)) < 1.0


def test_bd09_conversions_match_published_pairs() -> None:
    (glon, glat), (blon, blat) = GCJ_TO_BD
    # BD-09 -> WGS-84 equals GCJ-02 -> WGS-84 of the published GCJ-02 point
    assert _off_m(geo.to_wgs84(blat, blon, "bd09"), geo.to_wgs84(glat, glon, "gcj02")) < 1.0
    (blon2, blat2), (glon2, glat2) = BD_TO_GCJ
    assert _off_m(geo.to_wgs84(blat2, blon2, "bd-09"), geo.to_wgs84(glat2, glon2, "GCJ-02")) < 1.0
    wlat, wlon = geo.to_wgs84(glat, glon, "gcj02")
    assert _off_m(geo.from_wgs84(wlat, wlon, "bd09"), (blat, blon)) < 1.0


@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
def test_round_trips_in_the_district_within_a_metre(datum: str) -> None:
    lon, lat = _random_points(50, 9)
    for a, b in zip(lat, lon, strict=True):
        there = geo.from_wgs84(a, b, datum)
        assert _off_m(there, (a, b)) > 300  # the offset here is larger than the buffer
        assert _off_m(geo.to_wgs84(*there, datum), (a, b)) < 1.0


def test_unknown_datum_is_refused() -> None:
    with pytest.raises(ValueError):
        geo.to_wgs84(41.78, 123.40, "utm")


def test_points_outside_the_outline_are_flagged() -> None:
    outline = geo.district_outline()
    lon = np.array([123.40, 123.0, 123.38, 124.0])
    lat = np.array([41.78, 41.78, 41.75, 41.0])
    assert geo.points_outside(outline, lon, lat).tolist() == [False, True, False, True]
    assert geo.points_inside(outline, lon, lat).tolist() == [True, False, True, False]
    assert geo.points_outside(outline, [], []).tolist() == []


def test_checked_wgs84_converts_and_refuses_outside_points() -> None:
    outline = geo.district_outline()
    glat, glon = geo.from_wgs84(41.78, 123.40, "gcj02")
    lat, lon = geo.checked_wgs84(glat, glon, "gcj02", outline)
    assert _off_m((lat, lon), (41.78, 123.40)) < 1.0
    with pytest.raises(CivDataError) as err:
        geo.checked_wgs84(41.78, 123.0, "wgs84", outline)
    assert err.value.code == "outside_district"
    assert "41.78" in err.value.message("zh") and "datum" in err.value.message("en")


def test_view_for_bounds_shows_the_whole_box() -> None:
    min_lon, min_lat, max_lon, max_lat = geo.district_outline().bounds
    view = geo.view_for_bounds(min_lon, min_lat, max_lon, max_lat, 900, 600)
    assert min_lat < view["latitude"] < max_lat and min_lon < view["longitude"] < max_lon
    # the box's width in pixels at that zoom fits the viewport
    width_px = (max_lon - min_lon) / 360 * geo.TILE_SIZE_PX * 2 ** view["zoom"]
    assert width_px <= 900
    assert 10 < view["zoom"] < 13


def test_h3_cells_and_parents() -> None:
    cell = geo.h3_cell(41.78, 123.40)
    parent = geo.cells_to_parent(pd.Series([cell]), 7).iloc[0]
    import h3

    assert h3.get_resolution(cell) == 9 and h3.get_resolution(parent) == 7
    assert h3.cell_to_parent(cell, 7) == parent
