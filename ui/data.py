"""The engine and the cached readers; caches are keyed by the data version, so a write anywhere
(in this process or another replica) is seen on the next run."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from civdata import overview
from civdata.config import database_url_from_env
from civdata.db import make_engine, session_factory
from civdata.live import last_change
from civdata.schema import init_db

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


def session():  # noqa: ANN201
    """Return a new session on the configured database (the caller closes it)."""
    return session_factory(engine())()


def data_version() -> tuple[str, int]:
    """Return (last change time, change counter): the key that invalidates cached reads."""
    with session() as s:
        at, counter = last_change(s)
    return (at.isoformat() if at else "", counter)


@st.cache_data(ttl=READ_TTL_S, show_spinner=False)
def subdistricts(version: tuple[str, int]) -> pd.DataFrame:
    """Return the subdistricts (cached)."""
    with session() as s:
        return overview.subdistricts(s)


@st.cache_data(ttl=READ_TTL_S, show_spinner=False)
def headline_figures(version: tuple[str, int], t: datetime, subdistrict_id: int | None) -> dict:
    """Return the overview's headline figures at t (cached)."""
    with session() as s:
        return overview.figures_at(s, t, subdistrict_id)


@st.cache_data(ttl=READ_TTL_S, show_spinner=False)
def subdistrict_ranking(version: tuple[str, int], day: date) -> pd.DataFrame:
    """Return the subdistrict index table (cached)."""
    with session() as s:
        return overview.subdistrict_ranking(s, day)


@st.cache_data(ttl=READ_TTL_S, show_spinner=False)
def weekly_problem_flow(version: tuple[str, int], end: datetime, weeks: int,
                        subdistrict_id: int | None) -> pd.DataFrame:
    """Return new and closed problems per week (cached)."""
    with session() as s:
        return overview.weekly_problem_flow(s, end, weeks, subdistrict_id)


@st.cache_data(ttl=READ_TTL_S, show_spinner=False)
def renovation_summary(version: tuple[str, int], day: date,
                       subdistrict_id: int | None) -> pd.DataFrame:
    """Return weighted progress per programme and batch on day (cached)."""
    from civdata.metrics import weighted_progress

    with session() as s:
        return weighted_progress(overview.renovation_progress_at(s, day, subdistrict_id))
