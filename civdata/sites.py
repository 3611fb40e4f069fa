"""Evaluation sites: reads, and the spatial attributes stored on every problem."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry
from sqlalchemy import and_, case, delete, func, insert, select, true, update
from sqlalchemy.orm import Session

from civdata import geo
from civdata import models as m
from civdata.auth import Actor, audit, require
from civdata.errors import CivDataError, StaleEdit
from civdata.live import mark_changed


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
        "nearest_site_id": (np.where(idx >= 0, site_ids[np.clip(idx, 0, None)], -1)
                            if len(site_ids) else np.full(len(problems), -1)),
        "nearest_site_m": np.round(dist, 2),  # NaN when there is no site
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
          else None, "nearest_site_m": None if np.isnan(r.nearest_site_m) else float(r.nearest_site_m),
          "h3_cell": r.h3_cell}
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


# --- Reads behind the map page -------------------------------------------------------------

SITE_STATES = ("clean", "open", "overdue")
PROBLEM_STATES = ("open", "overdue", "closed", "all")


def _problem_state_condition(state: str, now: datetime):  # noqa: ANN202
    """Return the condition selecting problems in state ('open', 'overdue', 'closed', 'all')."""
    is_open = m.Problem.status != "closed"
    if state == "open":
        return is_open
    if state == "overdue":
        return and_(is_open, m.Problem.deadline < now)
    if state == "closed":
        return m.Problem.status == "closed"
    return true()


def _problem_filters(now: datetime, subdistrict_id: int | None, class_ids: tuple[int, ...] | None,
                     state: str) -> list:
    """Return the WHERE conditions shared by the problem reads of the map."""
    conds = [_problem_state_condition(state, now)]
    if subdistrict_id is not None:
        conds.append(m.Problem.subdistrict_id == subdistrict_id)
    if class_ids is not None:
        conds.append(m.Problem.class_id.in_(class_ids))
    return conds


def site_categories(session: Session) -> pd.DataFrame:
    """Return the 25 site categories: id, code, names, radius."""
    rows = session.execute(select(m.SiteCategory.id, m.SiteCategory.code, m.SiteCategory.name_zh,
                                  m.SiteCategory.name_en, m.SiteCategory.radius_m)
                           .order_by(m.SiteCategory.id)).all()
    return pd.DataFrame(rows, columns=["id", "code", "name_zh", "name_en", "radius_m"])


def subdistrict_boundaries(session: Session) -> pd.DataFrame:
    """Return every subdistrict's id, code, names, centre and boundary (GeoJSON text)."""
    rows = session.execute(select(m.Subdistrict.id, m.Subdistrict.code, m.Subdistrict.name_zh,
                                  m.Subdistrict.name_en, m.Subdistrict.center_lat,
                                  m.Subdistrict.center_lon, m.Subdistrict.boundary_geojson)
                           .order_by(m.Subdistrict.id)).all()
    return pd.DataFrame(rows, columns=["id", "code", "name_zh", "name_en", "center_lat",
                                       "center_lon", "boundary_geojson"])


def sites_with_problem_counts(session: Session, now: datetime,
                              subdistrict_id: int | None = None) -> pd.DataFrame:
    """Return every site with category, subdistrict and open/overdue/closed problems in radius."""
    # Open problems are few: start from them (the partial index on open problems) and count
    # closed ones as all links less open ones, so that no query joins every link to its problem
    # (at 1M problems and 4M links that join took 16 s in SQLite; these two take ~1.4 s).
    open_counts = (
        select(m.ProblemSite.site_id.label("site_id"), func.count().label("open"),
               func.sum(case((m.Problem.deadline < now, 1), else_=0)).label("overdue"))
        .select_from(m.Problem)
        .join(m.ProblemSite, m.ProblemSite.problem_id == m.Problem.id)
        .where(m.Problem.status != "closed")
        .group_by(m.ProblemSite.site_id)
    ).subquery()
    links = select(m.ProblemSite.site_id.label("site_id"), func.count().label("links"))
    if subdistrict_id is not None:
        links = links.where(m.ProblemSite.site_id.in_(
            select(m.Site.id).where(m.Site.subdistrict_id == subdistrict_id)))
    link_counts = links.group_by(m.ProblemSite.site_id).subquery()
    open_n = func.coalesce(open_counts.c.open, 0)
    q = (select(m.Site.id, m.Site.code, m.Site.name_zh, m.Site.name_en, m.Site.lat, m.Site.lon,
                m.Site.category_id, m.SiteCategory.code, m.SiteCategory.name_zh,
                m.SiteCategory.name_en, m.SiteCategory.radius_m, m.Site.subdistrict_id,
                m.Subdistrict.code, m.Subdistrict.name_zh, m.Subdistrict.name_en,
                open_n, func.coalesce(open_counts.c.overdue, 0),
                func.coalesce(link_counts.c.links, 0) - open_n)
         .join(m.SiteCategory, m.SiteCategory.id == m.Site.category_id)
         .join(m.Subdistrict, m.Subdistrict.id == m.Site.subdistrict_id)
         .outerjoin(open_counts, open_counts.c.site_id == m.Site.id)
         .outerjoin(link_counts, link_counts.c.site_id == m.Site.id)
         .order_by(m.Site.id))
    if subdistrict_id is not None:
        q = q.where(m.Site.subdistrict_id == subdistrict_id)
    cols = ["id", "code", "name_zh", "name_en", "lat", "lon", "category_id", "category_code",
            "category_zh", "category_en", "radius_m", "subdistrict_id", "subdistrict_code",
            "subdistrict_zh", "subdistrict_en", "open", "overdue", "closed"]
    frame = pd.DataFrame(session.execute(q).all(), columns=cols)
    frame["state"] = np.select([frame["overdue"] > 0, frame["open"] > 0], ["overdue", "open"],
                               "clean")
    return frame


def count_problems_in_view(session: Session, now: datetime, subdistrict_id: int | None,
                           class_ids: tuple[int, ...] | None, state: str) -> int:
    """Return how many problems the map would draw with these filters."""
    q = select(func.count(m.Problem.id)).where(*_problem_filters(now, subdistrict_id, class_ids,
                                                                 state))
    return int(session.scalar(q) or 0)


def problems_in_view(session: Session, now: datetime, subdistrict_id: int | None,
                     class_ids: tuple[int, ...] | None, state: str,
                     limit: int | None = None) -> pd.DataFrame:
    """Return the problems to draw as points: id, code, lat, lon, class, status, overdue, text."""
    q = (select(m.Problem.id, m.Problem.code, m.Problem.lat, m.Problem.lon, m.Problem.class_id,
                m.Problem.status, m.Problem.deadline, m.Problem.description,
                m.Problem.discovered_at)
         .where(*_problem_filters(now, subdistrict_id, class_ids, state))
         .order_by(m.Problem.id))
    if limit is not None:
        q = q.limit(limit)
    frame = pd.DataFrame(session.execute(q).all(),
                         columns=["id", "code", "lat", "lon", "class_id", "status", "deadline",
                                  "description", "discovered_at"])
    frame["overdue"] = (frame["status"] != "closed") & (pd.to_datetime(frame["deadline"]) < now)
    return frame


def problem_cells_in_view(session: Session, now: datetime, subdistrict_id: int | None,
                          class_ids: tuple[int, ...] | None, state: str) -> pd.DataFrame:
    """Return problems counted per stored H3 cell (resolution 9): h3_cell, problems, overdue."""
    overdue = and_(m.Problem.status != "closed", m.Problem.deadline < now)
    q = (select(m.Problem.h3_cell, func.count(m.Problem.id),
                func.sum(case((overdue, 1), else_=0)))
         .where(*_problem_filters(now, subdistrict_id, class_ids, state),
                m.Problem.h3_cell.is_not(None))
         .group_by(m.Problem.h3_cell).order_by(m.Problem.h3_cell))
    frame = pd.DataFrame(session.execute(q).all(), columns=["h3_cell", "problems", "overdue"])
    return frame.astype({"problems": int, "overdue": int})


def site_detail(session: Session, site_id: int) -> dict | None:
    """Return one site's card fields (names, code, category, subdistrict, 1+3+N), or None."""
    row = session.execute(
        select(m.Site.id, m.Site.code, m.Site.name_zh, m.Site.name_en, m.Site.lat, m.Site.lon,
               m.SiteCategory.name_zh.label("category_zh"),
               m.SiteCategory.name_en.label("category_en"), m.SiteCategory.radius_m,
               m.Subdistrict.code.label("subdistrict_code"),
               m.Subdistrict.name_zh.label("subdistrict_zh"),
               m.Subdistrict.name_en.label("subdistrict_en"), m.Site.leader, m.Site.unit_1,
               m.Site.unit_2, m.Site.unit_3, m.Site.grid_staff, m.Site.version)
        .join(m.SiteCategory, m.SiteCategory.id == m.Site.category_id)
        .join(m.Subdistrict, m.Subdistrict.id == m.Site.subdistrict_id)
        .where(m.Site.id == site_id)
    ).mappings().first()
    return dict(row) if row is not None else None


def site_id_by_code(session: Session, code: str) -> int | None:
    """Return the id of the site with this code, or None."""
    return session.scalar(select(m.Site.id).where(m.Site.code == code))


def site_problems(session: Session, site_id: int, now: datetime) -> pd.DataFrame:
    """Return the problems within a site's radius: code, class, status, overdue, distance, dates."""
    rows = session.execute(
        select(m.Problem.id, m.Problem.code, m.Problem.class_id, m.Problem.status,
               m.Problem.description, m.Problem.discovered_at, m.Problem.deadline,
               m.Problem.closed_at, m.ProblemSite.distance_m)
        .join(m.ProblemSite, m.ProblemSite.problem_id == m.Problem.id)
        .where(m.ProblemSite.site_id == site_id)
        .order_by(m.Problem.discovered_at.desc())
    ).all()
    frame = pd.DataFrame(rows, columns=["id", "code", "class_id", "status", "description",
                                        "discovered_at", "deadline", "closed_at", "distance_m"])
    frame["overdue"] = (frame["status"] != "closed") & (pd.to_datetime(frame["deadline"]) < now)
    return frame


def site_recent_events(session: Session, site_id: int, limit: int = 15) -> pd.DataFrame:
    """Return the latest problem events within a site's radius: when, problem, who, from, to."""
    rows = session.execute(
        select(m.ProblemEvent.at, m.Problem.code, m.ProblemEvent.actor,
               m.ProblemEvent.from_status, m.ProblemEvent.to_status, m.ProblemEvent.note)
        .join(m.Problem, m.Problem.id == m.ProblemEvent.problem_id)
        .join(m.ProblemSite, m.ProblemSite.problem_id == m.ProblemEvent.problem_id)
        .where(m.ProblemSite.site_id == site_id)
        .order_by(m.ProblemEvent.at.desc(), m.ProblemEvent.id.desc())
        .limit(limit)
    ).all()
    return pd.DataFrame(rows, columns=["at", "problem", "actor", "from_status", "to_status",
                                       "note"])


def filter_sites(frame: pd.DataFrame, subdistrict_id: int | None,
                 category_ids: tuple[int, ...] | None,
                 states: tuple[str, ...] | None) -> pd.DataFrame:
    """Return the sites of one subdistrict, categories and states (None means all)."""
    keep = pd.Series(True, index=frame.index)
    if subdistrict_id is not None:
        keep &= frame["subdistrict_id"] == subdistrict_id
    if category_ids:
        keep &= frame["category_id"].isin(category_ids)
    if states:
        keep &= frame["state"].isin(states)
    return frame[keep].reset_index(drop=True)


def move_site(session: Session, actor: Actor, site_id: int, lat: float, lon: float,
              datum: str = "wgs84", expected_version: int | None = None,
              outline: BaseGeometry | None = None) -> int:
    """Move a site (coordinates in any datum, stored in WGS-84); recompute every problem's links.

    Refuses a point outside the district outline and an edit based on an older version.
    Returns the number of problems whose spatial attributes were recomputed. The caller commits.
    """
    require(actor, "site.edit")
    site = session.get(m.Site, site_id)
    if site is None:
        raise CivDataError("not_found", what=f"site {site_id}")
    if expected_version is not None and site.version != expected_version:
        last = session.execute(
            select(m.AuditLog.username, m.AuditLog.at)
            .where(m.AuditLog.table_name == "site", m.AuditLog.record_id == str(site_id))
            .order_by(m.AuditLog.id.desc()).limit(1)).first()
        who, at = (last[0], last[1].strftime("%Y-%m-%d %H:%M")) if last else ("?", "?")
        raise StaleEdit("stale_edit", who=who, at=at)
    wlat, wlon = geo.checked_wgs84(float(lat), float(lon), datum,
                                   outline if outline is not None else geo.district_outline())
    old = {"lat": site.lat, "lon": site.lon, "version": site.version}
    site.lat, site.lon, site.version = round(wlat, 7), round(wlon, 7), site.version + 1
    session.flush()
    recomputed = recompute_problem_sites(session)
    audit(session, actor, "site.edit", "site", site.id, old,
          {"lat": site.lat, "lon": site.lon, "version": site.version, "datum": datum})
    mark_changed(session, "sites")
    mark_changed(session, "problems")
    return recomputed
