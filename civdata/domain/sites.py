"""Evaluation sites: reads, and the spatial attributes stored on every problem."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry
from sqlalchemy import and_, delete, func, insert, select, text, true, update
from sqlalchemy.orm import Session

from civdata.core import models as m
from civdata.core.auth import Actor, audit, require
from civdata.core.errors import CivDataError, StaleEdit
from civdata.core.live import mark_changed
from civdata.core.query import overdue_flags, overdue_now, problem_is_open, to_district_time
from civdata.domain import geo
from civdata.domain.riskmodel import read_open_links, site_open_figures


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


_SPATIAL_DEFERRED: ContextVar[bool] = ContextVar("civdata_spatial_deferred", default=False)


@contextmanager
def spatial_deferred() -> Iterator[None]:
    """Within the block write_spatial stores nothing: a loader writing many problems one by one
    recomputes every link once afterwards (recompute_problem_sites)."""
    token = _SPATIAL_DEFERRED.set(True)
    try:
        yield
    finally:
        _SPATIAL_DEFERRED.reset(token)


def write_spatial(session: Session, problems: pd.DataFrame) -> None:
    """Compute and store nearest site, distance, H3 cell and site links for these problems."""
    if problems.empty or _SPATIAL_DEFERRED.get():
        return
    sites = site_points(session)
    nearest, links = spatial_links(sites, problems)
    ids = [int(v) for v in problems["id"]]
    few = len(ids) <= FEW_PROBLEMS
    touched: set[int] = set(int(v) for v in links["site_id"]) if few else set()
    for chunk in range(0, len(ids), 500):
        part = ids[chunk:chunk + 500]
        if few:
            touched.update(session.scalars(select(m.ProblemSite.site_id).distinct()
                                           .where(m.ProblemSite.problem_id.in_(part))))
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
    refresh_site_link_counts(session, touched if few else None)


# Beyond this many problems written at once, every site's count is recomputed in one statement.
FEW_PROBLEMS = 5_000


def refresh_site_link_counts(session: Session, site_ids: set[int] | None = None) -> None:
    """Recount the problems within the radius of these sites (None: every site) into
    site_link_count, and the open ones per class into site_open_count; called by every write
    of problem_site, in its transaction."""
    counted = select(m.ProblemSite.site_id, func.count()).group_by(m.ProblemSite.site_id)
    open_counted = (select(m.ProblemSite.site_id, m.Problem.class_id, func.count())
                    .join(m.Problem, m.Problem.id == m.ProblemSite.problem_id)
                    .where(problem_is_open())
                    .group_by(m.ProblemSite.site_id, m.Problem.class_id))
    gone = delete(m.SiteLinkCount)
    open_gone = delete(m.SiteOpenCount)
    if site_ids is not None:
        if not site_ids:
            return
        ids = sorted(int(v) for v in site_ids)
        counted = counted.where(m.ProblemSite.site_id.in_(ids))
        open_counted = open_counted.where(m.ProblemSite.site_id.in_(ids))
        gone = gone.where(m.SiteLinkCount.site_id.in_(ids))
        open_gone = open_gone.where(m.SiteOpenCount.site_id.in_(ids))
    _lock_site_counts(session, site_ids)
    session.execute(gone)
    session.execute(insert(m.SiteLinkCount).from_select(["site_id", "problems"], counted))
    session.execute(open_gone)
    session.execute(insert(m.SiteOpenCount).from_select(["site_id", "class_id", "problems"],
                                                        open_counted))


SITE_COUNTS_LOCK = 7_140_382  # advisory lock namespace: a site's counts, one writer at a time


def _lock_site_counts(session: Session, site_ids: set[int] | None) -> None:
    """Take, until the transaction ends, the lock of each site's counts (None: every site), so
    that on PostgreSQL a recount and a close of the same site run one after the other: a
    recount deletes and re-inserts a site's rows, and a close that met them half-way would
    change nothing. A transaction-level advisory lock per site, taken in site order (two
    writers never wait for each other in a circle); no table row is locked, so other writes
    to sites and problems go on. SQLite lets one writer in at a time: nothing to take."""
    if session.get_bind().dialect.name != "postgresql":
        return
    ids = sorted(int(v) for v in (site_ids if site_ids is not None
                                  else session.scalars(select(m.Site.id))))
    for site_id in ids:
        session.execute(text("SELECT pg_advisory_xact_lock(:space, :site)"),
                        {"space": SITE_COUNTS_LOCK, "site": site_id})


def close_in_site_counts(session: Session, problem_id: int, class_id: int) -> None:
    """Take a problem that has just closed out of site_open_count (its sites, its class), in
    the closing transaction."""
    site_ids = sorted(session.scalars(select(m.ProblemSite.site_id)
                                      .where(m.ProblemSite.problem_id == problem_id)))
    if not site_ids:
        return
    _lock_site_counts(session, set(site_ids))
    its_rows = and_(m.SiteOpenCount.class_id == class_id, m.SiteOpenCount.site_id.in_(site_ids))
    session.execute(update(m.SiteOpenCount).where(its_rows)
                    .values(problems=m.SiteOpenCount.problems - 1))
    session.execute(delete(m.SiteOpenCount).where(its_rows, m.SiteOpenCount.problems <= 0))


def recompute_problem_sites(session: Session) -> int:
    """Recompute the spatial attributes of every problem (after sites move or are added)."""
    rows = session.execute(select(m.Problem.id, m.Problem.lat, m.Problem.lon)).all()
    problems = pd.DataFrame(rows, columns=["id", "lat", "lon"])
    session.execute(delete(m.ProblemSite))
    write_spatial(session, problems)
    if len(problems) <= FEW_PROBLEMS or _SPATIAL_DEFERRED.get():
        # write_spatial counted again only the sites its new links touch, or none: a site
        # that lost all its links would keep its old counts
        refresh_site_link_counts(session)
    return len(problems)


# --- Reads behind the map page -------------------------------------------------------------

SITE_STATES = ("clean", "open", "overdue")
PROBLEM_STATES = ("open", "overdue", "closed", "all")


def _problem_state_condition(state: str, now: datetime):
    """Return the condition selecting problems in state ('open', 'overdue', 'closed', 'all')."""
    if state == "open":
        return problem_is_open()
    if state == "overdue":
        return overdue_now(now)
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


def sites_with_link_counts(session: Session, subdistrict_id: int | None = None) -> pd.DataFrame:
    """Return every site with category, subdistrict and its problems in radius (any state),
    read from the site_link_count summary (381 rows, whatever the number of problems)."""
    q = (select(m.Site.id, m.Site.code, m.Site.name_zh, m.Site.name_en, m.Site.lat, m.Site.lon,
                m.Site.category_id, m.SiteCategory.code, m.SiteCategory.name_zh,
                m.SiteCategory.name_en, m.SiteCategory.radius_m, m.Site.subdistrict_id,
                m.Subdistrict.code, m.Subdistrict.name_zh, m.Subdistrict.name_en,
                func.coalesce(m.SiteLinkCount.problems, 0))
         .join(m.SiteCategory, m.SiteCategory.id == m.Site.category_id)
         .join(m.Subdistrict, m.Subdistrict.id == m.Site.subdistrict_id)
         .outerjoin(m.SiteLinkCount, m.SiteLinkCount.site_id == m.Site.id)
         .order_by(m.Site.id))
    if subdistrict_id is not None:
        q = q.where(m.Site.subdistrict_id == subdistrict_id)
    cols = ["id", "code", "name_zh", "name_en", "lat", "lon", "category_id", "category_code",
            "category_zh", "category_en", "radius_m", "subdistrict_id", "subdistrict_code",
            "subdistrict_zh", "subdistrict_en", "links"]
    return pd.DataFrame(session.execute(q).all(), columns=cols).astype({"links": int})


def with_problem_counts(site_rows: pd.DataFrame, figures: pd.DataFrame) -> pd.DataFrame:
    """Return the sites with open, overdue and closed problems in radius and their state.

    A pure function of the cached rows (sites_with_link_counts, and
    riskmodel.site_open_figures at a moment): the clock moving on re-reads nothing.
    """
    per_site = figures.set_index("site_id")
    opened = site_rows["id"].map(per_site["open"]).fillna(0).astype(int)
    late = site_rows["id"].map(per_site["overdue"]).fillna(0).astype(int)
    frame = site_rows.drop(columns=["links"]).assign(
        open=opened.to_numpy(), overdue=late.to_numpy(),
        closed=(site_rows["links"] - opened).to_numpy())
    frame["state"] = np.select([frame["overdue"] > 0, frame["open"] > 0], ["overdue", "open"],
                               "clean")
    return frame


def sites_with_problem_counts(session: Session, now: datetime,
                              subdistrict_id: int | None = None) -> pd.DataFrame:
    """Return every site with category, subdistrict and open/overdue/closed problems in radius."""
    links = read_open_links(session, now, subdistrict_id)
    return with_problem_counts(sites_with_link_counts(session, subdistrict_id),
                               site_open_figures(links, now))


def count_problems_in_view(session: Session, now: datetime, subdistrict_id: int | None,
                           class_ids: tuple[int, ...] | None, state: str) -> int:
    """Return how many problems the map would draw with these filters."""
    q = select(func.count(m.Problem.id)).where(*_problem_filters(now, subdistrict_id, class_ids,
                                                                 state))
    return int(session.scalar(q) or 0)


def problem_points(session: Session, subdistrict_id: int | None,
                   class_ids: tuple[int, ...] | None, state: str,
                   limit: int | None = None) -> pd.DataFrame:
    """Return problems in state ('open', 'closed', 'all') to draw as points: id, code, lat, lon,
    class, status, deadline, text, found (no clock: overdue is marked at render time)."""
    q = (select(m.Problem.id, m.Problem.code, m.Problem.lat, m.Problem.lon, m.Problem.class_id,
                m.Problem.status, m.Problem.deadline, m.Problem.description,
                m.Problem.discovered_at)
         .where(*_problem_filters(None, subdistrict_id, class_ids, state))  # type: ignore[arg-type]
         .order_by(m.Problem.id))
    if limit is not None:
        q = q.limit(limit)
    return pd.DataFrame(session.execute(q).all(),
                        columns=["id", "code", "lat", "lon", "class_id", "status", "deadline",
                                 "description", "discovered_at"])


def mark_overdue(frame: pd.DataFrame, now: datetime, only_overdue: bool = False) -> pd.DataFrame:
    """Return problem rows with an overdue column at now (only the overdue ones if asked)."""
    out = frame.assign(overdue=overdue_flags(frame["deadline"], now, frame["status"]))
    return out[out["overdue"]].reset_index(drop=True) if only_overdue else out


def problems_in_view(session: Session, now: datetime, subdistrict_id: int | None,
                     class_ids: tuple[int, ...] | None, state: str,
                     limit: int | None = None) -> pd.DataFrame:
    """Return the problems to draw as points: id, code, lat, lon, class, status, overdue, text."""
    if state == "overdue":
        frame = mark_overdue(problem_points(session, subdistrict_id, class_ids, "open"), now,
                             only_overdue=True)
        return frame.head(limit).reset_index(drop=True) if limit is not None else frame
    return mark_overdue(problem_points(session, subdistrict_id, class_ids, state, limit), now)


def problem_cells_in_view(session: Session, now: datetime, subdistrict_id: int | None,
                          class_ids: tuple[int, ...] | None, state: str) -> pd.DataFrame:
    """Return problems counted per stored H3 cell (resolution 9): h3_cell, problems, overdue."""
    return cells_at(problem_cell_rows(session, subdistrict_id, class_ids, state, now), now, state)


@dataclass(frozen=True)
class CellRows:
    """What the H3 cells of a state need for every moment from `since` on: `late` (h3_cell,
    problems: the open ones already overdue at since, counted in SQL), `open` (h3_cell,
    deadline of every other open problem) and `closed` (h3_cell, problems)."""

    since: datetime
    late: pd.DataFrame
    open: pd.DataFrame
    closed: pd.DataFrame


def problem_cell_rows(session: Session, subdistrict_id: int | None,
                      class_ids: tuple[int, ...] | None, state: str,
                      since: datetime) -> CellRows:
    """Return the CellRows of the problems in view in state, valid from since on."""
    since = to_district_time(since)
    counted = pd.DataFrame({"h3_cell": pd.Series(dtype=object), "problems": pd.Series(dtype=int)})
    late, closed = counted, counted
    opened = pd.DataFrame({"h3_cell": pd.Series(dtype=object),
                           "deadline": pd.Series(dtype="datetime64[ns]")})
    in_view = _problem_filters(None, subdistrict_id, class_ids, "open")  # type: ignore[arg-type]
    if state in ("open", "overdue", "all"):
        # No "h3_cell IS NOT NULL" in SQL: SQLite would then walk the h3_cell index over every
        # problem instead of the partial index on open ones (10 s against 0.1 s at 1M).
        overdue = and_(m.Problem.deadline.is_not(None), m.Problem.deadline < since)
        q = (select(m.Problem.h3_cell, func.count(m.Problem.id)).where(*in_view, overdue)
             .group_by(m.Problem.h3_cell))
        late = pd.DataFrame(session.execute(q).all(), columns=["h3_cell", "problems"])
        late = late[late["h3_cell"].notna()].reset_index(drop=True)
        q = select(m.Problem.h3_cell, m.Problem.deadline).where(*in_view, ~overdue)
        rows = pd.DataFrame(session.execute(q).all(), columns=["h3_cell", "deadline"])
        opened = rows[rows["h3_cell"].notna()].reset_index(drop=True)
    if state in ("closed", "all"):
        q = (select(m.Problem.h3_cell, func.count(m.Problem.id))
             .where(*_problem_filters(None, subdistrict_id, class_ids, "closed"),  # type: ignore[arg-type]
                    m.Problem.h3_cell.is_not(None))
             .group_by(m.Problem.h3_cell))
        closed = pd.DataFrame(session.execute(q).all(), columns=["h3_cell", "problems"])
    return CellRows(since, late, opened, closed)


def cells_at(rows: CellRows, now: datetime, state: str) -> pd.DataFrame:
    """Return h3_cell, problems, overdue per cell at now (not before rows.since) from
    problem_cell_rows (pure)."""
    if to_district_time(now) < rows.since:
        raise ValueError(f"cells read at {rows.since} cannot answer for {now}")
    opened = rows.open
    late = overdue_flags(opened["deadline"], now).to_numpy(dtype=int)
    parts = [pd.DataFrame({"h3_cell": opened["h3_cell"].to_numpy(), "problems": 1,
                           "overdue": late}),
             rows.late.assign(overdue=rows.late["problems"])]
    if state == "overdue":
        parts = [parts[0][late == 1], parts[1]]
    if state in ("closed", "all"):
        parts.append(rows.closed.assign(overdue=0))
    if state == "closed":
        parts = parts[2:]
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.groupby("h3_cell", as_index=False)[["problems", "overdue"]].sum()
    return frame.sort_values("h3_cell").reset_index(drop=True).astype(
        {"problems": int, "overdue": int})


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
    frame["overdue"] = overdue_flags(frame["deadline"], now, frame["status"])
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
