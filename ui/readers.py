"""The engine and the cached readers; caches are keyed by the data version, so a write anywhere
(in this process or another replica) is seen on the next run."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, datetime

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from civdata.core.config import database_url_from_env
from civdata.core.db import make_engine, session_factory
from civdata.core.live import domain_marks
from civdata.core.schema import init_db
from civdata.domain import district, problems, riskmodel, sites

READ_TTL_S = 600


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    """Return the process's engine for url (schema created if missing)."""
    engine = make_engine(url)
    init_db(engine)
    return engine


def engine() -> Engine:
    """Return the engine of the configured database."""
    return _engine_for(database_url_from_env())


def session():
    """Return a new session on the configured database (the caller closes it)."""
    return session_factory(engine())()


DataVersion = tuple  # (last change time, change counter, ((domain, (time, counter)), ...))


def data_version() -> DataVersion:
    """Return (last change time, change counter, per-domain marks): one read of data_change per
    run; cached readers are keyed by the marks of the domains they read (domain_key)."""
    with session() as s:
        marks = domain_marks(s)
    at = max((v[0] for v in marks.values()), default="")
    return (at, sum(v[1] for v in marks.values()), tuple(sorted(marks.items())))


def domain_key(version: DataVersion, *domains: str) -> tuple:
    """Return the part of version that the given domains' data depends on: a cache key that an
    idle minute, or a write to another domain, leaves unchanged."""
    if len(version) < 3:  # a bare (time, counter): every change counts
        return tuple(version)
    marks = dict(version[2])
    return tuple((d, marks.get(d, ("", 0))) for d in domains)


def cached_by_domains(*domains: str, **cache_options: object) -> Callable:
    """Return a decorator: st.cache_data over fn(key, ...), called as fn(version, ...) with the
    key cut down to the marks of domains, so a write elsewhere or an idle minute keeps it (ttl:
    READ_TTL_S unless given)."""
    cache_options.setdefault("ttl", READ_TTL_S)

    def decorate(fn: Callable) -> Callable:
        cached = st.cache_data(**cache_options)(fn)

        @functools.wraps(fn)
        def read(version: DataVersion, *args: object, **kwargs: object) -> object:
            return cached(domain_key(version, *domains), *args, **kwargs)

        read.clear = cached.clear  # type: ignore[attr-defined]
        return read
    return decorate


@st.cache_data(ttl=READ_TTL_S, show_spinner=False)
def subdistricts(version: tuple[str, int]) -> pd.DataFrame:
    """Return the subdistricts (cached)."""
    with session() as s:
        return district.subdistricts(s)


@cached_by_domains("sites", "settings", show_spinner=False)
def subdistrict_outlines(version: DataVersion) -> pd.DataFrame:
    """Return the subdistricts with their boundaries (cached until sites or settings change)."""
    with session() as s:
        return sites.subdistrict_boundaries(s)


@cached_by_domains("problems", "settings", show_spinner=False)
def problem_classes(version: DataVersion) -> pd.DataFrame:
    """Return the problem classes with their time limits (cached until problems or settings
    change)."""
    with session() as s:
        return problems.problem_classes(s)


def headline_figures(version: tuple[str, int], t: datetime, subdistrict_id: int | None) -> dict:
    """Return the overview's headline figures at t: the parts that move by the day cached per
    data version and day, the open and overdue counts per data version and minute."""
    return {**_day_figures(version, t.date(), subdistrict_id),
            **_moment_figures(version, t, subdistrict_id)}


@st.cache_data(ttl=READ_TTL_S, show_spinner=False)
def _day_figures(version: tuple[str, int], day: date, subdistrict_id: int | None) -> dict:
    """Return the headline figures that move only with the data and the day (cached)."""
    with session() as s:
        return district.day_figures(s, day, subdistrict_id)


@st.cache_data(ttl=READ_TTL_S, show_spinner=False)
def _moment_figures(version: tuple[str, int], t: datetime, subdistrict_id: int | None) -> dict:
    """Return the open, overdue and 7-day problem figures at t (cached per data version and t)."""
    with session() as s:
        return district.moment_figures(s, t, subdistrict_id)


# what open_weight_by_site reads: problem statuses and links, sites, the classes' weights
OPEN_WEIGHT_DOMAINS = ("problems", "sites", "settings")


def open_weights(version: tuple) -> pd.DataFrame:
    """Return the open problems' class weight summed per site, the readiness fallback's input
    (cached by its domains' marks: it does not depend on the clock, so a new minute re-reads
    none, and the overview's estimate and the weekly page share one read)."""
    return _open_weights(domain_key(version, *OPEN_WEIGHT_DOMAINS))


@st.cache_data(ttl=READ_TTL_S, show_spinner=False)
def _open_weights(key: tuple) -> pd.DataFrame:
    """Return open_weight_by_site's frame (cached by key)."""
    with session() as s:
        return riskmodel.open_weight_by_site(s)


@st.cache_data(ttl=READ_TTL_S, show_spinner=False)
def subdistrict_ranking(version: tuple[str, int], day: date) -> pd.DataFrame:
    """Return the subdistrict index table (cached)."""
    with session() as s:
        return district.subdistrict_ranking(s, day)


@st.cache_data(ttl=READ_TTL_S, show_spinner=False)
def weekly_problem_flow(version: tuple[str, int], end: datetime, weeks: int,
                        subdistrict_id: int | None) -> pd.DataFrame:
    """Return new and closed problems per week (cached)."""
    with session() as s:
        return district.weekly_problem_flow(s, end, weeks, subdistrict_id)


@st.cache_data(ttl=READ_TTL_S, show_spinner=False)
def renovation_summary(version: tuple[str, int], day: date,
                       subdistrict_id: int | None) -> pd.DataFrame:
    """Return weighted progress per programme and batch on day (cached)."""
    from civdata.domain.metrics import weighted_progress

    with session() as s:
        return weighted_progress(district.renovation_progress_at(s, day, subdistrict_id))
