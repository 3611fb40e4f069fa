"""Geography in metres: a transverse Mercator centred on the district, spatial joins, datums."""

from __future__ import annotations

import json
from functools import lru_cache

import h3
import numpy as np
import pandas as pd
import prcoords
from pyproj import Geod, Transformer
from scipy.spatial import cKDTree
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.prepared import prep

# The district's centre (WGS-84); a transverse Mercator here errs far below a centimetre
# over the district's ~15 km.
CENTER_LAT = 41.75
CENTER_LON = 123.38
CHECK_RADIUS_M = 300.0
H3_RESOLUTION = 9
DATUMS = ("wgs84", "gcj02", "bd09")
_GEOD = Geod(ellps="WGS84")


@lru_cache(maxsize=1)
def _to_local() -> Transformer:
    """Return the WGS-84 -> local transverse Mercator transformer (built once, lazily)."""
    proj = (
        f"+proj=tmerc +lat_0={CENTER_LAT} +lon_0={CENTER_LON} +k=1 +x_0=0 +y_0=0 "
        "+ellps=WGS84 +units=m +no_defs"
    )
    return Transformer.from_crs("EPSG:4326", proj, always_xy=True)


def project_xy(lon: np.ndarray | list[float], lat: np.ndarray | list[float]) -> np.ndarray:
    """Return an (n, 2) array of metres east/north of the district centre."""
    x, y = _to_local().transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.column_stack([np.atleast_1d(x), np.atleast_1d(y)])


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Return the planar distance in metres between two WGS-84 points."""
    xy = project_xy([lon1, lon2], [lat1, lat2])
    return float(np.hypot(*(xy[0] - xy[1])))


def geodesic_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Return the WGS-84 geodesic distance in metres (the reference for tests)."""
    return float(_GEOD.inv(lon1, lat1, lon2, lat2)[2])


def nearest_sites(
    site_lon: np.ndarray, site_lat: np.ndarray, lon: np.ndarray, lat: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return (index of the nearest site, distance in metres) for each point."""
    if len(site_lon) == 0 or len(lon) == 0:
        return np.full(len(lon), -1, dtype=int), np.full(len(lon), np.nan)
    tree = cKDTree(project_xy(site_lon, site_lat))
    dist, idx = tree.query(project_xy(lon, lat), k=1)
    return np.asarray(idx, dtype=int), np.asarray(dist, dtype=float)


def pairs_within(
    site_lon: np.ndarray,
    site_lat: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    radius_m: float = CHECK_RADIUS_M,
) -> pd.DataFrame:
    """Return every (point index, site index, distance) with distance <= radius_m."""
    empty = pd.DataFrame({"point": pd.Series(dtype=int), "site": pd.Series(dtype=int),
                          "distance_m": pd.Series(dtype=float)})
    if len(site_lon) == 0 or len(lon) == 0:
        return empty
    site_xy = project_xy(site_lon, site_lat)
    point_xy = project_xy(lon, lat)
    # Index the points and ask once per site: a few hundred queries instead of one per point.
    # A hair of slack so that points exactly on the edge are found, then filter exactly.
    tree = cKDTree(point_xy)
    hits = [np.asarray(h, dtype=np.int64) for h in
            tree.query_ball_point(site_xy, r=radius_m + 1e-6, return_sorted=False)]
    counts = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
    if counts.sum() == 0:
        return empty
    sites = np.repeat(np.arange(len(hits)), counts)
    points = np.concatenate(hits)
    dist = np.hypot(*(point_xy[points] - site_xy[sites]).T)
    keep = dist <= radius_m
    return pd.DataFrame({"point": points[keep], "site": sites[keep], "distance_m": dist[keep]})


def h3_cell(lat: float, lon: float, resolution: int = H3_RESOLUTION) -> str:
    """Return the H3 cell holding a WGS-84 point."""
    return h3.latlng_to_cell(lat, lon, resolution)


def to_wgs84(lat: float, lon: float, datum: str) -> tuple[float, float]:
    """Return (lat, lon) in WGS-84 for a point given in wgs84, gcj02 or bd09."""
    datum = datum.lower().replace("-", "").replace("_", "")
    if datum == "wgs84":
        return lat, lon
    if datum == "gcj02":
        out = prcoords.gcj_wgs_bored((lat, lon))
    elif datum == "bd09":
        out = prcoords.bd_wgs_bored((lat, lon))
    else:
        raise ValueError(f"unknown datum {datum!r}")
    return float(out.lat), float(out.lon)


def from_wgs84(lat: float, lon: float, datum: str) -> tuple[float, float]:
    """Return (lat, lon) in gcj02 or bd09 for a WGS-84 point (used by tests and exports)."""
    datum = datum.lower().replace("-", "").replace("_", "")
    if datum == "wgs84":
        return lat, lon
    out = prcoords.wgs_gcj((lat, lon)) if datum == "gcj02" else prcoords.wgs_bd((lat, lon))
    return float(out.lat), float(out.lon)


def geometry_from_geojson(text: str) -> BaseGeometry:
    """Return the shapely geometry of a GeoJSON geometry, feature or feature collection."""
    data = json.loads(text)
    if data.get("type") == "FeatureCollection":
        from shapely.ops import unary_union

        return unary_union([shape(f["geometry"]) for f in data["features"]])
    if data.get("type") == "Feature":
        return shape(data["geometry"])
    return shape(data)


def points_inside(geometry: BaseGeometry, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Return a boolean array: which points lie inside (or on) the geometry."""
    prepared = prep(geometry)
    return np.fromiter(
        (prepared.covers(Point(x, y)) for x, y in zip(lon, lat, strict=True)),
        dtype=bool,
        count=len(lon),
    )


DISTRICT_FILE = "district.geojson"
TILE_SIZE_PX = 512
# Typical width and height of the map in the browser, in pixels, for fitting a view.
VIEW_WIDTH_PX = 900
VIEW_HEIGHT_PX = 600


@lru_cache(maxsize=4)
def district_outline_geojson(folder: str | None = None) -> str:
    """Return the district outline (WGS-84 GeoJSON text) shipped in sample_data/."""
    from civdata.core.config import SAMPLE_DIR

    base = SAMPLE_DIR if folder is None else folder
    with open(f"{base}/{DISTRICT_FILE}", encoding="utf-8") as fh:
        return fh.read()


def district_outline(folder: str | None = None) -> BaseGeometry:
    """Return the district outline as a shapely geometry."""
    return geometry_from_geojson(district_outline_geojson(folder))


def points_outside(geometry: BaseGeometry, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Return a boolean array: which points lie outside the geometry (to flag on import)."""
    import shapely

    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if len(lon) == 0:
        return np.zeros(0, dtype=bool)
    shapely.prepare(geometry)
    inside = shapely.covers(geometry, shapely.points(lon, lat))
    return ~np.asarray(inside, dtype=bool)


def checked_wgs84(lat: float, lon: float, datum: str, outline: BaseGeometry) -> tuple[float, float]:
    """Return (lat, lon) in WGS-84; raise CivDataError('outside_district') if outside outline."""
    from civdata.core.errors import CivDataError

    wlat, wlon = to_wgs84(lat, lon, datum)
    if points_outside(outline, [wlon], [wlat])[0]:
        raise CivDataError("outside_district", lat=round(lat, 6), lon=round(lon, 6))
    return wlat, wlon


def pairs_within_brute(
    site_lon: np.ndarray,
    site_lat: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    radius_m: float = CHECK_RADIUS_M,
) -> pd.DataFrame:
    """Return the same pairs as pairs_within by comparing every point with every site."""
    site_xy = project_xy(site_lon, site_lat)
    point_xy = project_xy(lon, lat)
    d = np.hypot(point_xy[:, None, 0] - site_xy[None, :, 0],
                 point_xy[:, None, 1] - site_xy[None, :, 1])
    points, sites = np.nonzero(d <= radius_m)
    return pd.DataFrame({"point": points, "site": sites, "distance_m": d[points, sites]})


def view_for_bounds(min_lon: float, min_lat: float, max_lon: float, max_lat: float,
                    width_px: int = VIEW_WIDTH_PX, height_px: int = VIEW_HEIGHT_PX,
                    padding: float = 1.15) -> dict[str, float]:
    """Return a web-Mercator view (latitude, longitude, zoom) that shows the whole box."""
    lat_c = (min_lat + max_lat) / 2
    lon_c = (min_lon + max_lon) / 2
    span_lon = max(max_lon - min_lon, 1e-4) * padding
    y0 = np.log(np.tan(np.pi / 4 + np.radians(min_lat) / 2))
    y1 = np.log(np.tan(np.pi / 4 + np.radians(max_lat) / 2))
    span_y = max(abs(y1 - y0), 1e-6) * padding
    zoom_x = np.log2(width_px * 360.0 / (span_lon * TILE_SIZE_PX))
    zoom_y = np.log2(height_px * 2 * np.pi / (span_y * TILE_SIZE_PX))
    return {"latitude": float(lat_c), "longitude": float(lon_c),
            "zoom": float(round(min(zoom_x, zoom_y, 18.0), 2))}


def cells_to_parent(cells: pd.Series, resolution: int) -> pd.Series:
    """Return each H3 cell's parent at a coarser resolution (same cell if already coarser)."""
    def parent(cell: str) -> str:
        return cell if h3.get_resolution(cell) <= resolution else h3.cell_to_parent(cell, resolution)

    return cells.map(parent)
