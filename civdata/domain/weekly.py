"""The weekly meeting's figures: one week (Monday-Sunday) beside the week before, as a snapshot.

The snapshot is a plain, JSON-serialisable dict; the page, the exports and the frozen record of a
closed meeting all read the same structure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, func, or_, select, union
from sqlalchemy.orm import Session

from civdata.core import auth, live
from civdata.core import models as m
from civdata.core.auth import Actor
from civdata.core.clock import iso_week_label, monday_of_iso_week, now_local
from civdata.core.errors import CivDataError
from civdata.core.query import (
    not_closed_before,
    not_closed_by,
    open_at_by_index,
    open_at_end,
    open_at_end_flags,
    overdue_at_end,
    overdue_at_end_flags,
    overdue_at_flags,
    past_deadline,
    unindexed,
    unordered_key,
)
from civdata.domain.district import (
    community_coverage_at,
    market_score_between,
    metric_targets,
    renovation_progress_at,
    subdistrict_ranking,
)
from civdata.domain.evaluation import OpenWeights, points_at_risk
from civdata.domain.metrics import change, weighted_progress
from civdata.domain.workflow import escalation_rungs, rungs_for

SNAPSHOT_VERSION = 1
LIST_SIZE = 3  # subdistricts on the red list and on the black list
TOP_OVERDUE = 10
CODES_SHOWN = 10  # problem codes listed per unit in the accountability table, then "… +N"
INDEX_METRICS = ("on_time_rate", "clean_site_share", "renovation_vs_plan", "market_score",
                 "volunteer_coverage")
HEADLINE_KEYS = ("index_mean", "new", "closed", "closed_on_time", "on_time_rate", "open",
                 "overdue", "escalations", "market_score", "activities", "participants",
                 "volunteer_hours", "volunteer_coverage")


def parse_week(label: str) -> str:
    """Return the normalised ISO week label ('2026-W48'), or raise bad_week."""
    try:
        return iso_week_label(monday_of_iso_week(label.strip()))
    except (ValueError, AttributeError):
        raise CivDataError("bad_week", week=label) from None


def week_bounds(label: str) -> tuple[date, date]:
    """Return the Monday and the Sunday of an ISO week label."""
    monday = monday_of_iso_week(parse_week(label))
    return monday, monday + timedelta(days=6)


def previous_week(label: str) -> str:
    """Return the label of the week before."""
    return iso_week_label(monday_of_iso_week(parse_week(label)) - timedelta(days=7))


def week_end(label: str, now: datetime) -> datetime:
    """Return the moment the week's figures are taken: Sunday 23:59:59, or now if earlier."""
    _, sunday = week_bounds(label)
    return min(datetime.combine(sunday, time(23, 59, 59)), now)


def recent_weeks(today: date, count: int = 12) -> list[str]:
    """Return the labels of the current week and the count-1 weeks before, newest first."""
    return [iso_week_label(today - timedelta(days=7 * k)) for k in range(count)]


def _plain(value: Any) -> Any:
    """Return value as a JSON-friendly Python value (NaN -> None, dates -> ISO text)."""
    if value is None or value is pd.NA or value is pd.NaT:  # NaT is a datetime too
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(float(value)) else float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime().isoformat()
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Return a DataFrame as a list of JSON-friendly dicts."""
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def problem_week_counts(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """Return problems new, closed and closed on time in [start, end), and open/overdue at end."""
    in_week = and_(m.Problem.closed_at >= start, m.Problem.closed_at < end)
    row = session.execute(
        select(
            func.sum(case((and_(m.Problem.discovered_at >= start, m.Problem.discovered_at < end),
                           1), else_=0)),
            func.sum(case((in_week, 1), else_=0)),
            func.sum(case((and_(in_week, m.Problem.closed_on_time.is_(True)), 1), else_=0)),
            func.sum(case((open_at_end(end), 1), else_=0)),
            func.sum(case((overdue_at_end(end), 1), else_=0)),
        ).where(not_closed_before(start))
    ).one()
    keys = ("new", "closed", "closed_on_time", "open", "overdue")
    return {k: int(v or 0) for k, v in zip(keys, row, strict=True)}


def problems_due_near(session: Session, start: datetime, end: datetime,
                      max_days: int) -> pd.DataFrame:
    """Return problems whose deadline falls in [start - max_days, end) not closed before start."""
    rows = session.execute(
        _detail_query().where(m.Problem.deadline >= start - timedelta(days=max_days),
                              m.Problem.deadline < end, not_closed_before(start))
    ).all()
    return pd.DataFrame(rows, columns=DETAIL_COLUMNS)


def escalations_between(due: pd.DataFrame, rungs: pd.DataFrame, start: datetime,
                        end: datetime) -> dict[str, int]:
    """Return per rung how many problems reached it in [start, end) while still open."""
    out: dict[str, int] = {}
    for rung in rungs.itertuples(index=False):
        if due.empty:
            out[rung.code] = 0
            continue
        reached = pd.to_datetime(due["deadline"]) + pd.Timedelta(days=int(rung.days_overdue))
        closed = pd.to_datetime(due["closed_at"])
        hit = (reached >= start) & (reached < end) & (closed.isna() | (closed > reached))
        out[rung.code] = int(hit.sum())
    return out


DETAIL_COLUMNS = ["id", "code", "subdistrict", "subdistrict_zh", "subdistrict_en", "class_zh",
                  "class_en", "description", "responsible_unit", "status", "deadline", "closed_at"]


def _detail_query():
    """Return the select of a problem's details shown in the meeting's lists."""
    return (select(m.Problem.id, m.Problem.code, m.Subdistrict.code, m.Subdistrict.name_zh,
                   m.Subdistrict.name_en, m.ProblemClass.name_zh, m.ProblemClass.name_en,
                   m.Problem.description, m.Problem.responsible_unit, m.Problem.status,
                   m.Problem.deadline, m.Problem.closed_at)
            .join(m.Subdistrict, m.Subdistrict.id == m.Problem.subdistrict_id)
            .join(m.ProblemClass, m.ProblemClass.id == m.Problem.class_id))


def overdue_problems_at(session: Session, t: datetime, limit: int | None = None) -> pd.DataFrame:
    """Return the problems open and past their deadline at t, longest overdue first (the first
    `limit` of them when given)."""
    q = (_detail_query()
         .where(open_at_by_index(t), past_deadline(t))
         .order_by(m.Problem.deadline, m.Problem.id))
    if limit is not None:
        q = q.limit(limit)
    return pd.DataFrame(session.execute(q).all(), columns=DETAIL_COLUMNS)


MOVING_COLUMNS = [*DETAIL_COLUMNS, "discovered_at", "closed_on_time"]


@dataclass(frozen=True)
class ProblemDay:
    """A week's problems at the start of one day, for its figures at any moment t of that day:
    the counts, the deadlines due and the longest overdue at the day's start (SQL), and as rows
    the few problems found, closed or due within the day (due: not closed before the week's
    start, as the due list counts them), the only ones whose standing can change in it (every
    other problem is open, overdue, new, closed or due alike at the day's start and at t). The page reads it once per data change and day; a new minute counts only these
    rows (week_counts_in, due_near_in, overdue_in give what the SQL would at t)."""

    start: datetime  # the week's Monday 00:00
    day0: datetime  # the day's start
    max_days: int  # the top rung's days: deadlines due this much before start count
    counts: dict[str, int]  # problem_week_counts(start, day0)
    due: pd.DataFrame  # problems_due_near(start, day0, max_days)
    overdue: pd.DataFrame | None  # overdue_problems_at(day0), enough rows for any t of the day
    moving: pd.DataFrame  # MOVING_COLUMNS: found, closed or due in [day0, day1)
    top: int | None = None  # the longest-overdue list's length it answers (None: no list)

    @property
    def day1(self) -> datetime:
        """Return the next day's start."""
        return self.day0 + timedelta(days=1)

    def holds(self, end: datetime, start: datetime, max_days: int) -> bool:
        """Return True when the day answers a week from start taken at end (end_excl = end + 1 s
        within the day, the same week start and top rung)."""
        return (self.start == start and self.max_days == max_days
                and self.day0 <= end and end + timedelta(seconds=1) <= self.day1)


def _moving_rows(session: Session, start: datetime, day0: datetime,
                 day1: datetime) -> pd.DataFrame:
    """Return the problems found, closed or due in [day0, day1) (those due: not closed before
    the week's start, as problems_due_near counts them), with their details, found time and
    on-time flag."""
    ids = union(
        select(m.Problem.id).where(m.Problem.discovered_at >= day0,
                                   m.Problem.discovered_at < day1),
        select(m.Problem.id).where(m.Problem.closed_at >= day0, m.Problem.closed_at < day1),
        select(m.Problem.id).where(m.Problem.deadline >= day0, m.Problem.deadline < day1,
                                   not_closed_before(start)))
    rows = session.execute(
        _detail_query().add_columns(m.Problem.discovered_at, m.Problem.closed_on_time)
        .where(m.Problem.id.in_(select(ids.subquery().c.id)))).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=MOVING_COLUMNS)
    for col in ("deadline", "closed_at", "discovered_at"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


def problem_day(session: Session, start: datetime, day0: datetime, max_days: int,
                top: int | None = None) -> ProblemDay:
    """Return the week from start at the start of day0's day, with the problems that move in
    it (top: the longest-overdue list's length, when the week shows one)."""
    moving = _moving_rows(session, start, day0, day0 + timedelta(days=1))
    overdue = None
    if top is not None:  # as many more as could leave the list within the day
        leaving = int(overdue_at_flags(moving, day0).sum())
        overdue = overdue_problems_at(session, day0, top + leaving)
    return ProblemDay(start, day0, max_days, problem_week_counts(session, start, day0),
                      problems_due_near(session, start, day0, max_days), overdue, moving, top)


def week_counts_in(day: ProblemDay, end_excl: datetime) -> dict[str, int]:
    """Return problem_week_counts(day.start, end_excl) for an end within the day: the counts at
    its start, plus what the moving problems found, closed and left open or overdue since."""
    rows = day.moving
    found = ((rows["discovered_at"] >= day.day0) & (rows["discovered_at"] < end_excl)
             & (rows["closed_at"].isna() | (rows["closed_at"] >= day.start)))  # as the SQL
    closed = (rows["closed_at"] >= day.day0) & (rows["closed_at"] < end_excl)
    on_time = closed & rows["closed_on_time"].eq(True)
    moved = {"new": int(found.sum()), "closed": int(closed.sum()),
             "closed_on_time": int(on_time.sum()),
             "open": int(open_at_end_flags(rows, end_excl).sum())
             - int(open_at_end_flags(rows, day.day0).sum()),
             "overdue": int(overdue_at_end_flags(rows, end_excl).sum())
             - int(overdue_at_end_flags(rows, day.day0).sum())}
    return {k: day.counts[k] + moved[k] for k in day.counts}


def due_near_in(day: ProblemDay, end_excl: datetime) -> pd.DataFrame:
    """Return problems_due_near(day.start, end_excl, day.max_days) for an end within the day:
    those due before the day's start, and the moving ones due since (not closed before start)."""
    rows = day.moving
    since = rows[((rows["deadline"] >= day.day0) & (rows["deadline"] < end_excl)
                  & (rows["closed_at"].isna() | (rows["closed_at"] >= day.start))).to_numpy()]
    if since.empty:
        return day.due
    return pd.concat([day.due, since[DETAIL_COLUMNS]], ignore_index=True)


def overdue_in(day: ProblemDay, t: datetime, top: int) -> pd.DataFrame:
    """Return overdue_problems_at(t, top) for a t within the day: the day's start list less the
    moving problems, with the moving ones overdue at t, longest overdue first (top: at most
    the length the day was read for)."""
    if day.overdue is None or day.top is None or top > day.top:
        raise ValueError(f"the day was read for a list of {day.top}, not {top}")
    listed = day.overdue
    rows = day.moving
    kept = listed[~listed["id"].isin(rows["id"]).to_numpy()]
    joined = rows[overdue_at_flags(rows, t).to_numpy()][DETAIL_COLUMNS]
    both = pd.concat([kept, joined], ignore_index=True) if not joined.empty else kept
    both = both.sort_values(["deadline", "id"], kind="mergesort").head(top)
    return pd.DataFrame([tuple(r) for r in both.itertuples(index=False)], columns=DETAIL_COLUMNS)


UNIT_COLUMNS = ["subdistrict", "subdistrict_zh", "subdistrict_en", "responsible_unit"]
_SPAN_ROW = ["sid", "unit", "code", "deadline", "discovered_at", "closed_at"]


@dataclass(frozen=True)
class TopRungSpan:
    """What the top rung holds over a span [first, last]: per unit the problems on it throughout
    (counted, their earliest deadline and first codes), and as rows the few that join or leave
    it within the span (a deadline, a discovery or a closure inside it). top_rung_units_in
    answers any moment of the span from it, so the page reads it once per data change and day,
    not once per minute."""

    first: datetime
    last: datetime
    days: int
    codes_shown: int
    names: pd.DataFrame  # sid, then UNIT_COLUMNS[:3]
    steady: pd.DataFrame  # sid, unit, problems, deadline (earliest), codes (first, in order)
    moving: pd.DataFrame  # _SPAN_ROW


def top_rung_span(session: Session, first: datetime, last: datetime, days: int,
                  codes_shown: int = CODES_SHOWN) -> TopRungSpan:
    """Return the problems open and at least `days` whole days past their deadline over
    [first, last]: those on the top rung throughout counted in SQL per subdistrict and unit
    (however many), the ones that join or leave it within the span as rows."""
    names = pd.DataFrame(session.execute(
        select(m.Subdistrict.id, m.Subdistrict.code, m.Subdistrict.name_zh,
               m.Subdistrict.name_en)).all(), columns=["sid", *UNIT_COLUMNS[:3]])
    moving = (_joining_or_leaving_rung(session, first, last, days) if last > first
              else pd.DataFrame(columns=_SPAN_ROW))
    return TopRungSpan(first, last, days, codes_shown, names,
                       _on_rung_throughout(session, first, last, days, codes_shown), moving)


def _rung_keys() -> tuple[Any, Any]:
    """Return the subdistrict and unit keys the top rung is counted by (unordered_key keeps
    SQLite off the subdistrict index: the closed_at covering index finds the few rows)."""
    return (unordered_key(m.Problem.subdistrict_id).label("sid"),
            func.coalesce(m.Problem.responsible_unit, "—").label("unit"))


def _on_rung_throughout(session: Session, first: datetime, last: datetime, days: int,
                        codes_shown: int) -> pd.DataFrame:
    """Return per subdistrict and unit the problems on the top rung at every moment of
    [first, last]: how many, the earliest deadline, the first codes in order (in SQL)."""
    sid, unit = _rung_keys()
    # (t - deadline).days >= days  <=>  deadline <= t - days
    throughout = (not_closed_by(last), unindexed(m.Problem.discovered_at) <= first,
                  m.Problem.deadline <= first - timedelta(days=days))
    counts = session.execute(
        select(sid, unit, func.count(m.Problem.id), func.min(m.Problem.deadline))
        .where(*throughout).group_by(sid, unit)).all()
    place = func.row_number().over(partition_by=[sid, unit], order_by=m.Problem.code)
    ranked = select(sid, unit, m.Problem.code, place.label("place")).where(*throughout).subquery()
    codes: dict[tuple[int, str], list[str]] = {}
    for s_id, u, code in session.execute(
            select(ranked.c.sid, ranked.c.unit, ranked.c.code)
            .where(ranked.c.place <= codes_shown).order_by(ranked.c.code)).all():
        codes.setdefault((int(s_id), u), []).append(code)
    return pd.DataFrame({"sid": [int(r[0]) for r in counts], "unit": [r[1] for r in counts],
                         "problems": [int(r[2]) for r in counts],
                         "deadline": [_as_datetime(r[3]) for r in counts],
                         "codes": [codes.get((int(r[0]), r[1]), []) for r in counts]})


def _joining_or_leaving_rung(session: Session, first: datetime, last: datetime,
                             days: int) -> pd.DataFrame:
    """Return the problems on the top rung at some moment of [first, last] but not at all of
    them (a deadline, a discovery or a closure inside the span), found by their ids alone
    (every column tested is in the closed_at covering index), then read."""
    sid, unit = _rung_keys()
    ids = select(m.Problem.id).where(
        not_closed_by(first), unindexed(m.Problem.discovered_at) <= last,
        m.Problem.deadline <= last - timedelta(days=days),
        or_(m.Problem.discovered_at > first, m.Problem.deadline > first - timedelta(days=days),
            m.Problem.closed_at <= last))
    rows = session.execute(
        select(sid, unit, m.Problem.code, m.Problem.deadline, m.Problem.discovered_at,
               m.Problem.closed_at).where(m.Problem.id.in_(ids))).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=_SPAN_ROW)


def top_rung_units_in(span: TopRungSpan, t: datetime) -> pd.DataFrame:
    """Return top_rung_units_at(t) from a span that holds t: the steady counts plus the moving
    problems on the rung at t (open at t and `days` whole days past their deadline), with the
    span's first `codes_shown` codes per unit."""
    if not span.first <= t <= span.last:
        raise ValueError(f"{t} is outside the span {span.first} - {span.last}")
    rows = span.moving
    if not rows.empty:
        closed = pd.to_datetime(rows["closed_at"])
        rows = rows[((pd.to_datetime(rows["discovered_at"]) <= t)
                     & (closed.isna() | (closed > t))
                     & (pd.to_datetime(rows["deadline"]) <= t - timedelta(days=span.days))
                     ).to_numpy()]
    parts = [span.steady] if not span.steady.empty else []
    if not rows.empty:
        parts.append(pd.DataFrame({
            "sid": rows["sid"].astype(int).to_numpy(), "unit": rows["unit"].to_numpy(),
            "problems": 1, "deadline": [_as_datetime(d) for d in rows["deadline"]],
            "codes": [[c] for c in rows["code"]]}))
    joined = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if joined.empty:
        return pd.DataFrame(columns=[*UNIT_COLUMNS, "problems", "max_days_overdue", "codes"])
    out = joined.groupby(["sid", "unit"], as_index=False).agg(
        problems=("problems", "sum"), deadline=("deadline", "min"),
        codes=("codes",
               lambda lists: sorted(c for codes in lists for c in codes)[:span.codes_shown]))
    out = out.merge(span.names, on="sid").rename(columns={"unit": "responsible_unit"})
    out["max_days_overdue"] = [(t - d).days for d in out["deadline"]]
    out = out.sort_values(UNIT_COLUMNS).reset_index(drop=True)
    return out[[*UNIT_COLUMNS, "problems", "max_days_overdue", "codes"]]


def top_rung_units_at(session: Session, t: datetime, days: int,
                      codes_shown: int = CODES_SHOWN) -> pd.DataFrame:
    """Return per subdistrict and responsible unit the problems open at t and at least `days`
    whole days past their deadline: how many, the most days overdue, and the first codes in
    order (counted in SQL, however many there are)."""
    return top_rung_units_in(top_rung_span(session, t, t, days, codes_shown), t)


def _as_datetime(value: Any) -> datetime:
    """Return a deadline read by an aggregate (SQLite gives text) as a datetime."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def volunteer_week_figures(session: Session, first: date, last: date) -> dict[str, float]:
    """Return activities, participants and volunteer hours between two days (inclusive)."""
    row = session.execute(
        select(func.count(m.VolunteerActivity.id),
               func.coalesce(func.sum(m.VolunteerActivity.participants), 0),
               func.coalesce(func.sum(m.VolunteerActivity.volunteer_hours), 0.0))
        .where(m.VolunteerActivity.held_on >= first, m.VolunteerActivity.held_on <= last)
    ).one()
    return {"activities": float(row[0] or 0), "participants": float(row[1] or 0),
            "volunteer_hours": float(row[2] or 0.0)}


def list_reasons(row: pd.Series, targets: pd.DataFrame, worst: bool,
                 count: int = 2) -> list[dict[str, Any]]:
    """Return the metrics that put a subdistrict on a list: its weakest (or strongest) ratios."""
    found = []
    for tg in targets.itertuples(index=False):
        ratio = row.get(f"{tg.metric}_ratio")
        if ratio is None or pd.isna(ratio):
            continue
        found.append({"metric": tg.metric, "actual": _plain(row.get(tg.metric)),
                      "target": float(tg.target), "ratio": float(ratio),
                      "weight": float(tg.weight)})
    found.sort(key=lambda r: (r["ratio"] if worst else -r["ratio"], -r["weight"]))
    return found[:count]


def index_red_black_entries(ranking: pd.DataFrame, targets: pd.DataFrame,
                    size: int = LIST_SIZE) -> tuple[list[dict], list[dict]]:
    """Return the red list (top of the index) and black list (bottom), each with its reasons
    (none without a ranking: a week not begun)."""
    if ranking.empty:
        return [], []
    ranked = ranking.dropna(subset=["index"]).sort_values(["rank", "code"])
    size = min(size, len(ranked) // 2)

    def entry(row: pd.Series, worst: bool) -> dict[str, Any]:
        return {"code": row["code"], "name_zh": row["name_zh"], "name_en": row["name_en"],
                "index": _plain(row["index"]), "rank": _plain(row["rank"]),
                "reasons": list_reasons(row, targets, worst)}

    red = [entry(r, False) for _, r in ranked.head(size).iterrows()]
    black = [entry(r, True) for _, r in ranked.tail(size).iloc[::-1].iterrows()]
    return red, black


def index_with_change(now: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    """Return this week's index table with last week's index and rank, and the changes (none
    for a week not begun; no ranking of the week before: its columns empty)."""
    if now.empty:
        return now
    if before.empty:
        before = pd.DataFrame({"code": pd.Series(dtype=object), "index": pd.Series(dtype=float),
                               "rank": pd.Series(dtype=float)})
    prev = before[["code", "index", "rank"]].rename(columns={"index": "index_before",
                                                             "rank": "rank_before"})
    out = now.merge(prev, on="code", how="left")
    out["index_change"] = out["index"] - out["index_before"]
    out["rank_change"] = (out["rank_before"].astype("Float64")
                          - out["rank"].astype("Float64"))  # positive = moved up
    return out


def _headline(problems: dict[str, int], esc: dict[str, int], market: float | None,
              vol: dict[str, float], coverage: tuple[int, int],
              ranking: pd.DataFrame) -> dict[str, float | None]:
    """Return one week's district headline figures."""
    covered, communities = coverage
    return {
        "index_mean": _plain(ranking["index"].mean()) if not ranking.empty else None,
        **{k: float(v) for k, v in problems.items()},
        "on_time_rate": problems["closed_on_time"] / problems["closed"]
        if problems["closed"] else None,
        "escalations": float(sum(esc.values())),
        "market_score": market,
        **vol,
        "volunteer_coverage": covered / communities if communities else None,
    }


def _moments(label: str, now: datetime) -> list[tuple[str, str, datetime]]:
    """Return the two spans a snapshot compares: this week up to now, and the week before up to
    the same weekday and time (an unfinished week is never compared with a whole week)."""
    return [("now", label, now), ("before", previous_week(label), now - timedelta(days=7))]


def week_day_parts(session: Session, label: str, day: date) -> dict[str, dict[str, Any]]:
    """Return the figures of the week and the week before that change only with the data and the
    day, not the minute: the index ranking, renovation progress, market, volunteer and coverage
    figures, the top rung over the day's moments (TopRungSpan), and the problems at the day's
    start with those that move in it (ProblemDay); the page caches them per data version and
    day, weekly_snapshot adds the rest."""
    parts: dict[str, dict[str, Any]] = {}
    label = parse_week(label)
    rungs = escalation_rungs(session)
    max_days = int(rungs["days_overdue"].max()) if not rungs.empty else 0
    for key, wk, moment in _moments(label, datetime.combine(day, time.max)):
        monday, _ = week_bounds(wk)
        last_day = week_end(wk, moment).date()
        ranking = subdistrict_ranking(session, last_day) if last_day >= monday \
            else pd.DataFrame()
        parts[key] = {
            "ranking": ranking,
            "progress": weighted_progress(renovation_progress_at(session, last_day, None)),
            "market": market_score_between(session, monday, last_day, None),
            "volunteers": volunteer_week_figures(session, monday, last_day),
            "coverage": community_coverage_at(session, last_day, None),
        }
        if last_day >= monday:  # a week not begun by the day has no problems to carry
            parts[key]["problems"] = problem_day(
                session, datetime.combine(monday, time.min), datetime.combine(last_day, time.min),
                max_days, TOP_OVERDUE if key == "now" else None)
    if not rungs.empty:  # the accountability table's top rung over the day's moments
        parts["now"]["top_rung"] = top_rung_span(
            session, week_end(label, datetime.combine(day, time.min)),
            week_end(label, datetime.combine(day, time.max)), int(rungs["days_overdue"].max()))
    return parts


def weekly_snapshot(session: Session, label: str, now: datetime | None = None,
                    day_parts: dict[str, dict[str, Any]] | None = None,
                    open_weights: OpenWeights | None = None) -> dict[str, Any]:
    """Return the week's figures beside the week before, as a JSON-serialisable dict (day_parts:
    week_day_parts of the same week and of now's day, when the caller holds them;
    open_weights: the evaluation fallback's open weights, when the caller holds them)."""
    label = parse_week(label)
    now = now or now_local()
    before_label = previous_week(label)
    targets = metric_targets(session)
    rungs = escalation_rungs(session)
    max_days = int(rungs["days_overdue"].max()) if not rungs.empty else 0
    day_parts = day_parts or week_day_parts(session, label, now.date())
    weeks: dict[str, dict[str, Any]] = {}
    for key, wk, moment in _moments(label, now):
        monday, _ = week_bounds(wk)
        start = datetime.combine(monday, time.min)
        end = week_end(wk, moment)
        end_excl = end + timedelta(seconds=1)
        part = day_parts[key]
        day = part.get("problems")
        if day is not None and day.holds(end, start, max_days):  # a new minute: the day's rows
            due, counts = due_near_in(day, end_excl), week_counts_in(day, end_excl)
            overdue = overdue_in(day, end, TOP_OVERDUE) if key == "now" else None
        else:
            due = problems_due_near(session, start, end_excl, max_days)
            counts = problem_week_counts(session, start, end_excl)
            overdue = overdue_problems_at(session, end, TOP_OVERDUE) if key == "now" else None
        esc = escalations_between(due, rungs, start, end_excl)
        weeks[key] = {
            "end": end, "start": start, "ranking": part["ranking"], "esc": esc, "due": due,
            "overdue": overdue,  # the week before shows no overdue list
            "progress": part["progress"],
            "headline": _headline(counts, esc, part["market"], part["volunteers"],
                                  part["coverage"], part["ranking"]),
        }
    cur, prev = weeks["now"], weeks["before"]
    index = index_with_change(cur["ranking"], prev["ranking"])
    red, black = index_red_black_entries(cur["ranking"], targets)
    monday, sunday = week_bounds(label)
    return {
        "version": SNAPSHOT_VERSION,
        "week": label,
        "previous_week": before_label,
        "monday": monday.isoformat(),
        "sunday": sunday.isoformat(),
        "as_of": cur["end"].isoformat(),
        "previous_as_of": prev["end"].isoformat(),
        "complete": cur["end"] >= datetime.combine(sunday, time(23, 59, 59)),
        "targets": records(targets),
        "headline": [{"key": k, "now": _plain(cur["headline"].get(k)),
                      "before": _plain(prev["headline"].get(k)),
                      "change": _plain(change(cur["headline"].get(k), prev["headline"].get(k)))}
                     for k in HEADLINE_KEYS],
        "index": records(index[["rank", "code", "name_zh", "name_en", "index", "index_before",
                                "index_change", "rank_before", "rank_change",
                                *INDEX_METRICS, *[f"{x}_ratio" for x in INDEX_METRICS
                                                  if f"{x}_ratio" in index.columns],
                                "open", "overdue"]]) if not index.empty else [],
        "red_list": red,
        "black_list": black,
        "escalations": [{"code": r.code, "name_zh": r.name_zh, "name_en": r.name_en,
                         "days_overdue": int(r.days_overdue), "now": cur["esc"].get(r.code, 0),
                         "before": prev["esc"].get(r.code, 0)}
                        for r in rungs.itertuples(index=False)],
        "renovation": _renovation_rows(cur["progress"], prev["progress"]),
        "services": _service_rows(cur["ranking"], prev["ranking"]),
        "overdue_top": _overdue_rows(cur["overdue"], rungs, cur["end"]),
        "accountability": _accountability_rows(session, cur["due"], rungs, cur["start"],
                                               cur["end"], day_parts["now"].get("top_rung")),
        "points_at_risk": points_at_risk_rows(session, cur["end"], open_weights),
        "action_items": [],
        "carried_items": [],
    }


RISK_ROWS = 10


def points_at_risk_rows(session: Session, at: datetime,
                        open_weights: OpenWeights | None = None) -> list[dict[str, Any]]:
    """Return the evaluation contents losing most points at a moment (none without a system)."""
    try:
        risk = points_at_risk(session, at, open_weights=open_weights)
    except CivDataError:  # no evaluation system loaded
        return []
    return records(risk[risk["points_lost"] > 0].head(RISK_ROWS))


def _renovation_rows(now: pd.DataFrame, before: pd.DataFrame) -> list[dict[str, Any]]:
    """Return progress per programme and batch now and a week before, with the gain."""
    if now.empty:
        return []
    prev = before[["programme", "batch", "percent"]].rename(columns={"percent": "before"})
    out = now.merge(prev, on=["programme", "batch"], how="left")
    out["gained"] = out["percent"] - out["before"]
    return records(out[["programme", "batch", "percent", "before", "gained", "projects",
                        "completed"]])


def _service_rows(now: pd.DataFrame, before: pd.DataFrame) -> list[dict[str, Any]]:
    """Return per subdistrict the market score and volunteer coverage, both weeks."""
    if now.empty:
        return []
    cols = ["code", "market_score", "volunteer_coverage"]
    prev = before[cols].rename(columns={"market_score": "market_score_before",
                                        "volunteer_coverage": "volunteer_coverage_before"})
    out = now[["code", "name_zh", "name_en", "market_score", "volunteer_coverage"]].merge(
        prev, on="code", how="left").sort_values("code")
    return records(out[["code", "name_zh", "name_en", "market_score", "market_score_before",
                        "volunteer_coverage", "volunteer_coverage_before"]])


def _days_overdue(overdue: pd.DataFrame, t: datetime) -> pd.Series:
    """Return whole days each problem is past its deadline at t."""
    return (t - pd.to_datetime(overdue["deadline"])).dt.days


def _overdue_rows(overdue: pd.DataFrame, rungs: pd.DataFrame, t: datetime,
                  top: int = TOP_OVERDUE) -> list[dict[str, Any]]:
    """Return the longest-overdue problems with their days overdue and rung."""
    if overdue.empty:
        return []
    frame = overdue.head(top).copy()
    frame["days_overdue"] = _days_overdue(frame, t)
    frame["rung"] = rungs_for(frame["days_overdue"], rungs)
    return records(frame[["code", "subdistrict", "subdistrict_zh", "subdistrict_en", "class_zh",
                          "class_en", "description", "responsible_unit", "status", "deadline",
                          "days_overdue", "rung"]])


def _accountability_rows(session: Session, due: pd.DataFrame, rungs: pd.DataFrame,
                         start: datetime, end: datetime,
                         span: TopRungSpan | None = None) -> list[dict[str, Any]]:
    """Return the units answerable for top-rung problems this week: count, worst days, codes.
    The problems still on the top rung at end are counted in SQL (top_rung_span; from `span`
    when it holds end); those that reached it during the week and were closed by end come from
    `due` (a week's deadlines)."""
    if rungs.empty:
        return []
    top_days = int(rungs["days_overdue"].max())
    if span is None or span.days != top_days or not span.first <= end <= span.last:
        span = top_rung_span(session, end, end, top_days)
    still = top_rung_units_in(span, end)
    reached = pd.to_datetime(due["deadline"]) + pd.Timedelta(days=top_days)
    closed = pd.to_datetime(due["closed_at"])
    done = due[((reached >= start) & (reached <= end) & closed.notna() & (closed > reached)
                & (closed <= end)).to_numpy()].copy()
    done["days_overdue"] = [int((c - pd.Timestamp(d)).days) for d, c in zip(
        pd.to_datetime(done["deadline"]), pd.to_datetime(done["closed_at"]), strict=True)]
    done["responsible_unit"] = done["responsible_unit"].fillna("—")
    parts = [still] if not still.empty else []
    if not done.empty:
        parts.append(done.groupby(UNIT_COLUMNS, as_index=False).agg(
            problems=("id", "count"), max_days_overdue=("days_overdue", "max"),
            codes=("code", lambda c: sorted(c)[:CODES_SHOWN])))
    if not parts:
        return []
    both = pd.concat(parts, ignore_index=True)
    out = both.groupby(UNIT_COLUMNS, as_index=False).agg(
        problems=("problems", "sum"), max_days_overdue=("max_days_overdue", "max"),
        codes=("codes", lambda lists: sorted(c for codes in lists for c in codes)))
    out["codes"] = [_code_list(codes, n) for codes, n in zip(out["codes"], out["problems"],
                                                             strict=True)]
    out = out.sort_values(["problems", "max_days_overdue"], ascending=False)
    return records(out)


def _code_list(codes: list[str], total: int) -> str:
    """Return the first CODES_SHOWN codes, comma-separated, then "… +N" for the rest."""
    shown = sorted(codes)[:CODES_SHOWN]
    rest = int(total) - len(shown)
    return ", ".join(shown) + (f", … +{rest}" if rest > 0 else "")


def set_metric_target(session: Session, actor: Actor, metric: str, target: float,
                      weight: float) -> None:
    """Change one index metric's target and weight (office)."""
    auth.require(actor, "settings.edit")
    if target <= 0:
        raise CivDataError("invalid_value", field="target", detail="> 0")
    if weight < 0:
        raise CivDataError("invalid_value", field="weight", detail=">= 0")
    row = session.scalar(select(m.MetricTarget).where(m.MetricTarget.metric == metric))
    if row is None:
        raise CivDataError("not_found", what=metric)
    old = {"target": row.target, "weight": row.weight}
    row.target = float(target)
    row.weight = float(weight)
    auth.audit(session, actor, "set_metric_target", "metric_target", row.id, old,
               {"target": row.target, "weight": row.weight})
    live.mark_changed(session, "settings")
