"""Small factories for data-layer tests on a fresh database."""

from __future__ import annotations

import itertools
import json
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from civdata.core import models as m

_seq = itertools.count(1)
SQUARE = {"type": "Polygon", "coordinates": [[[123.37, 41.76], [123.43, 41.76], [123.43, 41.81],
                                              [123.37, 41.81], [123.37, 41.76]]]}


def _n() -> int:
    """Return the next number of the factories' sequence."""
    return next(_seq)


def make_subdistrict(session: Session, **kw: Any) -> m.Subdistrict:
    """Create a subdistrict."""
    n = _n()
    row = m.Subdistrict(code=kw.pop("code", f"sd{n}"), name_zh=kw.pop("name_zh", f"街道{n}"),
                        name_en=kw.pop("name_en", f"Subdistrict {n}"),
                        boundary_geojson=json.dumps(kw.pop("boundary", SQUARE)),
                        center_lat=kw.pop("center_lat", 41.785),
                        center_lon=kw.pop("center_lon", 123.40), **kw)
    session.add(row)
    session.flush()
    return row


def make_community(session: Session, subdistrict: m.Subdistrict | None = None,
                   **kw: Any) -> m.Community:
    """Create a community."""
    n = _n()
    sub = subdistrict or make_subdistrict(session)
    row = m.Community(code=kw.pop("code", f"C{n}"), name_zh=kw.pop("name_zh", f"社区{n}"),
                      name_en=kw.pop("name_en", f"Community {n}"), subdistrict_id=sub.id,
                      lat=kw.pop("lat", 41.785), lon=kw.pop("lon", 123.40), **kw)
    session.add(row)
    session.flush()
    return row


def make_category(session: Session, **kw: Any) -> m.SiteCategory:
    """Create a site category (300 m radius)."""
    n = _n()
    row = m.SiteCategory(code=kw.pop("code", f"cat{n}"), name_zh=kw.pop("name_zh", f"类别{n}"),
                         name_en=kw.pop("name_en", f"Category {n}"),
                         radius_m=kw.pop("radius_m", 300.0), **kw)
    session.add(row)
    session.flush()
    return row


def make_site(session: Session, subdistrict: m.Subdistrict | None = None,
              category: m.SiteCategory | None = None, **kw: Any) -> m.Site:
    """Create an evaluation site."""
    n = _n()
    sub = subdistrict or make_subdistrict(session)
    cat = category or make_category(session)
    row = m.Site(code=kw.pop("code", f"S{n}"), name_zh=kw.pop("name_zh", f"点位{n}"),
                 name_en=kw.pop("name_en", f"Site {n}"), category_id=cat.id,
                 subdistrict_id=sub.id, lat=kw.pop("lat", 41.785), lon=kw.pop("lon", 123.40),
                 leader=kw.pop("leader", "张三"), unit_1="单位一", unit_2="单位二",
                 unit_3="单位三", grid_staff=kw.pop("grid_staff", 3), **kw)
    session.add(row)
    session.flush()
    return row


def make_problem_class(session: Session, **kw: Any) -> m.ProblemClass:
    """Create a problem class."""
    n = _n()
    row = m.ProblemClass(code=kw.pop("code", f"pc{n}"), name_zh=kw.pop("name_zh", f"类{n}"),
                         name_en=kw.pop("name_en", f"Class {n}"),
                         time_limit_days=kw.pop("time_limit_days", 3), **kw)
    session.add(row)
    session.flush()
    return row


def make_problem(session: Session, subdistrict: m.Subdistrict | None = None,
                 problem_class: m.ProblemClass | None = None, **kw: Any) -> m.Problem:
    """Create a problem (open, discovered now, unless told otherwise)."""
    n = _n()
    sub = subdistrict or make_subdistrict(session)
    cls = problem_class or make_problem_class(session)
    found = kw.pop("discovered_at", datetime(2026, 11, 20, 9, 0))
    row = m.Problem(code=kw.pop("code", f"P{n:06d}"), subdistrict_id=sub.id, class_id=cls.id,
                    lat=kw.pop("lat", 41.785), lon=kw.pop("lon", 123.40),
                    description=kw.pop("description", "问题"),
                    source=kw.pop("source", "daily_inspection"),
                    status=kw.pop("status", "discovered"), discovered_at=found,
                    deadline=kw.pop("deadline", found + timedelta(days=cls.time_limit_days)),
                    **kw)
    session.add(row)
    session.flush()
    return row


def make_project(session: Session, subdistrict: m.Subdistrict | None = None,
                 **kw: Any) -> m.Project:
    """Create a renovation project."""
    n = _n()
    sub = subdistrict or make_subdistrict(session)
    row = m.Project(code=kw.pop("code", f"PR{n}"), programme=kw.pop("programme", "old_compound"),
                    batch=kw.pop("batch", 1), subdistrict_id=sub.id,
                    name_zh=kw.pop("name_zh", f"工程{n}"), name_en=kw.pop("name_en", f"Project {n}"),
                    planned_start=kw.pop("planned_start", date(2026, 9, 1)),
                    planned_end=kw.pop("planned_end", date(2026, 12, 31)),
                    lat=kw.pop("lat", 41.785), lon=kw.pop("lon", 123.40), **kw)
    session.add(row)
    session.flush()
    return row


def make_market(session: Session, subdistrict: m.Subdistrict | None = None,
                **kw: Any) -> m.Market:
    """Create a farmers' market."""
    n = _n()
    sub = subdistrict or make_subdistrict(session)
    row = m.Market(code=kw.pop("code", f"MK{n}"), name_zh=kw.pop("name_zh", f"市场{n}"),
                   name_en=kw.pop("name_en", f"Market {n}"), subdistrict_id=sub.id,
                   lat=kw.pop("lat", 41.785), lon=kw.pop("lon", 123.40),
                   director=kw.pop("director", "李四"), **kw)
    session.add(row)
    session.flush()
    return row
