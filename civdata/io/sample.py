"""Load the sample data set, shifting its dates so that --as-of plays the article's 2022-08-05."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from civdata.core import models as m
from civdata.core.config import SAMPLE_DIR
from civdata.core.errors import CivDataError

ARTICLE_DAY = date(2022, 8, 5)
_DATETIME_COLS = {"discovered_at", "assigned_at", "deadline", "closed_at", "at"}
_DATE_COLS = {"held_on", "inspected_on", "reported_on", "planned_start", "planned_end",
              "actual_start", "actual_end", "drawings_done_on"}


def _read(folder: Path, name: str) -> pd.DataFrame:
    """Return one sample CSV with empty cells as None."""
    frame = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
    return frame


def _shift(frame: pd.DataFrame, days: int) -> pd.DataFrame:
    """Return frame with every date and datetime column moved by days (empty stays None)."""
    out = frame.copy()
    for col in out.columns:
        if col in _DATETIME_COLS:
            parsed = pd.to_datetime(out[col].replace("", None), format="%Y-%m-%d %H:%M:%S")
            out[col] = pd.Series(
                [None if pd.isna(v) else (v + pd.Timedelta(days=days)).to_pydatetime()
                 for v in parsed], dtype=object, index=out.index)
        elif col in _DATE_COLS:
            parsed = pd.to_datetime(out[col].replace("", None), format="%Y-%m-%d")
            out[col] = pd.Series(
                [None if pd.isna(v) else (v + pd.Timedelta(days=days)).date() for v in parsed],
                dtype=object, index=out.index)
    return out


def _records(frame: pd.DataFrame, convert: dict[str, Callable[[Any], Any]]) -> list[dict]:
    """Return rows as dicts, converting the named columns and '' to None."""
    rows = []
    for rec in frame.to_dict("records"):
        row = {}
        for key, value in rec.items():
            if isinstance(value, str) and value == "":
                value = None
            if key in convert and value is not None:
                value = convert[key](value)
            row[key] = value
        rows.append(row)
    return rows


def _ids(session: Session, model: type, key: str = "code") -> dict[str, int]:
    """Return {code: id} for a table."""
    return {k: v for k, v in session.execute(select(getattr(model, key), model.id))}


def database_is_empty(session: Session) -> bool:
    """Return True when the database holds no subdistrict (nothing was loaded)."""
    return session.scalar(select(func.count()).select_from(m.Subdistrict)) == 0


def clear_all(session: Session) -> None:
    """Delete every row of every table (children first)."""
    for table in reversed(m.Base.metadata.sorted_tables):
        session.execute(delete(table))


def loading_moment(as_of: date) -> datetime:
    """Return the moment the sample is loaded at: now when as_of is today (district time), else
    the last second of as_of."""
    from civdata.core.clock import now_local

    now = now_local()
    return now if now.date() == as_of else datetime.combine(as_of, time(23, 59, 59))


def load_sample(session: Session, as_of: date, replace: bool = False,
                folder: Path = SAMPLE_DIR, now: datetime | None = None) -> dict[str, int]:
    """Load the sample into session's database with as_of as 'today'; return rows per table.

    Nothing loaded lies after now (default: loading_moment(as_of)): problems found later are
    left out and later transitions of the others are undone, so every page agrees with the
    clock."""
    now = now or loading_moment(as_of)
    if not database_is_empty(session):
        if not replace:
            raise CivDataError("sample_not_empty")
        clear_all(session)
    days = (as_of - ARTICLE_DAY).days
    _load_geography(session, folder)
    _load_sites(session, folder)
    inspection_ids = _load_markets(session, folder, days)
    _load_problems(session, folder, days, inspection_ids, now)
    _load_projects(session, folder, days)
    _load_volunteers(session, folder, days)
    _load_misc(session, folder, days)
    from civdata.io.evaluation_import import load_evaluation_sample  # issue 19

    load_evaluation_sample(session, folder, days, now)
    from civdata.domain.sites import recompute_problem_sites

    recompute_problem_sites(session)
    from civdata.core.auth import create_demo_users

    create_demo_users(session)
    from civdata.core.live import mark_changed

    mark_changed(session, "all")
    session.flush()
    return table_counts(session)


def table_counts(session: Session) -> dict[str, int]:
    """Return the number of rows in every table."""
    return {t.name: int(session.scalar(select(func.count()).select_from(t)) or 0)
            for t in m.Base.metadata.sorted_tables}


def _load_geography(session: Session, folder: Path) -> None:
    """Load subdistricts (GeoJSON), communities and site categories."""
    data = json.loads((folder / "subdistricts.geojson").read_text(encoding="utf-8"))
    session.execute(insert(m.Subdistrict), [
        {"code": f["properties"]["code"], "name_zh": f["properties"]["name_zh"],
         "name_en": f["properties"]["name_en"], "center_lat": f["properties"]["center_lat"],
         "center_lon": f["properties"]["center_lon"],
         "boundary_geojson": json.dumps(f["geometry"], ensure_ascii=False)}
        for f in data["features"]])
    subs = _ids(session, m.Subdistrict)
    comm = _records(_read(folder, "communities.csv"), {"lat": float, "lon": float})
    for row in comm:
        row["subdistrict_id"] = subs[row.pop("subdistrict")]
    session.execute(insert(m.Community), comm)
    cats = _records(_read(folder, "site_categories.csv"),
                    {"radius_m": float, "surroundings_focus": lambda v: v == "1"})
    session.execute(insert(m.SiteCategory), cats)


def _load_sites(session: Session, folder: Path) -> None:
    """Load the 381 evaluation sites, problem classes, escalation rungs and staff."""
    subs, comms, cats = _ids(session, m.Subdistrict), _ids(session, m.Community), _ids(
        session, m.SiteCategory)
    rows = _records(_read(folder, "sites.csv"),
                    {"lat": float, "lon": float, "grid_staff": int})
    for row in rows:
        row["category_id"] = cats[row.pop("category")]
        row["subdistrict_id"] = subs[row.pop("subdistrict")]
        row["community_id"] = comms.get(row.pop("community") or "")
    session.execute(insert(m.Site), rows)
    session.execute(insert(m.ProblemClass), _records(
        _read(folder, "problem_classes.csv"), {"time_limit_days": int, "risk_weight": float}))
    session.execute(insert(m.EscalationRung), _records(
        _read(folder, "escalation_rungs.csv"), {"days_overdue": int}))
    sites = _ids(session, m.Site)
    staff = _records(_read(folder, "staff.csv"), {})
    for row in staff:
        row["subdistrict_id"] = subs.get(row.pop("subdistrict") or "")
        row["site_id"] = sites.get(row.pop("site") or "")
    session.execute(insert(m.StaffResource), staff)


def _load_markets(session: Session, folder: Path, days: int) -> dict[str, int]:
    """Load markets, checklist, inspections, item scores and hardware; return inspection ids."""
    subs, sites = _ids(session, m.Subdistrict), _ids(session, m.Site)
    rows = _records(_read(folder, "markets.csv"), {"lat": float, "lon": float, "stalls": int})
    for row in rows:
        row["subdistrict_id"] = subs[row.pop("subdistrict")]
        row["site_id"] = sites.get(row.pop("site") or "")
    session.execute(insert(m.Market), rows)
    session.execute(insert(m.ChecklistItem), _records(
        _read(folder, "checklist_items.csv"),
        {"max_points": float, "threshold": float, "sort_order": int}))
    markets, items = _ids(session, m.Market), _ids(session, m.ChecklistItem)
    ins = _shift(_read(folder, "market_inspections.csv"), days)
    codes = list(ins["code"])
    ins_rows = _records(ins.drop(columns=["code"]), {
        "total_score": float, "findings": int, "is_reinspection": lambda v: v == "1",
        "fed_back_same_day": lambda v: v == "1"})
    for row in ins_rows:
        row["market_id"] = markets[row.pop("market")]
    new_ids = session.scalars(
        insert(m.MarketInspection).returning(m.MarketInspection.id, sort_by_parameter_order=True),
        ins_rows,
    ).all()
    ins_ids = dict(zip(codes, new_ids, strict=True))
    scores = _read(folder, "market_inspection_scores.csv")
    session.execute(insert(m.MarketInspectionScore), [
        {"inspection_id": ins_ids[i], "item_id": items[c], "score": float(s)}
        for i, c, s in zip(scores["inspection"], scores["item"], scores["score"], strict=True)])
    hw = _records(_read(folder, "market_hardware.csv"), {"planned": int, "done": int})
    for row in hw:
        row["market_id"] = markets[row.pop("market")]
    session.execute(insert(m.MarketHardware), hw)
    return ins_ids


def _until(problems: pd.DataFrame, events: pd.DataFrame,
           now: datetime) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return problems and events as they stood at now: problems found later and events after
    now left out, each problem in the state of its last event, later dates cleared."""
    problems = problems[[v <= now for v in problems["discovered_at"]]].copy()
    before = pd.Series([v <= now for v in events["at"]], index=events.index)
    events = events[events["problem"].isin(problems["code"]) & before]
    last = events.groupby("problem", sort=False)["to_status"].last()
    problems["status"] = [last.get(c, s) for c, s in zip(problems["code"], problems["status"],
                                                           strict=True)]
    later = [v is not None and v > now for v in problems["assigned_at"]]
    problems.loc[later, ["assigned_at", "deadline", "responsible_unit"]] = None
    problems.loc[[v is not None and v > now for v in problems["closed_at"]], "closed_at"] = None
    return problems, events


def _load_problems(session: Session, folder: Path, days: int,
                   inspection_ids: dict[str, int], now: datetime) -> None:
    """Load problems and their events as they stood at now, with time to close and on-time
    flags."""
    subs, sites = _ids(session, m.Subdistrict), _ids(session, m.Site)
    classes, markets = _ids(session, m.ProblemClass), _ids(session, m.Market)
    frame, events = _until(_shift(_read(folder, "problems.csv"), days),
                           _shift(_read(folder, "problem_events.csv"), days), now)
    rows = _records(frame, {"lat": float, "lon": float})
    for row in rows:
        row["subdistrict_id"] = subs[row.pop("subdistrict")]
        row["site_id"] = sites.get(row.pop("site") or "")
        row["class_id"] = classes[row.pop("problem_class")]
        row["market_id"] = markets.get(row.pop("market") or "")
        row["inspection_id"] = inspection_ids.get(row.pop("inspection") or "")
        row["created_by"] = "sample"
        closed, found, deadline = row["closed_at"], row["discovered_at"], row["deadline"]
        if closed is not None:
            row["seconds_to_close"] = int((closed - found).total_seconds())
            row["closed_on_time"] = deadline is None or closed <= deadline
    session.execute(insert(m.Problem), rows)
    ids = _ids(session, m.Problem)
    ev_rows = _records(events, {})
    for row in ev_rows:
        row["problem_id"] = ids[row.pop("problem")]
    session.execute(insert(m.ProblemEvent), ev_rows)


def _load_projects(session: Session, folder: Path, days: int) -> None:
    """Load renovation projects, their dated progress reports and programme quantities."""
    subs, comms = _ids(session, m.Subdistrict), _ids(session, m.Community)
    frame = _shift(_read(folder, "projects.csv"), days)
    num = {k: float for k in ("floor_area_m2", "length_m", "investment_planned_yuan",
                              "investment_spent_yuan", "lat", "lon")}
    rows = _records(frame, {**num, "batch": int, "buildings": int, "households": int})
    for row in rows:
        row["subdistrict_id"] = subs[row.pop("subdistrict")]
        row["community_id"] = comms.get(row.pop("community") or "")
    session.execute(insert(m.Project), rows)
    projects = _ids(session, m.Project)
    reports = _records(_shift(_read(folder, "project_progress.csv"), days),
                       {"percent": float, "is_correction": lambda v: v == "1"})
    for row in reports:
        row["project_id"] = projects[row.pop("project")]
    session.execute(insert(m.ProjectProgress), reports)
    session.execute(insert(m.ProgrammeQuantity), _records(
        _read(folder, "programme_quantities.csv"), {"planned": float, "done": float}))


def _load_volunteers(session: Session, folder: Path, days: int) -> None:
    """Load practice stations, teams, partner organisations and activities."""
    subs, comms = _ids(session, m.Subdistrict), _ids(session, m.Community)
    stations = _records(_read(folder, "practice_stations.csv"), {"lat": float, "lon": float})
    for row in stations:
        row["subdistrict_id"] = subs.get(row.pop("subdistrict") or "")
        row["community_id"] = comms.get(row.pop("community") or "")
    session.execute(insert(m.PracticeStation), stations)
    station_ids = _ids(session, m.PracticeStation)
    teams = _records(_read(folder, "volunteer_teams.csv"),
                     {"lat": float, "lon": float, "members": int})
    for row in teams:
        row["station_id"] = station_ids.get(row.pop("station") or "")
        row["community_id"] = comms.get(row.pop("community") or "")
        row["subdistrict_id"] = subs[row.pop("subdistrict")]
    session.execute(insert(m.VolunteerTeam), teams)
    partners = _records(_read(folder, "partner_orgs.csv"), {})
    for row in partners:
        row["subdistrict_id"] = subs.get(row.pop("subdistrict") or "")
    session.execute(insert(m.PartnerOrg), partners)
    team_ids, partner_ids = _ids(session, m.VolunteerTeam), _ids(session, m.PartnerOrg)
    acts = _records(_shift(_read(folder, "volunteer_activities.csv"), days), {
        "lat": float, "lon": float, "participants": int, "volunteer_hours": float})
    for row in acts:
        row["team_id"] = team_ids[row.pop("team")]
        row["partner_org_id"] = partner_ids.get(row.pop("partner_org") or "")
        row["community_id"] = comms.get(row.pop("community") or "")
        row["subdistrict_id"] = subs[row.pop("subdistrict")]
        row["created_by"] = "sample"
    session.execute(insert(m.VolunteerActivity), acts)


def _load_misc(session: Session, folder: Path, days: int) -> None:
    """Load meetings, metric targets and campaign figures."""
    meetings = _records(_shift(_read(folder, "meetings.csv"), days), {})
    for row in meetings:
        row["status"] = "closed"
    session.execute(insert(m.Meeting), meetings)
    session.execute(insert(m.MetricTarget), _records(
        _read(folder, "metric_targets.csv"),
        {"target": float, "weight": float, "higher_is_better": lambda v: v == "1"}))
    session.execute(insert(m.CampaignFigure), _records(
        _read(folder, "campaign_figures.csv"), {"value": float}))


def shifted(day: date, as_of: date) -> date:
    """Return an article-era date moved so that the article day becomes as_of."""
    return day + timedelta(days=(as_of - ARTICLE_DAY).days)


def shifted_dt(at: datetime, as_of: date) -> datetime:
    """Return an article-era datetime moved so that the article day becomes as_of."""
    return at + timedelta(days=(as_of - ARTICLE_DAY).days)
