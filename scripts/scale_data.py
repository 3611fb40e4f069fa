"""Scaled benchmark data: the sample plus N synthetic problems over five years, with
inspections, item scores, volunteer activities and problem events in proportion.

Proportions follow the sample (one year: 10,000 problems, 7,290 market inspections with 8 item
scores each, 1,178 volunteer activities): per problem 0.729 inspections and 0.118 activities.
Each synthetic problem gets a 'discovered' event and, once closed, a 'closed' event (the sample
has five events per problem; two keep 1M problems within minutes while every read that joins
events still meets a table of millions of rows). Spatial attributes (nearest site, distance, H3
cell, problem-site links) are computed with civdata.domain.sites.spatial_links, as write_spatial does,
and written with the rows. Everything is bulk inserted with Core executemany in chunks.

A second shape (--shape clustered, issue 18) is not this generator's default: 10 % of the
problems stay open whatever their age, and half of them lie within 300 m of 20 sites.

Usage: python scripts/scale_data.py URL N [--shape clustered]
       (URL: an initialised database with the sample)
"""

from __future__ import annotations

import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import OperationalError

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from civdata.core import models as m  # noqa: E402
from civdata.core.db import make_engine, session_scope  # noqa: E402
from civdata.domain.sites import refresh_site_link_counts, site_points, spatial_links  # noqa: E402

AS_OF = date(2026, 11, 25)
YEARS = 5
INSPECTIONS_PER_PROBLEM = 7290 / 10000
ACTIVITIES_PER_PROBLEM = 1178 / 10000
CHUNK = 50_000
SHAPES = ("default", "clustered")
CLUSTER_SITES = 20
CLUSTER_RADIUS_M = 300.0
CLUSTER_OPEN_SHARE = 0.10
SOURCES = np.array(["daily_inspection", "spot_check", "third_party", "public_report"])
OPEN_STATES = np.array(["discovered", "assigned", "rectifying", "submitted"])


def _datetimes(seconds: np.ndarray, start: datetime) -> list[datetime]:
    """Return Python datetimes start + seconds (whole seconds)."""
    stamps = pd.Timestamp(start) + pd.to_timedelta(seconds.astype("int64"), unit="s")
    return list(stamps.to_pydatetime())


def _dates(days: np.ndarray, start: date) -> list[date]:
    """Return Python dates start + days."""
    return [start + timedelta(days=int(d)) for d in days]


def _next_id(session, model: type) -> int:
    """Return one more than the table's largest id."""
    return int(session.scalar(select(func.max(model.id))) or 0) + 1


def _insert_chunks(session, model: type, rows: list[dict]) -> None:
    """Insert rows with Core executemany in chunks (the table, not the ORM bulk path, which
    splits a batch wherever the pattern of None values changes)."""
    conn = session.connection()
    for k in range(0, len(rows), CHUNK):
        conn.execute(insert(model.__table__), rows[k:k + CHUNK])


def _problem_frame(session, n: int, rng: np.random.Generator,
                   now: datetime, shape: str = "default") -> pd.DataFrame:
    """Return n synthetic problems as a frame (ids, places, classes, times, states)."""
    sites = pd.DataFrame(session.execute(
        select(m.Site.id, m.Site.lat, m.Site.lon, m.Site.subdistrict_id)).all(),
        columns=["id", "lat", "lon", "sid"])
    subs = pd.DataFrame(session.execute(
        select(m.Subdistrict.id, m.Subdistrict.center_lat, m.Subdistrict.center_lon)).all(),
        columns=["id", "lat", "lon"])
    classes = pd.DataFrame(session.execute(
        select(m.ProblemClass.id, m.ProblemClass.time_limit_days)).all(), columns=["id", "days"])
    first = _next_id(session, m.Problem)
    near = rng.random(n) < 0.7  # 70% within ~200 m of a site, the rest around the centres
    pick = rng.integers(0, len(sites), n)
    sub_pick = rng.integers(0, len(subs), n)
    lat = np.where(near, sites["lat"].to_numpy()[pick] + rng.normal(0, 0.0015, n),
                   subs["lat"].to_numpy()[sub_pick] + rng.normal(0, 0.006, n))
    lon = np.where(near, sites["lon"].to_numpy()[pick] + rng.normal(0, 0.002, n),
                   subs["lon"].to_numpy()[sub_pick] + rng.normal(0, 0.008, n))
    if shape == "clustered":  # half within 300 m of 20 sites (uniform over the disc)
        hot = rng.choice(len(sites), CLUSTER_SITES, replace=False)
        packed = rng.random(n) < 0.5
        pick = np.where(packed, hot[rng.integers(0, CLUSTER_SITES, n)], pick)
        near = near | packed
        r_m = CLUSTER_RADIUS_M * 0.98 * np.sqrt(rng.random(n))
        angle = rng.uniform(0, 2 * np.pi, n)
        m_per_deg = 111_320.0
        site_lat = sites["lat"].to_numpy()[pick]
        lat = np.where(packed, site_lat + r_m * np.sin(angle) / m_per_deg, lat)
        lon = np.where(packed, sites["lon"].to_numpy()[pick]
                       + r_m * np.cos(angle) / (m_per_deg * np.cos(np.radians(site_lat))), lon)
    sid = np.where(near, sites["sid"].to_numpy()[pick], subs["id"].to_numpy()[sub_pick])
    cls = rng.integers(0, len(classes), n)
    limit_s = classes["days"].to_numpy()[cls] * 86400
    span = YEARS * 365 * 86400
    found = np.sort(rng.uniform(0, span, n)).astype("int64")  # ids in discovery order
    assign_after = rng.exponential(6 * 3600, n).astype("int64") + 60
    # time to close: log-normal around 60% of the class limit; ~85% close on time
    close_after = (assign_after + limit_s * 0.6 * np.exp(rng.normal(0, 0.55, n))).astype("int64")
    stuck = rng.random(n) < 0.002  # a few never close: the long tail of the overdue list
    start = now - timedelta(seconds=span)
    now_s = (now - start).total_seconds()
    closed = (found + close_after <= now_s) & ~stuck
    if shape == "clustered":  # a tenth stays open, however old (a backlog, not a clean loop)
        closed &= rng.random(n) >= CLUSTER_OPEN_SHARE
    assigned = found + assign_after <= now_s
    state = np.where(closed, "closed",
                     np.where(~assigned, "discovered",
                              OPEN_STATES[1 + rng.integers(0, 3, n)]))
    return pd.DataFrame({
        "id": np.arange(first, first + n), "lat": np.round(lat, 6), "lon": np.round(lon, 6),
        "subdistrict_id": sid, "class_id": classes["id"].to_numpy()[cls],
        "site_id": np.where(near, sites["id"].to_numpy()[pick], -1),
        "found_s": found, "assign_s": found + assign_after, "deadline_s": found + assign_after
        + limit_s, "close_s": found + close_after, "closed": closed, "assigned": assigned,
        "status": state, "source": SOURCES[rng.integers(0, len(SOURCES), n)],
    }), start


def add_problems(session, n: int, rng: np.random.Generator, now: datetime,
                 shape: str = "default") -> int:
    """Insert n problems with spatial attributes, links and events; return the rows written."""
    frame, start = _problem_frame(session, n, rng, now, shape)
    sites = site_points(session)
    event_id = _next_id(session, m.ProblemEvent)
    written = 0
    for k in range(0, n, 100_000):
        part = frame.iloc[k:k + 100_000]
        nearest, links = spatial_links(sites, part[["id", "lat", "lon"]])
        found = _datetimes(part["found_s"].to_numpy(), start)
        assign = _datetimes(part["assign_s"].to_numpy(), start)
        deadline = _datetimes(part["deadline_s"].to_numpy(), start)
        close = _datetimes(part["close_s"].to_numpy(), start)
        rows = []
        events = []
        cols = zip(part["id"].tolist(), part["lat"].tolist(), part["lon"].tolist(),
                   part["subdistrict_id"].tolist(), part["class_id"].tolist(),
                   part["site_id"].tolist(), part["status"].tolist(), part["source"].tolist(),
                   part["closed"].tolist(), part["assigned"].tolist(),
                   (part["close_s"] - part["found_s"]).tolist(),
                   nearest["nearest_site_id"].tolist(), nearest["nearest_site_m"].tolist(),
                   nearest["h3_cell"].tolist(), found, assign, deadline, close, strict=True)
        for (pid, la, lo, sid, cid, site, status, source, is_closed, is_assigned, secs, ns, nm,
             cell, f, a, d, c) in cols:
            rows.append({
                "id": pid, "code": f"B{pid:08d}", "site_id": site if site >= 0 else None,
                "subdistrict_id": sid, "class_id": cid, "lat": la, "lon": lo,
                "description": "synthetic", "source": source, "status": status,
                "discovered_at": f, "assigned_at": a if is_assigned else None,
                "deadline": d if is_assigned else None,
                "responsible_unit": "bench unit" if is_assigned else None,
                "closed_at": c if is_closed else None,
                "seconds_to_close": secs if is_closed else None,
                "closed_on_time": (c <= d) if is_closed else None,
                "nearest_site_id": ns if ns >= 0 else None,
                "nearest_site_m": None if nm != nm else nm, "h3_cell": cell,
                "created_by": "bench", "version": 1})
            events.append({"id": event_id, "problem_id": pid, "at": f, "actor": "inspector",
                           "from_status": None, "to_status": "discovered", "note": None})
            event_id += 1
            if is_closed:
                events.append({"id": event_id, "problem_id": pid, "at": c, "actor": "office",
                               "from_status": "submitted", "to_status": "closed", "note": None})
                event_id += 1
        _insert_chunks(session, m.Problem, rows)
        _insert_chunks(session, m.ProblemEvent, events)
        _insert_chunks(session, m.ProblemSite, links.astype(
            {"problem_id": int, "site_id": int, "distance_m": float}).to_dict("records"))
        written += len(rows) + len(events) + len(links)
    refresh_site_link_counts(session)  # the summary the write path keeps
    return written


def add_inspections(session, n: int, rng: np.random.Generator, day: date) -> int:
    """Insert n market inspections with one score per checklist item; return rows written."""
    markets = [r[0] for r in session.execute(select(m.Market.id)).all()]
    items = pd.DataFrame(session.execute(
        select(m.ChecklistItem.id, m.ChecklistItem.max_points, m.ChecklistItem.threshold)
        .order_by(m.ChecklistItem.sort_order)).all(), columns=["id", "max", "threshold"])
    first = _next_id(session, m.MarketInspection)
    start = day - timedelta(days=YEARS * 365)
    days = np.sort(rng.integers(0, YEARS * 365 + 1, n))
    share = np.clip(rng.normal(0.83, 0.07, (n, len(items))), 0.3, 1.0)
    scores = np.round(share * items["max"].to_numpy() * 2) / 2
    findings = (scores < items["threshold"].to_numpy()).sum(axis=1)
    totals = scores.sum(axis=1)
    market = rng.integers(0, len(markets), n)
    on_days = _dates(days, start)
    rows = [{"id": first + i, "market_id": markets[market[i]], "inspected_on": on_days[i],
             "inspector": f"bench {first + i}", "vehicle": None, "total_score": float(totals[i]),
             "is_reinspection": False, "findings": int(findings[i]),
             "fed_back_same_day": True, "notes": None} for i in range(n)]
    _insert_chunks(session, m.MarketInspection, rows)
    item_ids = items["id"].tolist()
    score_rows = [{"inspection_id": first + i, "item_id": item_ids[j], "score": float(scores[i, j])}
                  for i in range(n) for j in range(len(item_ids))]
    _insert_chunks(session, m.MarketInspectionScore, score_rows)
    return len(rows) + len(score_rows)


def add_activities(session, n: int, rng: np.random.Generator, day: date) -> int:
    """Insert n volunteer activities by the sample's teams; return the rows written."""
    teams = pd.DataFrame(session.execute(
        select(m.VolunteerTeam.id, m.VolunteerTeam.subdistrict_id, m.VolunteerTeam.lat,
               m.VolunteerTeam.lon, m.VolunteerTeam.service_type)).all(),
        columns=["id", "sid", "lat", "lon", "service"])
    comms = pd.DataFrame(session.execute(
        select(m.Community.id, m.Community.subdistrict_id)).all(), columns=["id", "sid"])
    by_sub = {sid: g["id"].tolist() for sid, g in comms.groupby("sid")}
    start = day - timedelta(days=YEARS * 365)
    pick = rng.integers(0, len(teams), n)
    on_days = _dates(np.sort(rng.integers(0, YEARS * 365 + 1, n)), start)
    people = rng.integers(3, 40, n)
    base = _next_id(session, m.VolunteerActivity)
    rows = []
    for i in range(n):
        team = teams.iloc[pick[i]]
        choices = by_sub.get(team["sid"]) or [None]
        rows.append({"team_id": int(team["id"]), "partner_org_id": None, "held_on": on_days[i],
                     "title": f"bench activity {base + i}", "place": "bench place",
                     "community_id": choices[int(rng.integers(0, len(choices)))],
                     "subdistrict_id": int(team["sid"]),
                     "lat": float(team["lat"]) + float(rng.normal(0, 0.002)),
                     "lon": float(team["lon"]) + float(rng.normal(0, 0.002)),
                     "service_type": team["service"], "participants": int(people[i]),
                     "volunteer_hours": round(float(people[i]) * 2.0, 1), "created_by": "bench"})
    _insert_chunks(session, m.VolunteerActivity, rows)
    return len(rows)


def add_scaled_data(engine: Engine, n: int, as_of: date = AS_OF, seed: int = 7,
                    shape: str = "default") -> dict[str, int]:
    """Add n problems and proportional inspections and activities; return rows per kind."""
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {SHAPES}")
    rng = np.random.default_rng(seed)
    now = datetime.combine(as_of, datetime.min.time())
    with session_scope(engine) as s:
        out = {"problem_rows": add_problems(s, n, rng, now, shape),
               "inspection_rows": add_inspections(s, round(n * INSPECTIONS_PER_PROBLEM), rng,
                                                  as_of - timedelta(days=1)),
               "activity_rows": add_activities(s, round(n * ACTIVITIES_PER_PROBLEM), rng,
                                               as_of - timedelta(days=1))}
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        try:  # tidies the -wal file only; a reader elsewhere may hold it (then it stays)
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        except OperationalError:
            pass
    else:
        with engine.begin() as conn:  # committed: PostgreSQL's statistics are transactional
            conn.exec_driver_sql("ANALYZE")
    return out


def main() -> int:
    """Add scaled data to the database at argv[1]; print rows and seconds."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("n", type=int)
    parser.add_argument("--shape", choices=SHAPES, default="default")
    args = parser.parse_args()
    engine = make_engine(args.url)
    started = time.perf_counter()
    counts = add_scaled_data(engine, args.n, shape=args.shape)
    print(f"scale_data_{sys.argv[2]}: {time.perf_counter() - started:.1f} s ({counts})")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
