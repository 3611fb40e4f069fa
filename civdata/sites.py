"""Evaluation sites: reads, and the spatial attributes stored on every problem."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from civdata import geo
from civdata import models as m


def site_points(session: Session) -> pd.DataFrame:
    """Return every site's id, lat, lon and check radius."""
    rows = session.execute(
        select(m.Site.id, m.Site.lat, m.Site.lon, m.SiteCategory.radius_m)
        .join(m.SiteCategory, m.SiteCategory.id == m.Site.category_id)
        .order_by(m.Site.id)
    ).all()
    return pd.DataFrame(rows, columns=["id", "lat", "lon", "radius_m"])


def spatial_links(sites: pd.DataFrame, problems: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (per-problem nearest site, distance, H3 cell; problem-site pairs within radius)."""
    idx, dist = geo.nearest_sites(sites["lon"].to_numpy(), sites["lat"].to_numpy(),
                                  problems["lon"].to_numpy(), problems["lat"].to_numpy())
    site_ids = sites["id"].to_numpy()
    nearest = pd.DataFrame({
        "id": problems["id"].to_numpy(),
        "nearest_site_id": np.where(idx >= 0, site_ids[np.clip(idx, 0, None)], -1),
        "nearest_site_m": np.round(dist, 2),
        "h3_cell": [geo.h3_cell(a, b) for a, b in zip(problems["lat"], problems["lon"],
                                                      strict=True)],
    })
    radius = float(sites["radius_m"].max()) if len(sites) else geo.CHECK_RADIUS_M
    pairs = geo.pairs_within(sites["lon"].to_numpy(), sites["lat"].to_numpy(),
                             problems["lon"].to_numpy(), problems["lat"].to_numpy(), radius)
    if len(pairs):
        site_radius = sites["radius_m"].to_numpy()[pairs["site"].to_numpy()]
        pairs = pairs[pairs["distance_m"].to_numpy() <= site_radius]
    links = pd.DataFrame({
        "problem_id": problems["id"].to_numpy()[pairs["point"].to_numpy()],
        "site_id": site_ids[pairs["site"].to_numpy()],
        "distance_m": np.round(pairs["distance_m"].to_numpy(), 2),
    })
    return nearest, links


def write_spatial(session: Session, problems: pd.DataFrame) -> None:
    """Compute and store nearest site, distance, H3 cell and site links for these problems."""
    if problems.empty:
        return
    sites = site_points(session)
    nearest, links = spatial_links(sites, problems)
    ids = [int(v) for v in problems["id"]]
    for chunk in range(0, len(ids), 500):
        part = ids[chunk:chunk + 500]
        session.execute(delete(m.ProblemSite).where(m.ProblemSite.problem_id.in_(part)))
    session.execute(
        update(m.Problem),
        [{"id": int(r.id), "nearest_site_id": int(r.nearest_site_id) if r.nearest_site_id >= 0
          else None, "nearest_site_m": float(r.nearest_site_m), "h3_cell": r.h3_cell}
         for r in nearest.itertuples(index=False)],
    )
    if len(links):
        session.execute(insert(m.ProblemSite), links.astype(
            {"problem_id": int, "site_id": int, "distance_m": float}).to_dict("records"))


def recompute_problem_sites(session: Session) -> int:
    """Recompute the spatial attributes of every problem (after sites move or are added)."""
    rows = session.execute(select(m.Problem.id, m.Problem.lat, m.Problem.lon)).all()
    problems = pd.DataFrame(rows, columns=["id", "lat", "lon"])
    session.execute(delete(m.ProblemSite))
    write_spatial(session, problems)
    return len(problems)
